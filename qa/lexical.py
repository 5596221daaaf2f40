"""BM25 over the search terms of each chunk (bm25s), with weighted queries and term IDF.

`Postings` is what a question reads: the vocabulary, each term's document frequency and its
posting list (the chunks holding it, with their BM25 weights). `LexicalIndex` holds them in
bm25s's own arrays (`ArrayPostings`: built, saved, memory-mapped); the Milvus store keeps the posting lists in
the server and fetches a question's (`qa.store.milvus`).
"""

from __future__ import annotations

import math
from pathlib import Path

import bm25s
import numpy as np

from qa.terms import tokenize


class Postings:
    """BM25 statistics over `size` chunks: term → column in `vocabulary`, its document
    frequency, and (`postings`) its posting list."""

    def __init__(self, vocabulary: dict[str, int], document_frequency: np.ndarray, size: int):
        self.vocabulary = vocabulary
        self.document_frequency = document_frequency
        self.size = size

    def __contains__(self, term: str) -> bool:
        return term in self.vocabulary and term != ""

    def idf(self, term: str) -> float:
        """Robertson-Spärck Jones IDF as BM25 uses it; 0 for a term the corpus lacks."""
        if term not in self:
            return 0.0
        df = int(self.document_frequency[self.vocabulary[term]])
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def idf_of_unseen(self) -> float:
        """The IDF a term would have if one more chunk held it: the most specific a term can be."""
        return math.log(1 + (self.size + 0.5) / 0.5)

    def postings(self, columns: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per column: the positions of the chunks holding the term and its BM25 weight in each."""
        raise NotImplementedError

    def sparse_scores(self, terms: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """The chunks the weighted query's terms reach (sorted positions) and their BM25 scores,
        read from the terms' posting lists alone."""
        weighted = [(self.vocabulary[term], weight) for term, weight in terms.items() if term in self and weight]
        if not weighted:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        lists = self.postings([column for column, _ in weighted])
        rows = np.concatenate([rows for rows, _ in lists]).astype(np.int64)
        values = np.concatenate([weight * values.astype(np.float64) for (_, values), (_, weight) in zip(lists, weighted)])
        total = np.bincount(rows, weights=values, minlength=self.size)[: self.size]
        positions = np.flatnonzero(total)
        return positions, total[positions].astype(np.float32)


class ArrayPostings(Postings):
    """Posting lists held as arrays in the layout bm25s keeps them (CSC: a term's chunks and
    weights at indptr[column]:indptr[column + 1] of indices and data)."""

    def __init__(self, vocabulary: dict[str, int], indptr: np.ndarray, indices: np.ndarray, data: np.ndarray,
                 size: int):
        # A term's posting length is its document frequency.
        super().__init__(vocabulary, np.diff(indptr) if size else np.zeros(0, dtype=np.int64), size)
        self.indptr, self.indices, self.data = indptr, indices, data

    def postings(self, columns: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
        spans = [(int(self.indptr[column]), int(self.indptr[column + 1])) for column in columns]
        return [(self.indices[start:end], self.data[start:end]) for start, end in spans]


class LexicalIndex(ArrayPostings):
    """One BM25 document per chunk, in the same order as the chunks of the index."""

    def __init__(self, bm25: bm25s.BM25, size: int):
        matrix = bm25.scores
        super().__init__(bm25.vocab_dict, matrix["indptr"], matrix["indices"], matrix["data"], size)
        self.bm25 = bm25

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        return cls.from_tokens([tokenize(text) for text in texts])

    @classmethod
    def from_tokens(cls, documents: list[list[str]]) -> LexicalIndex:
        """The index of documents already cut into search terms (`qa.terms.tokenize`)."""
        bm25 = bm25s.BM25()
        # bm25s cannot index an empty corpus or an empty document; the empty token stands in for both.
        bm25.index([terms or [""] for terms in documents] or [[""]], show_progress=False)
        return cls(bm25, len(documents))

    def scores(self, terms: dict[str, float]) -> np.ndarray:
        """BM25 score of every chunk for a query given as term → weight (a plain query has weight 1 per term)."""
        total = np.zeros(self.size, dtype=np.float32)
        for term, weight in terms.items():
            if term in self and weight:
                total += weight * self.bm25.get_scores([term])[: self.size]
        return total

    def save(self, folder: Path) -> None:
        self.bm25.save(str(folder), show_progress=False)
        (Path(folder) / "size.txt").write_text(str(self.size))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        # Mapped, not read: a question reads the posting lists of its own terms only.
        bm25 = bm25s.BM25.load(str(folder), show_progress=False, verbosity=0, mmap=True)
        return cls(bm25, int((Path(folder) / "size.txt").read_text()))
