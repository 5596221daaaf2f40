"""A library in Milvus: everything a question needs, in collections any number of processes on
any machines can share, with no index files where they run.

`publish` copies a built index (`qa.index.Index`, the library's source of truth, built and
updated where its documents are) into four collections named for the build,
`<library>_<build>_{files,chunks,sentences,terms}`, then points the alias `<library>` at the new
files collection and drops the collections of older builds: a reader sees one build or the next.

- `chunks`: one row per chunk, by position: its record (JSON) and its vector, searched (FLAT
  inner product, HNSW above `HNSW_ABOVE` chunks with the embedded index's parameters) and as
  bytes, for scoring candidates (Milvus returns float vectors as lists, twice as slow to read);
- `sentences`: one row per sentence: its e5 and its answer-encoder vectors as the float16 bytes
  the embedded index holds (read by row, never searched);
- `terms`: one row per search term: its BM25 posting list as a sparse vector over chunk positions
  with the project's own weights (jieba, the stemmer and the dictionary bridge make the terms, so
  Milvus's own analyzers are not used). A Milvus without sparse vectors (before 2.4) gets them in
  the files collection instead and a question scores BM25 in its own process, with a warning;
- `files`: the manifest, the documents' records and the per-chunk facts (`qa.chunk_table`),
  stored as parts of bytes (Milvus has no blob type, and milvus-lite no binary vectors; each
  collection needs a vector field, so these rows and the sentences carry a 2-d placeholder).

`MilvusStore` answers the retriever's questions of a store (`qa.store.Store`) from them.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import io
import json
import logging
import re
import sys
import tempfile
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from qa.chunk_table import ChunkTable
from qa.chunking import Chunk
from qa.document import Document, document_from_dict, document_to_dict
from qa.index import HNSW, HNSW_ABOVE, Index, IndexLoadError, check_compatible, chunk_from_dict
from qa.lexical import ArrayPostings, Postings

PART_BYTES = 48_000  # of a stored file per row: its base64 fits Milvus's longest VARCHAR (65,535)
RECORD_BYTES = 65_535
ROWS_PER_INSERT = 500
POSTINGS_PER_INSERT = 500_000  # sparse entries per insert call, well within gRPC's 64 MB
IDS_PER_QUERY = 4096
CACHED = 4096  # chunk records (and a sixteenth as many documents) a store keeps once read
TABLE_FILES = ("table.npz", "table.json")


class StoreError(IndexLoadError):
    """A Milvus server that cannot be reached, a library it does not hold, or a failed call."""


@functools.cache  # one client, and its gRPC channel, per server and process
def connect(uri: str, token: str = ""):
    """A client of the Milvus server at `uri`; `token` is USER:PASSWORD or an API key where it asks for one."""
    from pymilvus import MilvusClient
    from pymilvus.exceptions import MilvusException

    # pymilvus logs every failed call with its traceback; this module says what failed instead.
    logging.getLogger("pymilvus").setLevel(logging.CRITICAL)
    try:
        # A channel of its own, not the one pymilvus shares per address with every client of the process:
        # a shared one the server had sent away while idle ("too_many_pings") failed a later connection.
        return MilvusClient(uri=uri, token=token, timeout=10, dedicated=True)
    except (MilvusException, OSError, ValueError) as exc:
        raise StoreError(f"cannot reach Milvus at {uri}: {_reason(exc)}") from None


def _reason(exc: Exception) -> str:
    return getattr(exc, "message", None) or str(exc) or type(exc).__name__


# ---------------------------------------------------------------- publishing


def build_id(index: Index) -> str:
    """Names a build by what it holds: the same index published twice is one build."""
    return hashlib.sha256(json.dumps(index.manifest["checksums"], sort_keys=True).encode()).hexdigest()[:12]


def publish(index: Index, uri: str, library: str, progress: bool = False, token: str = "") -> str:
    """Copy `index` into Milvus at `uri` as `library` and make it the one questions read; the
    build's name, or the same name at once when that build is published already."""
    from pymilvus.exceptions import MilvusException

    client = connect(uri, token)
    build = build_id(index)
    try:
        current = _current_build(client, library)
        if current == build:
            return build
        prefix = f"{library}_{build}"
        for leftover in (name for name in client.list_collections() if name.startswith(prefix + "_")):
            client.drop_collection(leftover)  # of a publish that was cut short
        terms = _create_terms(client, prefix, index)
        sparse = terms is not None
        if not sparse:
            print(f"warning: the Milvus server at {uri} has no sparse vectors (Milvus before 2.4): BM25 "
                  "postings are stored as files and each question scores them in its own process", file=sys.stderr)
        rows = [_create_files(client, prefix, index, sparse), _create_chunks(client, prefix, index),
                _create_sentences(client, prefix, index), *((terms,) if sparse else ())]
        for name, count in zip(_collections(prefix, sparse), rows):
            client.flush(name)
            _await_rows(client, name, count)
        # One alias names the build questions read: switching it switches the whole library.
        (client.create_alias if current is None else client.alter_alias)(f"{prefix}_files", library)
        for name in client.list_collections():
            if _is_build(name, library) and not name.startswith(prefix + "_"):
                client.drop_collection(name)
    except MilvusException as exc:
        raise StoreError(f"publishing to Milvus at {uri} failed: {_reason(exc)}") from None
    if progress:
        print(f"published {len(index)} chunks to Milvus at {uri} as {library} (build {build})", file=sys.stderr)
    return build


