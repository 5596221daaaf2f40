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
    precision: str = "auto"  # embedding arithmetic: bfloat16 where the CPU has it natively (auto), float32, bfloat16
    method: str = "hybrid"  # hybrid (the product), or a baseline: dense, lexical, rrf
    reranker: str = ""  # optional sentence-transformers CrossEncoder name or folder

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


def _coerce(cls, name: str, value):
    default = getattr(cls(), name)
    if isinstance(default, Path):
        return Path(value)
    if isinstance(default, int):
        return int(value)
    return value
