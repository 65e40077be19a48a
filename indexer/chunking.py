"""Cut a normalised document into passages that follow its structure.

A heading opens a section; a labelled item ("Session Four: ...") of some length is a section
of its own. Sections are packed into passages of about a paragraph, ending at paragraph or
sentence boundaries, each within the model's token limit counted with the model's tokenizer
(nothing is ever truncated by the model). A long section is split with one sentence of
overlap so a thought cut at the boundary is still found whole.

The work is linear in the text's length (n log n for a word longer than the limit),
whatever its punctuation: each span is tokenized a bounded number of times, never a growing
slice of a long run again and again.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections.abc import Callable, Iterator, Sequence
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

    def is_long_item(block: Block) -> bool:
        return _tokens(text, block.start, block.end, count_tokens) >= options.min_item_tokens

    passages: list[Passage] = []
    for section in sections(doc, is_long_item):
        prefix = _fit_context(context(section.name) if context else "", count_tokens, options)
        prefix_tokens = count_tokens([prefix])[0] - 2 if prefix else 0
        budget = options.max_tokens - 2 - prefix_tokens - 1  # -1: the newline after it
        target = min(options.target_tokens, budget)
        blocks = _Overlaps(section.blocks)
        for start, end in _pack(text, section.blocks, count_tokens, target, budget, options):
            passage = _passage(doc, len(passages), section.name, start, end)
            passage.context = prefix
            numbers = [b.paragraph for b in blocks.within(start, end) if b.paragraph]
            passage.paragraphs = format_paragraphs(numbers)
            if section.by_structure and passage.paragraphs:  # named for what it holds
                passage.section = paragraphs_label(passage.paragraphs)
            passages.append(passage)
    return passages


class _Overlaps:
    """The blocks of a section that overlap a span, found by bisection (not by going through
    all of them for each passage: quadratic for a long section of short blocks)."""

    def __init__(self, blocks: list[Block]) -> None:
        self.blocks = blocks
        self.ends = [b.end for b in blocks]
        self.ordered = all(a.end <= b.start for a, b in itertools.pairwise(blocks))

    def within(self, start: int, end: int) -> Iterator[Block]:
        """In order, the blocks with b.start < end and start < b.end."""
        if not self.ordered:
            yield from (b for b in self.blocks if b.start < end and start < b.end)
            return
        for i in range(bisect.bisect_right(self.ends, start), len(self.blocks)):
            if self.blocks[i].start >= end:
                return
            yield self.blocks[i]


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


def _pack(text, blocks, count_tokens, target, budget, options) -> list[tuple[int, int]]:
    """Group whole blocks up to `target` tokens; split blocks over `target` by sentences."""

    def tokens(start: int, end: int) -> int:
        return _tokens(text, start, end, count_tokens)

    units: list[tuple[int, int, bool]] = []  # (start, end, starts a paragraph)
    sizes: list[int] = []  # their tokens, less the two special tokens
    block_tokens = _count_spans(text, [(b.start, b.end) for b in blocks], count_tokens)
    for block, n in zip(blocks, block_tokens, strict=True):
        if n <= target:
            units.append((block.start, block.end, True))
            sizes.append(n - 2)
        else:
            pieces = _fit_sentences(text, block, n, count_tokens, budget)
            units.extend((s, e, i == 0) for i, (s, e, _) in enumerate(pieces))
            sizes.extend(k - 2 for _, _, k in pieces)
    # Word pieces never cross whitespace, so a span's count is the sum of its units' sizes
    # (plus the two special tokens); the exact count of each passage is checked below.
    after = list(itertools.accumulate(reversed(sizes), initial=0))[::-1]  # sum(sizes[i:])

    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(units):
        run = _run_end(sizes, i, target, after[i])
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


def _run_end(sizes: list[int], i: int, target: int, rest: int) -> int:
    """End (exclusive) of the run of units from `i` (`rest`: the sizes from `i` on, summed),
    balanced so that the parts of a long run come out of similar size instead of a full part
    and a scrap."""
    total = rest + 2
    if total <= target:
        return len(sizes)
    parts = math.ceil(total / target)
    goal = min(target, math.ceil(total / parts) + 8)
    run, used = i + 1, sizes[i] + 2
    while run < len(sizes) and used + sizes[run] <= goal:
        used += sizes[run]
        run += 1
    return run


_BATCH = 1024  # texts per tokenizer call when counting many
_WORD = re.compile(r"[^ ]+")  # a sentence over the limit is cut at spaces


def _count(texts: list[str], count_tokens) -> list[int]:
    """Tokens of each text (special tokens included), a batch of texts per tokenizer call."""
    counts: list[int] = []
    for i in range(0, len(texts), _BATCH):
        counts.extend(count_tokens(texts[i : i + _BATCH]))
    return counts


def _count_spans(text: str, spans: list[tuple[int, int]], count_tokens) -> list[int]:
    """Tokens of each text[start:end], as `_count`."""
    return _count([text[s:e] for s, e in spans], count_tokens)


def _tokens(text: str, start: int, end: int, count_tokens) -> int:
    """Tokens of text[start:end], special tokens included."""
    return count_tokens([text[start:end]])[0]


def _fit_sentences(text, block: Block, block_tokens: int, count_tokens, budget) -> list:
    """(start, end, tokens) of a block's sentences; one over the budget is cut at word
    boundaries."""
    sentences = split_spans(text, block.start, block.end)
    if sentences == [(block.start, block.end)]:
        counts = [block_tokens]  # one sentence: counted already
    else:
        counts = _count_spans(text, sentences, count_tokens)
    out = []
    for (s, e), n in zip(sentences, counts, strict=True):
        if n <= budget:
            out.append((s, e, n))
        else:
            out.extend(_cut(text, s, e, count_tokens, budget))
    return out


def _cut(text: str, start: int, end: int, count_tokens, budget: int) -> list:
    """Cut text[start:end], a run over the budget, into the longest pieces that fit, each
    ending before a space (inside a word only where one word alone is over the budget):
    their (start, end, tokens).

    Each distinct word is tokenized once, and a piece's count is its words' summed (word
    pieces never cross whitespace), then checked whole: the run is tokenized about twice,
    however long, where searching each piece's end over the rest of the run tokenized all
    of it again for every piece (quadratic in the run's length)."""
    words = [m.span() for m in _WORD.finditer(text, start, end)]
    starts = [s for s, _ in words]
    ends = [e for _, e in words]
    distinct = list(dict.fromkeys(text[s:e] for s, e in words))
    known = dict(zip(distinct, _count(distinct, count_tokens), strict=True))
    counts = [known[text[s:e]] - 2 for s, e in words]  # without the special tokens
    del distinct, known

    def tokens(s: int, e: int) -> int:
        return _tokens(text, s, e, count_tokens)

    pieces: list[tuple[int, int]] = []
    cursor, i = start, 0  # the next piece starts at `cursor`, in words[i]
    while i < len(words):
        if cursor == starts[i] and counts[i] + 2 <= budget:
            used = counts[i] + 2
        else:  # the rest of a word cut before, or a word alone over the budget
            cut, used = _longest_prefix(cursor, ends[i], tokens, budget)
            if cut < ends[i]:
                pieces.append((cursor, cut))
                cursor = cut
                continue
        j = i + 1
        while j < len(words) and used + counts[j] <= budget:
            used += counts[j]
            j += 1
        # Up to the space before the first word that does not fit, as the longest prefix
        # within the budget cut at its last space always was.
        stop = starts[j] - 1 if j < len(words) else end
        pieces.append((cursor, stop))
        cursor, i = (starts[j] if j < len(words) else end), j
    return _check(text, pieces, starts, ends, count_tokens, budget)


def _longest_prefix(start: int, end: int, tokens, budget: int) -> tuple[int, int]:
    """(cut, its tokens): the longest text[start:cut], cut <= end, within the budget (at
    least one character). The search doubles its reach from `start`, so it tokenizes about
    as much as the prefix it finds (times its logarithm), never all of a long word."""
    best, best_tokens = start + 1, tokens(start, start + 1)
    reach = best
    while reach < end:  # double the reach until over the budget or at the end
        reach = min(end, start + 2 * (best - start))
        n = tokens(start, reach)
        if n > budget:
            break
        best, best_tokens = reach, n
    lo, hi = best, reach - 1  # `best` fits; beyond `hi` does not
    while lo < hi:
        mid = (lo + hi + 1) // 2
        n = tokens(start, mid)
        if n <= budget:
            lo, best_tokens = mid, n
        else:
            hi = mid - 1
    return lo, best_tokens


def _check(text, pieces, starts, ends, count_tokens, budget) -> list[tuple[int, int, int]]:
    """(start, end, tokens) of the pieces, each counted whole; one over the budget (its words
    counted alone miscount it: not so with word-piece tokenizers) is cut at its last word
    end that fits."""
    out: list[tuple[int, int, int]] = []
    for (s, e), n in zip(pieces, _count_spans(text, pieces, count_tokens), strict=True):
        while n > budget:
            first = bisect.bisect_right(ends, s)  # its first word's end (counted alone)
            last = bisect.bisect_left(ends, e) - 1  # its last word end before `e`
            if last < first:
                break  # part of one word: counted whole already
            lo, hi = first, last
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if _tokens(text, s, ends[mid], count_tokens) <= budget:
                    lo = mid
                else:
                    hi = mid - 1
            out.append((s, ends[lo], _tokens(text, s, ends[lo], count_tokens)))
            if lo + 1 >= len(starts) or starts[lo + 1] >= e:
                s = e
                break
            s = starts[lo + 1]
            n = _tokens(text, s, e, count_tokens)
        if s < e:
            out.append((s, e, n))
    return out
