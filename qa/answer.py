"""Hits → an extractive answer: the best-supported sentences, each with a verifiable citation."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from qa.bridge import Bridge
from qa.chunking import Chunk, Sentence
from qa.document import PageSpan
from qa.evidence import SentenceScore
from qa.questions import truncation_note
from qa.readers.text import is_table_row
from qa.references import reference
from qa.retrieval import Hit, Query, Retriever
from qa.support import Support, assess, unmatched_terms
from qa.terms import tokenize

PASSAGES_READ = 3  # top passages whose sentences compete for the answer
ANSWER_SENTENCES = 2
PASSAGE_WEIGHT = 0.02  # how much a sentence's passage score (fused scale) counts beside its own (cosine scale)
# A row of bare figures ("2021 74652 -0.55% 299.12") names no one and defines or lists nothing.
NEEDS_WORDS = ("person", "affiliation", "definition", "list")
WORD = re.compile(r"[^\W\d_]")
# A sentence points back to the one before it (see `quote_span`) when it opens with a pronoun or
# a demonstrative, perhaps after a short opening phrase ("As such, it made…", "如今，这被称为…"),
# has "this", "these" or "those" among its first five words ("As part of this merger, …"), or
# goes on in lower case after a semicolon ("with requirements for storage…"). One split off
# after a closing quote may open with a comma ("……晦暗。”，这被布鲁诺 • 拉图尔称为…").
POINTS_BACK = re.compile(r"""[，,\s]*(?:
      (?:[^，。；！？]{1,8}，)?(?:他们|她们|它们|他|她|它|其|该|此|这)
    | (?:[^,;.!?]{1,40},\s*)?(?i:he|she|it|they|his|her|its|their|this|these|those)\b
    | (?:[\w'’-]+\s+){1,4}(?:this|these|those)\b
    | [a-z]
)""", re.VERBOSE)
# So does one opening with "the" and a common noun the sentence before it names ("…his last
# statement. The statement was in Latin"); a name ("The Doctor", "The Tran dynasty") stands alone.
DEFINITE_OPENING = re.compile(r"\s*The ([a-z][\w'’-]*)")
WHOLE_KINDS = ("keywords",)  # blocks quoted whole (see `quote_span`)
NO_EVIDENCE = {"zh": "文档中没有找到足够的依据", "en": "The documents do not contain enough evidence"}


@dataclass(frozen=True)
class Citation:
    n: int
    doc_id: str
    doc_title: str
    authors: tuple[str, ...]
    section: tuple[str, ...]
    page: int | None  # the file's page, from 1; None for a document without pages (Word, web)
    quote: str
    start: int
    end: int
    reference: str  # GB/T 7714 (Chinese sources) or APA (English), with the printed page
    page_label: str | None = None  # the printed page number, when the file says it (PDF)
    ocr: bool = False  # the quote was read from the page's image
    page_end: int | None = None  # the page the quote ends on: a sentence may run onto the next
    page_label_end: str | None = None

    @property
    def pages(self) -> PageSpan:
        return PageSpan(self.page, self.page_end or self.page, self.page_label, self.page_label_end or self.page_label,
                        self.ocr)

    def to_dict(self) -> dict:
        return {
            "n": self.n,
            "doc_id": self.doc_id,
            "doc_title": self.doc_title,
            "authors": list(self.authors),
            "section": list(self.section),
            "page": self.page,
            "page_label": self.page_label,
            "page_end": self.page_end,
            "page_label_end": self.page_label_end,
            "ocr": self.ocr,
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
    notes: list[str] = field(default_factory=list)  # what the reader should know about how it was answered

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "lang": self.lang,
            "answer": self.answer,
            "abstained": self.abstained,
            "notes": self.notes,
            "support": self.support.to_dict() if self.support else None,
            "citations": [c.to_dict() for c in self.citations],
            "hits": [h.to_dict() for h in self.hits],
        }


def ask(retriever: Retriever, question: str, top_k: int = 5, doc_ids: Iterable[str] | None = None) -> Answer:
    """A cited answer; with `doc_ids`, from those documents only."""
    query = retriever.query(question)
    hits = retriever.search(query, top_k, doc_ids)
    answer = _answer(retriever, query, hits)
    note = truncation_note(query.truncated_from, len(query.text), query.lang)
    if note:
        answer.notes.append(note)
    return answer


def _answer(retriever: Retriever, query: Query, hits: list[Hit]) -> Answer:
    if not hits:
        return Answer(query.text, query.lang, NO_EVIDENCE[query.lang], True, [], hits)
    best_cosine = max((s.cosine for hit in hits[:PASSAGES_READ] for s in hit.sentences), default=0.0)
    unmatched = unmatched_terms(query.text, query.lang, retriever.index.lexical, retriever.bridge or Bridge.default())
    # Only the hybrid ranking has a calibrated scale on which a passage can be said to stand out.
    top = hits[0].score if retriever.method == "hybrid" else None
    # A where-do-the-authors-work question is answered outright by an affiliation line among its passages.
    stated = query.kind == "affiliation" and any(s.cue for hit in hits[:PASSAGES_READ] for s in hit.sentences)
    support = assess(query.lang, best_cosine, query.coverage, unmatched, top, stated)
    if not support.answerable:
        # The closest passages stay visible, so the reader can judge for themselves.
        return Answer(query.text, query.lang, NO_EVIDENCE[query.lang], True, [], hits, support)
    # Best first: citation [1] is the sentence that answers most directly.
    chosen = choose_sentences(hits[:PASSAGES_READ], query.kind)
    citations = []
    parts = []
    for n, (hit, scored, (start, end)) in enumerate(chosen, start=1):
        document = retriever.index.documents[hit.chunk.doc_id]
        page = scored.sentence.page
        quote = document.text[start:end]
        pages = document.span(page, max(page, document.page_of(end - 1)))
        citations.append(Citation(n, document.doc_id, document.title, tuple(document.authors), hit.chunk.section,
                                  pages.start, quote, start, end, reference(document, page, pages.end),
                                  pages.label_start, pages.ocr, pages.end, pages.label_end))
        parts.append(f"{quote}[{n}]" if query.lang == "zh" else f"{quote} [{n}]")
    return Answer(query.text, query.lang, ("" if query.lang == "zh" else " ").join(parts), False, citations, hits, support)


def choose_sentences(hits: list[Hit], kind: str | None = None) -> list[tuple[Hit, SentenceScore, tuple[int, int]]]:
    """The best sentences of the top passages that can answer a question of this kind
    (`can_answer`), the top passage's best first, no sentence quoted twice; each with the span
    its quote covers (`quote_span`)."""
    candidates = [
        (scored.score + PASSAGE_WEIGHT * hit.score, hit, scored)
        for hit in hits
        for scored in hit.sentences
        if can_answer(kind, scored.sentence, hit.chunk.text_of(scored.sentence))
    ]
    if candidates:
        # The top passage's best sentence always leads: re-ranking put that passage first because of it.
        candidates[0] = (float("inf"), *candidates[0][1:])
    chosen: list[tuple[Hit, SentenceScore, tuple[int, int]]] = []
    quoted: set[tuple[str, int]] = set()  # (document, sentence start) of every sentence quoted so far
    for _, hit, scored in sorted(candidates, key=lambda c: -c[0]):
        doc_id, sentence = hit.chunk.doc_id, scored.sentence
        if (doc_id, sentence.start) in quoted:
            continue
        start, end = quote_span(hit.chunk, sentence)
        covered = {(doc_id, s.start) for s in hit.chunk.sentences if start <= s.start < end}
        if covered & quoted:  # a sentence it links to is quoted already
            start, end = sentence.start, sentence.end
            covered = {(doc_id, sentence.start)}
        quoted |= covered
        chosen.append((hit, scored, (start, end)))
        if len(chosen) == ANSWER_SENTENCES:
            break
    return chosen


def can_answer(kind: str | None, sentence: Sentence, text: str) -> bool:
    """Whether a sentence can answer a question of this kind (`qa.evidence.answer_kind`). It still
    ranks its passage: a table's header says what the table is about."""
    if kind in NEEDS_WORDS and not WORD.search(text):
        return False
    # A table's caption, column header and source note name figures but give none.
    return not (kind == "number" and sentence.kind == "table" and not is_table_row(text))


def quote_span(chunk: Chunk, sentence: Sentence) -> tuple[int, int]:
    """The span a quote of `sentence` covers: the sentence, with the one before it when it opens
    by pointing back ("他也以 39 岁高龄…成为史上年龄最大的四分卫" answers "who" only with the
    sentence naming him) and the one after it when that one opens by pointing back to it
    ("These include the Miller–Rabin test" says which algorithms). A keyword list, whose items
    are split at "；" like clauses, is quoted whole. Never across a paragraph or a page."""
    sentences = chunk.sentences  # in document order
    position = sentences.index(sentence)
    if sentence.kind in WHOLE_KINDS:
        first = last = position
        while first > 0 and _one_block(chunk, sentences[first - 1], sentences[first]):
            first -= 1
        while last + 1 < len(sentences) and _one_block(chunk, sentences[last], sentences[last + 1]):
            last += 1
        return sentences[first].start, sentences[last].end
    start, end = sentence.start, sentence.end
    if position > 0 and _continues(chunk, sentences[position - 1], sentence):
        start = sentences[position - 1].start
    if position + 1 < len(sentences) and _continues(chunk, sentence, sentences[position + 1]):
        end = sentences[position + 1].end
    return start, end


def _continues(chunk: Chunk, previous: Sentence, sentence: Sentence) -> bool:
    """Whether `sentence` opens by pointing back to `previous`, just before it in one paragraph and page."""
    return _points_back(chunk.text_of(previous), chunk.text_of(sentence)) and _one_block(chunk, previous, sentence)


def _points_back(previous: str, text: str) -> bool:
    """Whether `text` opens with a pronoun or demonstrative (`POINTS_BACK`) or names again, after
    "the", a thing `previous` names (`DEFINITE_OPENING`)."""
    if POINTS_BACK.match(text):
        return True
    definite = DEFINITE_OPENING.match(text)
    return definite is not None and not set(tokenize(definite.group(1))).isdisjoint(tokenize(previous))


def _one_block(chunk: Chunk, previous: Sentence, sentence: Sentence) -> bool:
    """Whether two consecutive sentences are of one block (paragraph, keyword list) and page."""
    between = chunk.text[previous.end - chunk.start : sentence.start - chunk.start]
    return previous.page == sentence.page and previous.kind == sentence.kind and "\n" not in between