def _is_build(name: str, library: str) -> bool:
    return re.fullmatch(rf"{re.escape(library)}_[0-9a-f]{{12}}_(files|chunks|sentences|terms)", name) is not None


def _collections(prefix: str, sparse: bool) -> list[str]:
    return [f"{prefix}_{part}" for part in ("files", "chunks", "sentences", *(("terms",) if sparse else ()))]


def current_build(uri: str, library: str, token: str = "") -> str | None:
    """The build of `library` questions read now (None: none is published)."""
    from pymilvus.exceptions import MilvusException

    try:
        return _current_build(connect(uri, token), library)
    except MilvusException as exc:
        raise StoreError(f"reading {library} from Milvus at {uri} failed: {_reason(exc)}") from None


def _current_build(client, library: str) -> str | None:
    from pymilvus.exceptions import MilvusException

    try:
        target = client.describe_alias(library)["collection_name"]
    except MilvusException:
        return None
    return target.removeprefix(library + "_").removesuffix("_files")


def _schema(client, fields: list[tuple]):
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False)
    for name, kind, options in fields:
        schema.add_field(name, getattr(DataType, kind), **options)
    return schema


def _create(client, name: str, fields: list[tuple], indexes: list[tuple[str, str, str, dict]]) -> None:
    params = client.prepare_index_params()
    for field, kind, metric, options in indexes:
        params.add_index(field, index_type=kind, metric_type=metric, params=options)
    # Bounded consistency (Milvus's default): a strong read waits 200 ms on Milvus 2.3; `_await_rows` makes
    # a build whole to bounded reads before questions are pointed at it.
    client.create_collection(name, schema=_schema(client, fields), index_params=params, consistency_level="Bounded")


def _insert(client, name: str, rows: Iterable[dict], batch: int = ROWS_PER_INSERT) -> int:
    pending: list[dict] = []
    count = 0
    for row in rows:
        pending.append(row)
        count += 1
        if len(pending) == batch:
            client.insert(name, pending)
            pending = []
    if pending:
        client.insert(name, pending)
    return count


def _await_rows(client, name: str, count: int, seconds: float = 120) -> None:
    """Wait until a bounded-consistency read sees all `count` rows of `name` (a few seconds at most)."""
    deadline = time.monotonic() + seconds
    while True:
        [row] = client.query(name, filter="", output_fields=["count(*)"], consistency_level="Bounded")
        if row["count(*)"] >= count:
            return
        if time.monotonic() > deadline:
            raise StoreError(f"Milvus shows {row['count(*)']} of the {count} rows written to {name} "
                             f"after {seconds:.0f} s")
        time.sleep(0.2)


