"""Sentence-level evidence: how well each sentence of the top passages answers the question.

A sentence's relevance adds three signals, in cosine units:
- dense: the cosine of the sentence's own vector with the question (sentences are embedded
  alone: mean-pooling the passage's token vectors over the sentence instead costs half the
  indexing time but found the answer sentence in 59% of XQuAD zh passages against 75%);
- overlap: the IDF-weighted share of the question's terms, own and bridged, the sentence contains;
- cue: the question asks for a number, a date, a person, a list (of a given length), what a
  term means (`qa.definitions`) or where the authors work, and the sentence has one.
Relevance re-ranks the passages that hold the sentences. Which sentence of a passage an
answer quotes is decided by its score, which weighs the terms differently: focus is overlap
with the terms the passage repeats in many sentences (its subject) worth less than terms only
one sentence holds, and plain overlap counts against a sentence. Within a passage the sentence
that names most of the question's words is usually the one introducing the subject; the
answer is the one holding the words only it holds. The two weights were fitted together on
the CMRC 2018 and XQuAD dev questions (first cited sentence: CMRC 0.817 → 0.851, XQuAD
zh→zh 0.732 → 0.753, en→zh 0.624 → 0.632, en→en 0.776 → 0.779); neighbouring weights
(focus 0.3–0.4, overlap −0.1 to −0.15) give CMRC 0.841–0.851.

The score also counts a second opinion: the sentence's cosine with the question by the answer
encoder (`qa.embedding.AnswerEncoder`, trained on question–answer pairs), twice as much across
languages as within one. Within the gold passage it picks the answering sentence more often on
every dev set: XQuAD en→zh 420 → 435 of 536 questions, zh→zh 491 → 495, en→en 497 → 500, CMRC
(every fourth question) 688 → 690. Not across languages for a question e5 already reads in its
dictionary translation (`qa.query.QueryPreparer.translation`): there it moved a seed dev question's quote
to another page, and gained one of our own 51 English seed questions (XQuAD en→zh first
sentence 0.683 with that rule, 0.691 without). It counts in relevance only a little (0.03),
and only where the question's language is the corpus's main one (XQuAD Hit@1 en→en 0.958 →
0.961, zh→zh 0.956 → 0.958, CMRC unchanged): across languages it moved the seed paper's English
questions between its near-identical statistics passages, and in a minority language it draws
a question to the few passages in that language (the paper's English abstract), as e5 does.
"""

from __future__ import annotations

import re
from collections.abc import Set
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from qa.chunking import Chunk, Sentence
from qa.definitions import defined_term, defines, term_words
from qa.lexical import Postings
from qa.query import Query
from qa.readers.text import is_table_row
from qa.terms import tokenize

OVERLAP_WEIGHT = 0.1  # in relevance
FOCUS_WEIGHT = 0.35  # in the score that chooses a passage's sentence
ECHO_WEIGHT = 0.125  # what overlap counts against a sentence in that score
# The answer encoder's cosine in that score, for a sentence in the question's language or in the other
# (unless the question is translated, see `score_sentences`).
ANSWER_ENCODER_WEIGHT = {"same": 0.05, "other": 0.1}
ANSWER_RELEVANCE_WEIGHT = 0.03  # and in relevance, in the corpus's main language only (see `score_sentences`)
# A list of the asked length, or a table row labelled with what the question names ("2019"), is
# rarer, so a surer sign, than a number or a date.
CUE_WEIGHTS = {"affiliation": 0.15, "keywords": 0.15, "counted list": 0.15, "labelled row": 0.15, "definition": 0.15,
               "list": 0.04, "date": 0.02, "number": 0.02, "person": 0.02}
# Headings, title lines and keyword lists name a topic but answer nothing; an affiliation line
# answers only where the authors work, a keyword list only what the keywords are.
UNQUOTABLE_KINDS = ("heading", "title", "subtitle", "affiliation", "classification", "keywords")

