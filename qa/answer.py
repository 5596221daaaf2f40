"""Hits → an extractive answer: the best-matching sentences, each with a verifiable citation."""

from __future__ import annotations

from dataclasses import dataclass, field

from qa.chunking import Sentence
from qa.reading import cjk_share
from qa.retrieval import Hit, Retriever

PASSAGES_READ = 3  # top passages whose sentences compete for the answer
ANSWER_SENTENCES = 2
# Headings and title lines name a topic but answer nothing.
UNQUOTABLE_KINDS = ("heading", "title", "subtitle", "affiliation", "classification")
NO_EVIDENCE = {"zh": "文档中没有找到足够的依据", "en": "The documents do not contain enough evidence"}


@dataclass(frozen=True)
class Citation:
    n: int
    doc_id: str
    doc_title: str
    section: tuple[str, ...]
    page: int
    quote: str
    start: int
    end: int

    def to_dict(self) -> dict:
        return {
            "n": self.n,
            "doc_id": self.doc_id,
            "doc_title": self.doc_title,
            "section": list(self.section),
            "page": self.page,
            "quote": self.quote,
            "start": self.start,
            "end": self.end,
        }


@dataclass
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "hits": [h.to_dict() for h in self.hits],
        }


def question_language(question: str) -> str:
    return "zh" if cjk_share(question) >= 0.3 else "en"


def ask(retriever: Retriever, question: str, top_k: int = 5) -> Answer:
    query_vector = retriever.embed_query(question.strip()) if question.strip() else None
    hits = retriever.search(question, top_k, query_vector=query_vector)
    if not hits:
        return Answer(question, NO_EVIDENCE[question_language(question)], True, [], hits)
    candidates: list[tuple[float, Hit, Sentence]] = []
    for hit in hits[:PASSAGES_READ]:
        vectors = retriever.index.sentence_vectors_of(hit.position)
        scores = vectors @ query_vector
        for sentence, score in zip(hit.chunk.sentences, scores):
            if sentence.kind not in UNQUOTABLE_KINDS:
                # The passage's own score breaks ties between similar sentences.
                candidates.append((float(score) + 0.5 * hit.score, hit, sentence))
    chosen: list[tuple[float, Hit, Sentence]] = []
    for candidate in sorted(candidates, key=lambda c: -c[0]):
        key = (candidate[1].chunk.doc_id, candidate[2].start)
        if key not in {(c[1].chunk.doc_id, c[2].start) for c in chosen}:
            chosen.append(candidate)
        if len(chosen) == ANSWER_SENTENCES:
            break
    # Best first: citation [1] is the sentence that answers most directly.
    chinese = question_language(question) == "zh"
    citations = []
    parts = []
    for n, (_, hit, sentence) in enumerate(chosen, start=1):
        document = retriever.index.documents[hit.chunk.doc_id]
        quote = document.text[sentence.start : sentence.end]
        citations.append(Citation(n, document.doc_id, document.title, hit.chunk.section, sentence.page, quote,
                                  sentence.start, sentence.end))
        parts.append(f"{quote}[{n}]" if chinese else f"{quote} [{n}]")
    return Answer(question, ("" if chinese else " ").join(parts), False, citations, hits)