def _create_files(client, prefix: str, index: Index, sparse: bool) -> int:
    name = f"{prefix}_files"
    _create(client, name, [("key", "VARCHAR", {"is_primary": True, "max_length": 512}),
                           ("name", "VARCHAR", {"max_length": 512}), ("part", "INT64", {}),
                           ("data", "VARCHAR", {"max_length": RECORD_BYTES}),
                           ("placeholder", "FLOAT_VECTOR", {"dim": 2})],
            [("placeholder", "FLAT", "L2", {})])
    return _insert(client, name, (row for file, data in _files_of(index, sparse) for row in _parts(file, data)),
                   batch=200)


def _files_of(index: Index, sparse: bool) -> Iterator[tuple[str, bytes]]:
    doc_ids = list(index.documents)
    yield "documents.ids.json", json.dumps(doc_ids, ensure_ascii=False).encode()
    for number, doc_id in enumerate(doc_ids):
        yield f"documents/{number}", json.dumps(document_to_dict(index.documents[doc_id]), ensure_ascii=False).encode()
    with tempfile.TemporaryDirectory() as folder:
        index.table.save(Path(folder))
        for file in TABLE_FILES:
            yield file, (Path(folder) / file).read_bytes()
    lexical = index.lexical
    yield "layout.json", json.dumps({"sparse": sparse, "chunk_dimension": index.chunk_vectors.shape[1],
                                     "sentence_dimension": index.sentence_vectors.shape[1],
                                     "answer_dimension": index.answer_vectors.shape[1]}).encode()
    yield "lexical.json", json.dumps({"vocabulary": lexical.vocabulary, "size": lexical.size},
                                     ensure_ascii=False).encode()
    yield "lexical.df.npy", _npy(np.asarray(lexical.document_frequency, np.int64))
    if not sparse:
        for part in ("indptr", "indices", "data"):
            yield f"lexical.{part}.npy", _npy(np.asarray(getattr(lexical, part)))
    yield "manifest.json", json.dumps(index.manifest, ensure_ascii=False).encode()


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _parts(file: str, data: bytes) -> Iterator[dict]:
    for part, start in enumerate(range(0, max(len(data), 1), PART_BYTES)):
        yield {"key": f"{file}#{part}", "name": file, "part": part,
               "data": base64.b64encode(data[start:start + PART_BYTES]).decode("ascii"), "placeholder": [1.0, 0.0]}


def _dense_index(count: int) -> tuple[str, dict]:
    if count > HNSW_ABOVE:
        return "HNSW", {"M": HNSW["M"], "efConstruction": HNSW["efConstruction"]}
    return "FLAT", {}


def _create_chunks(client, prefix: str, index: Index) -> int:
    name = f"{prefix}_chunks"
    kind, options = _dense_index(len(index))
    dimension = int(index.chunk_vectors.shape[1])
    _create(client, name, [("position", "INT64", {"is_primary": True}),
                           ("record", "VARCHAR", {"max_length": RECORD_BYTES}),
                           ("vector", "FLOAT_VECTOR", {"dim": dimension}),
                           ("vector_bytes", "VARCHAR", {"max_length": _encoded_length(4 * dimension)})],
            [("vector", kind, "IP", options)])

    def rows():
        for position, chunk in enumerate(index.chunks):
            record = json.dumps(dataclasses.asdict(chunk), ensure_ascii=False)
            if len(record.encode()) > RECORD_BYTES:
                raise StoreError(f"{chunk.chunk_id}: its record ({len(record.encode())} bytes) is longer than a "
                                 f"Milvus text field holds ({RECORD_BYTES}); index with a smaller --chunk-chars")
            vector = np.asarray(index.chunk_vectors[position], np.float32)
            yield {"position": position, "record": record, "vector": vector, "vector_bytes": _encoded(vector)}

    return _insert(client, name, rows())


