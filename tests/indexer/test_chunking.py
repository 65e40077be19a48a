"""Chunking: passages follow the document's structure and always fit the model."""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Sequence

import pytest

from indexer.chunking import ChunkingOptions, Passage, chunk
from indexer.embedders.fake import FakeEmbedder
from indexer.normalise import NormalisedText, normalise
from indexer.sentences import split_spans
from tests.conftest import COMMUNIQUE_TXT, CORPUS

SESSIONS = ["One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten"]

_SMALL_PIECES = re.compile(r"\w{1,4}|[^\w\s]")


def wordpiece_counter(texts: Sequence[str]) -> list[int]:
    """A stand-in for a real tokenizer: short word pieces (more tokens per word than the fake
    embedder's), one token per punctuation mark, plus [CLS] and [SEP]."""
    return [len(_SMALL_PIECES.findall(t)) + 2 for t in texts]


fake_counter = FakeEmbedder().count_tokens
COUNTERS = pytest.mark.parametrize(
    "count_tokens", [fake_counter, wordpiece_counter], ids=["fake", "wordpiece"]
)


def context_for(title: str):
    def context(section: str | None) -> str:
        return f"{title} — {section}" if section else title

    return context


def embedded_tokens(count_tokens, context, passage: Passage) -> int:
    """Tokens of what the build embeds: the context line (cut to fit), a newline, the
    passage."""
    assert passage.context == " ".join(
        context(passage.section).split()[: len(passage.context.split())]
    )
    return count_tokens([passage.embed_text])[0]


def communique() -> NormalisedText:
    return normalise([(CORPUS / COMMUNIQUE_TXT).read_text(encoding="utf-8")])


def long_paragraph(sentences: int, topic: str = "fisheries") -> str:
    return " ".join(
        f"Sentence {i} records that the delegates discussed {topic} and the ocean."
        for i in range(sentences)
    )


def assert_no_sentence_lost(doc: NormalisedText, passages: list[Passage]) -> None:
    """Every non-space character of every sentence of the body (headings name the sections)
    lies inside some passage."""
    for block in doc.blocks:
        if block.kind == "heading":
            continue
        for start, end in split_spans(doc.text, block.start, block.end):
            covered = all(
                any(p.start <= i < p.end for p in passages)
                for i in range(start, end)
                if not doc.text[i].isspace()
            )
            assert covered, f"sentence lost: {doc.text[start:end]!r}"


# --- the seed communiqué -----------------------------------------------------------------------


@COUNTERS
def test_communique_has_one_passage_per_session_named_after_it(count_tokens):
    passages = chunk(communique(), count_tokens)
    for name in SESSIONS:
        matching = [p for p in passages if p.section == f"Session {name}"]
        assert len(matching) == 1, f"Session {name}: {len(matching)} passages"
        assert matching[0].text.startswith(f"Session {name}:")
        assert f"Session {name}:" not in "".join(
            p.text for p in passages if p.section != f"Session {name}"
        )


def test_communique_opening_ceremony_is_its_own_passage():
    passages = chunk(communique(), fake_counter)
    opening = [p for p in passages if p.section == "Opening Ceremony"]
    assert len(opening) == 1
    assert opening[0].text.startswith("Opening Ceremony: The conference commenced")


def test_session_four_passage_holds_e_commerce_and_the_countries_that_spoke():
    passages = chunk(communique(), fake_counter)
    four = next(p for p in passages if p.section == "Session Four")
    assert "e-commerce" in four.text
    assert "Kiribati, PNG, New Zealand and PIFS" in four.text


def test_communique_conclusion_passage_is_under_the_conclusion_heading():
    passages = chunk(communique(), fake_counter)
    conclusion = [p for p in passages if p.section == "Conclusion"]
    assert len(conclusion) == 1
    assert conclusion[0].text.startswith("The 26th OCO Annual Conference successfully fostered")
    # Sign-off lines close the last section instead of being lost.
    assert conclusion[0].text.rstrip().endswith("July 2024")


def test_passage_text_is_the_slice_of_the_document_it_points_to():
    doc = communique()
    for passage in chunk(doc, fake_counter):
        assert passage.text == doc.text[passage.start : passage.end]


def test_passage_ordinals_count_up_from_zero_in_document_order():
    passages = chunk(communique(), fake_counter)
    assert [p.ordinal for p in passages] == list(range(len(passages)))
    starts = [p.start for p in passages]
    assert starts == sorted(starts)