# What each kind of answer looks like in a sentence (lists are counted by `list_lengths`).
HAS = {
    "date": re.compile(r"\d{3,4}\s*年|\d{1,2}\s*月\s*\d{0,2}\s*日?|[一二三四五六七八九十]+世纪|\b1\d{3}\b|\b20\d{2}\b"
                       r"|\b(?:January|February|March|April|May|June|July|August|September|October|November|December)\b"
                       r"|\b\w+(?:st|nd|rd|th) century\b"),
    "number": re.compile(r"\d+(?:[.,]\d+)*\s?[%％]?|[一二三四五六七八九十百千万亿两半]+[个名次种位年岁倍成]"
                         r"|百分之[一二三四五六七八九十]+"
                         r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|hundred|thousand"
                         r"|million|billion)\b", re.IGNORECASE),
    "person": re.compile(r"[\u4e00-\u9fff]+ ?[·•・‧] ?[\u4e00-\u9fff]+|\b[A-Z][a-z]+(?: [A-Z][a-z]+)+\b"),
}
# A footnote citing a work ("张家平、程名望、龚小梅：《…》，《统计与信息论坛》2021 年第 12 期。"): its names,
# years and numbers describe the source, so they are no answer to "who", "when", "how many" or "which".
CITATION = re.compile(r"《[^》]+》.*(?:\d{4}\s*年|第\s*\d+\s*[期页卷])|\(\d{4}\)|\bpp?\.\s*\d|\bvol\.\s*\d", re.IGNORECASE)
# Enumerations: "甲、乙和丙", "a, b and c", and chains such as "technology foundation-capital momentum-right core".
CHINESE_LIST = re.compile(r"[^，。；：、\s]{1,12}(?:、[^，。；：、\s]{1,12})+(?:(?:和|与|及|以及|或)[^，。；：、\s]{1,12})?")
ENGLISH_LIST = re.compile(r"[\w'’ -]{1,40}(?:, [\w'’ -]{1,40})+,? (?:and|or) \w+")
CHAIN = re.compile(r"[\w ]{2,30}(?:[-—–][\w ]{2,30}){2,}")


@dataclass(frozen=True)
class Passage:
    """A passage whose sentences are scored: the chunk, its sentence vectors, and what it is about."""

    chunk: Chunk
    vectors: np.ndarray  # its sentences' e5 vectors
    answer_vectors: np.ndarray  # its sentences' answer-encoder vectors
    subject: str = ""  # its document's title and section path


@dataclass(frozen=True)
class SentenceScore:
    sentence: Sentence
    score: float  # how well the sentence answers within its passage: picks the sentences an answer quotes
    relevance: float  # how relevant it makes its passage: cosine, overlap and cue, without `focus`
    cosine: float
    overlap: float  # IDF-weighted share of the question's terms found in the sentence
    focus: float  # the same, each term weighted down by how many of the passage's sentences hold it
    cue: bool  # the sentence has the kind of thing the question asks for


def cites_a_work(kind: str, text: str) -> bool:
    """Whether a footnote (sentence or chunk of that kind) is a reference to a work."""
    return kind == "footnote" and CITATION.search(text) is not None


def has_cue(query: Query, sentence_kind: str, text: str, defined_by_meaning: Set[str] = frozenset()) -> bool:
    """Whether a sentence has what the question asks for (`query.kind`); a definition question's
    term may be matched by its words or, across languages, by meaning (`defined_by_meaning`)."""
    if query.kind in ("affiliation", "keywords"):
        return sentence_kind == query.kind
    if query.kind == "definition":
        defined = defined_term(text)
        return defined is not None and (defined in defined_by_meaning or defines(term_words(defined), query.asked))
    return not cites_a_work(sentence_kind, text) and has_new(query.kind, text, query.text, query.count)


def asks_for_row(query: Query, sentence_kind: str, text: str) -> bool:
    """Whether a number question names the label of this table row: "2019年农村就业人数是多少？" and
    "2019 75447 -0.44% 260.68 …"."""
    if query.kind != "number" or sentence_kind != "table" or not is_table_row(text):
        return False
    label = terms_of(text.split()[0])
    return bool(label) and label <= query.terms.keys()


def has_new(kind: str, sentence: str, question: str, count: int | None = None) -> bool:
    """Whether the sentence holds a thing of this kind that the question does not already name;
    for a list, one of the `count` items the question asks for, if it says."""
    if kind == "list":
        lengths = list_lengths(sentence)
        if count is None:
            return any(length >= 3 for length in lengths)
        # Pairs ("A、B", "A and B") are everywhere: only a longer list of the asked length is a sign.
        return count >= 3 and count in lengths
    asked = question.lower()
    return any(match.group().lower() not in asked for match in HAS[kind].finditer(sentence))


def list_lengths(sentence: str) -> set[int]:
    """How many items each enumeration in the sentence may have (empty if there is none).

    Chinese item boundaries are a guess: a phrase before the list may be counted as its first item.
    """
    lengths: set[int] = set()
    for match in CHINESE_LIST.finditer(sentence):
        items = match.group().count("、") + 1 + bool(re.search(r"(?:和|与|及|以及|或)[^、]+$", match.group()))
        lengths |= {items, items - 1}
    for match in ENGLISH_LIST.finditer(sentence):
        text = match.group()
        lengths.add(text.count(", ") + (1 if ", and " in text or ", or " in text else 2))
    for match in CHAIN.finditer(sentence):
        lengths.add(len(re.findall(r"[-—–]", match.group())) + 1)
    return lengths


