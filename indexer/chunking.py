"""Cut a normalised document into passages that follow its structure.

A heading opens a section; a labelled item ("Session Four: ...") of some length is a section
of its own. Sections are packed into passages of about a paragraph, ending at paragraph or
sentence boundaries, each within the model's token limit counted with the model's tokenizer
(nothing is ever truncated by the model). A long section is split with one sentence of
overlap so a thought cut at the boundary is still found whole.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from indexer.normalise import Block, NormalisedText
from indexer.sentences import split_spans

TokenCounter = Callable[[Sequence[str]], list[int]]


@dataclass(frozen=True)
class ChunkingOptions:
    max_tokens: int = 256  # the model's limit, special tokens included
    target_tokens: int = 180  # about a paragraph
    min_item_tokens: int = 32  # shorter labelled items ("Theme: ...") stay in their section
    overlap_sentences: int = 1
    context_tokens: int = 48  # room kept for "title — section" prepended when embedding


@dataclass
class Passage:
    ordinal: int
    section: str | None
    start: int  # offsets into the document's normalised text
    end: int
    page: int | None
    page_end: int | None
    text: str
    sentences: list[tuple[int, int]] = field(default_factory=list)  # relative to text
    context: str = ""  # what is prepended when embedding, cut to fit `context_tokens`
    paragraphs: str | None = None  # numbered paragraphs it holds: "2", "4–5", "3, 7"

    @property
    def embed_text(self) -> str:
        return f"{self.context}\n{self.text}" if self.context else self.text


@dataclass
class _Section:
    name: str | None
    blocks: list[Block]
    opened_by_heading: bool = False
    by_structure: bool = False  # named by the document's structure (Block.section)

    @property
    def has_body(self) -> bool:
        return any(b.kind != "heading" for b in self.blocks)


def sections(doc: NormalisedText, is_long_item: Callable[[Block], bool]) -> list[_Section]:
    """Group blocks into sections: a heading opens one, and so does a long labelled item;
    blocks whose section the document's structure names (a resolution's preamble and
    operative paragraphs) follow that instead."""
    out: list[_Section] = []
    heading: str | None = None
    current = _Section(None, [])

    for block in doc.blocks:
        if block.section is not None:
            if not (current.by_structure and current.name == block.section):
                if current.blocks:
                    out.append(current)
                current = _Section(block.section, [], by_structure=True)
            current.blocks.append(block)
        elif block.kind == "heading":
            if current.opened_by_heading and not current.has_body:
                # A heading right under a heading (a place and date under a title): the
                # first names the section, the others are its text.
                current.blocks.append(block)
                continue
            if current.blocks:
                out.append(current)
            heading = block.text
            current = _Section(heading, [], opened_by_heading=True)
        elif block.kind == "item" and is_long_item(block):
            if current.blocks:
                out.append(current)
            out.append(_Section(block.label, [block]))
            current = _Section(heading, [])
        else:
            current.blocks.append(block)
    if current.blocks:
        if not current.has_body and out:
            # Trailing sign-off lines ("OCO Secretariat", "July 2024") close the last section.
            out[-1].blocks.extend(current.blocks)
        else:
            out.append(current)
    return out


def chunk(
    doc: NormalisedText,
    count_tokens: TokenCounter,
    options: ChunkingOptions | None = None,
    context: Callable[[str | None], str] | None = None,
) -> list[Passage]:
    """Passages of `doc`. `context(section)` is the text prepended when embedding; its tokens
    count against the limit."""
    options = options or ChunkingOptions()
    text = doc.text

    def tokens(start: int, end: int) -> int:
        return count_tokens([text[start:end]])[0]

    def is_long_item(block: Block) -> bool:
        return tokens(block.start, block.end) >= options.min_item_tokens

    passages: list[Passage] = []
    for section in sections(doc, is_long_item):
        prefix = _fit_context(context(section.name) if context else "", count_tokens, options)
        prefix_tokens = count_tokens([prefix])[0] - 2 if prefix else 0
        budget = options.max_tokens - 2 - prefix_tokens - 1  # -1: the newline after it
        target = min(options.target_tokens, budget)
        for start, end in _pack(text, section.blocks, tokens, target, budget, options):
            passage = _passage(doc, len(passages), section.name, start, end)
            passage.context = prefix
            numbers = [b.paragraph for b in section.blocks
                       if b.paragraph and b.start < end and start < b.end]  # fmt: skip
            passage.paragraphs = format_paragraphs(numbers)
            if section.by_structure and passage.paragraphs:  # named for what it holds
                passage.section = paragraphs_label(passage.paragraphs)
            passages.append(passage)
    return passages


def paragraphs_label(paragraphs: str) -> str:
    """ "Paragraph 2", "Paragraphs 4–5"."""
    return f"Paragraph {paragraphs}" if paragraphs.isdigit() else f"Paragraphs {paragraphs}"


def format_paragraphs(numbers: list[str]) -> str | None:
    """ "2"; "4–6" for a run of consecutive numbers; "3, 7" otherwise; None for none."""
    unique = list(dict.fromkeys(numbers))
    if not unique:
        return None
    if len(unique) == 1:
        return unique[0]
    if all(n.isdigit() for n in unique) and [int(n) for n in unique] == list(
        range(int(unique[0]), int(unique[0]) + len(unique))
    ):
        return f"{unique[0]}–{unique[-1]}"
    return ", ".join(unique)


def _fit_context(prefix: str, count_tokens: TokenCounter, options: ChunkingOptions) -> str:
    """The context line, cut at a word boundary to at most `context_tokens` word pieces."""
    words = prefix.split()
    while words and count_tokens([" ".join(words)])[0] - 2 > options.context_tokens:
        words = words[: max(1, len(words) * 3 // 4)] if len(words) > 1 else []
    return " ".join(words)


def _passage(doc: NormalisedText, ordinal: int, section: str | None, start: int, end: int):
    body = doc.text[start:end]
    return Passage(
        ordinal=ordinal,
        section=section,
        start=start,
        end=end,
        page=doc.page_at(start),
        page_end=doc.page_at(end - 1),
        text=body,
        sentences=[(s - start, e - start) for s, e in split_spans(doc.text, start, end)],
    )


def _pack(text, blocks, tokens, target, budget, options) -> list[tuple[int, int]]:
    """Group whole blocks up to `target` tokens; split blocks over `target` by sentences."""
    units: list[tuple[int, int, bool]] = []  # (start, end, starts a paragraph)
    for block in blocks:
        if tokens(block.start, block.end) <= target:
            units.append((block.start, block.end, True))
        else:
            for i, (s, e) in enumerate(_fit_sentences(text, block, tokens, budget)):
                units.append((s, e, i == 0))
    # Word pieces never cross whitespace, so a span's count is the sum of its units' counts
    # (less the two special tokens each); the exact count of each passage is checked below.
    sizes = [tokens(s, e) - 2 for s, e, _ in units]

    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(units):
        run = _run_end(sizes, i, target)
        while run - 1 > i and tokens(units[i][0], units[run - 1][1]) > budget:
            run -= 1
        spans.append((units[i][0], units[run - 1][1]))
        if run >= len(units):
            break
        # Overlap: when a paragraph is split mid-way, repeat its last sentence.
        back = 0
        while (
            back < options.overlap_sentences
            and run - back - 1 > i
            and not units[run - back][2]
            and sizes[run - back - 1] <= target // 4
        ):
            back += 1
        i = run - back
    return spans


def _run_end(sizes: list[int], i: int, target: int) -> int:
    """End (exclusive) of the run of units from `i`, balanced so that the parts of a long run
    come out of similar size instead of a full part and a scrap."""
    total = sum(sizes[i:]) + 2
    if total <= target:
        return len(sizes)
    parts = math.ceil(total / target)
    goal = min(target, math.ceil(total / parts) + 8)
    run, used = i + 1, sizes[i] + 2
    while run < len(sizes) and used + sizes[run] <= goal:
        used += sizes[run]
        run += 1
    return run


def _fit_sentences(text, block: Block, tokens, budget) -> list[tuple[int, int]]:
    """Sentences of a block; a sentence over the budget is cut at word boundaries."""
    out = []
    for s, e in split_spans(text, block.start, block.end):
        if tokens(s, e) <= budget:
            out.append((s, e))
            continue
        cursor = s
        while cursor < e:
            lo, hi = cursor + 1, e
            while lo < hi:  # longest prefix within budget, ending at a space
                mid = (lo + hi + 1) // 2
                if tokens(cursor, mid) <= budget:
                    lo = mid
                else:
                    hi = mid - 1
            cut = text.rfind(" ", cursor + 1, lo + 1) if lo < e else e
            cut = lo if cut <= cursor else cut
            out.append((cursor, cut))
            cursor = cut
            while cursor < e and text[cursor] == " ":
                cursor += 1
    return out
