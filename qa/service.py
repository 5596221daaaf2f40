"""One index served to many requests: ask, search, and add documents while serving.

The app holds one `QAService`. Adding a document copies it into the seeds folder and updates
the index (only the new file is embedded); searches keep using the old index until the new
one is ready, then switch in one assignment.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from qa.answer import Answer, ask
from qa.config import Config
from qa.document import Document
from qa.embedding import Embedder, load_reranker
from qa.index import BuildReport, build_index
from qa.reading import META_SUFFIX, SUPPORTED_SUFFIXES, DocumentError
from qa.retrieval import Hit, Retriever


class QAService:
    def __init__(self, config: Config):
        self.config = config
        self.embedder = Embedder.from_config(config)
        self.reranker = load_reranker(config.reranker)
        self._build_lock = threading.Lock()
        self.retriever: Retriever | None = None
        self.last_report: BuildReport | None = None

    def refresh(self, progress: bool = True) -> BuildReport:
        """Build the index, or update it for what changed in the seeds folder."""
        with self._build_lock:
            index, report = build_index(self.config.seeds, self.config.index, self.embedder,
                                        self.config.chunk_chars, progress=progress)
            self.retriever = Retriever(index, self.embedder, self.config.method, reranker=self.reranker)
            self.last_report = report
            return report

    def ask(self, question: str, top_k: int | None = None) -> Answer:
        return ask(self._ready(), question, top_k or self.config.top_k)

    def search(self, question: str, top_k: int | None = None) -> list[Hit]:
        return self._ready().search(question, top_k or self.config.top_k)

    def documents(self) -> list[Document]:
        return list(self._ready().index.documents.values())

    def add_document(self, upload: Path, progress: bool = True) -> BuildReport:
        """Copy an uploaded file into the seeds folder and index it; refuses what cannot be read."""
        upload = Path(upload)
        if upload.suffix.lower() not in SUPPORTED_SUFFIXES:
            supported = ", ".join(SUPPORTED_SUFFIXES)
            raise DocumentError(f"{upload.name}: unsupported format {upload.suffix or '(none)'} (supported: {supported})")
        if upload.name.endswith(META_SUFFIX):
            raise DocumentError(f"{upload.name}: a metadata sidecar, not a document")
        target = Path(self.config.seeds) / upload.name
        existed = target.exists()
        previous = target.read_bytes() if existed else None
        shutil.copyfile(upload, target)
        report = self.refresh(progress)
        source = target.relative_to(self.config.seeds).as_posix()
        if source in report.errors:
            # Nothing is lost: the unreadable file goes away and any earlier version comes back.
            if previous is None:
                target.unlink()
            else:
                target.write_bytes(previous)
            self.refresh(progress=False)
            raise DocumentError(report.errors[source])
        return report

    def _ready(self) -> Retriever:
        if self.retriever is None:
            self.refresh(progress=False)
        return self.retriever
