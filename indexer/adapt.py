"""Adapting the embedded model to the archive, without labels (`confsearch adapt`).

People describe one detail of a passage in their own words. The pairs teach the model that
a passage is near what it holds, from the index's own text: a sentence and the rest of its
passage (the sentence taken out, so the pair shares meaning rather than words), and a
section heading or a resolution's topic and a passage under it. They are trained with
in-batch negatives (sentence-transformers' MultipleNegativesRankingLoss): each anchor must
pick its own partner among the batch's, the loss the model was first trained with.

With `teacher`, the student learns the teacher's judgement of the same pairs instead: how
similar it finds each anchor to every passage of the batch (a KL divergence between the
two models' in-batch similarity distributions), distillation of a larger model into the
small one.

The result is a sentence-transformers folder beside the index (`<index>/models/<name>`) with
`adapted.json` saying how it was made; index with it by naming that folder as the model, and
the manifest records it. Whether to use it is decided by `confsearch eval`, not here.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from indexer.embedding import compute_threads, cpu_supports_bf16, resolve_model_path
from indexer.store import Generation

MIN_WORDS = 8  # a shorter sentence ("It did.") says too little to stand for its passage
ADAPTED_FILE = "adapted.json"


@dataclass
class AdaptReport:
    base: str
    output: str
    method: str  # "pairs" or "distil:<teacher>"
    pairs: int  # training examples available
    steps: int = 0
    examples: int = 0  # examples seen
    seconds: float = 0.0
    batch_size: int = 32
    learning_rate: float = 2e-5
    max_tokens: int = 256
    loss_first: float = 0.0  # mean of the first tenth of the steps
    loss_last: float = 0.0  # mean of the last tenth
    created: str = ""
    losses: list[float] = field(default_factory=list, repr=False)


def pairs(generation: Generation, limit: int = 50_000, seed: int = 13) -> list[tuple[str, str]]:
    """(anchor, positive) texts from the generation's passages: for each passage a sentence
    and the rest of the passage; for each distinct heading (a section's, or a resolution's
    topic) one passage under it. A heading is used once: two pairs with the same anchor in a
    batch would each count the other's passage as a wrong answer."""
    rng = random.Random(seed)
    rows = generation.query(
        "SELECT p.text, p.sentences, p.section, d.topic, p.text_sha FROM passages p "
        "JOIN documents d ON d.id = p.document_id ORDER BY p.id"
    )
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    under: dict[str, list[str]] = {}
    for row in rows:
        if row["text_sha"] in seen:  # a second rendition of the same text
            continue
        seen.add(row["text_sha"])
        text = row["text"]
        spans = [(s, e) for s, e in json.loads(row["sentences"])
                 if len(text[s:e].split()) >= MIN_WORDS]  # fmt: skip
        if len(spans) >= 2:
            start, end = rng.choice(spans)
            rest = (text[:start] + " " + text[end:]).strip()
            out.append((text[start:end].strip(), rest))
        section = (
            row["section"] if row["section"] and not _NUMBERED.fullmatch(row["section"]) else ""
        )
        heading = section or row["topic"] or ""
        if heading:
            under.setdefault(heading, []).append(text)
    out += [(heading, rng.choice(texts)) for heading, texts in under.items()]
    rng.shuffle(out)
    return out[:limit]


# sections that only say where a passage is in a resolution: no meaning to learn from
_NUMBERED = re.compile(r"(Preamble|Paragraphs? [\d–-]+)", re.IGNORECASE)


