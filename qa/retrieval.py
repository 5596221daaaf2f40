"""Questions → ranked passages (hits) from an index."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa.chunking import Chunk
from qa.embedding import Embedder
from qa.index import Index


@dataclass(frozen=True)
class Hit:
    rank: int
    score: float
    chunk: Chunk
    doc_title: str
    position: int  # the chunk's position in the index

    def to_dict(self) -> dict:
        chunk = self.chunk
        return {
            "rank": self.rank,
            "score": round(self.score, 4),
            "chunk_id": chunk.chunk_id,
            "doc_id": chunk.doc_id,
            "doc_title": self.doc_title,
            "section": list(chunk.section),
            "page_start": chunk.page_start,
            "page_end": chunk.page_end,
            "start": chunk.start,
            "end": chunk.end,
            "text": chunk.text,
        }


class Retriever:
    """Dense retrieval over one index with one embedding model.

    Multilingual encoders score text in the question's own language higher, so an
    English question over a Chinese paper with an English abstract gets the abstract
    every time. When the index holds several languages, each language's scores are
    standardized (z-scores over that language's chunks) before ranking; `score` stays
    the cosine similarity.
    """

    MIN_GROUP = 5  # smaller language groups are too few to estimate a distribution

    def __init__(self, index: Index, embedder: Embedder):
        index.check_compatible(embedder.identity)
        self.index = index
        self.embedder = embedder
        languages = np.array([chunk.lang for chunk in index.chunks])
        groups = [languages == lang for lang in sorted(set(languages))]
        self.language_groups = groups if len(groups) > 1 else []

    def embed_query(self, question: str) -> np.ndarray:
        return self.embedder.embed_queries([question])[0]

    def search(self, question: str, top_k: int = 5, query_vector: np.ndarray | None = None) -> list[Hit]:
        question = question.strip()
        if not question:
            raise ValueError("the question is empty")
        vector = self.embed_query(question) if query_vector is None else query_vector
        ranked = self._rank(vector, top_k)
        chunks = self.index.chunks
        return [
            Hit(rank, score, chunks[position], self.index.documents[chunks[position].doc_id].title, position)
            for rank, (position, score) in enumerate(ranked, start=1)
        ]

    def _rank(self, vector: np.ndarray, top_k: int) -> list[tuple[int, float]]:
        if not self.language_groups:
            return self.index.search(vector, top_k)
        cosine = np.zeros(len(self.index))
        for position, score in self.index.search(vector, len(self.index)):
            cosine[position] = score
        calibrated = cosine.copy()
        for group in self.language_groups:
            # A group too small to have a distribution of its own is measured against all chunks.
            sample = cosine[group] if group.sum() >= self.MIN_GROUP else cosine
            calibrated[group] = (cosine[group] - sample.mean()) / (sample.std() + 1e-6)
        order = np.argsort(-calibrated, kind="stable")[:top_k]
        return [(int(position), float(cosine[position])) for position in order]
