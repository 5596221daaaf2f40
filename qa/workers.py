"""Questions answered in worker processes, so that a server answers on all its cores.

One Python process answers on about one core however many threads it runs: ranking is Python
under one interpreter lock. `AnswerProcesses` keeps a few processes, each with its own model
and retriever over the index on disk (or in Milvus, `qa.store`). A process reloads the index
when its manifest changes (a library change made by the app's own process; in Milvus, a new
build published) and answers from the index it has until the
new one has loaded whole, so a question never sees half of a change.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from qa.answer import Answer, ask
from qa.config import Config
from qa.embedding import Embedder, load_reranker
from qa.index import IndexLoadError
from qa.retrieval import Hit, Retriever
from qa.store import open_store, version


class AnswerProcesses:
    """`processes` worker processes answering `ask` and `search`; each call waits for its result."""

    def __init__(self, config: Config, processes: int):
        self.config = config
        self.processes = processes
        # The cores are shared out: two processes each running two BLAS threads on two cores
        # answered half as fast as with one thread each (benchmarks/load.py).
        self.threads = max(1, (os.cpu_count() or 1) // processes)
        self._lock = threading.Lock()
        self._pool = self._start()
        # Start every process now (the pool would start them one by one as questions come), so
        # the models load while the app builds its index.
        self._warming = [self._pool.submit(_warm) for _ in range(processes)]

    def wait_ready(self) -> None:
        """Wait until every process has its model and the index; a worker's failure is raised here."""
        for future in self._warming:
            future.result()

    def ask(self, question: str, top_k: int, doc_ids: list[str] | None = None) -> Answer:
        return self._call(_ask, question, top_k, doc_ids)

    def search(self, question: str, top_k: int, doc_ids: list[str] | None = None) -> list[Hit]:
        return self._call(_search, question, top_k, doc_ids)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _start(self) -> ProcessPoolExecutor:
        # spawn, not fork: a forked copy of a process that runs threads (Gradio's, torch's) can deadlock.
        return ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_start_worker, initargs=(self.config, self.threads))

    def _call(self, function, *args):
        pool = self._pool
        try:
            return pool.submit(function, *args).result()
        except BrokenProcessPool:
            # A worker died (killed, out of memory): start fresh ones and ask once more.
            with self._lock:
                if self._pool is pool:
                    self._pool = self._start()
            return self._pool.submit(function, *args).result()


class _Worker:
    """What one worker process holds: the model, and a retriever over the index as it was last loaded."""

    def __init__(self, config: Config, threads: int):
        self.config = config
        # The cores are shared out among the processes, torch's threads included should it load.
        self.embedder = Embedder.from_config(config, torch_threads=threads)
        self.reranker = load_reranker(config.reranker)
        self.retriever: Retriever | None = None
        self.stamp: tuple | None = None

    def retriever_now(self) -> Retriever:
        stamp = version(self.config)
        if stamp != self.stamp:
            try:
                index = open_store(self.config)
            except IndexLoadError:
                # Met mid-swap, or damaged until the app's next build repairs it: the index this
                # process has stays in use; with none yet, the question gets the reason.
                if self.retriever is None:
                    raise
                return self.retriever
            self.retriever = Retriever.from_config(index, self.embedder, self.config, self.reranker)
            self.stamp = stamp
        return self.retriever


_worker: _Worker | None = None


def _start_worker(config: Config, threads: int) -> None:
    from threadpoolctl import threadpool_limits

    # numpy's BLAS (the question encoder's matrix products) to the process's share of the cores:
    # two processes each spinning two BLAS threads on two cores answered at half the rate.
    threadpool_limits(threads)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    global _worker
    _worker = _Worker(config, threads)


def _exit_with_parent(parent: int) -> None:
    """A worker whose app was killed would wait for questions forever, holding its memory."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def _warm() -> None:
    try:
        _worker.retriever_now()
    except IndexLoadError:
        pass  # not built yet: the first question loads it


def _ask(question: str, top_k: int, doc_ids: list[str] | None) -> Answer:
    return ask(_worker.retriever_now(), question, top_k, doc_ids)


def _search(question: str, top_k: int, doc_ids: list[str] | None) -> list[Hit]:
    return _worker.retriever_now().search(question, top_k, doc_ids)
