"""The Milvus store against real servers: milvus-lite for the whole path, Milvus 2.3 for the
dense path (it has no sparse vectors). Questions must rank as they do on the embedded index."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qa.config import Config
from qa.evaluation import by_language, evaluate, load_questions
from qa.index import build_index
from qa.retrieval import Retriever
from qa.store import library_name, open_store, publish, version
from qa.store.milvus import MilvusStore, StoreError, connect
from tests.conftest import ROOT, SEEDS, SHARED_EVAL
from tests.servers import free_port, milvus_lite, milvus_standalone, start_app

QUESTIONS = load_questions(SHARED_EVAL / "seed_dev.jsonl") + load_questions(ROOT / "tests" / "data" / "seed_questions.jsonl")


@pytest.fixture(scope="module")
def lite(tmp_path_factory):
    with milvus_lite(tmp_path_factory.mktemp("milvus-lite")) as uri:
        yield uri


def run_qa(*args, cwd: Path):
    """`python -m qa` in a folder of its own, where no index is."""
    return subprocess.run([sys.executable, "-m", "qa", *args], cwd=cwd, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def top_five(retriever: Retriever) -> list[list[str]]:
    return [[hit.chunk.chunk_id for hit in retriever.search(question.q, 5)] for question in QUESTIONS]


def test_index_in_one_process_answers_in_another_with_no_local_index(lite, tmp_path):
    builder, asker = tmp_path / "builder", tmp_path / "asker"
    builder.mkdir(), asker.mkdir()
    built = run_qa("index", "--seeds", str(SEEDS), "--index", "index/papers", "--store", lite, cwd=builder)
    assert built.returncode == 0, built.stderr
    assert f"published to {lite} as library qa_papers" in built.stdout

    answered = run_qa("ask", "什么是数字势差？", "--json", "--index", "index/papers", "--store", lite, cwd=asker)
    assert answered.returncode == 0, answered.stderr
    answer = json.loads(answered.stdout)
    assert "数字势差是“二元结构”与数字挤兑" in answer["citations"][0]["quote"]
    assert answer["citations"][0]["page"] == 1
    listed = run_qa("list", "--index", "index/papers", "--store", lite, cwd=asker)
    assert "urban-rural-digital-divide.txt" in listed.stdout and "1 documents" in listed.stdout
    assert list(asker.iterdir()) == []  # nothing written where the questions are asked

    again = run_qa("index", "--seeds", str(SEEDS), "--index", "index/papers", "--store", lite, cwd=builder)
    assert again.returncode == 0 and again.stdout.count("build") == 1, again.stderr
    assert again.stdout.split("(build ")[1] == built.stdout.split("(build ")[1]  # the same build, not copied again


def test_questions_rank_as_on_the_embedded_index(lite, seed_index, embedder):
    publish(seed_index, Config(index=Path("index/seed"), store=lite))
    store = open_store(Config(index=Path("index/seed"), store=lite))
    assert isinstance(store, MilvusStore) and not store.exhaustive
    embedded, milvus = Retriever(seed_index, embedder), Retriever(store, embedder)
    assert top_five(milvus) == top_five(embedded)
    on_milvus, on_disk = by_language(evaluate(milvus, QUESTIONS)), by_language(evaluate(embedded, QUESTIONS))
    assert {lang: s.hit5 for lang, s in on_milvus.items()} == {lang: s.hit5 for lang, s in on_disk.items()}
    hit = milvus.search("数字势差", 1)[0]
    assert hit.pages.start == hit.chunk.page_start and hit.doc_title == seed_index.documents[hit.chunk.doc_id].title
    with pytest.raises(ValueError, match="embedded index only"):
        Retriever(store, embedder, method="dense")


def test_a_new_build_replaces_the_old_one_whole(lite, tmp_path, embedder):
    seeds, folder = tmp_path / "seeds", tmp_path / "index" / "growing"
    shutil.copytree(SEEDS, seeds)
    config = Config(index=folder, store=lite)
    index, _ = build_index(seeds, folder, embedder, progress=False)
    first = publish(index, config)
    assert publish(index, config) == first and version(config) == first
    (seeds / "lighthouse.md").write_text("# Lighthouse Keepers\n\nThe keeper climbed 117 steps every night "
                                         "to light the lamp.\n", encoding="utf-8")
    index, _ = build_index(seeds, folder, embedder, progress=False)
    second = publish(index, config)
    assert second != first and version(config) == second
    names = connect(lite).list_collections()
    assert not [name for name in names if name.startswith(f"qa_growing_{first}")]  # the old build is dropped
    assert f"qa_growing_{second}_chunks" in names
    store = open_store(config)
    assert len(store.documents) == 2
    hits = Retriever(store, embedder).search("How many steps did the keeper climb?", 3)
    assert hits[0].chunk.doc_id == "lighthouse.md"


def test_clear_errors_for_a_missing_server_or_library(lite, tmp_path):
    with pytest.raises(StoreError, match="cannot reach Milvus at"):
        open_store(Config(index=Path("index/seed"), store=f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(StoreError, match="holds no library qa_absent"):
        open_store(Config(index=Path("index/absent"), store=lite))
    asked = run_qa("ask", "x", "--index", "index/absent", "--store", lite, cwd=tmp_path)
    assert asked.returncode == 2 and "Traceback" not in asked.stderr
    assert asked.stderr.startswith("error: Milvus at") and library_name(Path("index/absent")) in asked.stderr


def test_milvus_2_3_serves_dense_search_with_bm25_in_the_process(tmp_path, seed_index, embedder, capsys):
    with milvus_standalone(tmp_path / "milvus") as uri:
        config = Config(index=Path("index/seed"), store=uri)
        publish(seed_index, config)
        assert "has no sparse vectors" in capsys.readouterr().err
        store = open_store(config)
        assert "BM25 runs in this process" in capsys.readouterr().err
        assert not connect(uri).has_collection(f"qa_seed_{store.build}_terms")
        assert top_five(Retriever(store, embedder)) == top_five(Retriever(seed_index, embedder))


def test_apps_with_no_index_of_their_own_serve_one_library_and_follow_its_new_builds(lite, tmp_path, embedder):
    from gradio_client import Client

    seeds, folder = tmp_path / "seeds", tmp_path / "index" / "shared"
    shutil.copytree(SEEDS, seeds)
    index, _ = build_index(seeds, folder, embedder, progress=False)
    config = Config(index=folder, store=lite)
    publish(index, config)
    # One app answering in its own process, one in two answering processes, each in an empty folder.
    apps = []
    for n, processes in enumerate(("1", "2")):
        (tmp_path / f"app{n}").mkdir()
        apps.append(start_app(["--store", lite, "--index", "index/shared", "--processes", processes],
                              tmp_path / f"app{n}.log", tmp_path / f"app{n}"))
    try:
        clients = [Client(url, verbose=False) for _, url in apps]
        for client in clients:
            answer = client.predict("什么是数字势差？", 5, None, api_name="/ask")
            assert "数字势差是“二元结构”与数字挤兑" in answer["citations"][0]["quote"]
        (seeds / "lighthouse.md").write_text("# Lighthouse Keepers\n\nThe keeper climbed 117 steps every night "
                                             "to light the lamp.\n", encoding="utf-8")
        index, _ = build_index(seeds, folder, embedder, progress=False)
        publish(index, config)
        for client in clients:
            answer = client.predict("How many steps did the keeper climb?", 5, None, api_name="/ask")
            assert answer["citations"][0]["doc_id"] == "lighthouse.md"
        for n in range(2):
            assert list((tmp_path / f"app{n}").iterdir()) == []
    finally:
        for process, _ in apps:
            process.kill()
            process.wait(30)
