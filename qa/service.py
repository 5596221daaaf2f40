"""One library served to many requests at once: ask, search, and change the library while serving.

The app holds one `QAService`. Questions run concurrently on the retriever of the moment; a
change to the library (`add`, `remove`, `refresh`) builds the new index under the index lock
while questions keep using the old one, then switches in one assignment.
"""

from __future__ import annotations

from pathlib import Path

from qa.answer import Answer, ask
from qa.config import Config, checked_top_k
from qa.embedding import Embedder, load_reranker
from qa.index import BuildReport, Index
from qa.library import Library, entries
from qa.retrieval import Hit, Retriever


class QAService:
    def __init__(self, config: Config):
        self.config = config
        self.embedder = Embedder.from_config(config)
        self.reranker = load_reranker(config.reranker)
        self.library = Library(config.seeds, config.index, self.embedder, config.chunk_chars, config.max_text_mb)
        self.retriever: Retriever | None = None
        self.last_report: BuildReport | None = None

    def refresh(self, progress: bool = False) -> BuildReport:
        """Build the index, or update it for what changed in the seeds folder."""
        return self._serve(*self.library.refresh(progress))

    def add_document(self, upload: Path, replace: bool = False, name: str | None = None,
                     progress: bool = False) -> BuildReport:
        """Add a file to the library (see `Library.add`); a `LibraryError` changes nothing."""
        return self._serve(*self.library.add(upload, replace=replace, name=name, progress=progress))

    def remove_document(self, doc_id: str) -> BuildReport:
        return self._serve(*self.library.remove(doc_id))

    def ask(self, question: str, top_k: int | None = None) -> Answer:
        return ask(self._ready(), question, checked_top_k(self.config.top_k if top_k is None else top_k))

    def search(self, question: str, top_k: int | None = None) -> list[Hit]:
        return self._ready().search(question, checked_top_k(self.config.top_k if top_k is None else top_k))

    def index(self) -> Index:
        """The index questions are answered from now."""
        return self._ready().index

    def doc_ids(self) -> list[str]:
        return [entry.doc_id for entry in entries(self.index())]

    def _serve(self, index: Index, report: BuildReport) -> BuildReport:
        retriever = Retriever(index, self.embedder, self.config.method, reranker=self.reranker,
                              question_limit=self.config.max_question_chars)
        self.retriever = retriever  # one assignment: a question sees the old index or the new one
        self.last_report = report
        return report

    def _ready(self) -> Retriever:
        retriever = self.retriever
        if retriever is None:
            self.refresh()
            retriever = self.retriever
        return retriever
