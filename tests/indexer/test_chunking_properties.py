"""Property tests: whatever the text, chunking loses nothing, duplicates nothing beyond the
overlap, and never exceeds the token limit."""

from __future__ import annotations

import itertools
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.chunking import ChunkingOptions, chunk
from indexer.embedders.fake import FakeEmbedder
from indexer.normalise import normalise
from indexer.sentences import split

WORDS = st.sampled_from(
    [
        "customs",
        "trade",
        "the",
        "of",
        "Pacific",
        "e-commerce",
        "Mr.",
        "U.N.",
        "3.5",
        "Session",
        "Four:",
        "tariff",
        "island",
        "climate",
        "ocean",
        "fisheries,",
        "security;",
        "revenue",
        "(HS)",
        "“quoted”",
        "co-operation",
    ]
)
SENTENCE = st.lists(WORDS, min_size=1, max_size=40).map(lambda w: " ".join(w) + ".")
PARAGRAPH = st.lists(SENTENCE, min_size=1, max_size=12).map(" ".join)
HEADING = st.sampled_from(["# Session One", "Day Two Highlights:", "## Conclusion", ""])
DOCUMENT = st.lists(st.tuples(HEADING, PARAGRAPH), min_size=1, max_size=6).map(
    lambda parts: "\n\n".join(f"{h}\n\n{p}" if h else p for h, p in parts)
)
COUNTER = FakeEmbedder().count_tokens


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENT, st.integers(min_value=40, max_value=256))
def test_chunking_loses_no_text_and_respects_the_token_limit(document: str, max_tokens: int):
    doc = normalise([document])
    options = ChunkingOptions(max_tokens=max_tokens, target_tokens=min(180, max_tokens))
    passages = chunk(doc, COUNTER, options, context=lambda section: f"Title — {section}")
    for passage in passages:
        assert COUNTER([passage.embed_text])[0] <= max_tokens
        assert passage.text == doc.text[passage.start : passage.end]
    # Every non-space body character is in a passage (headings name sections instead).
    covered = [False] * len(doc.text)
    for passage in passages:
        for i in range(passage.start, passage.end):
            covered[i] = True
    for block in doc.blocks:
        if block.kind != "heading":
            lost = [
                i
                for i in range(block.start, block.end)
                if not covered[i] and not doc.text[i].isspace()
            ]
            assert not lost, block.text
    # Passages overlap only by the repeated sentence at a split, never more.
    ordered = sorted(passages, key=lambda p: p.start)
    for before, after in itertools.pairwise(ordered):
        overlap = doc.text[after.start : max(after.start, min(before.end, after.end))]
        if overlap.strip():
            assert len(split(overlap)) <= options.overlap_sentences, overlap


RUN_WORDS = st.sampled_from(["ocean", "freight", "rates", "rose", "sharply", "sovereignty",
                             "co-operation", "(HS)", "a" * 30, "x," * 40, "b" * 300])  # fmt: skip
SPACES = st.sampled_from([" ", " ", " ", "  ", " \n "])
RUN = st.lists(st.tuples(RUN_WORDS, SPACES), min_size=1, max_size=300).map(
    lambda parts: "".join(w + s for w, s in parts).strip()
)
_PIECES = re.compile(r"\w{1,4}|[^\w\s]")
COUNTERS = {
    "fake": COUNTER,
    "short pieces": lambda texts: [len(_PIECES.findall(t)) + 2 for t in texts],
    # A word cut part-way takes more tokens than the word (as with word pieces).
    "fussy": lambda texts: [
        sum(1 if w.isalpha() and len(w) >= 4 else len(w) for w in t.split()) + 2 for t in texts
    ],
    # Spaces count: words counted alone undercount a text.
    "spaces": lambda texts: [len(re.findall(r"\S+|\s", t)) + 2 for t in texts],
}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RUN, st.sampled_from(sorted(COUNTERS)), st.integers(min_value=40, max_value=256))
def test_a_run_without_punctuation_is_cut_into_pieces_that_fit_and_lose_nothing(
    run: str, counter_name: str, max_tokens: int
):
    count = COUNTERS[counter_name]
    doc = normalise([f"Opening sentence. {run} Closing sentence."])
    options = ChunkingOptions(max_tokens=max_tokens, target_tokens=min(180, max_tokens))
    passages = chunk(doc, count, options, context=lambda section: "Title")
    for passage in passages:
        assert count([passage.embed_text])[0] <= max_tokens
        assert passage.text == doc.text[passage.start : passage.end]
    # In order, and every non-space character of the body in one of them (a line the
    # normaliser reads as a heading names a section instead: "Opening sentence. (HS) (HS)").
    assert [p.start for p in passages] == sorted(p.start for p in passages)
    covered = [False] * len(doc.text)
    for passage in passages:
        covered[passage.start : passage.end] = [True] * (passage.end - passage.start)
    body = [b for b in doc.blocks if b.kind != "heading"]
    assert all(covered[i] for b in body for i in range(b.start, b.end) if not doc.text[i].isspace())
