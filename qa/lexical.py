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
        bm25 = bm25s.BM25()
        # bm25s cannot index an empty corpus or an empty document; the empty token stands in for both.
        bm25.index([tokenize(text) or [""] for text in texts] or [[""]], show_progress=False)
        return cls(bm25, len(texts))

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

    def save(self, folder: Path) -> None:
        self.bm25.save(str(folder), show_progress=False)
        (Path(folder) / "size.txt").write_text(str(self.size))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        bm25 = bm25s.BM25.load(str(folder), show_progress=False, verbosity=0)
        return cls(bm25, int((Path(folder) / "size.txt").read_text()))
