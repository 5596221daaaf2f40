"""Hits → an extractive answer: the best-supported sentences, each with a verifiable citation."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from qa.bridge import Bridge
from qa.chunking import Chunk, Sentence
from qa.document import Document, PageSpan, Section
from qa.evidence import SentenceScore
from qa.exhibits import exhibit_spans
from qa.glosses import Gloss, glosses
from qa.index import Index
from qa.lexical import Postings
from qa.outline import PROPOSALS_SEEN, Listing, listing_for, proposals_for
from qa.overview import abstract_of
from qa.publication import publication_of
from qa.query import Query
from qa.questions import truncation_note
from qa.readers.text import is_table_row, language_of
from qa.references import reference
from qa.retrieval import Hit, Retriever
from qa.support import Support, assess
from qa.terms import tokenize

PASSAGES_READ = 3  # top passages whose sentences compete for the answer
ANSWER_SENTENCES = 3  # at most, and only those that add support (`adds_support`)
CANDIDATES = 4  # best sentences weighed for the answer
# A further sentence is cited when the odds that it holds the answer where the first does not
# exceed SUPPORT_ODDS, by a logistic model of how it compares with the first and how sure the
# first is, fitted on the CMRC 2018 and XQuAD dev questions and the seed's (docs/ranking.md,
# "How many sentences an answer cites"). One that only lengthens the first's quote (it runs on
# from it) costs the reader less than a citation of its own, so it needs lower odds.
SUPPORT_WEIGHTS = {"score gap": -10.68, "relevance gap": -2.56, "cosine gap": -4.06, "focus": 2.35, "overlap": -2.35,
                   "first's focus": 0.69, "first has the cue": -0.94, "has the cue": 0.52, "next to the first": 0.45,
                   "other language": -0.67, "first's score": -3.5, "first's cosine": 0.61, "first's relevance": 2.55,
                   "rank": -0.61, "passage rank": -0.82, "same passage": -1.06, "translated": 0.28, "typed": 0.24,
                   "definition": 0.3}
SUPPORT_BIAS = 1.8
SUPPORT_ODDS = {"apart": 0.125, "joined": 0.05}
TYPED_KINDS = ("person", "number", "date", "list")  # questions whose answer has a form a sentence can lack
OUTRIGHT_KINDS = ("authors", "affiliation", "keywords")  # lines that answer alone: nothing after them adds to them
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
# Items a sentence announces and numbers ("本文将关注三个核心要点：一是…；二是…；三是…", split at
# "；" like clauses; "Two things followed: first, …") are quoted with it, up to the last.
ANNOUNCES_ITEMS = re.compile(r"[：:]\s*(?:一是|其一|第一[，、]|首先[，,]|(?i:first(?:ly)?,)|[(（]?[1１一][)）])")
NEXT_ITEM = re.compile(r"\s*(?:[二三四五六七八九十]是|其[二三四五六七八九十]|第[二三四五六七八九十][，、]|其次|再次|最后"
                       r"|(?i:second(?:ly)?|third(?:ly)?|fourth(?:ly)?|fifth(?:ly)?|finally|lastly),"
                       r"|[(（][2-9２-９二三四五六七八九][)）])")
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
    glosses: tuple[Gloss, ...] = ()  # for a quote in the other language than the question (`qa.glosses`)

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
            "glosses": [g.to_dict() for g in self.glosses],
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
    listed: tuple[str, ...] | None = None  # for a list answered by subsections: their section's path

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "lang": self.lang,
            "answer": self.answer,
            "abstained": self.abstained,
            "notes": self.notes,
            "listed": list(self.listed) if self.listed else None,
            "support": self.support.to_dict() if self.support else None,
            "citations": [c.to_dict() for c in self.citations],
            "hits": [h.to_dict() for h in self.hits],
        }


def ask(retriever: Retriever, question: str, top_k: int = 5, doc_ids: Iterable[str] | None = None) -> Answer:
    """A cited answer; with `doc_ids`, from those documents only."""
    query = retriever.query(question)
    # Where a document's proposals lie is read from more passages than are shown.
    hits = retriever.search(query, max(top_k, PROPOSALS_SEEN) if query.about_proposals else top_k, doc_ids)
    answer = _answer(retriever, query, hits)
    answer.hits = answer.hits[:top_k]
    note = truncation_note(query.truncated_from, len(query.text), query.lang)
    if note:
        answer.notes.append(note)
    return answer


def _answer(retriever: Retriever, query: Query, hits: list[Hit]) -> Answer:
    if not hits:
        return Answer(query.text, query.lang, NO_EVIDENCE[query.lang], True, [], hits)
    best_cosine = max((s.cosine for hit in hits[:PASSAGES_READ] for s in hit.sentences), default=0.0)
    # Only the hybrid ranking has a calibrated scale on which a passage can be said to stand out.
    top = hits[0].score if retriever.method == "hybrid" else None
    # Answered outright by a line among its passages: where the authors work by the affiliation line,
    # what a term means by the sentence defining it ("文章如何定义数字势差？" reads far from "数字势差是…").
    stated = query.kind in ("affiliation", "definition") and any(
        s.cue for hit in hits[:PASSAGES_READ] for s in hit.sentences)
    support = assess(query.lang, best_cosine, query.coverage, query.unmatched, top, stated)
    documents = retriever.index.documents
    if structured := _by_document_structure(retriever, query, hits, support):
        return structured
    if not support.answerable:
        # The closest passages stay visible, so the reader can judge for themselves.
        return Answer(query.text, query.lang, NO_EVIDENCE[query.lang], True, [], hits, support)
    if query.kind == "list":
        listing = listing_for(readings(query, retriever.index.lexical), query.count, hits, documents)
        if listing:
            return _listed(query, listing, hits, support, retriever.bridge)
    # Best first: citation [1] is the sentence that answers most directly.
    chosen = choose_sentences(hits[:PASSAGES_READ], query)
    citations = glossed([cite(n, documents[hit.chunk.doc_id], hit.chunk.section, start, end)
                         for n, (hit, (start, end)) in enumerate(chosen, start=1)], query.lang, retriever.bridge,
                        documents)
    return Answer(query.text, query.lang, _joined_text(citations, query.lang), False, citations, hits, support)


def _by_document_structure(retriever: Retriever, query: Query, hits: list[Hit], support: Support) -> Answer | None:
    """The answer to a question the structure of the best passage's document answers (or of the
    one asked about: `doc_ids`), before the support check, as no passage stands out for it: what
    the document says by its abstract, who wrote it by its line of authors, where it appeared by
    its imprint, a numbered table or figure by its caption and the sentences pointing to it, what
    it proposes by the section of its proposals; None for other questions, or when the document
    lacks what answers them."""
    documents = retriever.index.documents
    document = documents[hits[0].chunk.doc_id]
    if query.exhibit and (spans := exhibit_spans(query.exhibit, _chunks_of(retriever.index, document.doc_id))):
        citations = glossed([cite(n, document, path, start, end) for n, (path, start, end) in enumerate(spans, 1)],
                            query.lang, retriever.bridge, documents)
        return Answer(query.text, query.lang, _joined_text(citations, query.lang), False, citations, hits, support)
    if query.about_byline and (byline := next((b for b in document.blocks if b.kind == "authors"), None)):
        citations = [cite(1, document, document.section_path_at(byline.start), byline.start, byline.end)]
        return Answer(query.text, query.lang, _joined_text(citations, query.lang), False, citations, hits, support)
    if query.about_document and (parts := abstract_of(document, query.lang)):
        citations = glossed([cite(n, document, path, start, end) for n, (path, start, end) in enumerate(parts, 1)],
                            query.lang, retriever.bridge, documents)
        return Answer(query.text, query.lang, _joined_text(citations, query.lang), False, citations, hits, support)
    if query.about_publication and (published := publication_of(document, query.lang)):
        path = document.section_path_at(published.start)
        citations = glossed([cite(1, document, path, published.start, published.end)], query.lang, retriever.bridge,
                            documents)
        lead = published.statement + ("" if query.lang == "zh" else " ")
        return Answer(query.text, query.lang, lead + _joined_text(citations, query.lang), False, citations, hits, support)
    if query.about_proposals and (listing := proposals_for(hits, documents)):
        return _listed(query, listing, hits, support, retriever.bridge)
    return None


def _chunks_of(index: Index, doc_id: str) -> list[Chunk]:
    return index.chunks_at(index.table.positions_of({doc_id}))


def _joined_text(citations: list[Citation], lang: str) -> str:
    """The quotes one after another, each with its citation mark."""
    parts = [f"{c.quote}[{c.n}]" if lang == "zh" else f"{c.quote} [{c.n}]" for c in citations]
    return ("" if lang == "zh" else " ").join(parts)


def cite(n: int, document: Document, section: tuple[str, ...], start: int, end: int) -> Citation:
    """Citation [n]: `document.text[start:end]`, with the pages it runs over and its reference."""
    page = document.page_of(start)
    pages = document.span(page, max(page, document.page_of(end - 1)))
    return Citation(n, document.doc_id, document.title, tuple(document.authors), section, pages.start,
                    document.text[start:end], start, end, reference(document, page, pages.end),
                    pages.label_start, pages.ocr, pages.end, pages.label_end)


def readings(query: Query, lexical: Postings) -> list[dict[str, float]]:
    """The question's terms by IDF, those naming a list's items aside ("举措", "measures": a
    heading names the subject, not what its parts are called): its own, and those the bridge
    gives in the other language."""
    own = {t: lexical.idf(t) for t in query.terms if t in lexical and t not in query.items}
    bridged = {t: w * lexical.idf(t) for t, w in query.bridged.items() if t in lexical and t not in query.items}
    return [own, bridged]


def glossed(citations: list[Citation], lang: str, bridge: Bridge | None,
            documents: dict[str, Document]) -> list[Citation]:
    """The citations, those whose quote is in the other language than the question glossed."""
    bridge = bridge or Bridge.default()
    other_text: dict[str, str] = {}  # per document, read once an answer
    out = []
    for citation in citations:
        quote_lang = language_of(citation.quote)
        if quote_lang != lang:
            if citation.doc_id not in other_text:
                other_text[citation.doc_id] = text_in(documents[citation.doc_id], lang)
            found = glosses(citation.quote, quote_lang, bridge, other_text[citation.doc_id])
            citation = dataclasses.replace(citation, glosses=found)
        out.append(citation)
    return out


def text_in(document: Document, lang: str) -> str:
    """What a document says in `lang`: a Chinese paper's English title, abstract and keywords."""
    blocks = (document.text[b.start : b.end] for b in document.blocks)
    return "\n".join(text for text in blocks if language_of(text) == lang)