def term_weights(query: Query, lexical: Postings) -> dict[str, float]:
    """The question's terms by importance: IDF, bridged terms scaled by their translation weight
    and by how much bridged terms count for the query (nothing over text in the question's language)."""
    weights = {t: lexical.idf(t) for t in query.terms if t in lexical}
    for term, weight in query.bridged.items():
        if weight * query.bridge_weight > 0:
            weights[term] = max(weights.get(term, 0.0), weight * query.bridge_weight * lexical.idf(term))
    return weights


def score_sentences(query: Query, passages: list[Passage], lexical: Postings,
                    defined_by_meaning: Set[str] = frozenset()) -> list[list[SentenceScore]]:
    """For each passage, its quotable sentences scored, best first; `defined_by_meaning`: terms
    defined in the other language that mean the asked one (see `has_cue`)."""
    weights = term_weights(query, lexical)
    total = sum(weights.values())
    kind = query.kind
    unquotable = [k for k in UNQUOTABLE_KINDS if k != kind]
    cue_weight = CUE_WEIGHTS["counted list" if kind == "list" and query.count else kind] if kind else 0.0
    scored: list[list[SentenceScore]] = []
    for passage in passages:
        chunk = passage.chunk
        cosines = passage.vectors @ query.vector
        answer_weight, answer_relevance = answer_encoder_weights(query, chunk.lang)
        answer_cosines = passage.answer_vectors @ query.answer_vector
        quotable = [(sentence, float(cosine), float(answer_cosine))
                    for sentence, cosine, answer_cosine in zip(chunk.sentences, cosines, answer_cosines)
                    if sentence.kind not in unquotable]
        texts = [chunk.text_of(s) for s, *_ in quotable]
        present = [terms_of(text) for text in texts]
        focused = focus_weights(weights, present, terms_of(passage.subject))
        focused_total = sum(focused.values())
        sentences = []
        for (sentence, cosine, answer_cosine), text, terms in zip(quotable, texts, present):
            overlap = sum(w for t, w in weights.items() if t in terms) / total if total else 0.0
            focus = sum(w for t, w in focused.items() if t in terms) / focused_total if focused_total else 0.0
            cue = bool(kind) and has_cue(query, sentence.kind, text, defined_by_meaning)
            relevance = cosine + OVERLAP_WEIGHT * overlap + cue_weight * cue + answer_relevance * answer_cosine
            # Focus is relative to the passage, so it ranks sentences within it, never passages; so
            # does a row's label, which any question naming a year would match in some table.
            labelled = cue and asks_for_row(query, sentence.kind, text)
            score = (cosine + (CUE_WEIGHTS["labelled row"] if labelled else cue_weight) * cue
                     + FOCUS_WEIGHT * focus - ECHO_WEIGHT * overlap + answer_weight * answer_cosine)
            sentences.append(SentenceScore(sentence, score, relevance, cosine, overlap, focus, cue))
        sentences.sort(key=lambda s: -s.score)
        scored.append(sentences)
    return scored


def answer_encoder_weights(query: Query, lang: str) -> tuple[float, float]:
    """What the answer encoder's cosine counts in the score and in the relevance of a sentence in `lang`."""
    if lang != query.lang:
        # A question whose translation e5 already reads needs no second opinion.
        return (0.0 if query.translated else ANSWER_ENCODER_WEIGHT["other"]), 0.0
    # Like e5, the answer encoder draws a question to text in its language, so it ranks passages
    # only in the corpus's main language: elsewhere that text is a few hubs (a paper's English abstract).
    return ANSWER_ENCODER_WEIGHT["same"], ANSWER_RELEVANCE_WEIGHT if query.language_share >= 0.5 else 0.0


@lru_cache(maxsize=65536)
def terms_of(text: str) -> frozenset[str]:
    """A sentence's or subject's search terms; the same sentences are read again by every question near them."""
    return frozenset(tokenize(text))


def focus_weights(weights: dict[str, float], sentence_terms: list[Set[str]], subject: Set[str] = frozenset()) -> dict[str, float]:
    """The question's term weights, divided by 1 + the number of the passage's sentences holding the term.

    A passage about 增城挂绿 names it in many sentences; the question "增城挂绿的果肉有什么特点？"
    is told apart by 果肉, which only the answering sentence holds. A term of the passage's
    subject (its document title, its section path) counts as held by every sentence: later
    sentences say "it" or "本鱼" instead of the name.
    """
    return {t: w / (1 + (len(sentence_terms) if t in subject else sum(t in terms for terms in sentence_terms)))
            for t, w in weights.items()}
