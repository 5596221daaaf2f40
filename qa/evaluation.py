"""Retrieval and answer quality on questions with known evidence: Hit@k, MRR, page accuracy, answer-hit.

A hit is a passage containing one of the question's evidence strings (whitespace-insensitive).
Answer-hit (answer recall): the answer contains the expected answer, or else an evidence string;
first-sentence hit: the same test on the first cited sentence alone; citation precision: the share
of all citations whose quote holds the expected answer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from qa.answer import Answer, ask
from qa.readers.text import language_of
from qa.retrieval import Retriever

DEPTH = 10  # passages retrieved per question: MRR@10 needs ten


@dataclass(frozen=True)
class Question:
    id: str
    q: str
    evidence: list[str]
    lang: str = ""
    page: int | None = None
    answer: str | None = None


@dataclass
class Outcome:
    question: Question
    rank: int | None  # rank of the first passage holding evidence, None if not in the hits
    page_right: bool | None  # first citation on the expected page (None when no page is given)
    answer_hit: bool
    first_sentence_hit: bool
    answer: Answer | None = None
    citations: int = 0
    citations_right: int = 0  # citations whose quote holds the expected answer

    def to_dict(self) -> dict:
        answer = self.answer
        return {
            "id": self.question.id,
            "lang": self.question.lang,
            "q": self.question.q,
            "rank": self.rank,
            "page_right": self.page_right,
            "answer_hit": self.answer_hit,
            "first_sentence_hit": self.first_sentence_hit,
            "citations": self.citations,
            "citations_right": self.citations_right,
            "expected": self.question.answer or self.question.evidence,
            "answer": answer.answer if answer else None,
            "abstained": answer.abstained if answer else None,
            "top": [h.to_dict() for h in answer.hits[:3]] if answer else [],
        }


@dataclass
class Scores:
    count: int = 0
    hit1: float = 0.0
    hit5: float = 0.0
    mrr10: float = 0.0
    page_accuracy: float | None = None
    answer_hit: float = 0.0
    first_sentence_hit: float = 0.0
    citation_precision: float | None = None  # None when nothing was cited
    abstained: float = 0.0
    outcomes: list[Outcome] = field(default_factory=list)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def contains_evidence(text: str, evidence: list[str]) -> bool:
    """Whitespace-insensitive: PDF text and questions disagree about spaces around numbers."""
    flat = squash(text)
    return any(squash(item) in flat for item in evidence)


def load_questions(path: Path) -> list[Question]:
    questions = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            questions.append(Question(id=str(item["id"]), q=item["q"], evidence=list(item["evidence"]),
                                      lang=item.get("lang") or language_of(item["q"]),
                                      page=item.get("page"), answer=item.get("answer")))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}, line {number}: not a question object ({exc})") from exc
    return questions


def judge(question: Question, answer: Answer) -> Outcome:
    rank = next((hit.rank for hit in answer.hits if contains_evidence(hit.chunk.text, question.evidence)), None)
    first = answer.citations[0] if answer.citations else None
    # A quote may run over a page break, or join the sentence before the answer's.
    page_right = None if question.page is None else bool(
        first and first.page is not None and first.page <= question.page <= (first.page_end or first.page))
    expected = [question.answer] if question.answer else question.evidence
    right = sum(contains_evidence(c.quote, expected) for c in answer.citations)
    return Outcome(question, rank, page_right, contains_evidence(answer.answer, expected),
                   bool(first and contains_evidence(first.quote, expected)), answer, len(answer.citations), right)


def evaluate(retriever: Retriever, questions: list[Question], progress=None) -> list[Outcome]:
    outcomes = []
    for question in questions:
        outcomes.append(judge(question, ask(retriever, question.q, DEPTH)))
        if progress:
            progress()
    return outcomes


def by_language(outcomes: list[Outcome]) -> dict[str, Scores]:
    """Scores per question language, then over all questions ("all") when there are several."""
    languages = sorted({o.question.lang for o in outcomes})
    table = {lang: score([o for o in outcomes if o.question.lang == lang]) for lang in languages}
    if len(languages) > 1:
        table["all"] = score(outcomes)
    return table


def score(outcomes: list[Outcome]) -> Scores:
    count = len(outcomes)
    if not count:
        return Scores()
    pages = [o.page_right for o in outcomes if o.page_right is not None]
    cited = sum(o.citations for o in outcomes)
    return Scores(
        count=count,
        hit1=sum(o.rank == 1 for o in outcomes) / count,
        hit5=sum(o.rank is not None and o.rank <= 5 for o in outcomes) / count,
        mrr10=sum(1 / o.rank for o in outcomes if o.rank is not None and o.rank <= 10) / count,
        page_accuracy=sum(pages) / len(pages) if pages else None,
        answer_hit=sum(o.answer_hit for o in outcomes) / count,
        first_sentence_hit=sum(o.first_sentence_hit for o in outcomes) / count,
        citation_precision=sum(o.citations_right for o in outcomes) / cited if cited else None,
        abstained=sum(bool(o.answer and o.answer.abstained) for o in outcomes) / count,
        outcomes=outcomes,
    )
