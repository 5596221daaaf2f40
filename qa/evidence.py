"""Sentence-level evidence: how well each sentence of the top passages answers the question.

A sentence's score adds three signals, in cosine units:
- dense: the cosine of the sentence's own vector with the question (sentences are embedded
  alone: mean-pooling the passage's token vectors over the sentence instead costs half the
  indexing time but found the answer sentence in 59% of XQuAD zh passages against 75%);
- overlap: the IDF-weighted share of the question's terms, own and bridged, the sentence contains;
- cue: the question asks for a number, a date or a person and the sentence has one.
The scores pick the sentences an answer quotes and re-rank the passages that hold them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from qa.chunking import Chunk, Sentence
from qa.lexical import LexicalIndex
from qa.terms import tokenize

if TYPE_CHECKING:
    from qa.retrieval import Query

OVERLAP_WEIGHT = 0.1
CUE_WEIGHT = 0.02
# Headings, title lines and keyword lists name a topic but answer nothing.
UNQUOTABLE_KINDS = ("heading", "title", "subtitle", "affiliation", "classification", "keywords")

CUES = {
    "date": re.compile(r"何时|什么时候|哪一?年|哪个年代|哪一?天|几月|\bwhen\b|\bwhat (?:year|date|day|month|century)\b"
                       r"|\bin which (?:year|century)\b", re.IGNORECASE),
    "number": re.compile(r"多少|几[个次名种位年岁天]?|多[大长高远久重]|比例|比重|百分之"
                         r"|\bhow (?:many|much|long|far|old|large|big|high)\b"
                         r"|\bwhat (?:percentage|proportion|share|number|amount)\b", re.IGNORECASE),
    "person": re.compile(r"谁|哪位|\bwho(?:m|se)?\b", re.IGNORECASE),
}
# What each kind of answer looks like in a sentence.
HAS = {
    "date": re.compile(r"\d{3,4}\s*年|\d{1,2}\s*月\s*\d{0,2}\s*日?|[一二三四五六七八九十]+世纪|\b1\d{3}\b|\b20\d{2}\b"
                       r"|\b(?:January|February|March|April|May|June|July|August|September|October|November|December)\b"
                       r"|\b\w+(?:st|nd|rd|th) century\b"),
    "number": re.compile(r"\d+(?:[.,]\d+)*\s?[%％]?|[一二三四五六七八九十百千万亿两半]+[个名次种位年岁倍成]"
                         r"|百分之[一二三四五六七八九十]+"
                         r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|hundred|thousand"
                         r"|million|billion)\b", re.IGNORECASE),
    "person": re.compile(r"[\u4e00-\u9fff]+·[\u4e00-\u9fff]+|\b[A-Z][a-z]+(?: [A-Z][a-z]+)+\b"),
}


@dataclass(frozen=True)
class SentenceScore:
    sentence: Sentence
    score: float
    cosine: float
    overlap: float  # IDF-weighted share of the question's terms found in the sentence
    cue: bool  # the sentence has the kind of thing the question asks for


def answer_kind(question: str) -> str | None:
    """What the question asks for: "date", "number", "person", or None."""
    for kind, pattern in CUES.items():
        if pattern.search(question):
            return kind
    return None


def has_new(kind: str, sentence: str, question: str) -> bool:
    """Whether the sentence holds a thing of this kind that the question does not already name."""
    asked = question.lower()
    return any(match.group().lower() not in asked for match in HAS[kind].finditer(sentence))


def term_weights(query: Query, lexical: LexicalIndex) -> dict[str, float]:
    """The question's terms by importance: IDF, bridged terms scaled by their translation weight."""
    weights = {t: lexical.idf(t) for t in query.terms if t in lexical}
    for term, weight in query.bridged.items():
        weights[term] = max(weights.get(term, 0.0), weight * lexical.idf(term))
    return weights


def score_sentences(query: Query, passages: list[tuple[Chunk, np.ndarray]], lexical: LexicalIndex) -> list[list[SentenceScore]]:
    """For each passage (chunk, its sentence vectors), its quotable sentences scored, best first."""
    weights = term_weights(query, lexical)
    total = sum(weights.values())
    kind = answer_kind(query.text)
    rows: list[tuple[int, Sentence, float, float, bool]] = []
    for number, (chunk, vectors) in enumerate(passages):
        cosines = vectors @ query.vector
        for sentence, cosine in zip(chunk.sentences, cosines):
            if sentence.kind in UNQUOTABLE_KINDS:
                continue
            text = chunk.text[sentence.start - chunk.start : sentence.end - chunk.start]
            present = set(tokenize(text))
            overlap = sum(w for t, w in weights.items() if t in present) / total if total else 0.0
            cue = bool(kind) and has_new(kind, text, query.text)
            rows.append((number, sentence, float(cosine), overlap, cue))
    scored: list[list[SentenceScore]] = [[] for _ in passages]
    for number, sentence, cosine, overlap, cue in rows:
        score = cosine + OVERLAP_WEIGHT * overlap + CUE_WEIGHT * cue
        scored[number].append(SentenceScore(sentence, score, cosine, overlap, cue))
    for sentences in scored:
        sentences.sort(key=lambda s: -s.score)
    return scored