def _listed(query: Query, listing: Listing, hits: list[Hit], support: Support, bridge: Bridge | None) -> Answer:
    """The subsections' headings in order, each quoted and cited, after a line naming their section."""
    document, section = listing.document, listing.section
    citations = glossed([cite(n, document, item.path, item.start, heading_end(document, item))
                         for n, item in enumerate(listing.items, start=1)], query.lang, bridge,
                        {document.doc_id: document})
    lead = listing_lead(section.heading, len(citations), query.lang)
    if query.lang == "zh":
        text = lead + "；".join(f"{c.quote}[{c.n}]" for c in citations) + "。"
    else:
        text = lead + " " + "; ".join(f"{c.quote} [{c.n}]" for c in citations) + "."
    return Answer(query.text, query.lang, text, False, citations, hits, support, listed=section.path)


def heading_end(document: Document, section: Section) -> int:
    """Where a section's heading ends in the text: its heading block's end."""
    return next((b.end for b in document.blocks if b.kind == "heading" and b.start == section.start),
                section.start + len(section.heading))


def listing_lead(heading: str, count: int, lang: str) -> str:
    """The line before a list answer's items: which section they divide."""
    if lang == "zh":
        return f"“{heading}”一节分为 {count} 部分："
    return f"The section “{heading}” has {count} parts:"


