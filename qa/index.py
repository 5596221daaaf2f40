"""The searchable index: chunk records, their FAISS vectors, sentence vectors and a manifest.

Layout of `index/<name>/`: `manifest.json` (model identity, chunker version, a hash per
source file), `documents.json`, `chunks.jsonl`, `chunks.faiss` (inner product on
normalized vectors: exact cosine search), `sentences.npy` (one vector per sentence of
every chunk, in chunk order), `answers.npy` (the same sentences by the answer encoder, see
`qa.embedding.AnswerEncoder`) and `lexical/` (BM25 over the chunks' search terms, rebuilt
whole on every update since it costs a second where embedding costs minutes). Builds are
written beside the target and swapped in.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np
from tqdm import tqdm

from qa.chunking import CHUNKER_VERSION, Chunk, Sentence, chunk_document
from qa.document import Document, document_from_dict, document_to_dict
from qa.embedding import AnswerEncoder
from qa.lexical import LexicalIndex
from qa.reading import META_SUFFIX, SUPPORTED_SUFFIXES, DocumentError, read_document

FORMAT_VERSION = 5
# Front-matter lines say what they are, so "who are the authors?" finds the line of names.
ROLE_LABELS = {"title": {"zh": "题名", "en": "Title"}, "authors": {"zh": "作者", "en": "Authors"},
               "affiliation": {"zh": "作者单位", "en": "Affiliation"}}


class IndexLoadError(RuntimeError):
    """An index that is missing or damaged; the message says how to rebuild it."""


class IndexMismatch(IndexLoadError):
    """An index built with another model, chunker or format."""


@dataclass
class BuildReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    chunks: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def passage_text(chunk: Chunk) -> str:
    """What is embedded and indexed for a chunk: its section trail, its front-matter lines with
    their roles (作者：曾凡军　王　鹏), then its text."""
    lines = [" › ".join(chunk.section)] if chunk.section and not chunk.text.startswith(chunk.section[-1]) else []
    lines += [text for text, s in zip(embedded_sentence_texts(chunk), chunk.sentences) if s.kind in ROLE_LABELS]
    return "\n".join([*lines, chunk.text])


def sentence_texts(chunk: Chunk) -> list[str]:
    return [chunk.text_of(s) for s in chunk.sentences]


def embedded_sentence_texts(chunk: Chunk) -> list[str]:
    """What is embedded for each sentence: its text, front-matter lines with their role."""
    return [_with_role(text, s.kind, chunk.lang) if s.kind in ROLE_LABELS else text
            for text, s in zip(sentence_texts(chunk), chunk.sentences)]


def _with_role(text: str, kind: str, lang: str) -> str:
    return f"{ROLE_LABELS[kind][lang]}{'：' if lang == 'zh' else ': '}{text}"


class Index:
    def __init__(self, manifest: dict, documents: dict[str, Document], chunks: list[Chunk],
                 chunk_vectors: np.ndarray, sentence_vectors: np.ndarray, answer_vectors: np.ndarray,
                 lexical: LexicalIndex | None = None):
        self.manifest = manifest
        self.documents = documents
        self.chunks = chunks
        self.chunk_vectors = chunk_vectors
        self.sentence_vectors = sentence_vectors
        self.answer_vectors = answer_vectors
        counts = [len(chunk.sentences) for chunk in chunks]
        self.sentence_offsets = np.concatenate([[0], np.cumsum(counts)]).astype(int)
        self.faiss = faiss.IndexFlatIP(chunk_vectors.shape[1])
        if len(chunks):
            self.faiss.add(chunk_vectors)
        self.lexical = lexical or LexicalIndex.build([passage_text(chunk) for chunk in chunks])

    def __len__(self) -> int:
        return len(self.chunks)

    def similarities(self, query_vector: np.ndarray) -> np.ndarray:
        """Cosine of the query with every chunk, by chunk position (fusion needs them all, not a top k)."""
        cosine = np.zeros(len(self.chunks), dtype=np.float32)
        if self.chunks:
            scores, ids = self.faiss.search(query_vector.reshape(1, -1).astype(np.float32), len(self.chunks))
            cosine[ids[0]] = scores[0]
        return cosine

    @property
    def chunk_chars(self) -> int:
        """The target chunk length the index was built with."""
        return self.manifest["chunker"]["chunk_chars"]

    def sentence_rows(self, position: int) -> range:
        """Where the sentences of the chunk at `position` are in `sentence_vectors` and `answer_vectors`."""
        return range(self.sentence_offsets[position], self.sentence_offsets[position + 1])

    def check_compatible(self, identity: dict) -> None:
        built = self.manifest["model"]
        if built["fingerprint"] != identity["fingerprint"] or built["name"] != identity["name"]:
            raise IndexMismatch(
                f"this index was built with model {built['name']!r} (weights {built['fingerprint'][:12]}), "
                f"not {identity['name']!r} (weights {identity['fingerprint'][:12]}): "
                "rebuild it with `python -m qa index` or pass the matching --model"
            )
        if self.manifest["chunker"]["version"] != CHUNKER_VERSION:
            raise IndexMismatch(
                f"this index was built by chunker version {self.manifest['chunker']['version']}, "
                f"this program uses {CHUNKER_VERSION}: rebuild it with `python -m qa index`"
            )
        if self.manifest["answer_encoder"] != AnswerEncoder.identity():
            raise IndexMismatch(
                f"this index was built with answer encoder {self.manifest['answer_encoder']}, "
                f"this program uses {AnswerEncoder.identity()}: rebuild it with `python -m qa index`"
            )

    # ------------------------------------------------------------ persistence

    def save(self, folder: Path) -> None:
        folder = Path(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
        try:
            (staging / "documents.json").write_text(
                json.dumps([document_to_dict(d) for d in self.documents.values()], ensure_ascii=False)
            )
            with (staging / "chunks.jsonl").open("w", encoding="utf-8") as handle:
                for chunk in self.chunks:
                    handle.write(json.dumps(dataclasses.asdict(chunk), ensure_ascii=False) + "\n")
            faiss.write_index(self.faiss, str(staging / "chunks.faiss"))
            np.save(staging / "sentences.npy", self.sentence_vectors)
            np.save(staging / "answers.npy", self.answer_vectors)
            self.lexical.save(staging / "lexical")
            # The manifest goes last: a folder without it is never taken for an index.
            (staging / "manifest.json").write_text(json.dumps(self.manifest, ensure_ascii=False, indent=2))
            _swap_in(staging, folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> Index:
        folder = Path(folder)
        manifest_path = folder / "manifest.json"
        if not manifest_path.exists():
            raise IndexLoadError(f"no index at {folder}: build it with `python -m qa index --index {folder}`")
        try:
            manifest = json.loads(manifest_path.read_text())
        except (OSError, ValueError) as exc:
            raise IndexLoadError(f"{folder}: damaged manifest ({exc}); rebuild it with `python -m qa index`") from exc
        if manifest.get("format") != FORMAT_VERSION:
            raise IndexMismatch(f"{folder}: index format {manifest.get('format')} is not {FORMAT_VERSION}: rebuild it")
        try:
            documents = [document_from_dict(d) for d in json.loads((folder / "documents.json").read_text())]
            chunks = [_chunk_from_dict(json.loads(line)) for line in (folder / "chunks.jsonl").open(encoding="utf-8")]
            store = faiss.read_index(str(folder / "chunks.faiss"))
            vectors = store.reconstruct_n(0, store.ntotal) if store.ntotal else np.zeros((0, store.d), np.float32)
            sentences = np.load(folder / "sentences.npy")
            answers = np.load(folder / "answers.npy")
            lexical = LexicalIndex.load(folder / "lexical")
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise IndexLoadError(f"{folder}: damaged index ({exc}); rebuild it with `python -m qa index`") from exc
        return cls(manifest, {d.doc_id: d for d in documents}, chunks, vectors, sentences, answers, lexical)


def _chunk_from_dict(data: dict) -> Chunk:
    return Chunk(**{**data, "section": tuple(data["section"]), "sentences": [Sentence(**s) for s in data["sentences"]]})


def _swap_in(staging: Path, folder: Path) -> None:
    """Replace `folder` by `staging` with renames, so readers see the old or the new index."""
    if folder.exists():
        retired = folder.parent / f".{folder.name}.old-{os.getpid()}"
        os.rename(folder, retired)
        os.rename(staging, folder)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.rename(staging, folder)


# ---------------------------------------------------------------- building


def source_files(seeds: Path) -> list[Path]:
    return sorted(
        path for path in Path(seeds).rglob("*")
        if path.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES and not path.name.startswith(".")
    )


def file_hash(path: Path) -> str:
    """Content hash of a source file together with its metadata sidecar."""
    digest = hashlib.sha256(path.read_bytes())
    sidecar = path.with_name(path.name.rsplit(".", 1)[0] + META_SUFFIX)
    if sidecar.exists():
        digest.update(b"\0meta\0" + sidecar.read_bytes())
    return digest.hexdigest()


def build_index(seeds: Path, folder: Path, embedder, chunk_chars: int = 400, progress: bool = True) -> tuple[Index, BuildReport]:
    """Build or update the index at `folder` from `seeds`: only new or changed files are embedded."""
    began = time.perf_counter()
    report = BuildReport()
    if not Path(seeds).is_dir():
        raise IndexLoadError(f"seeds folder {seeds} does not exist")
    previous = _reusable(folder, embedder.identity, chunk_chars)
    old_files = previous.manifest["files"] if previous else {}
    previous_positions: dict[str, list[int]] = {}  # doc_id → positions of its chunks in the old index
    for position, chunk in enumerate(previous.chunks if previous else []):
        previous_positions.setdefault(chunk.doc_id, []).append(position)
    documents: dict[str, Document] = {}
    kept: list[int] = []  # positions in the previous index of the chunks of unchanged files
    fresh_chunks: list[Chunk] = []
    files: dict[str, dict] = {}
    paths = source_files(seeds)
    for path in tqdm(paths, desc="reading", unit="file", disable=not progress, file=sys.stderr):
        source = path.relative_to(seeds).as_posix()
        digest = file_hash(path)
        old = old_files.get(source)
        if previous and old and old["sha256"] == digest:
            documents[old["doc_id"]] = previous.documents[old["doc_id"]]
            kept += previous_positions[old["doc_id"]]
            files[source] = old
            report.unchanged.append(source)
            continue
        try:
            document = read_document(path, seeds)
        except (DocumentError, OSError) as exc:
            report.errors[source] = str(exc)
            continue
        chunks = chunk_document(document, chunk_chars)
        documents[document.doc_id] = document
        fresh_chunks.extend(chunks)
        files[source] = {"sha256": digest, "doc_id": document.doc_id, "chunks": len(chunks)}
        (report.updated if old else report.added).append(source)
    report.removed = sorted(set(old_files) - set(files) - set(report.errors))
    chunk_vectors, sentence_vectors, answer_vectors = _embed(fresh_chunks, embedder, progress)
    chunks = fresh_chunks
    if kept:
        rows = [row for position in kept for row in previous.sentence_rows(position)]
        chunks = [previous.chunks[position] for position in kept] + fresh_chunks
        chunk_vectors = np.vstack([previous.chunk_vectors[kept], chunk_vectors])
        sentence_vectors = np.vstack([previous.sentence_vectors[rows], sentence_vectors])
        answer_vectors = np.vstack([previous.answer_vectors[rows], answer_vectors])
    manifest = {
        "format": FORMAT_VERSION,
        "model": embedder.identity,
        "answer_encoder": AnswerEncoder.identity(),
        "chunker": {"version": CHUNKER_VERSION, "chunk_chars": chunk_chars},
        "files": files,
        "errors": report.errors,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    index = Index(manifest, documents, chunks, chunk_vectors.astype(np.float32), sentence_vectors.astype(np.float32),
                  answer_vectors)
    if report.changed or previous is None or previous.manifest.get("errors") != report.errors:
        index.save(folder)
    report.chunks = len(chunks)
    report.seconds = time.perf_counter() - began
    return index, report


def _reusable(folder: Path, identity: dict, chunk_chars: int) -> Index | None:
    """The existing index if its vectors can be reused, else None (full rebuild)."""
    try:
        index = Index.load(folder)
        index.check_compatible(identity)
    except IndexLoadError:
        return None
    if index.manifest["chunker"].get("chunk_chars") != chunk_chars:
        return None
    return index


def _embed(chunks: list[Chunk], embedder, progress: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The chunks' vectors, their sentences' vectors, and the sentences' answer-encoder vectors."""
    dimension = embedder.dimension
    if not chunks:
        return (np.zeros((0, dimension), np.float32), np.zeros((0, dimension), np.float32),
                np.zeros((0, AnswerEncoder.dimension), np.float32))
    if progress:
        print(f"embedding {len(chunks)} chunks", file=sys.stderr)
    chunk_vectors = embedder.embed_passages([passage_text(c) for c in chunks], progress=progress)
    sentences = [text for chunk in chunks for text in embedded_sentence_texts(chunk)]
    if progress:
        print(f"embedding {len(sentences)} sentences", file=sys.stderr)
    sentence_vectors = embedder.embed_passages(sentences, progress=progress)
    if progress:
        print(f"reading {len(sentences)} sentences with the answer encoder", file=sys.stderr)
    return chunk_vectors, sentence_vectors, AnswerEncoder.default().embed(sentences)
