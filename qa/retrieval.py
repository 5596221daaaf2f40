"""Questions → ranked passages (hits): dense and lexical evidence, fused per query.

Up to `Config.exact_limit` chunks, every chunk is scored for every query. A larger index scores
candidates only: the top chunks by cosine (FAISS), by BM25 of the question's own terms and by
BM25 of its bridged terms, and the passages that answer its kind of question; the
standardizations below then use the whole index's statistics, kept exact (`qa.calibration`).
The scores:

- dense: cosine of the e5 query vector with each chunk (for a question in the language most
  of the corpus is not in, whose words the dictionary carries nearly all, the vector has its
  translation's added: see `qa.query.QueryPreparer.translation`), less the chunk's pull on
  questions in another language (its mean cosine with unrelated probe questions: keyword lists and
  footnotes are close to any English question about a Chinese paper), then standardized per
  chunk language (z-scores within each language's chunks), because multilingual encoders
  rate text in the question's own language higher whatever it says;
- lexical: BM25 of the question's own terms, and BM25 of the terms the dictionary bridge
  carries into the other language, each standardized over the corpus;
- fusion: `dense + LEXICAL_WEIGHT·coverage·lexical + BRIDGE_WEIGHT·(1 − coverage)·reach·bridged`,
  where `coverage` is the IDF-weighted share of the question's terms the corpus contains
  and `reach` the share of chunks in the other language, the only ones bridged terms match.
  A Chinese question over Chinese text has coverage near 1 and gains from BM25; an English
  question over Chinese text has coverage near 0, so its untranslatable words cannot drag
  the ranking, and the dictionary terms take their place.

Footnotes that cite a work lose CITATION_DISCOUNT unless the question asks about sources.
The top passages, joined by the openings of sections whose subsections fill them and, wherever
the first stage ranked them, by the passages that define the term a "what is X?" question asks
about or that hold the affiliation line a question about the authors' work asks for, are then
re-scored from their best sentences (see `qa.evidence`). Last, chunks that split a paragraph are
returned joined, once, at the rank of their best chunk.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence, Set
from dataclasses import dataclass, replace

import numpy as np

from qa.bridge import Bridge
from qa.calibration import MIN_GROUP, sparse_moments
from qa.chunking import Chunk, join_chunks
from qa.config import Config, checked_top_k
from qa.definitions import by_meaning, defined_term, definition_weight, is_short_term
from qa.document import PageSpan
from qa.embedding import AnswerEncoder, Embedder
from qa.evidence import Passage, SentenceScore, score_sentences
from qa.index import Index, passage_text
from qa.query import Query, QueryPreparer

METHODS = ("hybrid", "dense", "lexical", "rrf")
LEXICAL_WEIGHT = 0.5
BRIDGE_WEIGHT = 0.3
RERANK_DEPTH = 10  # passages whose sentences are read to re-rank them
SENTENCE_WEIGHT = 1.4  # weight of a passage's best sentence score when re-ranking
RRF_K = 60  # the usual constant of reciprocal rank fusion
CITATION_DISCOUNT = 2.0  # how far a reference footnote falls when the question is not about sources
SUBSECTION_QUORUM = 3  # subsections among the top passages that bring in their section's opening
DENSE_CANDIDATES = 200  # chunks taken by cosine when not every chunk is scored
LEXICAL_CANDIDATES = 100  # chunks taken by BM25, of the own terms and of the bridged terms each


@dataclass(frozen=True)
class Hit:
    rank: int
    score: float  # the fused relevance used for ranking (not comparable across queries)
    cosine: float  # the passage's dense similarity to the question
    chunk: Chunk
    doc_title: str
    position: int  # the chunk's position in the index (of a joined paragraph: its best chunk's)
    sentences: tuple[SentenceScore, ...] = ()  # its sentences scored against the question, best first
    pages: PageSpan | None = None  # its pages and printed page numbers, set on the hits a search returns
    bridged: tuple[str, ...] = ()  # the question's terms in the other language that it holds (to highlight)

    def to_dict(self) -> dict:
        chunk = self.chunk
        return {
            "rank": self.rank,
            "score": round(self.score, 4),
            "cosine": round(self.cosine, 4),
            "chunk_id": chunk.chunk_id,
            "doc_id": chunk.doc_id,
            "doc_title": self.doc_title,
            "section": list(chunk.section),
            "page_start": chunk.page_start,
            "page_end": chunk.page_end,
            **(self.pages.to_dict() if self.pages else {}),
            "start": chunk.start,
            "end": chunk.end,
            "text": chunk.text,
            "bridged": list(self.bridged),
        }


def bridged_in(query: Query, chunk: Chunk) -> tuple[str, ...]:
    """The question's bridged terms this passage holds: a Chinese word as written, an English
    stem ("digit") as the start of a word."""
    if not query.bridged or not query.bridge_weight:
        return ()
    text = chunk.text.lower()
    return tuple(term for term in query.bridged
                 if (re.search(rf"\b{re.escape(term)}", text) if term.isascii() else term in text))


class Retriever:
    """Search over one index with one embedding model; `method` picks the ranking.

    `hybrid` is the product; `dense`, `lexical` (BM25 of the question's own terms) and `rrf`
    (reciprocal rank fusion of those two) are the simple recipes it is measured against.
    """

    @classmethod
    def from_config(cls, index: Index, embedder: Embedder, config: Config, reranker=None) -> Retriever:
        return cls(index, embedder, config.method, reranker=reranker, question_limit=config.max_question_chars,
                   exact_limit=config.exact_limit)

    def __init__(self, index: Index, embedder: Embedder, method: str = "hybrid", reranker=None,
                 question_limit: int = Config.max_question_chars, exact_limit: int = Config.exact_limit):
        if method not in METHODS:
            raise ValueError(f"unknown search method {method!r}: use one of {', '.join(METHODS)}")
        index.check_compatible(embedder.identity)
        self.index = index
        self.embedder = embedder
        self.method = method
        self.bridge = None
        table = index.table
        if method == "hybrid":
            self.bridge = Bridge.default().with_glossary(table.glossary)
        self.reranker = reranker
        languages = table.languages
        self.group_langs = sorted(set(languages.tolist()))
        self.group_of = np.searchsorted(self.group_langs, languages)  # each chunk's language, as a number
        groups = [self.group_of == n for n in range(len(self.group_langs))]
        self.language_groups = groups if len(groups) > 1 else []
        self.language_share = {lang: float(np.mean(group)) for lang, group in zip(self.group_langs, groups)}
        self.preparer = QueryPreparer(index.lexical, embedder, AnswerEncoder.default(), self.bridge,
                                      self.language_share, question_limit)
        self.hubness = table.hubness if method == "hybrid" else {}
        if method != "hybrid" and not index.exhaustive:
            raise ValueError(f"the {method} baseline scores every chunk: it runs on the embedded index only")
        # The baselines score every chunk: they are what the product is measured against.
        scores_candidates = len(index) > exact_limit or not index.exhaustive
        self.dense_moments = table.moments if method == "hybrid" and scores_candidates else None
        self.affiliations = set(table.affiliations.tolist())
        # A footnote citing a work shares a topic's words with questions about it ("理论" in a title)
        # and, being short, ranks high on them; it answers only questions about sources.
        self.references = table.references

    # ------------------------------------------------------------ queries

    def query(self, question: str) -> Query:
        """The question prepared for search; a `QuestionError` for one with nothing to search."""
        return self.preparer.prepare(question)

    # ------------------------------------------------------------ ranking

    def search(self, question: str | Query, top_k: int = 5, doc_ids: Iterable[str] | None = None) -> list[Hit]:
        """The best passages for a question; with `doc_ids`, from those documents only."""
        top_k = checked_top_k(top_k)
        query = question if isinstance(question, Query) else self.query(question)
        if not len(self.index):
            return []
        allowed = self._allowed(doc_ids)
        if self.dense_moments is None:
            cosine = self.index.similarities(query.vector)
            scores = self.scores(query, cosine)
            if allowed is not None:
                scores = np.where(allowed, scores, -np.inf)
            ranked = np.argsort(-scores, kind="stable")
            mean_of = self.language_means(cosine).__getitem__
        else:
            scale = self._scale(query)
            cosine, scores = np.zeros(len(self.index), np.float32), np.full(len(self.index), -np.inf)
            candidates = self._candidates(query, allowed, scale)
            self._score_at(query, candidates, scale, cosine, scores)
            ranked = candidates[np.argsort(-scores[candidates], kind="stable")]

            def mean_of(position: int) -> float:  # a few hits need it: no array over every chunk
                return scale.language_means[self.group_of[position]]

        # Re-ranking always reads the same number of passages, so top_k never changes the order.
        depth = max(top_k, RERANK_DEPTH) if self.method == "hybrid" else top_k
        order = self._covering(ranked, depth)
        reread = RERANK_DEPTH
        if self.method == "hybrid":
            top = order[:RERANK_DEPTH]
            openings = self.section_openings(top)
            extra = openings + [p for p in self.answering_passages(query) if p not in top and p not in openings]
            order = top + extra + [p for p in order[RERANK_DEPTH:] if p not in extra]
            reread += len(extra)
            if self.dense_moments is not None:
                unscored = np.array([p for p in extra if scores[p] == -np.inf], dtype=np.int64)
                self._score_at(query, unscored, scale, cosine, scores)
        if allowed is not None:  # the section openings and answering passages may lie elsewhere
            order = [p for p in order if allowed[p]]
        documents = self.index.documents
        candidates = [
            Hit(0, float(scores[p]), float(cosine[p]), chunk, documents[chunk.doc_id].title, p)
            for p, chunk in zip(order, self.index.chunks_at(order))
        ]
        # Every method reads its passages' sentences, so answers can be compared across methods.
        defined = self._defined_by_meaning(query, candidates)
        candidates = self._with_sentences(query, candidates, defined)
        if self.method == "hybrid":
            reranked = self._rerank(query, candidates[:reread], mean_of)
            candidates = reranked + candidates[reread:]
            if query.kind == "affiliation":
                # The document's structure says which line answers: its affiliation line.
                candidates.sort(key=lambda hit: hit.position not in self.affiliations)
        candidates = self._whole_paragraphs(query, candidates, defined)
        return [replace(hit, rank=rank, pages=documents[hit.chunk.doc_id].span(hit.chunk.page_start, hit.chunk.page_end),
                        bridged=bridged_in(query, hit.chunk))
                for rank, hit in enumerate(candidates[:top_k], start=1)]

    def _allowed(self, doc_ids: Iterable[str] | None) -> np.ndarray | None:
        """Which chunks belong to the chosen documents (None: all do)."""
        if not doc_ids:
            return None
        chosen = set(doc_ids)
        unknown = sorted(chosen - set(self.index.documents))
        if unknown:
            raise ValueError(f"no such document in the library: {', '.join(unknown)}")
        allowed = np.zeros(len(self.index), dtype=bool)
        allowed[self.index.table.positions_of(chosen)] = True
        return allowed

    def _covering(self, ranked: np.ndarray, depth: int) -> list[int]:
        """The best-ranked chunk positions that reach `depth` different paragraphs (see `_whole_paragraphs`)."""
        runs: set[tuple[int, ...]] = set()
        for count, position in enumerate(ranked, start=1):
            runs.add(self.index.table.run_of(int(position)))
            if len(runs) == depth:
                return [int(p) for p in ranked[:count]]
        return [int(p) for p in ranked]

    def _whole_paragraphs(self, query: Query, hits: list[Hit], defined_by_meaning: Set[str]) -> list[Hit]:
        """Each paragraph once and whole: chunks that split a paragraph (up to PARAGRAPH_SPAN chunk
        lengths in all) are returned joined, at the rank of their best chunk, their sentences scored
        again together. Ranking reads the chunks, the reader gets the paragraph (small-to-big retrieval):
        two thirds of CMRC's Hit@1 misses were the right paragraph's other piece."""
        whole, split, seen = [], [], set()
        for hit in hits:
            run = self.index.table.run_of(hit.position)
            if run in seen:
                continue
            seen.add(run)
            if len(run) > 1:
                split.append((len(whole), run))
            whole.append(hit)
        # The pieces of every split paragraph and their sentences' vectors, each read at once.
        pieces = iter(self.index.chunks_at([position for _, run in split for position in run]))
        parts = []
        for n, run in split:
            chunks = [next(pieces) for _ in run]
            paragraph = join_chunks(self.index.documents[whole[n].chunk.doc_id], chunks)
            # The sentence two chunks overlap on is embedded in each; either copy will do.
            row_at = {sentence.start: row for position, chunk in zip(run, chunks)
                      for sentence, row in zip(chunk.sentences, self.index.sentence_rows(position))}
            parts.append((whole[n], paragraph, [row_at[sentence.start] for sentence in paragraph.sentences]))
        passages = self._passages(parts)
        scored = score_sentences(query, passages, self.index.lexical, defined_by_meaning)
        for (n, _), passage, sentences in zip(split, passages, scored):
            whole[n] = replace(whole[n], chunk=passage.chunk, sentences=tuple(sentences))
        return whole

    def scores(self, query: Query, cosine: np.ndarray) -> np.ndarray:
        """The ranking score of every chunk under this retriever's method."""
        if self.method == "dense":
            return cosine
        lexical = self.index.lexical.scores(query.terms)
        if self.method == "lexical":
            return lexical
        if self.method == "rrf":
            return _reciprocal_ranks(cosine) + _reciprocal_ranks(lexical)
        own = query.coverage * self.language_share.get(query.lang, 0.0)
        dense = cosine - self.hubness[query.lang] if query.lang in self.hubness else cosine
        fused = self.calibrated(dense) + LEXICAL_WEIGHT * own * standardized(lexical)
        if query.bridge_weight:
            fused += BRIDGE_WEIGHT * query.bridge_weight * standardized(self.index.lexical.scores(query.bridged))
        if not query.about_sources:
            fused -= CITATION_DISCOUNT * self.references
        return fused

    def _scale(self, query: Query) -> QueryScale:
        """How this query's raw scores become fused ones, from the whole index's statistics."""
        moments = self.dense_moments
        # In an index of one language, its chunks are all chunks (`calibrated` standardizes over all).
        groups = [moments.of_group(lang) if self.language_groups else moments.overall for lang in self.group_langs]
        dense = np.array([group.dense_moments(query.vector, query.lang) for group in groups])
        own = self.index.lexical.sparse_scores(query.terms)
        bridged = (self.index.lexical.sparse_scores(query.bridged) if query.bridge_weight
                   else (np.zeros(0, np.int64), np.zeros(0, np.float32)))
        return QueryScale(dense[:, 0], dense[:, 1], np.array([group.cosine_mean(query.vector) for group in groups]),
                          own, bridged, sparse_moments(own[1], len(self.index)),
                          sparse_moments(bridged[1], len(self.index)))

    def _candidates(self, query: Query, allowed: np.ndarray | None, scale: QueryScale) -> np.ndarray:
        """The chunks scored for a query when not all are: every chunk of the chosen documents; else
        the top ones by cosine, by BM25 of the own terms and of the bridged terms, and the answering passages."""
        if allowed is not None:
            return np.flatnonzero(allowed)
        found = [self.index.nearest(query.vector, DENSE_CANDIDATES),
                 np.array(self.answering_passages(query), dtype=np.int64)]
        for positions, values in (scale.own, scale.bridged):
            found.append(positions[np.argsort(-values, kind="stable")[:LEXICAL_CANDIDATES]])
        return np.unique(np.concatenate(found))

    def _score_at(self, query: Query, positions: np.ndarray, scale: QueryScale, cosine: np.ndarray,
                  scores: np.ndarray) -> None:
        """Fill `cosine` and `scores` at `positions` with what `scores` gives when every chunk is scored."""
        if not len(positions):
            return
        similarity = self.index.vectors_at(positions) @ query.vector
        dense = similarity - self.hubness[query.lang][positions] if query.lang in self.hubness else similarity
        group = self.group_of[positions]
        fused = (dense - scale.dense_mean[group]) / (scale.dense_spread[group] + 1e-6)
        own = query.coverage * self.language_share.get(query.lang, 0.0)
        fused += LEXICAL_WEIGHT * own * scale.standardized(scale.own, scale.own_moments, positions)
        if query.bridge_weight:
            fused += BRIDGE_WEIGHT * query.bridge_weight * scale.standardized(scale.bridged, scale.bridged_moments,
                                                                              positions)
        if not query.about_sources:
            fused -= CITATION_DISCOUNT * self.references[positions]
        cosine[positions] = similarity
        scores[positions] = fused

    def section_openings(self, positions: list[int]) -> list[int]:
        """The opening passages of sections whose subsections fill the top passages.

        A question that reaches "（一）势差基础层" … "（五）势差核心层" alike is likely about what
        their parent section sets out, in the passage before its first subsection (as in
        auto-merging retrieval, which swaps many child chunks for their parent).
        """
        children: dict[tuple, set[tuple]] = {}
        for chunk in self.index.chunks_at(positions):
            if len(chunk.section) > 1:
                children.setdefault((chunk.doc_id, chunk.section[:-1]), set()).add(chunk.section)
        return [
            position
            for parent, sections in children.items() if len(sections) >= SUBSECTION_QUORUM
            for position in self._opening(*parent) if position not in positions
        ]

    def _opening(self, doc_id: str, section: tuple[str, ...]) -> list[int]:
        """The chunks of a section before its first subsection (a document's chunks are contiguous)."""
        positions = self.index.table.positions_of({doc_id})
        return [int(p) for p, chunk in zip(positions, self.index.chunks_at(positions)) if chunk.section == section]

    def answering_passages(self, query: Query) -> list[int]:
        """Passages holding the sentence the question asks for, wherever the first stage ranked them:
        for "what is X?" those with the fullest definitions of X, for where the authors work those
        with an affiliation line."""
        if query.kind == "affiliation":
            return sorted(self.affiliations)
        weights: dict[int, float] = {}
        for position, terms in self.index.table.definitions.starting_with(query.asked):
            if weight := definition_weight(terms, query.asked):
                weights[position] = max(weights.get(position, 0.0), weight)
        best = max(weights.values(), default=0.0)
        return [position for position, weight in weights.items() if weight == best]

    def calibrated(self, cosine: np.ndarray) -> np.ndarray:
        """Dense scores as z-scores within each chunk language (one group: over all chunks)."""
        if not self.language_groups:
            return standardized(cosine)
        calibrated = cosine.copy()
        for group in self.language_groups:
            # A group too small to have a distribution of its own is measured against all chunks.
            sample = cosine[group] if group.sum() >= MIN_GROUP else cosine
            calibrated[group] = (cosine[group] - sample.mean()) / (sample.std() + 1e-6)
        return calibrated

    def language_means(self, cosine: np.ndarray) -> np.ndarray:
        """For each chunk, the mean cosine of its language's chunks: the question's pull toward that language."""
        means = np.full(len(cosine), cosine.mean())
        for group in self.language_groups:
            if group.sum() >= MIN_GROUP:
                means[group] = cosine[group].mean()
        return means

    def _passages(self, parts: list[tuple[Hit, Chunk, Sequence[int]]]) -> list[Passage]:
        """Each (hit, chunk, rows): the chunk (the hit's, or its whole paragraph) with the vectors of
        its sentences, at `rows` of the index; the vectors of all are read at once."""
        rows = [row for _, _, chunk_rows in parts for row in chunk_rows]
        sentences, answers = self.index.sentence_vectors_at(rows)
        passages, start = [], 0
        for hit, chunk, chunk_rows in parts:
            end = start + len(chunk_rows)
            passages.append(Passage(chunk, sentences[start:end], answers[start:end], _subject(hit)))
            start = end
        return passages

    def _with_sentences(self, query: Query, hits: list[Hit], defined_by_meaning: Set[str]) -> list[Hit]:
        passages = self._passages([(hit, hit.chunk, self.index.sentence_rows(hit.position)) for hit in hits])
        scored = score_sentences(query, passages, self.index.lexical, defined_by_meaning)
        return [replace(hit, sentences=tuple(sentences)) for hit, sentences in zip(hits, scored)]

    def _defined_by_meaning(self, query: Query, hits: list[Hit]) -> frozenset[str]:
        """The term, defined in the other language in one of the passages, that means the asked
        one (`qa.definitions.by_meaning`); none for other questions."""
        if query.asked_vectors is None:
            return frozenset()
        defined = sorted({term for hit in hits if hit.chunk.lang != query.lang for sentence in hit.chunk.sentences
                          if (term := defined_term(hit.chunk.text_of(sentence))) and is_short_term(term)})
        if not defined:
            return frozenset()
        cosines = (self.embedder.embed_terms(defined) @ query.asked_vectors.T).max(axis=1)
        best = by_meaning(dict(zip(defined, cosines.tolist())))
        return frozenset([best]) if best else frozenset()

    def _rerank(self, query: Query, hits: list[Hit], language_mean: Callable[[int], float]) -> list[Hit]:
        """Passages re-scored by their best sentence, or by the cross-encoder when one is given."""
        if self.reranker is not None:
            pairs = [(query.text, passage_text(hit.chunk)) for hit in hits]
            scores = np.asarray(self.reranker.predict(pairs, show_progress_bar=False), dtype=float)
            return [hits[i] for i in np.argsort(-scores, kind="stable")]
        # A sentence's cosine counts relative to its language's chunks, as dense scores are calibrated.
        best = np.array([best_sentence(hit) - language_mean(hit.position) for hit in hits])
        # Best-sentence scores are cosines; standardized over the candidates they join the fused scale.
        bonus = SENTENCE_WEIGHT * standardized(best) if len(hits) > 1 else np.zeros(len(hits))
        order = np.argsort(-(np.array([hit.score for hit in hits]) + bonus), kind="stable")
        return [replace(hits[i], score=hits[i].score + float(bonus[i])) for i in order]


@dataclass(frozen=True)
class QueryScale:
    """One query's statistics over the whole index, for scoring a few candidates (`qa.calibration`)."""

    dense_mean: np.ndarray  # per chunk language (`Retriever.group_of`): the mean of `cos − hubness`
    dense_spread: np.ndarray  # and its standard deviation
    language_means: np.ndarray  # per chunk language: the mean cosine of its chunks
    own: tuple[np.ndarray, np.ndarray]  # BM25 of the own terms: the chunks they reach, the scores
    bridged: tuple[np.ndarray, np.ndarray]  # the same for the bridged terms
    own_moments: tuple[float, float]
    bridged_moments: tuple[float, float]

    @staticmethod
    def standardized(sparse: tuple[np.ndarray, np.ndarray], moments: tuple[float, float],
                     positions: np.ndarray) -> np.ndarray:
        reached, values = sparse
        at = np.searchsorted(reached, positions)
        hit = at < len(reached)
        raw = np.zeros(len(positions))
        raw[hit] = np.where(reached[at[hit]] == positions[hit], values[at[hit]], 0.0)
        return (raw - moments[0]) / (moments[1] + 1e-6)


def search_payload(question: str, hits: list[Hit]) -> dict:
    """What `python -m qa search --json` prints and the app's /search endpoint returns."""
    return {"query": question, "hits": [hit.to_dict() for hit in hits]}


def best_sentence(hit: Hit) -> float:
    return max((scored.relevance for scored in hit.sentences), default=0.0)


def _subject(hit: Hit) -> str:
    """What a passage is about: its document's title and section path."""
    return " ".join((hit.doc_title, *hit.chunk.section))


def standardized(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / (values.std() + 1e-6)


def _reciprocal_ranks(scores: np.ndarray) -> np.ndarray:
    ranks = np.empty(len(scores))
    ranks[np.argsort(-scores, kind="stable")] = np.arange(1, len(scores) + 1)
    return 1.0 / (RRF_K + ranks)