def choose_sentences(hits: list[Hit], query: Query) -> list[tuple[Hit, tuple[int, int]]]:
    """The sentences an answer quotes, each with the span its quote covers (`quote_span`): the
    best sentence of the top passage, then any of the next best that adds support of its own
    (`adds_support`), never a sentence twice; sentences side by side are one quote."""
    candidates = [
        (scored.score + PASSAGE_WEIGHT * hit.score, hit, scored)
        for hit in hits
        for scored in hit.sentences
        if can_answer(query, scored.sentence, hit.chunk.text_of(scored.sentence))
    ]
    if candidates:
        # The top passage's best sentence always leads: re-ranking put that passage first because of it.
        candidates[0] = (float("inf"), *candidates[0][1:])
    ranked: list[tuple[Hit, SentenceScore, tuple[int, int]]] = []
    quoted: set[tuple[str, int]] = set()  # (document, sentence start) of every sentence quoted so far
    words_quoted: set[str] = set()  # and their words: a sentence printed twice (abstract, conclusion) is quoted once
    for _, hit, scored in sorted(candidates, key=lambda c: -c[0]):
        doc_id, sentence = hit.chunk.doc_id, scored.sentence
        words = "".join(hit.chunk.text_of(sentence).split())
        if (doc_id, sentence.start) in quoted or words in words_quoted:
            continue
        words_quoted.add(words)
        start, end = quote_span(hit.chunk, sentence)
        covered = {(doc_id, s.start) for s in hit.chunk.sentences if start <= s.start < end}
        if covered & quoted:  # a sentence it links to is quoted already
            start, end = sentence.start, sentence.end
            covered = {(doc_id, sentence.start)}
        quoted |= covered
        ranked.append((hit, scored, (start, end)))
        if len(ranked) == CANDIDATES:
            break
    if not ranked:
        return []
    first_hit, first, first_span = ranked[0]
    if query.kind == "list" and first_span[1] > first.sentence.end and ANNOUNCES_ITEMS.search(
            first_hit.chunk.text_of(first.sentence)):
        return _joined(ranked[:1])  # the items the first announces are the list asked for
    chosen = [ranked[0]] + [
        (hit, scored, span) for rank, (hit, scored, span) in enumerate(ranked[1:], 1)
        if adds_support(query, first_hit, first, hit, scored, rank, joins=_side_by_side(first_hit, first_span, hit, span))
    ]
    return _joined(chosen[:ANSWER_SENTENCES])