def test_passage_sentences_are_relative_spans_of_whole_sentences():
    doc = communique()
    passages = chunk(doc, fake_counter)
    four = next(p for p in passages if p.section == "Session Four")
    sentences = [four.text[s:e] for s, e in four.sentences]
    assert sentences[-1] == (
        "Kiribati, PNG, New Zealand and PIFS shared their experience, progress on e-commerce "
        "initiatives and discussed the future of trade logistics in the region."
    )
    for passage in passages:
        assert passage.sentences
        for start, end in passage.sentences:
            assert 0 <= start < end <= len(passage.text)


# --- structure -------------------------------------------------------------------------------


def test_headings_start_new_passages():
    text = (
        "# Fisheries\n\nTuna stocks are under pressure. Members agreed to share data.\n\n"
        "# Climate Change\n\nSea levels are rising. Adaptation finance is needed.\n\n"
        "# Trade\n\nE-commerce is growing across the region."
    )
    doc = normalise([text])
    passages = chunk(doc, fake_counter)
    assert [(p.section, p.text) for p in passages] == [
        ("Fisheries", "Tuna stocks are under pressure. Members agreed to share data."),
        ("Climate Change", "Sea levels are rising. Adaptation finance is needed."),
        ("Trade", "E-commerce is growing across the region."),
    ]


@COUNTERS
def test_no_passage_runs_across_a_section_heading(count_tokens):
    doc = communique()
    passages = chunk(doc, count_tokens, ChunkingOptions(max_tokens=96, target_tokens=70))
    section_headings = [
        b for b in doc.blocks if b.kind == "heading" and b.text in {p.section for p in passages}
    ]
    assert {h.text for h in section_headings} >= {"Day Two Highlights", "Conclusion"}
    for passage in passages:
        for heading in section_headings:
            assert not passage.start < heading.start < passage.end, (passage.section, heading.text)


def test_paragraphs_under_a_heading_take_its_name_as_section():
    text = "# Ocean Governance\n\n" + "\n\n".join(long_paragraph(4, t) for t in ("tuna", "reefs"))
    passages = chunk(normalise([text]), fake_counter)
    assert passages
    assert {p.section for p in passages} == {"Ocean Governance"}


def test_short_labelled_item_stays_in_its_section():
    text = "# Opening\n\nTheme: Blue Pacific.\n\nThe meeting opened with a prayer and remarks."
    passages = chunk(normalise([text]), fake_counter)
    assert len(passages) == 1
    assert passages[0].section == "Opening"
    assert passages[0].text.startswith("Theme: Blue Pacific.")


def test_document_without_headings_has_passages_without_section():
    passages = chunk(normalise([long_paragraph(5)]), fake_counter)
    assert passages
    assert all(p.section is None for p in passages)


def test_empty_document_has_no_passages():
    assert chunk(normalise([""]), fake_counter) == []


# --- token limits ------------------------------------------------------------------------------


@COUNTERS
@pytest.mark.parametrize("max_tokens", [256, 128, 64])
def test_every_passage_fits_the_limit_with_its_context(count_tokens, max_tokens):
    context = context_for("Tuvalu – statement at the UN General Debate, 60th session (2005)")
    for source in (
        COMMUNIQUE_TXT,
        "ungdc-pacific/TUV_60_2005.txt",
        "ungdc-pacific/AUS_79_2024.txt",
    ):
        doc = normalise([(CORPUS / source).read_text(encoding="utf-8")])
        options = ChunkingOptions(max_tokens=max_tokens, target_tokens=min(180, max_tokens - 20))
        passages = chunk(doc, count_tokens, options, context)
        assert passages
        for passage in passages:
            assert embedded_tokens(count_tokens, context, passage) <= max_tokens, (
                source,
                passage.ordinal,
            )


def test_passage_and_long_title_context_fit_the_model_limit():
    # A long report title (about 75 tokens) with a section holding one very long sentence.
    title = (
        "Report of the Joint Meeting of the Pacific Islands Forum Fisheries Agency, the "
        "Secretariat of the Pacific Community, the Parties to the Nauru Agreement and the "
        "Western and Central Pacific Fisheries Commission on Sustainable Tuna Management, "
        "Monitoring, Control and Surveillance, Apia, Samoa, 2019"
    )
    sentence = " ".join(["the delegates of the island states discussed fisheries"] * 25) + "."
    text = f"# Fisheries\n\nShort opening sentence here. {sentence.capitalize()} Closing remark."
    context = context_for(title)
    for passage in chunk(normalise([text]), fake_counter, ChunkingOptions(), context):
        assert embedded_tokens(fake_counter, context, passage) <= 256


