"""A question prepared for search, once (`qa.retrieval.Retriever.query`): its terms, their
translations, what it asks for, its vectors. The later stages (sentence evidence, the
outline, the answer) read it and never prepare the question again."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Query:
    """A question prepared for search: its vector, its own search terms and their translations."""

    text: str
    lang: str
    vector: np.ndarray
    terms: dict[str, float]  # the question's own terms → count
    bridged: dict[str, float]  # terms in the other language → weight
    coverage: float  # IDF-weighted share of the question's terms that occur in the corpus
    language_share: float  # share of the corpus's chunks in the question's language
    answer_vector: np.ndarray  # by the answer encoder (`qa.embedding.AnswerEncoder`)
    bridge_weight: float = 0.0  # how much bridged terms count: what the own terms leave, times the text they reach
    kind: str | None = None  # what it asks for (`qa.evidence.answer_kind`)
    asked: dict[str, float] = field(default_factory=dict)  # for "what is X?": X's terms, own and bridged → weight
    translated: bool = False  # its vector holds its dictionary translation's (see `Retriever._translation`)
    truncated_from: int | None = None  # the question's length when it was cut to the limit
    items: frozenset[str] = frozenset()  # for a list question, the terms naming its items, own and bridged