def adapt(
    base: str,
    examples: Sequence[tuple[str, str]],
    output: Path,
    minutes: float = 5.0,
    batch_size: int = 32,
    learning_rate: float = 2e-5,
    max_tokens: int = 256,
    teacher: str | None = None,
    seed: int = 13,
    progress: Callable[[int, int, float], None] | None = None,
) -> AdaptReport:
    """Fine-tunes `base` on `examples` for at most `minutes` (one pass at most) and saves it
    to `output`. `progress(step, steps, loss)` is called after each step."""
    import torch
    from sentence_transformers import SentenceTransformer, losses

    torch.manual_seed(seed)
    torch.set_num_threads(compute_threads())
    model = SentenceTransformer(str(resolve_model_path(base)), device="cpu")
    model.max_seq_length = max_tokens
    report = AdaptReport(
        base=base, output=str(output), method=f"distil:{teacher}" if teacher else "pairs",
        pairs=len(examples), batch_size=batch_size, learning_rate=learning_rate,
        max_tokens=max_tokens,
    )  # fmt: skip
    batches = [examples[i : i + batch_size] for i in range(0, len(examples), batch_size)]
    batches = [b for b in batches if len(b) == batch_size]  # in-batch negatives: full batches
    if not batches:
        raise ValueError(f"{len(examples)} training pairs: at least {batch_size} are needed")
    teacher_model = None
    if teacher:
        teacher_model = SentenceTransformer(str(resolve_model_path(teacher)), device="cpu")
        teacher_model.max_seq_length = max_tokens
    ranking = losses.MultipleNegativesRankingLoss(model)
    optimiser = torch.optim.AdamW(model.parameters(), lr=learning_rate)
    warmup = max(1, len(batches) // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: min(1.0, (s + 1) / warmup))
    # bf16 autocast where the CPU multiplies bf16 natively (AMX, AVX-512 BF16); fp32 elsewhere
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=cpu_supports_bf16())
    deadline = time.monotonic() + 60 * minutes
    started = time.monotonic()
    model.train()
    for step, batch in enumerate(batches):
        if time.monotonic() >= deadline:
            break
        anchors = [a for a, _ in batch]
        positives = [p for _, p in batch]
        with autocast:
            if teacher_model is not None:
                loss = _distillation_loss(model, teacher_model, anchors, positives, ranking.scale)
            else:
                loss = ranking([model.tokenize(anchors), model.tokenize(positives)], None)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        value = float(loss.detach())
        report.losses.append(value)
        if progress is not None:
            progress(step + 1, len(batches), value)
    model.eval()
    report.steps = len(report.losses)
    report.examples = report.steps * batch_size
    report.seconds = round(time.monotonic() - started, 1)
    tenth = max(1, report.steps // 10)
    report.loss_first = round(sum(report.losses[:tenth]) / tenth, 4)
    report.loss_last = round(sum(report.losses[-tenth:]) / tenth, 4)
    report.created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    save(model, report, output)
    return report


def _distillation_loss(model, teacher, anchors: list[str], positives: list[str], scale: float):
    """How far the student's in-batch similarities are from the teacher's: KL divergence of
    each anchor's softmax over the batch's passages. Similarities, not vectors, are matched:
    the two models' vectors differ in size (384 and 768) and need not align."""
    import torch
    import torch.nn.functional as F

    with torch.no_grad():
        ta = teacher.encode(anchors, convert_to_tensor=True, normalize_embeddings=True)
        tp = teacher.encode(positives, convert_to_tensor=True, normalize_embeddings=True)
        target = F.softmax(scale * (ta.float() @ tp.float().T), dim=1)
    sa = F.normalize(model(model.tokenize(anchors))["sentence_embedding"].float(), dim=1)
    sp = F.normalize(model(model.tokenize(positives))["sentence_embedding"].float(), dim=1)
    return F.kl_div(F.log_softmax(scale * (sa @ sp.T), dim=1), target, reduction="batchmean")


def save(model, report: AdaptReport, output: Path) -> None:
    """The model as a sentence-transformers folder (safetensors, no pickle) and how it was
    made; written to a temporary folder first, so a stopped run leaves no half model."""
    partial = output.with_name(output.name + ".partial")
    model.save(str(partial), safe_serialization=True)
    record = {k: v for k, v in asdict(report).items() if k != "losses"}
    (partial / ADAPTED_FILE).write_text(json.dumps(record, indent=2) + "\n")
    partial.rename(output)


def adapted_from(model_folder: Path) -> dict | None:
    """What `adapted.json` in a model folder records, for the index's manifest; None for a
    model that was not adapted here."""
    path = model_folder / ADAPTED_FILE
    if not path.is_file():
        return None
    return json.loads(path.read_text())
