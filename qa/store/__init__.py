"""Where a library's index is read from when questions are asked: one small interface (`Store`),
two implementations.

- embedded, the default: `qa.index.Index`, FAISS and files in the index folder, memory-mapped;
- Milvus (`qa.store.milvus`): the same index published into a Milvus server's collections by
  `python -m qa index --store URI`, so that processes on any machine answer from it with no
  index files of their own (`--store URI` or `QA_STORE` for search, ask and the app).

The index is always built where the documents are (`qa.index.build_index`, incremental, never
losing a document); a Milvus library is a published copy of it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.chunk_table import ChunkTable
from qa.chunking import Chunk
from qa.config import Config
from qa.document import Document
from qa.index import Index
from qa.lexical import Postings


class Store(Protocol):
    """What the retriever and the answer read of an index, wherever it is."""

    manifest: dict  # how the index was made (`qa.index.new_manifest`), its files and row counts
    documents: Mapping[str, Document]
    chunks: Sequence[Chunk]  # by position
    table: ChunkTable  # what ranking knows of every chunk
    lexical: Postings  # BM25: vocabulary, IDF, posting lists
    exhaustive: bool  # whether every chunk can be scored for a question (else: candidates only)

    def __len__(self) -> int: ...

    def check_compatible(self, identity: dict) -> None: ...

    def nearest(self, query_vector: np.ndarray, count: int) -> np.ndarray: ...

    def vectors_at(self, positions: np.ndarray) -> np.ndarray: ...

    def chunks_at(self, positions) -> list[Chunk]: ...

    def sentence_rows(self, position: int) -> range: ...

    def sentence_vectors_at(self, rows: Sequence[int]) -> tuple[np.ndarray, np.ndarray]: ...


def open_store(config: Config) -> Store:
    """The library questions are answered from: in Milvus with `config.store`, else the index folder."""
    if not config.store:
        return Index.load(config.index)
    from qa.store import milvus  # pymilvus is imported only by those who use it

    return milvus.MilvusStore.open(config.store, library_name(config.index), config.store_token)


def publish(index: Index, config: Config, progress: bool = False) -> str | None:
    """Make `index` the library `config.store` serves (None without a store): the build's name."""
    if not config.store:
        return None
    from qa.store import milvus

    return milvus.publish(index, config.store, library_name(config.index), progress, config.store_token)


def library_name(index_folder: Path) -> str:
    """A library's name in a store, from its index folder's (`index/default` → `qa_default`)."""
    return "qa_" + re.sub(r"[^0-9A-Za-z_]", "_", Path(index_folder).name)


def version(config: Config) -> object:
    """What changes whenever the library questions are answered from changes (None: there is none)."""
    if config.store:
        from qa.store import milvus

        return milvus.current_build(config.store, library_name(config.index), config.store_token)
    try:
        status = (Path(config.index) / "manifest.json").stat()  # a new file at every save
    except OSError:
        return None
    return status.st_ino, status.st_mtime_ns, status.st_size
