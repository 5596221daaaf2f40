"""A question prepared for search, once: its terms, their translations, what it asks for, what
the corpus lacks of it, its vectors. Search (`qa.retrieval`), sentence evidence (`qa.evidence`)
and the answer (`qa.answer`) read the `Query` and never prepare the question again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from qa.bridge import Bridge
from qa.definitions import asked_term, meaning_variants, term_words
from qa.embedding import AnswerEncoder, Embedder
from qa.exhibits import Exhibit, asked_exhibit
from qa.lexical import Postings
from qa.questions import (
    SOURCE_QUESTION,
    answer_kind,
    asked_count,
    asks_for_authors,
    asks_for_byline,
    asks_for_overview,
    asks_for_proposals,
    asks_for_publication,
    clean_question,
    item_words,
)
from qa.readers.text import language_of
from qa.support import Unmatched, unmatched_terms
from qa.terms import tokenize

TRANSLATION_WEIGHT = 0.25  # of a question's dictionary translation in its vector (see `QueryPreparer.translation`)
PHRASING_ZH = frozenset("采用 使用 运用 利用 用 采取 借助 提到 谈到 涉及".split())
MIN_TRANSLATED = 0.8  # share of the question's words the bridge must carry for that


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
    kind: str | None = None  # what it asks for (`qa.questions.answer_kind`)
    asked: dict[str, float] = field(default_factory=dict)  # for "what is X?": X's terms, own and bridged → weight
    translated: bool = False  # its vector holds its dictionary translation's (see `QueryPreparer.translation`)
    truncated_from: int | None = None  # the question's length when it was cut to the limit
    items: frozenset[str] = frozenset()  # for a list question, the terms naming its items, own and bridged
    count: int | None = None  # for a list question, how many items it asks for, if it says
    about_sources: bool = False  # it asks about a source ("出自哪本书？"), so a reference footnote may answer it
    about_authors: bool = False  # it asks who wrote the document (`qa.questions.asks_for_authors`)
    about_byline: bool = False  # its whole shape asks that alone (`qa.questions.asks_for_byline`)
    about_document: bool = False  # it asks what the whole document says (`qa.questions.asks_for_overview`)
    about_proposals: bool = False  # it asks what the whole document proposes (`qa.questions.asks_for_proposals`)
    about_publication: bool = False  # it asks where the document appeared (`qa.questions.asks_for_publication`)
    exhibit: Exhibit | None = None  # the numbered table or figure it asks to explain (`qa.exhibits`)
    unmatched: Unmatched = field(default_factory=Unmatched)  # what an English question names that the corpus lacks
    # for "what is X?" with a short X: the vectors of X's `meaning_variants`, to match terms defined
    # in the other language by meaning (`qa.definitions.by_meaning`)
    asked_vectors: np.ndarray | None = None


class QueryPreparer:
    """Turns questions into `Query` objects for one index: its lexical statistics, its languages,
    its encoders. Without a bridge (the baselines) a query has no bridged terms."""

    def __init__(self, lexical: Postings, embedder: Embedder, answer_encoder: AnswerEncoder, bridge: Bridge | None,
                 language_share: Mapping[str, float], question_limit: int):
        self.lexical = lexical
        self.embedder = embedder
        self.answer_encoder = answer_encoder
        self.bridge = bridge
        self.language_share = language_share
        self.question_limit = question_limit

    def prepare(self, question: str) -> Query:
        """The question prepared for search; a `QuestionError` for one with nothing to search."""
        cleaned = clean_question(question, self.question_limit)
        text = cleaned.text
        lang = language_of(text)
        lexical = self.lexical
        terms = dict(Counter(tokenize(text)))
        bridged: dict[str, float] = {}
        kind = answer_kind(text)
        asked: dict[str, float] = {}
        variants: list[str] = []
        named = item_words(text) if kind == "list" else ""
        items = set(tokenize(named))
        if self.bridge is not None:
            known = lexical.__contains__
            bridged = {t: w for t, w in self.bridge.translate(text, lang, known).items() if t not in terms}
            if kind == "definition" and (term := asked_term(text)):
                asked = {t: lexical.idf(t) if t in lexical else 0.0 for t in term_words(term)}
                asked |= {t: w * lexical.idf(t) for t, w in self.bridge.translate(term, lang, known).items()}
                variants = meaning_variants(term)
            if named:
                items |= set(self.bridge.translate(named, lang, known))
        # A term the corpus lacks counts with the highest IDF there is: it is as specific as can be.
        unseen = lexical.idf_of_unseen()
        # A verb of how the question is put ("文章采用了什么分析框架？") says nothing the corpus must hold.
        total = sum(lexical.idf(t) if t in lexical else unseen for t in terms if t in lexical or t not in PHRASING_ZH)
        coverage = sum(lexical.idf(t) for t in terms if t in lexical) / total if total else 0.0
        # The question's own words can only match text in its language (in a Chinese paper with an
        # English abstract every word of an English question "occurs", but only in the abstract);
        # bridged words only text in the other language.
        share = self.language_share.get(lang, 0.0)
        bridge_weight = (1 - coverage * share) * (1 - share) if bridged else 0.0
        translation = self.translation(text, lang, bridged) if bridged and share < 0.5 else ""
        # One call of the model for all.
        vectors = self.embedder.embed_queries([text, *([translation] if translation else []), *variants])
        vector = vectors[0]
        if translation:
            vector = vector + TRANSLATION_WEIGHT * vectors[1]
            vector /= np.linalg.norm(vector)
        asked_vectors = vectors[len(vectors) - len(variants):] if variants else None
        answer_vector = self.answer_encoder.embed([text])[0]
        unmatched = unmatched_terms(text, lang, lexical, self.bridge or Bridge.default())  # English questions only
        return Query(text, lang, vector, terms, bridged, coverage, share, answer_vector, bridge_weight, kind, asked,
                     bool(translation), cleaned.truncated_from, frozenset(items),
                     asked_count(text) if kind == "list" else None, bool(SOURCE_QUESTION.search(text)),
                     about_authors=asks_for_authors(text, kind), about_byline=asks_for_byline(text),
                     about_document=asks_for_overview(text),
                     about_proposals=asks_for_proposals(text), about_publication=asks_for_publication(text),
                     exhibit=asked_exhibit(text),
                     unmatched=unmatched, asked_vectors=asked_vectors)

    def translation(self, text: str, lang: str, bridged: dict[str, float]) -> str:
        """A question's dictionary translation, whose vector is added to the question's, when the
        bridge carries nearly all its words: e5 matches Chinese terms to Chinese text better than an
        English sentence. A question naming what the dictionary cannot carry (XQuAD's names) keeps
        its own vector, which holds them: its translation is ""."""
        if self.bridge.carried_share(text, lang, self.lexical.__contains__) < MIN_TRANSLATED:
            return ""
        # The dictionary's first two readings of each word, the likeliest first.
        return " ".join(t for t, w in sorted(bridged.items(), key=lambda item: -item[1]) if w >= 0.5)
