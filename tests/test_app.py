"""The app for real: `python app.py` on a free local port, its API through gradio_client, its page in Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from qa.index import Index
from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The real app serving a copy of the seeds, with its own index; yields (url, index folder, seeds)."""
    root = tmp_path_factory.mktemp("app")
    seeds = root / "seeds"
    shutil.copytree(ROOT / "seeds", seeds)
    index = root / "index"
    port = free_port()
    log = (root / "app.log").open("w")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "--port", str(port), "--index", str(index), "--seeds", str(seeds)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 300
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            if process.poll() is not None or time.time() > deadline:
                process.kill()
                raise RuntimeError((root / "app.log").read_text()) from None
            time.sleep(1)
    yield url, index, seeds
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def client(app):
    from gradio_client import Client

    return Client(app[0], verbose=False)


@pytest.mark.parametrize("question", ["城乡数字鸿沟有哪些表现？", "What are the five layers of the urban-rural digital divide?"])
def test_ask_endpoint_returns_the_cli_json_with_exact_citations(app, client, question):
    result = client.predict(question, api_name="/ask")
    assert set(result) == {"question", "lang", "answer", "abstained", "support", "citations", "hits"}
    assert not result["abstained"] and result["citations"]
    index = Index.load(app[1])
    for citation in result["citations"]:
        document = index.documents[citation["doc_id"]]
        assert document.text[citation["start"] : citation["end"]] == citation["quote"]
        assert document.page_of(citation["start"]) == citation["page"]
        assert f"[{citation['n']}]" in result["answer"]


def test_search_endpoint_in_both_languages(client):
    for question in ("数字福利鸿沟", "digital welfare divide"):
        result = client.predict(question=question, top_k=3, api_name="/search")
        assert result["query"] == question
        assert [hit["rank"] for hit in result["hits"]] == [1, 2, 3]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: .ci/run installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def test_the_page_answers_with_a_highlighted_source_and_stays_local(app, browser, tmp_path):
    url = app[0]
    requests: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.on("request", lambda request: requests.append(request.url))
    page.goto(url, wait_until="networkidle")
    page.locator("#ask-question textarea").fill("城乡数字鸿沟有哪些表现？")
    page.locator("#ask-button").click()
    page.wait_for_selector("#answer .qa-source mark", timeout=120_000)
    assert "[1]" in page.locator("#answer .qa-answer").inner_text()
    assert page.locator("#answer .qa-source").count() >= 1
    assert "2023" in page.locator("#references textarea").input_value()
    page.screenshot(path=str(tmp_path / "ask.png"), full_page=True)
    # The English question is answered by the Chinese sentence that names the five layers.
    page.locator("#ask-question textarea").fill("What are the five layers of the urban-rural digital divide?")
    page.locator("#ask-button").click()
    page.wait_for_function("() => document.querySelector('#answer .qa-answer')?.innerText.includes('技术基础、资本动能')",
                           timeout=120_000)
    page.close()
    foreign = [u for u in requests if not u.startswith(url.rstrip("/")) and not u.startswith(("data:", "blob:"))]
    assert requests and not foreign


def test_an_uploaded_document_becomes_searchable(app, browser, client, tmp_path):
    upload = tmp_path / "quantum-note.txt"
    upload.write_text("量子纠缠笔记\n\n量子纠缠是两个粒子之间的关联，测量其中一个会立即影响另一个。\n", encoding="utf-8")
    page = browser.new_page()
    page.goto(app[0], wait_until="networkidle")
    page.get_by_role("tab", name="文献库 Library").click()
    page.locator("#upload input[type=file]").set_input_files(str(upload))
    page.wait_for_selector("text=quantum-note.txt: indexed", timeout=120_000)
    assert "量子纠缠笔记" in page.locator("#library").inner_text()
    page.close()
    result = client.predict(question="量子纠缠", top_k=1, api_name="/search")
    assert result["hits"][0]["doc_id"] == "quantum-note"
    assert (app[2] / "quantum-note.txt").exists()
