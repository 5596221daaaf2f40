"""The library: the documents in the seeds folder and the index over them, changed together.

`add`, `remove` and `refresh` are the one code path for the CLI and the app. A refusal
(`LibraryError`) changes nothing, on disk or in the index. An added file is checked and read
on its own first, then staged outside the scan and moved into the seeds folder with the index
update that holds it; a replaced file stays as it was until its successor is indexed; a removed
file goes to `seeds/.removed/`, never deleted.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from qa.index import INCOMING, BuildReport, Index, SeedChanges, build_index
from qa.locking import index_lock
from qa.readers import (
    META_SUFFIX,
    SUPPORTED_SUFFIXES,
    DocumentError,
    check_size,
    printable_name,
    read_document,
)


class LibraryError(ValueError):
    """A change to the library that was refused; the message says why, and nothing changed."""


class NameTaken(LibraryError):
    """A document of that name is in the library already and replacing it was not asked for."""


@dataclass(frozen=True)
class Entry:
    """One document of the library as `list` shows it."""

    doc_id: str
    source: str
    title: str
    format: str
    lang: str
    pages: int
    chunks: int
    bytes: int
    ocr_pages: int = 0  # pages whose text was read from their image

    def to_dict(self) -> dict:
        return dict(self.__dict__)


class Library:
    """`embedder` is an `Embedder`, or a function that loads one: then a refused change
    answers at once, without waiting for the model."""

    def __init__(self, seeds: Path, index: Path, embedder, chunk_chars: int = 400, max_text_mb: float = 20,
                 max_file_mb: float = 200):
        self.seeds = Path(seeds)
        self.index = Path(index)
        self._embedder = embedder
        self.chunk_chars = chunk_chars
        self.max_text_mb = max_text_mb
        self.max_file_mb = max_file_mb

    @functools.cached_property
    def embedder(self):
        return self._embedder() if callable(self._embedder) else self._embedder

    def refresh(self, progress: bool = False, changes: SeedChanges | None = None) -> tuple[Index, BuildReport]:
        """Bring the index up to date with the seeds folder (repairing it if it is damaged)."""
        return build_index(self.seeds, self.index, self.embedder, self.chunk_chars, progress=progress,
                           changes=changes, max_text_mb=self.max_text_mb,
                           max_file_mb=self.max_file_mb)

    def add(self, file: Path, replace: bool = False, name: str | None = None,
            progress: bool = False) -> tuple[Index, BuildReport]:
        """Add `file` to the library as `name` (default: its own name); `replace` allows a
        document of that name to be replaced. A `LibraryError` when it cannot be added."""
        file = Path(file)
        name = checked_name(name or file.name)
        if not file.is_file():
            raise LibraryError(f"{file}: no such file")
        try:
            check_size(file.stat().st_size, name, self.max_text_mb, self.max_file_mb)
            data = file.read_bytes()
        except OSError as exc:
            raise LibraryError(f"{name}: cannot be read ({exc.strerror or exc})") from exc
        except DocumentError as exc:
            raise LibraryError(str(exc)) from exc
        with index_lock(self.index, quiet=not progress):
            target = self.seeds / name
            files = indexed_files(self.index)
            if target.is_symlink():
                raise LibraryError(f"{name}: seeds/{name} is a symbolic link; a document is never written through one")
            if target.exists() and not replace:
                raise NameTaken(f"{name} is already in the library: add it with --replace to replace it")
            content = hashlib.sha256(data).hexdigest()
            twin = next((source for source, entry in files.items() if entry.get("content") == content), None)
            if twin is not None and twin != name:
                raise LibraryError(f"{name}: same content as {twin}, which is in the library (doc_id {files[twin]['doc_id']})")
            self.seeds.mkdir(parents=True, exist_ok=True)
            incoming = self.seeds / INCOMING
            incoming.mkdir(exist_ok=True)
            staging = Path(tempfile.mkdtemp(dir=incoming))
            try:
                staged = staging / name
                staged.write_bytes(data)
                try:  # read once before the build, so a refusal needs no model and touches no index
                    read_document(staged, source=name)
                except DocumentError as exc:
                    raise LibraryError(str(exc)) from exc
                index, report = self.refresh(progress, SeedChanges(staged={name: staged}))
                problem = report.errors.get(name) or report.kept.get(name)
                if problem:
                    raise LibraryError(problem)
                return index, report
            finally:
                shutil.rmtree(staging, ignore_errors=True)

    def remove(self, doc_id: str, progress: bool = False) -> tuple[Index, BuildReport]:
        """Take a document (by doc_id or file name) out of the library; its file goes to seeds/.removed/."""
        with index_lock(self.index, quiet=not progress):
            files = indexed_files(self.index)
            source = next((s for s, entry in files.items() if doc_id in (entry["doc_id"], s)), None)
            if source is None:
                raise LibraryError(f"no document {doc_id!r} in the library (`python -m qa list` shows them)")
            return self.refresh(progress, SeedChanges(withdrawn={source}))


def checked_name(name: str) -> str:
    """A file name that can go into the seeds folder as it is, else a `LibraryError`."""
    shown = printable_name(name)
    if shown != name:
        raise LibraryError(f"{shown}: the file name is not valid UTF-8; rename the file")
    if not name or "/" in name or "\\" in name or "\0" in name or name in (".", ".."):
        raise LibraryError(f"{name!r}: a document name must be a plain file name inside seeds/")
    if name.startswith("."):
        raise LibraryError(f"{name}: a name starting with '.' is hidden and would not be indexed")
    if name.endswith(META_SUFFIX):
        raise LibraryError(f"{name}: a metadata sidecar, not a document")
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LibraryError(f"{name}: unsupported format {suffix or '(none)'} (supported: {', '.join(SUPPORTED_SUFFIXES)})")
    return name


def indexed_files(folder: Path) -> dict[str, dict]:
    """What the index at `folder` holds by source file, from its manifest ({} if there is none)."""
    try:
        return json.loads((Path(folder) / "manifest.json").read_text()).get("files", {})
    except (OSError, ValueError, AttributeError):
        return {}


def entries(index: Index) -> list[Entry]:
    """The library's documents, in the order of their file names."""
    rows = []
    for source, entry in sorted(index.manifest["files"].items()):
        document = index.documents.get(entry["doc_id"])
        if document is None:
            continue
        rows.append(Entry(document.doc_id, source, document.title, Path(source).suffix.lstrip(".").lower(),
                          document.lang, len(document.pages) if document.paged else 0, entry["chunks"],
                          entry.get("bytes", 0), sum(page.ocr for page in document.pages)))
    return rows

