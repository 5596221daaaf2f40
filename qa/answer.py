"""Hits → an extractive answer: the best-supported sentences, each with a verifiable citation."""

from __future__ import annotations

from dataclasses import dataclass, field

from qa.bridge import Bridge
from qa.evidence import SentenceScore
from qa.references import reference
from qa.retrieval import Hit, Retriever
from qa.support import Support, assess, unmatched_terms

PASSAGES_READ = 3  # top passages whose sentences compete for the answer
ANSWER_SENTENCES = 2
PASSAGE_WEIGHT = 0.02  # how much a sentence's passage score (fused scale) counts beside its own (cosine scale)
NO_EVIDENCE = {"zh": "文档中没有找到足够的依据", "en": "The documents do not contain enough evidence"}


@dataclass(frozen=True)
class Citation:
    n: int
    doc_id: str
    doc_title: str
    authors: tuple[str, ...]
    section: tuple[str, ...]
    page: int
    quote: str
    start: int
    end: int
    reference: str  # GB/T 7714 (Chinese sources) or APA (English), with the page

    def to_dict(self) -> dict:
        return {
            "n": self.n,
            "doc_id": self.doc_id,
            "doc_title": self.doc_title,
            "authors": list(self.authors),
            "section": list(self.section),
            "page": self.page,
            "quote": self.quote,
            "start": self.start,
            "end": self.end,
            "reference": self.reference,
        }


@dataclass
class Answer:
    question: str
    lang: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    support: Support | None = None

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "lang": self.lang,
            "answer": self.answer,
            "abstained": self.abstained,
            "support": self.support.to_dict() if self.support else None,
            "citations": [c.to_dict() for c in self.citations],
            "hits": [h.to_dict() for h in self.hits],
        }


def ask(retriever: Retriever, question: str, top_k: int = 5) -> Answer:
    query = retriever.query(question)
    hits = retriever.search(query, top_k)
    if not hits:
        return Answer(query.text, query.lang, NO_EVIDENCE[query.lang], True, [], hits)
    best_cosine = max((s.cosine for hit in hits[:PASSAGES_READ] for s in hit.sentences), default=0.0)
    unmatched = unmatched_terms(query.text, query.lang, retriever.index.lexical, retriever.bridge or Bridge.default())
    # Only the hybrid ranking has a calibrated scale on which a passage can be said to stand out.
    top = hits[0].score if retriever.method == "hybrid" else None
    support = assess(query.lang, best_cosine, query.coverage, unmatched, top)
    if not support.answerable:
        # The closest passages stay visible, so the reader can judge for themselves.
        return Answer(query.text, query.lang, NO_EVIDENCE[query.lang], True, [], hits, support)
    # Best first: citation [1] is the sentence that answers most directly.
    chosen = choose_sentences(hits[:PASSAGES_READ])
    citations = []
    parts = []
    for n, (hit, scored) in enumerate(chosen, start=1):
        document = retriever.index.documents[hit.chunk.doc_id]
        sentence = scored.sentence
        quote = document.text[sentence.start : sentence.end]
        citations.append(Citation(n, document.doc_id, document.title, tuple(document.authors), hit.chunk.section,
                                  sentence.page, quote, sentence.start, sentence.end, reference(document, sentence.page)))
        parts.append(f"{quote}[{n}]" if query.lang == "zh" else f"{quote} [{n}]")
    return Answer(query.text, query.lang, ("" if query.lang == "zh" else " ").join(parts), False, citations, hits, support)


def choose_sentences(hits: list[Hit]) -> list[tuple[Hit, SentenceScore]]:
    """The best sentences of the top passages, the top passage's best first, no sentence twice."""
    candidates = [
        (scored.score + PASSAGE_WEIGHT * hit.score, hit, scored)
        for hit in hits
        for scored in hit.sentences
    ]
    if candidates:
        # The top passage's best sentence always leads: re-ranking put that passage first because of it.
        candidates[0] = (float("inf"), *candidates[0][1:])
    chosen: list[tuple[Hit, SentenceScore]] = []
    seen: set[tuple[str, int]] = set()
    for _, hit, scored in sorted(candidates, key=lambda c: -c[0]):
        key = (hit.chunk.doc_id, scored.sentence.start)
        if key not in seen:
            seen.add(key)
            chosen.append((hit, scored))
        if len(chosen) == ANSWER_SENTENCES:
            break
    return chosen
