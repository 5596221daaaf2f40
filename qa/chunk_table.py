"""What ranking needs to know about every chunk, worked out once when the index is built.

A retriever used to read every chunk when it started (its language, its paragraph, whether it
cites a work or holds an affiliation line, which term it defines), which grows with the
library: 52 s for 50,000 chunks. The index keeps these facts as columns instead
(`table.npz`, `table.json`), loaded in milliseconds whatever the number of chunks:

- per chunk: its language, its document, the run of chunks its paragraph was cut into, whether
  it is a footnote citing a work, and its hubness (its pull on unrelated questions in another
  language, from `qa.probes`);
- the chunks with an affiliation line, the terms the index's sentences define, the glossary
  the documents' bilingual titles and keywords give, and the moments of the chunk vectors
  (`qa.calibration`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.bridge import parallel_terms
from qa.calibration import DenseMoments
from qa.chunking import Chunk, split_paragraph_runs
from qa.definitions import defined_term, term_words
from qa.document import Document
from qa.evidence import cites_a_work

PARAGRAPH_SPAN = 2  # a split paragraph of up to this many chunk lengths is returned whole, not in pieces


@dataclass(frozen=True)
class ChunkTable:
    doc_ids: list[str]  # the documents, in the order their chunks are in
    sentence_offsets: np.ndarray  # where each chunk's sentences start among all sentences, and the end
    documents: np.ndarray  # per chunk: its document, a position in doc_ids
    languages: np.ndarray  # per chunk: "zh" or "en"
    run_start: np.ndarray  # per chunk: the first chunk of its paragraph's run
    run_end: np.ndarray  # per chunk: one past the last
    references: np.ndarray  # per chunk: a footnote citing a work
    hubness: dict[str, np.ndarray]  # per question language, per chunk (zero for chunks in that language)
    affiliations: np.ndarray  # the chunks holding an affiliation line
    definitions: Definitions  # the terms the index's sentences define
    glossary: list[tuple[str, str]]  # (English, Chinese) terms the documents translate themselves
    moments: DenseMoments | None  # None for an empty index

    @classmethod
    def build(cls, documents: Mapping[str, Document], chunks: Sequence[Chunk], vectors: np.ndarray,
              probes: dict[str, np.ndarray], chunk_chars: int) -> ChunkTable:
        doc_ids = list(dict.fromkeys(chunk.doc_id for chunk in chunks))
        number = {doc_id: n for n, doc_id in enumerate(doc_ids)}
        languages = np.array([chunk.lang for chunk in chunks], dtype="<U2")
        run_start, run_end = np.zeros(len(chunks), np.int64), np.zeros(len(chunks), np.int64)
        for run in split_paragraph_runs(documents, chunks, PARAGRAPH_SPAN * chunk_chars):
            run_start[list(run)], run_end[list(run)] = run[0], run[-1] + 1
        defined = []
        for position, chunk in enumerate(chunks):
            for sentence in chunk.sentences:
                term = defined_term(chunk.text_of(sentence))
                if term and (terms := term_words(term)):
                    defined.append((position, terms))
        hubness = _hubness(vectors, languages, probes) if len(chunks) else {}
        counts = np.array([len(chunk.sentences) for chunk in chunks], np.int64)
        return cls(
            doc_ids=doc_ids,
            sentence_offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
            documents=np.array([number[chunk.doc_id] for chunk in chunks], np.int64),
            languages=languages,
            run_start=run_start,
            run_end=run_end,
            references=np.array([cites_a_work(chunk.kind, chunk.text) for chunk in chunks], bool),
            hubness=hubness,
            affiliations=np.array([p for p, chunk in enumerate(chunks)
                                   if any(s.kind == "affiliation" for s in chunk.sentences)], np.int64),
            definitions=Definitions.of(defined),
            glossary=[pair for doc_id in doc_ids for pair in parallel_terms(documents[doc_id])],
            moments=DenseMoments.of(vectors, languages, hubness) if len(chunks) else None)

    def run_of(self, position: int) -> range:
        """The chunks of the paragraph the chunk at `position` was cut from (itself alone if it was not)."""
        return range(int(self.run_start[position]), int(self.run_end[position]))

    def positions_of(self, doc_ids: set[str]) -> np.ndarray:
        """The chunks of these documents (a document's chunks are contiguous, in doc_ids order)."""
        chosen = np.array([n for n, doc_id in enumerate(self.doc_ids) if doc_id in doc_ids], dtype=np.int64)
        starts = np.searchsorted(self.documents, chosen)
        ends = np.searchsorted(self.documents, chosen, side="right")
        return np.concatenate([np.arange(a, b) for a, b in zip(starts, ends)] or [np.zeros(0, np.int64)])

    def save(self, folder: Path) -> None:
        arrays = {"sentence_offsets": self.sentence_offsets, "documents": self.documents, "languages": self.languages,
                  "run_start": self.run_start, "run_end": self.run_end, "references": self.references,
                  "affiliations": self.affiliations,
                  **{f"hubness.{lang}": values for lang, values in self.hubness.items()},
                  **{f"definitions.{name}": values for name, values in self.definitions.arrays().items()},
                  **({f"moments.{k}": v for k, v in self.moments.to_arrays().items()} if self.moments else {})}
        np.savez(folder / "table.npz", **arrays)
        facts = {"doc_ids": self.doc_ids, "defined_terms": self.definitions.terms, "glossary": self.glossary}
        (folder / "table.json").write_text(json.dumps(facts, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> ChunkTable:
        facts = json.loads((folder / "table.json").read_text(encoding="utf-8"))
        with np.load(folder / "table.npz") as stored:
            arrays = {name: stored[name] for name in stored.files}
        moments = {name.removeprefix("moments."): v for name, v in arrays.items() if name.startswith("moments.")}
        return cls(facts["doc_ids"], arrays["sentence_offsets"], arrays["documents"], arrays["languages"],
                   arrays["run_start"], arrays["run_end"], arrays["references"],
                   {name.removeprefix("hubness."): v for name, v in arrays.items() if name.startswith("hubness.")},
                   arrays["affiliations"],
                   Definitions(facts["defined_terms"], *(arrays[f"definitions.{name}"] for name in Definitions.ARRAYS)),
                   [tuple(pair) for pair in facts["glossary"]],
                   DenseMoments.from_arrays(moments) if moments else None)


class Definitions:
    """The terms the index's sentences define, each with its chunk: found by their first term
    (a definition answers "what is X?" only if all its terms are asked), stored as arrays, so
    that the hundreds of thousands of a large index load in milliseconds."""

    ARRAYS = ("keys", "positions", "starts", "words")

    def __init__(self, terms: list[str], keys: np.ndarray, positions: np.ndarray, starts: np.ndarray,
                 words: np.ndarray):
        self.terms = terms  # every word of a defined term, sorted
        self.keys = keys  # per definition, sorted: its first word (a position in `terms`)
        self.positions = positions  # per definition: its chunk
        self.starts = starts  # per definition, and the end: where its words are in `words`
        self.words = words
        self._number = {term: n for n, term in enumerate(terms)}

    @classmethod
    def of(cls, definitions: list[tuple[int, frozenset[str]]]) -> Definitions:
        terms = sorted({term for _, words in definitions for term in words})
        number = {term: n for n, term in enumerate(terms)}
        coded = sorted((sorted(number[term] for term in words), position) for position, words in definitions)
        lengths = [len(words) for words, _ in coded]
        return cls(terms, np.array([words[0] for words, _ in coded], np.int64),
                   np.array([position for _, position in coded], np.int64),
                   np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]).astype(np.int64),
                   np.array([n for words, _ in coded for n in words], np.int64))

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in self.ARRAYS}

    def starting_with(self, words) -> list[tuple[int, frozenset[str]]]:
        """(chunk, terms) of the definitions whose first word is one of `words`, by chunk."""
        found = []
        for word in words:
            if (key := self._number.get(word)) is None:
                continue
            for n in range(*np.searchsorted(self.keys, [key, key + 1])):
                found.append((int(self.positions[n]),
                              frozenset(self.terms[w] for w in self.words[self.starts[n]:self.starts[n + 1]])))
        return sorted(found, key=lambda item: item[0])


def _hubness(vectors: np.ndarray, languages: np.ndarray, probes: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per question language, how much more than the average chunk each chunk in another
    language attracts unrelated questions (zero for chunks in the question's language)."""
    hubness = {}
    for lang, questions in probes.items():
        pull = np.zeros(len(vectors), np.float32)
        for start in range(0, len(vectors), 65536):  # in blocks: a million chunks at once would need 400 MB
            pull[start:start + 65536] = (questions @ np.asarray(vectors[start:start + 65536]).T).mean(axis=0)
        hubness[lang] = ((pull - pull.mean()) * (languages != lang)).astype(np.float32)
    return hubness
