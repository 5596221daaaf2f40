"""One library served to many requests at once: ask, search, and change the library while serving.

The app holds one `QAService`. Questions run concurrently on the retriever of the moment, in
this process or in answering processes (`qa.workers`); a change to the library (`add`,
`remove`, `refresh`) builds the new index under the index lock while questions keep using the
old one, then switches in one assignment (the processes switch when they see its manifest).
"""

from __future__ import annotations

from pathlib import Path

from qa.answer import Answer, ask
from qa.config import Config, checked_top_k
from qa.document import DocumentError
from qa.embedding import Embedder, load_reranker
from qa.index import BuildReport
from qa.library import Library, LibraryError, entries
from qa.pageview import PageImage, page_images
from qa.retrieval import Hit, Retriever
from qa.store import Store, open_store, version
from qa.workers import AnswerProcesses


class QAService:
    """`processes` > 1 answers questions in that many processes; else in this one."""

    def __init__(self, config: Config, processes: int = 1):
        self.config = config
        self.embedder = Embedder.from_config(config)  # first, so the processes find the model built
        self.reranker = load_reranker(config.reranker)
        self.library = Library(config.seeds, config.index, self.embedder, config.chunk_chars, config.max_text_mb,
                               config.max_file_mb)
        self.answering = AnswerProcesses(config, processes) if processes > 1 else None
        self.retriever: Retriever | None = None
        self.current: Store | None = None
        self.last_report: BuildReport | None = None

    def refresh(self, progress: bool = False) -> BuildReport:
        """Build the index, or update it for what changed in the seeds folder; with a store,
        read the library published there as it is now."""
        if self.config.store:
            return self._serve(open_store(self.config), BuildReport())
        return self._serve(*self.library.refresh(progress))

    def add_document(self, upload: Path, replace: bool = False, name: str | None = None,
                     progress: bool = False) -> BuildReport:
        """Add a file to the library (see `Library.add`); a `LibraryError` changes nothing."""
        self._check_changeable()
        return self._serve(*self.library.add(upload, replace=replace, name=name, progress=progress))

    def remove_document(self, doc_id: str) -> BuildReport:
        self._check_changeable()
        return self._serve(*self.library.remove(doc_id))

    def _check_changeable(self) -> None:
        if self.config.store:
            raise LibraryError(f"this app answers from the library published to {self.config.store}; change it "
                               "where it is built: `python -m qa add FILE --store URI` (or `remove`)")

    def ask(self, question: str, top_k: int | None = None, doc_ids: list[str] | None = None) -> Answer:
        top_k = checked_top_k(self.config.top_k if top_k is None else top_k)
        if self.answering:
            return self.answering.ask(question, top_k, doc_ids)
        return ask(self._ready(), question, top_k, doc_ids)

    def search(self, question: str, top_k: int | None = None, doc_ids: list[str] | None = None) -> list[Hit]:
        top_k = checked_top_k(self.config.top_k if top_k is None else top_k)
        if self.answering:
            return self.answering.search(question, top_k, doc_ids)
        return self._ready().search(question, top_k, doc_ids)

    def page_images(self, doc_id: str, start: int, end: int) -> list[PageImage]:
        """The PDF pages `start:end` of a document's text was printed on, the quote boxed; a
        `DocumentError` (a ValueError) when the document is not a PDF or its file changed."""
        index = self.index()
        document = index.documents.get(doc_id)
        if document is None:
            raise DocumentError(f"{doc_id}: not in the library")
        content = index.manifest["files"].get(document.source, {}).get("content")
        return page_images(document, self.config.seeds / document.source, start, end, content)

    def index(self) -> Store:
        """The index questions are answered from now."""
        if self.current is None or self._published_since():
            self.refresh()
        return self.current

    def doc_ids(self) -> list[str]:
        return [entry.doc_id for entry in entries(self.index())]

    def close(self) -> None:
        if self.answering:
            self.answering.close()

    def _serve(self, index: Store, report: BuildReport) -> BuildReport:
        if not self.answering:
            # One assignment: a question sees the old index or the new one.
            self.retriever = Retriever.from_config(index, self.embedder, self.config, self.reranker)
        self.current = index
        self.last_report = report
        return report

    def _ready(self) -> Retriever:
        retriever = self.retriever
        if retriever is None or self._published_since():
            self.refresh()
            retriever = self.retriever
        return retriever

    def _published_since(self) -> bool:
        """Whether the store holds a newer build of the library than the one being served (another
        machine published it); the answering processes check for themselves (`qa.workers`)."""
        return bool(self.config.store) and self.current is not None and version(self.config) != self.current.build