@COUNTERS
def test_long_paragraph_is_split_at_sentence_boundaries(count_tokens):
    doc = normalise(["# Fisheries\n\n" + long_paragraph(60)])
    passages = chunk(doc, count_tokens)
    assert len(passages) > 2
    starts = set()
    ends = set()
    for start, end in split_spans(doc.text):
        starts.add(start)
        ends.add(end)
    for passage in passages:
        assert passage.start in starts
        assert passage.end in ends
        assert passage.text.startswith("Sentence ")
        assert passage.text.endswith("the ocean.")


def test_long_paragraph_parts_overlap_by_one_sentence():
    doc = normalise(["# Fisheries\n\n" + long_paragraph(60)])
    passages = chunk(doc, fake_counter)
    assert len(passages) > 2
    for before, after in itertools.pairwise(passages):
        last_start, last_end = before.sentences[-1]
        last_sentence = before.text[last_start:last_end]
        first_start, first_end = after.sentences[0]
        assert after.text[first_start:first_end] == last_sentence
        # Only one sentence is repeated.
        assert before.text[before.sentences[-2][0] : before.sentences[-2][1]] not in after.text


def test_separate_paragraphs_are_not_overlapped():
    paragraphs = [long_paragraph(8, topic) for topic in ("tuna", "reefs", "trade", "security")]
    doc = normalise(["\n\n".join(paragraphs)])
    passages = chunk(doc, fake_counter, ChunkingOptions(max_tokens=200, target_tokens=140))
    assert len(passages) > 1
    for before, after in itertools.pairwise(passages):
        assert after.start >= before.end


@COUNTERS
@pytest.mark.parametrize("max_tokens", [256, 96])
def test_no_text_is_lost_when_chunking_real_documents(count_tokens, max_tokens):
    sources = [
        COMMUNIQUE_TXT,
        "ungdc-pacific/TUV_60_2005.txt",
        "ungdc-pacific/TUV_74_2019.txt",
        "ungdc-pacific/FJI_74_2019.txt",
        "ungdc-pacific/AUS_79_2024.txt",
    ]
    for source in sources:
        doc = normalise([(CORPUS / source).read_text(encoding="utf-8")])
        options = ChunkingOptions(max_tokens=max_tokens, target_tokens=min(180, max_tokens - 20))
        passages = chunk(doc, count_tokens, options, context_for("A title"))
        assert_no_sentence_lost(doc, passages)


def test_sentences_are_kept_whole_at_the_default_limit():
    for source in ("ungdc-pacific/AUS_79_2024.txt", "ungdc-pacific/TUV_74_2019.txt"):
        doc = normalise([(CORPUS / source).read_text(encoding="utf-8")])
        passages = chunk(doc, fake_counter)
        for block in doc.blocks:
            if block.kind == "heading":
                continue
            for start, end in split_spans(doc.text, block.start, block.end):
                assert any(p.start <= start and end <= p.end for p in passages), doc.text[start:end]


@COUNTERS
def test_enormous_sentence_without_punctuation_is_split_into_pieces_that_fit(count_tokens):
    rng = random.Random(7)
    vocabulary = ["ocean", "fisheries", "climate", "adaptation", "sovereignty", "resilience"]
    words = [f"{rng.choice(vocabulary)}{i}" for i in range(2000)]
    doc = normalise([" ".join(words)])
    context = context_for("An untitled document")
    passages = chunk(doc, count_tokens, ChunkingOptions(), context)
    assert len(passages) > 5
    for passage in passages:
        assert embedded_tokens(count_tokens, context, passage) <= 256
        assert passage.text == doc.text[passage.start : passage.end]
    # Nothing dropped, nothing cut inside a word.
    assert " ".join(p.text for p in passages).split() == words


