"""All settings in one place: defaults, overridden by environment variables, then CLI flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from qa.model import DEFAULT_MODEL_NAME


def _default_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "qa"


@dataclass(frozen=True)
class Config:
    seeds: Path = Path("seeds")
    index: Path = Path("index/default")
    model: str = DEFAULT_MODEL_NAME  # a sentence-transformers name or folder
    cache_dir: Path = field(default_factory=_default_cache)  # where the default model is rebuilt
    top_k: int = 5
    chunk_chars: int = 400  # target chunk length; e5 reads 512 tokens, ~1 token per CJK character
    batch_size: int = 32
    precision: str = "auto"  # passages: bfloat16 where the CPU has AMX (auto), float32, bfloat16, int8 (faster)
    method: str = "hybrid"  # hybrid (the product), or a baseline: dense, lexical, rrf
    reranker: str = ""  # optional sentence-transformers CrossEncoder name or folder
    max_text_mb: int = 20  # a text file (.txt, .md, .html) over this is refused before it is read
    max_file_mb: int = 200  # a PDF or Word file over this is refused before it is read
    max_question_chars: int = 2000  # a longer question is cut here, with a note in the answer
    # Up to this many chunks every chunk is scored for every question; above, candidates only
    # (qa/retrieval.py). 20,000 chunks, about 400 papers, score whole in under 40 ms.
    exact_limit: int = 20000
    workers: int = 8  # questions the app answers at once (8 beat 4 in benchmarks/load.py: more to batch)
    # Processes the app answers in, each with its own model (~1.2 GB): one Python process answers
    # on about one core (see qa/workers.py). 1 answers in the app's own process.
    processes: int = 2
    # Browser sessions the app remembers (Gradio keeps each one's page state, ~70 kB, and every API
    # call opens one): a cap keeps memory flat under load; the least recently used is forgotten.
    sessions: int = 200
    auth: str = ""  # USER:PASS turns on the app's login (for anyone who serves it beyond 127.0.0.1)
    # A Milvus server (http://HOST:19530) the index is published to and questions read from
    # (qa/store/); its library is named for the index folder. "" reads the index folder.
    store: str = ""
    store_token: str = ""  # USER:PASSWORD (or an API key) for a Milvus server that asks for one

    # Environment variable for each field.
    ENV = {
        "seeds": "QA_SEEDS",
        "index": "QA_INDEX",
        "model": "QA_MODEL",
        "cache_dir": "QA_CACHE_DIR",
        "top_k": "QA_TOP_K",
        "chunk_chars": "QA_CHUNK_CHARS",
        "method": "QA_METHOD",
        "reranker": "QA_RERANKER",
        "precision": "QA_PRECISION",
        "max_text_mb": "QA_MAX_TEXT_MB",
        "max_file_mb": "QA_MAX_FILE_MB",
        "max_question_chars": "QA_MAX_QUESTION_CHARS",
        "exact_limit": "QA_EXACT_LIMIT",
        "workers": "QA_WORKERS",
        "processes": "QA_PROCESSES",
        "sessions": "QA_SESSIONS",
        "auth": "QA_AUTH",
        "store": "QA_STORE",
        "store_token": "QA_STORE_TOKEN",
    }

    @classmethod
    def from_env(cls, environ: dict | None = None, **overrides) -> Config:
        environ = os.environ if environ is None else environ
        values = {}
        for item in fields(cls):
            variable = cls.ENV.get(item.name)
            if variable and environ.get(variable):
                values[item.name] = environ[variable]
        values.update({key: value for key, value in overrides.items() if value is not None})
        return replace(cls(), **{key: _coerce(cls, key, value) for key, value in values.items()})


MAX_TOP_K = 50


def checked_top_k(value) -> int:
    """`top_k` as a whole number from 1 to MAX_TOP_K, else a ValueError that says so."""
    number = None
    if isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, int | str) and not isinstance(value, bool):
        try:
            number = int(str(value).strip())
        except ValueError:
            pass
    if number is None or not 1 <= number <= MAX_TOP_K:
        raise ValueError(f"top_k must be a whole number from 1 to {MAX_TOP_K} (got {value!r})")
    return number


def _coerce(cls, name: str, value):
    default = getattr(cls(), name)
    if isinstance(default, Path):
        return Path(value)
    if name == "top_k":
        return checked_top_k(value)
    if isinstance(default, int):
        try:
            return int(value)
        except ValueError:
            raise ValueError(f"{name} must be a whole number (got {value!r})") from None
    return value
