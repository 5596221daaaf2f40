"""Shared fixtures: the real seed, the real embedding model, a real index built once per run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa.config import Config
from qa.embedding import Embedder
from qa.index import build_index
from qa.readers import read_document

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_FILE = SEEDS / "urban-rural-digital-divide.txt"
SHARED_EVAL = ROOT.parent / "shared" / "eval"


@pytest.fixture(scope="session")
def seed_document():
    return read_document(SEED_FILE, SEEDS)


@pytest.fixture(scope="session")
def embedder():
    return Embedder.from_config(Config.from_env())


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory, embedder):
    folder = tmp_path_factory.mktemp("index") / "seed"
    index, _ = build_index(SEEDS, folder, embedder, progress=False)
    return index


@pytest.fixture()
def seeds_copy(tmp_path):
    """A writable seeds folder holding the real seed and its metadata."""
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    return folder