def test_enormous_word_longer_than_the_limit_is_still_cut_to_fit():
    doc = normalise(["a" * 5000 + " tail words here."])
    passages = chunk(doc, wordpiece_counter, ChunkingOptions(max_tokens=64, target_tokens=40))
    for passage in passages:
        assert wordpiece_counter([passage.text])[0] <= 64
    assert "".join(p.text for p in passages).replace(" ", "") == "a" * 5000 + "tailwordshere."


def test_options_max_tokens_is_respected_without_context():
    doc = normalise(["# Trade\n\n" + long_paragraph(100, "trade")])
    for passage in chunk(doc, wordpiece_counter, ChunkingOptions(max_tokens=80, target_tokens=60)):
        assert wordpiece_counter([passage.text])[0] <= 80


# --- work: linear in the text's length, whatever its punctuation ------------------------------


def tallied(count_tokens):
    """`count_tokens`, tallying its calls and the characters it is given."""
    tally = {"calls": 0, "chars": 0}

    def counter(texts: Sequence[str]) -> list[int]:
        tally["calls"] += 1
        tally["chars"] += sum(len(t) for t in texts)
        return count_tokens(texts)

    return counter, tally


@COUNTERS
def test_a_long_run_without_punctuation_is_tokenized_a_few_times_not_once_per_piece(
    count_tokens,
):
    # A 40 KB "sentence" (about 40 passages) and one twice as long: each is tokenized a
    # bounded number of times in all, where searching each piece's end over the rest of the
    # run tokenized it again for every piece (30 and 50 times its length; hours for MBs).
    for repeats in (900, 1800):
        doc = normalise([("ocean freight rates rose sharply this quarter " * repeats).strip()])
        counter, tally = tallied(count_tokens)
        passages = chunk(doc, counter, ChunkingOptions(), context_for("A title"))
        assert len(passages) > repeats // 30
        assert tally["chars"] <= 4 * len(doc.text), tally
        assert tally["calls"] <= 10, tally
        assert " ".join(p.text for p in passages).split() == doc.text.split()


def test_a_long_word_over_the_limit_is_cut_with_work_proportional_to_its_length():
    # One "word" of 40 000 word pieces, then one twice as long: each cut searches from where
    # the last one ended, not over the rest of the word.
    work = []
    for repeats in (20_000, 40_000):
        doc = normalise(["a," * repeats])
        counter, tally = tallied(wordpiece_counter)
        passages = chunk(doc, counter, ChunkingOptions(max_tokens=256))
        assert "".join(p.text for p in passages) == doc.text
        assert all(wordpiece_counter([p.text])[0] <= 256 for p in passages)
        work.append(tally["chars"] / len(doc.text))
    assert work[0] <= 30
    assert work[1] <= 1.1 * work[0], work


def _fussy_counter(texts: Sequence[str]) -> list[int]:
    """Like a word-piece tokenizer: a known word is one token, anything else (a word cut
    part-way) one token a character, so a word's prefix can take more tokens than the
    word."""
    known = {"ocean", "freight", "rates", "rose", "sharply", "this", "quarter"}
    return [sum(1 if w in known else len(w) for w in t.split()) + 2 for t in texts]


def test_pieces_of_a_long_run_are_the_longest_run_of_whole_words_that_fits():
    doc = normalise([("ocean freight rates rose sharply this quarter " * 200).strip()])
    options = ChunkingOptions(max_tokens=64, target_tokens=40)
    passages = chunk(doc, _fussy_counter, options)
    assert " ".join(p.text for p in passages).split() == doc.text.split()
    for passage, following in itertools.pairwise(passages):
        assert _fussy_counter([passage.text])[0] <= 64 - 2 - 1
        one_more = doc.text[passage.start : doc.text.index(" ", following.start)]
        assert _fussy_counter([one_more])[0] > 64 - 2 - 1, passage.text


def test_pieces_fit_when_words_counted_alone_undercount_the_text():
    # A tokenizer that counts each space too: a run's words summed miss the spaces between
    # them, so each piece is counted whole and cut again where it does not fit.
    def counter(texts: Sequence[str]) -> list[int]:
        return [len(re.findall(r"\S+| ", t)) + 2 for t in texts]

    doc = normalise([("ocean freight rates rose sharply this quarter " * 300).strip()])
    passages = chunk(doc, counter, ChunkingOptions(max_tokens=64, target_tokens=40))
    assert " ".join(p.text for p in passages).split() == doc.text.split()
    for passage in passages:
        assert counter([passage.text])[0] <= 64