def _create_sentences(client, prefix: str, index: Index) -> int:
    name = f"{prefix}_sentences"
    width = 2 * (index.sentence_vectors.shape[1] + index.answer_vectors.shape[1])
    _create(client, name, [("row", "INT64", {"is_primary": True}),
                           ("vectors", "VARCHAR", {"max_length": _encoded_length(width)}),
                           ("placeholder", "FLOAT_VECTOR", {"dim": 2})],
            [("placeholder", "FLAT", "L2", {})])
    return _insert(client, name, ({"row": row, "placeholder": [1.0, 0.0], "vectors": _encoded(np.concatenate(
        [index.sentence_vectors[row], index.answer_vectors[row]]).astype(np.float16))}
        for row in range(len(index.sentence_vectors))), batch=1000)


def _encoded(vector: np.ndarray) -> str:
    """A vector's bytes as text: read back in a twentieth of the time Milvus's float lists take."""
    return base64.b64encode(vector.tobytes()).decode("ascii")


def _decoded(text: str, dtype) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=dtype)


def _encoded_length(size: int) -> int:
    return 4 * ((size + 2) // 3)


def _create_terms(client, prefix: str, index: Index) -> int | None:
    """The terms collection with each term's posting list, and its rows; None when the server has no
    sparse vectors."""
    from pymilvus.exceptions import MilvusException

    name = f"{prefix}_terms"
    try:
        _create(client, name, [("column", "INT64", {"is_primary": True}), ("postings", "SPARSE_FLOAT_VECTOR", {})],
                [("postings", "SPARSE_INVERTED_INDEX", "IP", {})])
    except MilvusException:
        if not _before_sparse(client):
            raise
        if client.has_collection(name):
            client.drop_collection(name)
        return None
    lexical = index.lexical
    batch, entries, count = [], 0, 0
    for column in range(len(lexical.indptr) - 1):
        [(rows, values)] = lexical.postings([column])
        if not len(rows):
            continue
        batch.append({"column": column, "postings": dict(zip(rows.tolist(), values.astype(float).tolist()))})
        entries += len(rows)
        count += 1
        if entries >= POSTINGS_PER_INSERT or len(batch) >= ROWS_PER_INSERT:
            client.insert(name, batch)
            batch, entries = [], 0
    if batch:
        client.insert(name, batch)
    return count


# ---------------------------------------------------------------- questions


def _before_sparse(client) -> bool:
    """Whether the server is a Milvus before 2.4, which has no sparse vectors (milvus-lite names itself otherwise)."""
    found = re.match(r"v?(\d+)\.(\d+)", client.get_server_version())
    return found is not None and (int(found[1]), int(found[2])) < (2, 4)


class MilvusStore:
    """A published library, read from Milvus: the manifest, the per-chunk facts and the
    vocabulary when opened; records and vectors when a question needs them."""

    exhaustive = False  # vectors stay in the server: questions score candidates (`qa.retrieval`)

    def __init__(self, client, uri: str, library: str, build: str):
        self.client, self.uri, self.library, self.build = client, uri, library, build
        prefix = f"{library}_{build}"
        self._files, self._chunks, self._sentences, self._terms = _collections(prefix, True)
        self.manifest = json.loads(self._file("manifest.json"))
        self.layout = json.loads(self._file("layout.json"))
        with tempfile.TemporaryDirectory() as folder:
            for file in TABLE_FILES:
                (Path(folder) / file).write_bytes(self._file(file))
            self.table = ChunkTable.load(Path(folder))
        self.sentence_offsets = self.table.sentence_offsets
        self.chunks = RemoteChunks(self)
        self.documents = RemoteDocuments(self, json.loads(self._file("documents.ids.json")))
        self.lexical = self._postings()
        rows = self.manifest["rows"]
        if rows["chunks"] != len(self.table.documents) or rows["sentences"] != int(self.sentence_offsets[-1]):
            raise StoreError(f"{library} in Milvus at {uri} is damaged: its files disagree with its manifest; "
                             "publish it again with `python -m qa index --store`")

    @classmethod
    def open(cls, uri: str, library: str, token: str = "") -> MilvusStore:
        from pymilvus.exceptions import MilvusException

        client = connect(uri, token)
        try:
            build = _current_build(client, library)
            if build is None:
                raise StoreError(f"Milvus at {uri} holds no library {library} (a library is named for its --index "
                                 f"folder): publish it with `python -m qa index --store {uri}`")
            return cls(client, uri, library, build)
        except MilvusException as exc:
            raise StoreError(f"reading {library} from Milvus at {uri} failed: {_reason(exc)}") from None

    def _postings(self) -> Postings:
        facts = json.loads(self._file("lexical.json"))
        document_frequency = np.load(io.BytesIO(self._file("lexical.df.npy")))
        if self.layout["sparse"]:
            return MilvusPostings(self, facts["vocabulary"], document_frequency, facts["size"])
        print(f"warning: the Milvus server at {self.uri} has no sparse vectors (Milvus before 2.4): "
              "BM25 runs in this process", file=sys.stderr)
        indptr, indices, data = (np.load(io.BytesIO(self._file(f"lexical.{part}.npy")))
                                 for part in ("indptr", "indices", "data"))
        return ArrayPostings(facts["vocabulary"], indptr, indices, data, facts["size"])

    def __len__(self) -> int:
        return int(self.manifest["rows"]["chunks"])

    @property
    def chunk_chars(self) -> int:
        return self.manifest["chunker"]["chunk_chars"]

    def check_compatible(self, identity: dict) -> None:
        check_compatible(self.manifest, identity)

    def sentence_rows(self, position: int) -> range:
        return range(self.sentence_offsets[position], self.sentence_offsets[position + 1])

    def nearest(self, query_vector: np.ndarray, count: int) -> np.ndarray:
        params = {"metric_type": "IP", "params": {"ef": HNSW["efSearch"]} if len(self) > HNSW_ABOVE else {}}
        [found] = self._call(self.client.search, self._chunks, data=[np.asarray(query_vector, np.float32).tolist()],
                             anns_field="vector", limit=min(count, len(self)), search_params=params,
                             output_fields=["position"])
        return np.array([hit["position"] for hit in found], dtype=np.int64)

    def vectors_at(self, positions) -> np.ndarray:
        rows = self._rows(self._chunks, "position", positions, ["vector_bytes"])
        if not len(positions):
            return np.zeros((0, self.layout["chunk_dimension"]), np.float32)
        return np.vstack([_decoded(rows[int(p)]["vector_bytes"], np.float32) for p in positions])

    def chunks_at(self, positions) -> list[Chunk]:
        return self.chunks.many(positions)

    def sentence_vectors_at(self, rows: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        found = self._rows(self._sentences, "row", rows, ["vectors"])
        split = self.layout["sentence_dimension"]
        if not len(rows):
            return np.zeros((0, split), np.float16), np.zeros((0, self.layout["answer_dimension"]), np.float16)
        both = np.vstack([_decoded(found[int(row)]["vectors"], np.float16) for row in rows])
        return both[:, :split], both[:, split:]

    # ------------------------------------------------------------ reading

    def _call(self, method, *args, **kwargs):
        from pymilvus.exceptions import MilvusException

        try:
            return method(*args, **kwargs)
        except MilvusException as exc:
            raise StoreError(f"Milvus at {self.uri} failed to answer ({_reason(exc)}); if the library was "
                             "published again meanwhile, ask again") from None

    def _rows(self, collection: str, key: str, ids: Iterable[int], fields: list[str],
              complete: bool = True) -> dict[int, dict]:
        """The rows whose primary key `key` is one of `ids`, by key; a `StoreError` when one is
        missing, unless not all need be there (`complete`)."""
        wanted = sorted({int(value) for value in ids})
        found: dict[int, dict] = {}
        for start in range(0, len(wanted), IDS_PER_QUERY):
            for row in self._call(self.client.query, collection, ids=wanted[start:start + IDS_PER_QUERY],
                                  output_fields=[key, *fields]):
                found[int(row[key])] = row
        missing = [value for value in wanted if value not in found]
        if missing and complete:
            raise StoreError(f"{self.library} in Milvus at {self.uri} lacks rows {missing[:5]} of {collection}: "
                             "publish it again with `python -m qa index --store`")
        return found

    def _file(self, name: str) -> bytes:
        rows = self._call(self.client.query, self._files, filter=f'name == "{name}"', output_fields=["part", "data"],
                          limit=16384)
        if not rows:
            raise StoreError(f"{self.library} in Milvus at {self.uri} lacks {name}: "
                             "publish it again with `python -m qa index --store`")
        return b"".join(base64.b64decode(row["data"]) for row in sorted(rows, key=lambda row: row["part"]))


class RemoteChunks(Sequence):
    """The chunk records of a published library, by position, read when asked for and kept a while."""

    def __init__(self, store: MilvusStore):
        self.store = store
        self.cache: OrderedDict[int, Chunk] = OrderedDict()

    def __len__(self) -> int:
        return len(self.store)

    def __getitem__(self, position):
        if isinstance(position, slice):
            return self.many(range(*position.indices(len(self))))
        if not -len(self) <= position < len(self):
            raise IndexError(position)
        return self.many([position % len(self)])[0]

    def many(self, positions) -> list[Chunk]:
        positions = [int(p) for p in positions]
        missing = [p for p in positions if p not in self.cache]
        if missing:
            for position, row in self.store._rows(self.store._chunks, "position", missing, ["record"]).items():
                self.cache[position] = chunk_from_dict(json.loads(row["record"]))
        chunks = []
        for position in positions:
            self.cache.move_to_end(position)
            chunks.append(self.cache[position])
        while len(self.cache) > CACHED:
            self.cache.popitem(last=False)
        return chunks


class RemoteDocuments(Mapping):
    """The documents of a published library by doc_id, read when asked for and kept a while."""

    def __init__(self, store: MilvusStore, doc_ids: list[str]):
        self.store = store
        self.number = {doc_id: n for n, doc_id in enumerate(doc_ids)}
        self.cache: OrderedDict[str, Document] = OrderedDict()

    def __len__(self) -> int:
        return len(self.number)

    def __iter__(self):
        return iter(self.number)

    def __contains__(self, doc_id) -> bool:
        return doc_id in self.number

    def __getitem__(self, doc_id: str) -> Document:
        if doc_id not in self.cache:
            if doc_id not in self.number:
                raise KeyError(doc_id)
            self.cache[doc_id] = document_from_dict(json.loads(self.store._file(f"documents/{self.number[doc_id]}")))
            while len(self.cache) > CACHED // 16:
                self.cache.popitem(last=False)
        self.cache.move_to_end(doc_id)
        return self.cache[doc_id]


class MilvusPostings(Postings):
    """BM25 statistics held in this process (vocabulary, document frequencies); posting lists in Milvus."""

    def __init__(self, store: MilvusStore, vocabulary: dict[str, int], document_frequency: np.ndarray, size: int):
        super().__init__(vocabulary, document_frequency, size)
        self.store = store

    def postings(self, columns: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
        rows = self.store._rows(self.store._terms, "column", columns, ["postings"], complete=False)
        lists = []
        for column in columns:
            postings = rows[column]["postings"] if column in rows else {}  # a term no chunk holds
            lists.append((np.fromiter(postings.keys(), np.int64, len(postings)),
                          np.fromiter(postings.values(), np.float32, len(postings))))
        return lists
