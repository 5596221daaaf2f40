"""The searchable index: chunk and document records, their vectors, BM25 postings, ranking facts, a manifest.

Layout of `index/<name>/`: `manifest.json` (model identity, chunker version, a hash per
source file, the FAISS index's kind, and a checksum of every other file with the row counts,
checked on loading), `documents.jsonl` and `chunks.jsonl` (one record a line, with
`*.offsets.npy` locating each line: read one at a time, `qa.records`), `chunks.npy` and
`chunks.faiss` (the chunk vectors, and FAISS over them: exact inner product on unit vectors,
HNSW above HNSW_ABOVE chunks), `sentences.npy` (one vector per sentence of every chunk, in chunk
order) and `answers.npy` (the same sentences by the answer encoder, see
`qa.embedding.AnswerEncoder`), both float16 and memory-mapped, `table.npz`/`table.json` (what
ranking needs to know about every chunk, `qa.chunk_table`) and `lexical/` (BM25 over the
chunks' search terms, rebuilt whole on every update since it costs a second where embedding
costs minutes). Builds are written beside the target and swapped in, one at a time (`qa.locking`).
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np
from tqdm import tqdm

from qa.chunk_table import ChunkTable
from qa.chunking import CHUNKER_VERSION, Chunk, Sentence, chunk_document
from qa.document import Document, document_from_dict, document_to_dict
from qa.embedding import AnswerEncoder
from qa.lexical import LexicalIndex
from qa.locking import index_lock
from qa.probes import probe_vectors
from qa.readers import (
    READER_VERSION,
    SUPPORTED_SUFFIXES,
    DocumentError,
    check_size,
    printable_name,
    read_document,
    sidecar_of,
)
from qa.records import RecordMap, Records, write_records

FORMAT_VERSION = 9  # 9: definitions after a longer modifier, none negated (qa.definitions.DEFINING_ZH)
VECTOR_DTYPE = np.float16  # sentence and answer vectors on disk: half the size, cosines within 0.001
HNSW_ABOVE = 50_000  # chunks; below, exact search costs a few milliseconds
# efSearch 512 finds 0.96 of the exact top 10 at a million chunks (128: 0.86), in 2 ms (benchmarks/scale.py).
HNSW = {"M": 32, "efConstruction": 80, "efSearch": 512}
FULLY_HASHED = 64 << 20  # bytes: larger index files are checked by size and sampled blocks (`_digest`)
SAMPLED, SAMPLE_BYTES = 64, 1 << 16
# Front-matter lines say what they are, so "who are the authors?" finds the line of names.
ROLE_LABELS = {"title": {"zh": "题名", "en": "Title"}, "authors": {"zh": "作者", "en": "Authors"},
               "affiliation": {"zh": "作者单位", "en": "Affiliation"}}


class IndexLoadError(RuntimeError):
    """An index that is missing or damaged; the message says how to rebuild it."""


class IndexMismatch(IndexLoadError):
    """An index built with another model, chunker or format."""


class IndexDamaged(IndexLoadError):
    """An index file that is missing, altered or inconsistent with the others."""

    def __init__(self, folder: Path, name: str, problem: str):
        self.folder, self.name, self.problem = folder, name, problem
        super().__init__(f"{folder}: {name} is damaged ({problem}); rebuild it with `python -m qa index`")

    def __reduce__(self):  # raised in an answering process, re-raised in the app's (qa.workers)
        return type(self), (self.folder, self.name, self.problem)


@dataclass
class BuildReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # source → why it is not indexed
    kept: dict[str, str] = field(default_factory=dict)  # source → why its last good version is still served
    repaired: str | None = None  # what was damaged in the index this build replaced
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
    """The chunks and documents of a library with their vectors, BM25 postings and ranking facts
    (`qa.chunk_table`). Built in memory by `build_index`; loaded from disk by `load`, which maps
    what is large (records, sentence vectors, postings) and reads a part only when a question needs it."""

    def __init__(self, manifest: dict, documents: Mapping[str, Document], chunks: Sequence[Chunk],
                 chunk_vectors: np.ndarray, sentence_vectors: np.ndarray, answer_vectors: np.ndarray,
                 table: ChunkTable, lexical: LexicalIndex | None = None, dense=None):
        self.manifest = manifest
        self.documents = documents
        self.chunks = chunks
        self.chunk_vectors = chunk_vectors
        self.sentence_vectors = sentence_vectors
        self.answer_vectors = answer_vectors
        self.table = table
        self.sentence_offsets = table.sentence_offsets
        self.faiss = dense if dense is not None else dense_index(chunk_vectors)
        self.lexical = lexical or LexicalIndex.build([passage_text(chunk) for chunk in chunks])

    def __len__(self) -> int:
        return len(self.chunks)

    # The store interface the retriever reads (the Milvus store has the same, `qa.store.milvus`).
    exhaustive = True  # every chunk can be scored for a question (its vectors are in this process)

    def similarities(self, query_vector: np.ndarray) -> np.ndarray:
        """Cosine of the query with every chunk, by chunk position (fusion needs them all, not a top k)."""
        return np.asarray(self.chunk_vectors, dtype=np.float32) @ query_vector.astype(np.float32)

    def nearest(self, query_vector: np.ndarray, count: int) -> np.ndarray:
        """The positions of the `count` chunks closest to the query, by FAISS."""
        _, ids = self.faiss.search(query_vector.reshape(1, -1).astype(np.float32), min(count, len(self)))
        return ids[0][ids[0] >= 0].astype(np.int64)

    def vectors_at(self, positions: np.ndarray) -> np.ndarray:
        return np.asarray(self.chunk_vectors[positions], dtype=np.float32)

    def chunks_at(self, positions) -> list[Chunk]:
        return [self.chunks[int(position)] for position in positions]

    def sentence_vectors_at(self, rows: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """The e5 and the answer-encoder vectors of the sentences at `rows` (see `sentence_rows`)."""
        return self.sentence_vectors[rows], self.answer_vectors[rows]

    @property
    def chunk_chars(self) -> int:
        """The target chunk length the index was built with."""
        return self.manifest["chunker"]["chunk_chars"]

    def sentence_rows(self, position: int) -> range:
        """Where the sentences of the chunk at `position` are in `sentence_vectors` and `answer_vectors`."""
        return range(self.sentence_offsets[position], self.sentence_offsets[position + 1])

    def check_compatible(self, identity: dict) -> None:
        check_compatible(self.manifest, identity)

    # ------------------------------------------------------------ persistence

    def save(self, folder: Path) -> None:
        """Write the index beside `folder` and swap it in; the manifest records each file's
        SHA-256 and the row counts, so a damaged file is found when the index is loaded."""
        folder = Path(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
        try:
            doc_ids = list(self.documents)
            np.save(staging / "documents.offsets.npy", write_records(
                staging / "documents.jsonl", (document_to_dict(self.documents[d]) for d in doc_ids)))
            (staging / "documents.ids.json").write_text(json.dumps(doc_ids, ensure_ascii=False), encoding="utf-8")
            np.save(staging / "chunks.offsets.npy",
                    write_records(staging / "chunks.jsonl", (dataclasses.asdict(chunk) for chunk in self.chunks)))
            np.save(staging / "chunks.npy", np.asarray(self.chunk_vectors, dtype=np.float32))
            faiss.write_index(self.faiss, str(staging / "chunks.faiss"))
            np.save(staging / "sentences.npy", np.asarray(self.sentence_vectors, dtype=VECTOR_DTYPE))
            np.save(staging / "answers.npy", np.asarray(self.answer_vectors, dtype=VECTOR_DTYPE))
            self.table.save(staging)
            self.lexical.save(staging / "lexical")
            manifest = {**self.manifest, "rows": self.rows(), "dense": dense_parameters(self.faiss),
                        "checksums": _checksums(staging)}
            # The manifest goes last: a folder without it is never taken for an index.
            (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
            _sync(staging)
            _swap_in(staging, folder)
            self.manifest = manifest
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def rows(self) -> dict[str, int]:
        return {"chunks": len(self.chunks), "sentences": int(self.sentence_offsets[-1])}

    @classmethod
    def load(cls, folder: Path) -> Index:
        """The index at `folder`, verified against its manifest; an `IndexDamaged` naming the
        first file that is missing, altered or of the wrong length."""
        folder = Path(folder)
        manifest_path = folder / "manifest.json"
        if not manifest_path.exists():
            raise IndexLoadError(f"no index at {folder}: build it with `python -m qa index --index {folder}`")
        try:
            manifest = json.loads(manifest_path.read_text())
        except (OSError, ValueError) as exc:
            raise IndexDamaged(folder, "manifest.json", f"unreadable: {exc}") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_VERSION:
            version = manifest.get("format") if isinstance(manifest, dict) else None
            raise IndexMismatch(f"{folder}: index format {version} is not {FORMAT_VERSION}: "
                                "rebuild it with `python -m qa index`")
        _verify(folder, manifest.get("checksums") or {})
        try:
            doc_ids = json.loads((folder / "documents.ids.json").read_text(encoding="utf-8"))
            documents = RecordMap(doc_ids, Records(folder / "documents.jsonl",
                                                   np.load(folder / "documents.offsets.npy"), document_from_dict))
            chunks = Records(folder / "chunks.jsonl", np.load(folder / "chunks.offsets.npy"), chunk_from_dict)
            vectors = np.load(folder / "chunks.npy", mmap_mode="r")
            dense = faiss.read_index(str(folder / "chunks.faiss"))
            if manifest.get("dense", {}).get("kind") == "hnsw":
                dense.hnsw.efSearch = manifest["dense"]["efSearch"]
            sentences = np.load(folder / "sentences.npy", mmap_mode="r")
            answers = np.load(folder / "answers.npy", mmap_mode="r")
            table = ChunkTable.load(folder)
            lexical = LexicalIndex.load(folder / "lexical")
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            raise IndexDamaged(folder, "the index", f"unreadable: {exc}") from exc
        rows = manifest.get("rows", {})
        counted = {"chunks.jsonl": len(chunks), "chunks.npy": len(vectors), "chunks.faiss": dense.ntotal,
                   "lexical": lexical.size, "table.npz": len(table.documents)}
        for name, count in counted.items():
            if count != rows.get("chunks"):
                raise IndexDamaged(folder, name, f"{count} rows where the manifest has {rows.get('chunks')} chunks")
        for name, count in (("table.npz", int(table.sentence_offsets[-1])),
                            ("sentences.npy", len(sentences)), ("answers.npy", len(answers))):
            if count != rows.get("sentences"):
                raise IndexDamaged(folder, name,
                                   f"{count} sentences where the manifest has {rows.get('sentences')}")
        return cls(manifest, documents, chunks, vectors, sentences, answers, table, lexical, dense)


def check_compatible(manifest: dict, identity: dict) -> None:
    """An `IndexMismatch` unless the index of `manifest` was built with this model, chunker and answer encoder."""
    built = manifest["model"]
    if built["fingerprint"] != identity["fingerprint"] or built["name"] != identity["name"]:
        raise IndexMismatch(
            f"this index was built with model {built['name']!r} (weights {built['fingerprint'][:12]}), "
            f"not {identity['name']!r} (weights {identity['fingerprint'][:12]}): "
            "rebuild it with `python -m qa index` or pass the matching --model"
        )
    if manifest["chunker"]["version"] != CHUNKER_VERSION:
        raise IndexMismatch(
            f"this index was built by chunker version {manifest['chunker']['version']}, "
            f"this program uses {CHUNKER_VERSION}: rebuild it with `python -m qa index`"
        )
    if manifest["answer_encoder"] != AnswerEncoder.identity():
        raise IndexMismatch(
            f"this index was built with answer encoder {manifest['answer_encoder']}, "
            f"this program uses {AnswerEncoder.identity()}: rebuild it with `python -m qa index`"
        )


def dense_index(vectors: np.ndarray):
    """The FAISS index over the chunk vectors: exact inner product (cosine: the vectors are unit
    length) up to HNSW_ABOVE chunks; above, a graph (HNSW) searched in milliseconds at a million."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dimension = vectors.shape[1]
    if len(vectors) <= HNSW_ABOVE:
        index = faiss.IndexFlatIP(dimension)
    else:
        index = faiss.IndexHNSWFlat(dimension, HNSW["M"], faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW["efConstruction"]
        index.hnsw.efSearch = HNSW["efSearch"]
    if len(vectors):
        index.add(vectors)
    return index


def dense_parameters(index) -> dict:
    """What the manifest records of the FAISS index: its kind and, for HNSW, its parameters."""
    if isinstance(index, faiss.IndexHNSWFlat):
        return {"kind": "hnsw", "M": HNSW["M"], "efConstruction": index.hnsw.efConstruction,
                "efSearch": index.hnsw.efSearch}
    return {"kind": "flat"}


def _checksums(folder: Path) -> dict[str, str]:
    return {path.relative_to(folder).as_posix(): _digest(path)
            for path in sorted(folder.rglob("*")) if path.is_file()}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _digest(path: Path) -> str:
    """A file's SHA-256; for a file over FULLY_HASHED bytes, its size and the SHA-256 of SAMPLED
    blocks spread over it, so that loading a million-chunk index does not read 10 GB first (a
    truncated or overwritten file is still found; `python -m qa index` rewrites a damaged one)."""
    size = path.stat().st_size
    if size <= FULLY_HASHED:
        return _sha256(path)
    digest = hashlib.sha256(str(size).encode())
    with path.open("rb") as handle:
        for n in range(SAMPLED):
            handle.seek(max(size - SAMPLE_BYTES, 0) * n // (SAMPLED - 1))
            digest.update(handle.read(SAMPLE_BYTES))
    return f"sampled:{digest.hexdigest()}"


def _verify(folder: Path, checksums: dict[str, str]) -> None:
    if not checksums:
        raise IndexDamaged(folder, "manifest.json", "it lists no checksums")
    for name, expected in checksums.items():
        path = folder / name
        if not path.is_file():
            raise IndexDamaged(folder, name, "missing")
        if _digest(path) != expected:
            raise IndexDamaged(folder, name, "checksum mismatch")


def _sync(folder: Path) -> None:
    """Flush the new files to disk before the rename makes them the index."""
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())


def chunk_from_dict(data: dict) -> Chunk:
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


@dataclass
class SeedChanges:
    """Changes to the seeds folder that take effect only with the index that holds them:
    `staged` files (source → a file outside the scan, e.g. an upload) move into place, and
    `withdrawn` sources move to the trash, together with the index swap."""

    staged: dict[str, Path] = field(default_factory=dict)
    withdrawn: set[str] = field(default_factory=set)


TRASH = ".removed"  # where removed documents go, inside the seeds folder (never scanned)
INCOMING = ".incoming"  # where uploads wait until they are indexed


def scan_seeds(seeds: Path) -> tuple[dict[str, Path], dict[str, str]]:
    """The seeds folder's documents (source → path) and what was skipped with the reason: files in
    hidden folders are not documents; links that lead out of the folder are not followed."""
    seeds = Path(seeds)
    root = seeds.resolve()
    found: dict[str, Path] = {}
    skipped: dict[str, str] = {}
    for folder, subfolders, names in os.walk(seeds):
        here = Path(folder)
        for name in list(subfolders):
            if name.startswith(".") or (here / name).is_symlink():
                subfolders.remove(name)
                if not name.startswith("."):
                    source = printable_name((here / name).relative_to(seeds).as_posix())
                    skipped[source] = f"{source}: a link to a folder; not followed"
        for name in sorted(names):
            path = here / name
            source = path.relative_to(seeds).as_posix()
            if name.startswith(".") or path.suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            shown = printable_name(source)
            if shown != source:
                skipped[shown] = f"{shown}: the file name is not valid UTF-8; rename the file"
            elif path.is_symlink() and not path.resolve().is_relative_to(root):
                skipped[source] = f"{source}: a link to a file outside the seeds folder; not followed"
            else:
                found[source] = path
    return dict(sorted(found.items())), skipped


def file_hashes(path: Path) -> tuple[str, str]:
    """The content hash of a source file, and that hash together with its metadata sidecar's."""
    content = _sha256(path)
    sidecar = sidecar_of(path)
    if not sidecar.exists():
        return content, content
    return content, hashlib.sha256(f"{content}\0meta\0".encode() + sidecar.read_bytes()).hexdigest()


def build_index(seeds: Path, folder: Path, embedder, chunk_chars: int = 400, progress: bool = True,
                changes: SeedChanges | None = None, max_text_mb: float = 20,
                max_file_mb: float = 200) -> tuple[Index, BuildReport]:
    """Build or update the index at `folder` from `seeds`: only new or changed files are embedded.

    Every file is read on its own: one that cannot be read is skipped with its reason, and one
    that was indexed before keeps its last good version. A damaged index is rebuilt whole.
    One build at a time per index (`qa.locking`); debris of killed builds is removed."""
    with index_lock(folder, quiet=not progress):
        _remove_debris(folder)
        return _build(Path(seeds), Path(folder), embedder, chunk_chars, progress, changes or SeedChanges(), max_text_mb,
                      max_file_mb)


def _build(seeds: Path, folder: Path, embedder, chunk_chars: int, progress: bool, changes: SeedChanges,
           max_text_mb: float, max_file_mb: float) -> tuple[Index, BuildReport]:
    began = time.perf_counter()
    report = BuildReport()
    if not seeds.is_dir():
        raise IndexLoadError(f"seeds folder {seeds} does not exist")
    previous, report.repaired = _reusable(folder, embedder.identity, chunk_chars)
    old_files = previous.manifest["files"] if previous else {}
    previous_positions: dict[str, list[int]] = {}  # doc_id → positions of its chunks in the old index
    if previous:
        starts = np.searchsorted(previous.table.documents, np.arange(len(previous.table.doc_ids) + 1))
        previous_positions = {doc_id: list(range(starts[n], starts[n + 1]))
                              for n, doc_id in enumerate(previous.table.doc_ids)}
    found, report.errors = scan_seeds(seeds)
    found = {source: path for source, path in found.items() if source not in changes.withdrawn}
    # Files before links, so that a link to a file of the library is the duplicate, not the file.
    found = dict(sorted({**found, **changes.staged}.items(), key=lambda item: (item[1].is_symlink(), item[0])))
    documents: dict[str, Document] = {}
    kept: list[int] = []  # positions in the previous index of the chunks of unchanged files
    fresh_chunks: list[Chunk] = []
    files: dict[str, dict] = {}
    # Same content under two names is indexed once: under the name already indexed, else the first.
    first_with: dict[str, str] = {old["content"]: source for source, old in old_files.items()
                                  if source in found and "content" in old}
    for source, path in tqdm(found.items(), desc="reading", unit="file", disable=not progress, file=sys.stderr):
        old = old_files.get(source)
        try:
            size = path.stat().st_size
            check_size(size, source, max_text_mb, max_file_mb)
            content, digest = file_hashes(path)
            first = first_with.setdefault(content, source)
            if first != source:
                raise DuplicateDocument(f"{source}: same content as {first}, which is indexed; not indexed twice")
            unchanged = bool(previous and old and old["sha256"] == digest and old["doc_id"] in previous.documents)
            if unchanged and old.get("reader") == READER_VERSION:
                documents[old["doc_id"]] = previous.documents[old["doc_id"]]
                kept += previous_positions.get(old["doc_id"], [])
                files[source] = old
                report.unchanged.append(source)
                continue
            document = read_document(path, seeds, source=source)
            chunks = chunk_document(document, chunk_chars)
            positions = previous_positions.get(old["doc_id"], []) if unchanged else []
            if unchanged and [previous.chunks[p] for p in positions] == chunks:
                # Read by an older reader, and read the same now: its metadata (a reference's
                # journal and pages, say) may be new, its chunks and vectors are not.
                documents[document.doc_id] = document
                kept += positions
                files[source] = {**old, "reader": READER_VERSION}
                report.unchanged.append(source)
                continue
        except DuplicateDocument as exc:
            report.errors[source] = str(exc)
            continue
        except (DocumentError, OSError) as exc:
            message = str(exc) if isinstance(exc, DocumentError) else f"{source}: cannot be read ({exc.strerror or exc})"
            if previous and old and old["doc_id"] in previous.documents:
                # Never lose a document to a bad edit or a vanished file: its last good version stays.
                documents[old["doc_id"]] = previous.documents[old["doc_id"]]
                kept += previous_positions.get(old["doc_id"], [])
                files[source] = old
                report.kept[source] = message
            else:
                report.errors[source] = message
            continue
        documents[document.doc_id] = document
        fresh_chunks.extend(chunks)
        files[source] = {"sha256": digest, "content": content, "doc_id": document.doc_id, "chunks": len(chunks),
                         "bytes": size, "reader": READER_VERSION}
        (report.updated if old else report.added).append(source)
    report.removed = sorted(set(old_files) - set(files))
    chunk_vectors, sentence_vectors, answer_vectors = _embed(fresh_chunks, embedder, progress)
    chunks = fresh_chunks
    if kept:
        rows = [row for position in kept for row in previous.sentence_rows(position)]
        chunks = [previous.chunks[position] for position in kept] + fresh_chunks
        chunk_vectors = np.vstack([previous.chunk_vectors[kept], chunk_vectors])
        sentence_vectors = np.vstack([previous.sentence_vectors[rows], sentence_vectors])
        answer_vectors = np.vstack([previous.answer_vectors[rows], answer_vectors])
    model = {**embedder.identity, "passages": embedder.passage_encoder}  # which encoder made the vectors
    manifest = new_manifest(model, chunk_chars, files, {**report.errors, **report.kept})
    chunk_vectors = chunk_vectors.astype(np.float32)
    table = ChunkTable.build(documents, chunks, chunk_vectors, probe_vectors(embedder), chunk_chars)
    index = Index(manifest, documents, chunks, chunk_vectors, sentence_vectors.astype(VECTOR_DTYPE),
                  answer_vectors.astype(VECTOR_DTYPE), table)
    moved = _apply(seeds, changes, {*report.added, *report.updated})
    try:
        if (report.changed or previous is None or previous.manifest.get("errors") != manifest["errors"]
                or previous.manifest["files"] != files):  # files re-read by a newer reader
            index.save(folder)
        else:
            index.manifest = previous.manifest
    except BaseException:
        _undo(moved)
        raise
    report.chunks = len(chunks)
    report.seconds = time.perf_counter() - began
    return index, report


def new_manifest(model: dict, chunk_chars: int, files: dict[str, dict], errors: dict[str, str]) -> dict:
    """What an index records of how it was made (`Index.save` adds its files' rows and checksums)."""
    return {
        "format": FORMAT_VERSION,
        "model": model,
        "answer_encoder": AnswerEncoder.identity(),
        "chunker": {"version": CHUNKER_VERSION, "chunk_chars": chunk_chars},
        "files": files,
        "errors": errors,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


class DuplicateDocument(DocumentError):
    """A file whose content is already in the library under another name."""


def _apply(seeds: Path, changes: SeedChanges, indexed: set[str]) -> list[tuple[Path, Path]]:
    """Move staged files that were read (`indexed`) into place and withdrawn ones to the trash, before the
    index that reflects it is saved: a crash in between leaves files the next build picks up.
    Returns the moves (from, to), so they can be undone if the save fails."""
    moves = []
    for source, staged in changes.staged.items():
        if source in indexed:
            moves.append((staged, seeds / source))
    for source in changes.withdrawn:
        original = seeds / source
        for path in (original, sidecar_of(original)):
            if path.exists():
                moves.append((path, _trash_path(seeds, path.relative_to(seeds).as_posix())))
    done = []
    for origin, target in moves:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(origin, target)
        done.append((origin, target))
    return done


def _undo(moves: list[tuple[Path, Path]]) -> None:
    for origin, target in reversed(moves):
        os.replace(target, origin)


def _trash_path(seeds: Path, source: str) -> Path:
    """Where a removed file is kept: seeds/.removed/<source>, with a time stamp if that is taken."""
    target = seeds / TRASH / source
    if target.exists():
        target = target.with_name(f"{target.stem}.{time.strftime('%Y%m%d-%H%M%S')}{target.suffix}")
    return target


def _remove_debris(folder: Path) -> None:
    """Staging and retired folders of builds that were killed (only a build holding the lock writes them)."""
    for pattern in (f".{folder.name}.tmp-*", f".{folder.name}.old-*"):
        for path in folder.parent.glob(pattern):
            shutil.rmtree(path, ignore_errors=True)


def _reusable(folder: Path, identity: dict, chunk_chars: int) -> tuple[Index | None, str | None]:
    """The existing index if its vectors can be reused (else None: a full rebuild), and why a
    damaged index is being rebuilt."""
    try:
        index = Index.load(folder)
        index.check_compatible(identity)
    except IndexDamaged as exc:
        return None, str(exc).split("; rebuild", 1)[0]
    except IndexLoadError:
        return None, None
    if index.manifest["chunker"].get("chunk_chars") != chunk_chars:
        return None, None
    return index, None


def _embed(chunks: list[Chunk], embedder, progress: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The chunks' vectors, their sentences' vectors, and the sentences' answer-encoder vectors.
    A sentence two chunks overlap on is embedded once."""
    dimension = embedder.dimension
    if not chunks:
        return (np.zeros((0, dimension), np.float32), np.zeros((0, dimension), np.float32),
                np.zeros((0, AnswerEncoder.dimension), np.float32))
    if progress:
        print(f"embedding {len(chunks)} chunks of {len({chunk.doc_id for chunk in chunks})} documents", file=sys.stderr)
    chunk_vectors = embedder.embed_passages([passage_text(c) for c in chunks], progress=progress)
    sentences = [text for chunk in chunks for text in embedded_sentence_texts(chunk)]
    distinct = list(dict.fromkeys(sentences))
    row_of = {text: row for row, text in enumerate(distinct)}
    rows = np.array([row_of[text] for text in sentences], dtype=np.int64)
    if progress:
        print(f"embedding {len(distinct)} sentences", file=sys.stderr)
    sentence_vectors = embedder.embed_passages(distinct, progress=progress)[rows]
    if progress:
        print(f"reading {len(distinct)} sentences with the answer encoder", file=sys.stderr)
    return chunk_vectors, sentence_vectors, AnswerEncoder.for_indexing().embed(distinct)[rows]