def adds_support(query: Query, first_hit: Hit, first: SentenceScore, hit: Hit, scored: SentenceScore, rank: int,
                 *, joins: bool) -> bool:
    """Whether a sentence ranked after the answer's first (`rank` 1 is the next best) is worth
    citing too: never after a line that answers outright (the authors, the keywords) or a
    sentence defining what the question asks to define; else from the same document and
    language, and likely to hold the answer where the first does not, by `SUPPORT_WEIGHTS`:
    nearly as good as the first in score, relevance and cosine, holding terms only it holds
    (focus), or what a typed question asks for that the first lacks, and more likely the less
    sure the first is. A sentence that `joins` the first's quote needs lower odds."""
    return support_odds(query, first_hit, first, hit, scored, rank) > SUPPORT_ODDS["joined" if joins else "apart"]


def support_odds(query: Query, first_hit: Hit, first: SentenceScore, hit: Hit, scored: SentenceScore, rank: int) -> float:
    """The odds, by `SUPPORT_WEIGHTS`, that a sentence holds the answer where the first does not (`adds_support`)."""
    if first.sentence.kind in OUTRIGHT_KINDS or (query.kind == "definition" and first.cue):
        return 0.0
    if hit.chunk.doc_id != first_hit.chunk.doc_id or hit.chunk.lang != first_hit.chunk.lang:
        return 0.0
    typed = query.kind in TYPED_KINDS
    chunk = hit.chunk
    same_passage = chunk.chunk_id == first_hit.chunk.chunk_id
    order = chunk.sentences
    beside = same_passage and abs(order.index(scored.sentence) - order.index(first.sentence)) == 1
    features = {
        "score gap": first.score - scored.score,
        "relevance gap": first.relevance - scored.relevance,
        "cosine gap": first.cosine - scored.cosine,
        "focus": scored.focus,
        "overlap": scored.overlap,
        "first's focus": first.focus,
        "first has the cue": float(typed and first.cue),
        "has the cue": float(typed and scored.cue),
        "next to the first": float(beside),
        "other language": float(chunk.lang != query.lang),
        "first's score": first.score,
        "first's cosine": first.cosine,
        "first's relevance": first.relevance,
        "rank": float(rank),
        "passage rank": float(hit.rank),
        "same passage": float(same_passage),
        "translated": float(query.translated),
        "typed": float(typed),
        "definition": float(query.kind == "definition"),
    }
    logit = SUPPORT_BIAS + sum(SUPPORT_WEIGHTS[name] * value for name, value in features.items())
    return 1 / (1 + math.exp(-logit))


