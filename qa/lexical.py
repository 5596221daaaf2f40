"""BM25 over the search terms of each chunk (bm25s), with weighted queries and term IDF."""

from __future__ import annotations

import math
from pathlib import Path

import bm25s
import numpy as np

from qa.terms import tokenize


class LexicalIndex:
    """One BM25 document per chunk, in the same order as the chunks of the index."""

    def __init__(self, bm25: bm25s.BM25, size: int):
        self.bm25 = bm25
        self.size = size
        self.vocabulary: dict[str, int] = bm25.vocab_dict
        indptr = bm25.scores["indptr"]
        # BM25 stores per-term posting lists (CSC): a term's posting length is its document frequency.
        self.document_frequency = np.diff(indptr) if size else np.zeros(0, dtype=np.int64)

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

    def scores(self, terms: dict[str, float]) -> np.ndarray:
        """BM25 score of every chunk for a query given as term → weight (a plain query has weight 1 per term)."""
        total = np.zeros(self.size, dtype=np.float32)
        for term, weight in terms.items():
            if term in self and weight:
                total += weight * self.bm25.get_scores([term])[: self.size]
        return total

    def sparse_scores(self, terms: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """The chunks the weighted query's terms reach (sorted positions) and their BM25 scores:
        what `scores` holds where it is not zero, read from the terms' posting lists alone."""
        matrix = self.bm25.scores
        columns = [(self.vocabulary[term], weight) for term, weight in terms.items() if term in self and weight]
        spans = [(int(matrix["indptr"][column]), int(matrix["indptr"][column + 1]), weight)
                 for column, weight in columns]
        if not spans:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        rows = np.concatenate([matrix["indices"][start:end] for start, end, _ in spans])
        values = np.concatenate([weight * matrix["data"][start:end].astype(np.float64) for start, end, weight in spans])
        total = np.bincount(rows, weights=values, minlength=self.size)[: self.size]
        positions = np.flatnonzero(total)
        return positions, total[positions].astype(np.float32)

    def save(self, folder: Path) -> None:
        self.bm25.save(str(folder), show_progress=False)
        (Path(folder) / "size.txt").write_text(str(self.size))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        # Mapped, not read: a question reads the posting lists of its own terms only.
        bm25 = bm25s.BM25.load(str(folder), show_progress=False, verbosity=0, mmap=True)
        return cls(bm25, int((Path(folder) / "size.txt").read_text()))
