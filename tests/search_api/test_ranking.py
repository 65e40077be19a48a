"""Post-processing of the fused ranking: one candidate per text, one per overlap."""

from __future__ import annotations

import numpy as np

from search_api import ranking


class Table:
    """The light table's columns for five passages: 0 and 3 hold the same text in two
    renditions (a.txt, a.pdf); 1 and 2 overlap in document b.txt."""

    document = np.array([0, 1, 1, 2, 3])
    start = np.array([0, 0, 50, 0, 0])
    end = np.array([100, 80, 150, 100, 100])
    text_key = np.array([7, 8, 9, 7, 10])

    def documents(self, rowids):
        sources = ["a.txt", "b.txt", "a.pdf", "c.txt"]
        return {r: {"document_id": sources[r], "source": sources[r]} for r in set(rowids)}


IDS, SCORES = np.array([0, 1, 2, 4, 3]), np.array([0.9, 0.8, 0.7, 0.6, 0.5])


def test_collapse_keeps_one_passage_per_text_and_per_overlap():
    kept = ranking.collapse(Table(), IDS, SCORES)

    assert [c.passage_id for c in kept] == [0, 1, 4]
    assert kept[0].also_in == ["a.pdf"]


def test_a_page_of_candidates_still_names_the_renditions_ranked_below_it():
    kept = ranking.collapse(Table(), IDS, SCORES, limit=2)

    assert [c.passage_id for c in kept] == [0, 1]
    assert kept[0].also_in == ["a.pdf"]  # passage 3, ranked last, says the same


def test_a_page_reads_the_metadata_of_its_own_documents_only():
    # Reading every candidate's document row was most of collapse's time (~300 a question).
    asked: list[int] = []

    class Counting(Table):
        def documents(self, rowids):
            rowids = list(rowids)
            asked.extend(rowids)
            return super().documents(rowids)

    ids = np.array([0, 4, 1, 2, 3])  # 3 renders 0's text; 1 and 2 overlap
    kept = ranking.collapse(Counting(), ids, np.linspace(1, 0.5, 5), limit=1)

    assert [c.passage_id for c in kept] == [0] and kept[0].also_in == ["a.pdf"]
    assert set(asked) == {0, 2}  # a.txt and its rendition a.pdf, not c.txt or b.txt