def _joined(chosen: list[tuple[Hit, SentenceScore, tuple[int, int]]]) -> list[tuple[Hit, tuple[int, int]]]:
    """The chosen quotes in answer order, a quote that runs on into another (`_side_by_side`) joined with it."""
    quotes: list[tuple[Hit, tuple[int, int]]] = []
    for hit, _, (start, end) in chosen:
        for i, (other, (a, b)) in enumerate(quotes):
            if _side_by_side(other, (a, b), hit, (start, end)):
                quotes[i] = (other, (min(a, start), max(b, end)))
                break
        else:
            quotes.append((hit, (start, end)))
    return quotes


def _side_by_side(one_hit: Hit, one: tuple[int, int], other_hit: Hit, other: tuple[int, int]) -> bool:
    """Whether two quotes are of one passage and one runs on into the other: no sentence or line
    break between them (table rows stay apart)."""
    if one_hit.chunk.chunk_id != other_hit.chunk.chunk_id:
        return False
    chunk = one_hit.chunk
    (_, end), (start, _) = sorted([one, other])
    between = chunk.text[end - chunk.start : start - chunk.start]
    return not between.strip() and "\n" not in between


def can_answer(query: Query, sentence: Sentence, text: str) -> bool:
    """Whether a sentence can answer the question, by what it asks for (`Query.kind`). It still
    ranks its passage: a table's header says what the table is about, a byline who wrote it."""
    kind = query.kind
    if kind in NEEDS_WORDS and not WORD.search(text):
        return False
    # The line of author names answers only who wrote the document: the role it is indexed with
    # draws every question naming the authors ("作者提出了哪些对策？" was answered "曾凡军　王　鹏").
    if sentence.kind == "authors" and not query.about_authors:
        return False
    # A front line that is no title, author or affiliation (a date, a version: "2019/05/15 v1.0e")
    # says only when: "zhlineskip 宏包依赖哪些宏包？" was answered by it, as its passage holds the title.
    if sentence.kind == "front-line" and kind != "date":
        return False
    # A table's caption, column header and source note name figures but give none.
    return not (kind == "number" and sentence.kind == "table" and not is_table_row(text))


def quote_span(chunk: Chunk, sentence: Sentence) -> tuple[int, int]:
    """The span a quote of `sentence` covers: the sentence, with the one before it when it opens
    by pointing back ("他也以 39 岁高龄…成为史上年龄最大的四分卫" answers "who" only with the
    sentence naming him) and the one after it when that one opens by pointing back to it
    ("These include the Miller–Rabin test" says which algorithms). A keyword list, whose items
    are split at "；" like clauses, is quoted whole; so are the items a sentence announces
    (`ANNOUNCES_ITEMS`). Never across a paragraph or a page."""
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
    if ANNOUNCES_ITEMS.search(chunk.text_of(sentence)):
        last = position
        while (last + 1 < len(sentences) and NEXT_ITEM.match(chunk.text_of(sentences[last + 1]))
               and _one_block(chunk, sentences[last], sentences[last + 1])):
            last += 1
        end = sentences[last].end
    if end == sentence.end and position + 1 < len(sentences) and _continues(chunk, sentence, sentences[position + 1]):
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
