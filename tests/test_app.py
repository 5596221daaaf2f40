"""The app for real: `python app.py` on a free local port, its API through gradio_client, its page in Chromium."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from qa.index import Index
from tests.conftest import ROOT
from tests.servers import start_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The real app serving a copy of the seeds, with its own index; yields (url, index folder, seeds)."""
    root = tmp_path_factory.mktemp("app")
    seeds = root / "seeds"
    shutil.copytree(ROOT / "seeds", seeds)
    index = root / "index"
    process, url = start_app(["--index", str(index), "--seeds", str(seeds)], root / "app.log", ROOT)
    answering = children(process.pid)
    # Two answering processes (QA_PROCESSES) and multiprocessing's resource tracker.
    assert len(answering) >= 2, answering
    yield url, index, seeds
    process.kill()  # as hard as an app can end: its answering processes must not outlive it
    process.wait(timeout=30)
    deadline = time.time() + 20
    while any(Path(f"/proc/{pid}").exists() for pid in answering) and time.time() < deadline:
        time.sleep(0.5)
    assert not [pid for pid in answering if Path(f"/proc/{pid}").exists()], "answering processes outlived the app"


def children(pid: int) -> list[int]:
    return [int(child) for task in Path(f"/proc/{pid}/task").glob("*")
            for child in (task / "children").read_text().split()]


@pytest.fixture(scope="module")
def client(app):
    from gradio_client import Client

    return Client(app[0], verbose=False)


@pytest.mark.parametrize("question", ["城乡数字鸿沟有哪些表现？", "What are the five layers of the urban-rural digital divide?"])
def test_ask_endpoint_returns_the_cli_json_with_exact_citations(app, client, question):
    result = client.predict(question, api_name="/ask")
    assert set(result) == {"question", "lang", "answer", "abstained", "notes", "listed", "support", "citations", "hits"}
    assert not result["abstained"] and result["citations"]
    index = Index.load(app[1])
    for citation in result["citations"]:
        document = index.documents[citation["doc_id"]]
        assert document.text[citation["start"] : citation["end"]] == citation["quote"]
        assert document.page_of(citation["start"]) == citation["page"]
        assert f"[{citation['n']}]" in result["answer"]


def test_the_endpoints_keep_to_the_documents_asked_for(client):
    from gradio_client.exceptions import AppError

    result = client.predict(question="数字福利鸿沟", top_k=3, doc_ids=["urban-rural-digital-divide.txt"],
                            api_name="/search")
    assert {hit["doc_id"] for hit in result["hits"]} == {"urban-rural-digital-divide.txt"}
    with pytest.raises(AppError, match="no such document in the library: nowhere.txt"):
        client.predict(question="数字福利鸿沟", top_k=3, doc_ids=["nowhere.txt"], api_name="/ask")


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


def open_page(page, url: str) -> None:
    """Load the app and wait until it is drawn (Gradio keeps some requests open, so not for network idle)."""
    page.goto(url, wait_until="load")
    page.wait_for_selector("#ask-question textarea", timeout=60_000)


def test_the_page_answers_with_a_highlighted_source_and_stays_local(app, browser, tmp_path):
    url = app[0]
    requests: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.on("request", lambda request: requests.append(request.url))
    open_page(page, url)
    page.locator("#ask-question textarea").fill("城乡数字鸿沟有哪些表现？")
    page.locator("#ask-button").click()
    page.wait_for_selector("#answer .qa-source mark", timeout=120_000)
    assert "[1]" in page.locator("#answer .qa-answer").inner_text()
    assert page.locator("#answer .qa-source").count() >= 1
    assert "2023" in page.locator("#references textarea").input_value()
    page.get_by_text("BibTeX / RIS").click()
    assert "author = {曾凡军 and 王鹏}" in page.locator("#bibtex textarea").input_value()
    assert page.locator("#ris textarea").input_value().startswith("TY  - ")
    page.screenshot(path=str(tmp_path / "ask.png"), full_page=True)
    # The English question is answered by the Chinese sentence that names the five layers.
    page.locator("#ask-question textarea").fill("What are the five layers of the urban-rural digital divide?")
    page.locator("#ask-button").click()
    page.wait_for_function("() => document.querySelector('#answer .qa-answer')?.innerText.includes('技术基础、资本动能')",
                           timeout=120_000)
    # Under the Chinese quote, its terms glossed in English, the paper's own first, said not to be a translation.
    gloss = page.locator("#answer .qa-gloss").first.inner_text()
    assert gloss.startswith("Word glosses (not a translation):") and "digital" in gloss
    page.close()
    foreign = [u for u in requests if not u.startswith(url.rstrip("/")) and not u.startswith(("data:", "blob:"))]
    assert requests and not foreign


def test_enter_asks_an_example_click_asks_and_an_empty_question_gets_one_message(app, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    open_page(page, app[0])
    box = page.locator("#ask-question textarea")
    assert "Enter" in box.get_attribute("placeholder")
    box.fill("什么是数字势差？")
    box.press("Enter")
    page.wait_for_selector("#answer .qa-source mark", timeout=120_000)
    box.fill("   ")
    page.locator("#ask-button").click()
    page.wait_for_selector("#answer .qa-refusal", timeout=60_000)
    assert "请输入问题 / Please type a question" in page.locator("#answer").inner_text()
    assert page.locator(".toast-body, .error").count() == 0  # no pop-up, no red marks
    page.get_by_text("2020年中国数字经济占GDP的比重是多少？").first.click()
    page.wait_for_function("() => document.querySelector('#answer .qa-answer')?.innerText.includes('38.6%')",
                           timeout=120_000)
    page.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_highlights_and_references_are_readable_in_light_and_dark(app, browser, scheme):
    page = browser.new_page(viewport={"width": 1280, "height": 1000}, color_scheme=scheme)
    open_page(page, app[0])
    page.locator("#ask-question textarea").fill("城乡数字鸿沟有哪些表现？")
    page.locator("#ask-button").click()
    page.wait_for_selector("#answer .qa-source mark", timeout=120_000)
    for selector, behind in (("#answer mark", "#answer mark"), ("#answer .qa-reference", "body"),
                             ("#answer .qa-meta", "body")):
        ratio = page.evaluate(CONTRAST, [selector, behind])
        assert ratio >= 4.5, f"{selector} in {scheme}: contrast {ratio:.1f}"
    page.close()


# WCAG contrast of an element's text colour against the first opaque background behind it.
CONTRAST = """([selector, behind]) => {
  const rgb = (c) => c.match(/[\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => [r, g, b].map((v) => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const element = document.querySelector(selector);
  let node = document.querySelector(behind), background = null;
  while (node) { const c = rgb(getComputedStyle(node).backgroundColor);
    if (c.length < 4 || c[3] > 0.5) { background = c; break; } node = node.parentElement; }
  if (!background) background = [255, 255, 255];
  if (behind === "body") {  // the element sits on its nearest opaque ancestor
    node = element;
    while (node) { const c = rgb(getComputedStyle(node).backgroundColor);
      if (c.length < 4 || c[3] > 0.5) { background = c; break; } node = node.parentElement; }
  }
  const style = getComputedStyle(element);
  const opacity = Number(style.opacity);  // translucent text shows the background through it
  const fore = rgb(style.color).slice(0, 3).map((v, i) => v * opacity + background[i] * (1 - opacity));
  const [a, b] = [luminance(fore), luminance(background.slice(0, 3))].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""


def test_an_uploaded_document_becomes_searchable(app, browser, client, tmp_path):
    upload = tmp_path / "quantum-note.txt"
    upload.write_text("量子纠缠笔记\n\n量子纠缠是两个粒子之间的关联，测量其中一个会立即影响另一个。\n", encoding="utf-8")
    page = browser.new_page()
    open_page(page, app[0])
    page.get_by_role("tab", name="文献库 Library").click()
    page.locator("#upload input[type=file]").set_input_files(str(upload))
    page.wait_for_selector("text=quantum-note.txt: 已索引 / indexed", timeout=120_000)
    assert "量子纠缠笔记" in page.locator("#library").inner_text()
    page.close()
    result = client.predict(question="量子纠缠", top_k=1, api_name="/search")
    assert result["hits"][0]["doc_id"] == "quantum-note.txt"
    assert (app[2] / "quantum-note.txt").exists()


def status_after(page, text: str) -> str:
    page.wait_for_function(f"() => document.querySelector('#library-status')?.innerText.includes({text!r})",
                           timeout=180_000)
    return page.locator("#library-status").inner_text()


def test_the_library_tab_adds_replaces_refuses_and_deletes_and_is_always_current(app, browser, client, tmp_path):
    url, index_folder, seeds = app
    empty, note = tmp_path / "empty.txt", tmp_path / "harbour-note.txt"
    empty.write_text("  \n", encoding="utf-8")
    note.write_text("港口笔记\n\n旧港的防波堤建于一八九〇年，用花岗岩砌成。\n", encoding="utf-8")
    page = browser.new_page()
    open_page(page, url)
    page.get_by_role("tab", name="文献库 Library").click()
    page.locator("#upload input[type=file]").set_input_files([str(empty), str(note)])
    status = status_after(page, "harbour-note.txt: 已索引")
    assert "empty.txt: 未添加 / not added" in status and "no text" in status
    assert not (seeds / "empty.txt").exists()
    # The same name with another extension is another document.
    twin = tmp_path / "harbour-note.md"
    twin.write_text("# Harbour note\n\nThe breakwater lamp was lit by a keeper until 1931.\n", encoding="utf-8")
    page.locator("#upload input[type=file]").set_input_files(str(twin))
    status_after(page, "harbour-note.md: 已索引")
    documents = Index.load(index_folder).documents
    assert {"harbour-note.md", "harbour-note.txt"} <= set(documents)
    # A text file over its limit (20 MB; PDFs may have 200) is refused before it is read.
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"a" * 21_000_000)
    page.locator("#upload input[type=file]").set_input_files(str(huge))
    assert "over the 20 MB limit for a text file" in status_after(page, "huge.txt: 未添加")
    assert not (seeds / "huge.txt").exists()
    # The same name again is held back until the user confirms the replacement.
    note.write_text("港口笔记\n\n新港的灯塔于一九二〇年启用，照亮整个海湾。\n", encoding="utf-8")
    page.locator("#upload input[type=file]").set_input_files(str(note))
    status_after(page, "click Replace")
    assert "防波堤" in (seeds / "harbour-note.txt").read_text(encoding="utf-8")
    page.locator("#replace-button").click()
    status_after(page, "已替换 / replaced")
    assert "灯塔" in (seeds / "harbour-note.txt").read_text(encoding="utf-8")
    assert client.predict(question="新港的灯塔", top_k=1, api_name="/search")["hits"][0]["doc_id"] == "harbour-note.txt"
    # A page opened now lists what is in the index now.
    fresh = browser.new_page()
    open_page(fresh, url)
    fresh.get_by_role("tab", name="文献库 Library").click()
    fresh.wait_for_selector("#library [data-doc-id='harbour-note.txt']", timeout=60_000)
    fresh.close()
    # Delete asks for confirmation, then the document leaves the index and its file goes to the trash.
    page.locator("#library-choice input").fill("harbour-note.txt")
    page.get_by_role("option", name="harbour-note.txt").click()
    page.locator("#delete-button").click()
    status_after(page, "Confirm delete")
    page.locator("#confirm-delete").click()
    status_after(page, "已删除 / removed harbour-note.txt")
    assert page.locator("#library [data-doc-id='harbour-note.txt']").count() == 0
    assert (seeds / ".removed" / "harbour-note.txt").exists() and not (seeds / "harbour-note.txt").exists()
    assert "harbour-note.txt" not in Index.load(index_folder).documents
    page.close()


def test_the_api_refuses_bad_questions_and_top_k_with_a_clear_message(client):
    from gradio_client.exceptions import AppError

    for question, top_k, message in (("城乡数字鸿沟", 0, "top_k must be a whole number from 1 to 50"),
                                     ("城乡数字鸿沟", 1_000_000, "top_k must be a whole number from 1 to 50"),
                                     ("？？？", 5, "no words to search for")):
        with pytest.raises(AppError, match=message):
            client.predict(question=question, top_k=top_k, api_name="/ask")
    result = client.predict(question="数字鸿沟" * 1000, top_k=3, api_name="/ask")
    assert result["notes"] and "4000" in result["notes"][0]


LIGHTHOUSE = [["Ardmore Head: a history of the light", "",
               "The headland was surveyed in 1861 by the harbour board, which chose its northern cliff."],
              ["The Ardmore lighthouse was first lit on 4 March 1868 by its keeper,",
               "Thomas Quayle, who tended the lamp for forty years."]]


def printed_boxes(path: Path, page_number: int, lines: list[str]) -> list[tuple[float, float, float, float]]:
    """Where pdfium's own search finds each line on the page: (left, top, right, bottom) as shares of the page."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(path))
    page = pdf[page_number - 1]
    width, height = page.get_size()
    text = page.get_textpage()
    boxes = []
    for line in lines:
        index, count = text.search(line, match_case=True).get_next()
        chars = [text.get_charbox(i) for i in range(index, index + count)]
        left, bottom = min(c[0] for c in chars), min(c[1] for c in chars)
        right, top = max(c[2] for c in chars), max(c[3] for c in chars)
        boxes.append((left / width, 1 - top / height, right / width, 1 - bottom / height))
    pdf.close()
    return boxes


def test_a_cited_pdf_page_is_shown_with_the_quote_boxed_on_its_characters(app, browser, tmp_path):
    from tests.pdf_fixtures import text_pdf

    upload = text_pdf(LIGHTHOUSE, tmp_path / "ardmore-light.pdf")
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    open_page(page, app[0])
    page.get_by_role("tab", name="文献库 Library").click()
    page.locator("#upload input[type=file]").set_input_files(str(upload))
    page.wait_for_selector("text=ardmore-light.pdf: 已索引 / indexed", timeout=120_000)
    page.get_by_role("tab", name="问答 Ask").click()
    page.locator("#ask-question textarea").fill("When was the Ardmore lighthouse first lit?")
    page.locator("#ask-button").click()
    page.wait_for_selector("#page-choice label", timeout=120_000)
    page.locator("#page-choice label").first.click()
    page.wait_for_selector("#page-view figure img", timeout=60_000)
    figure = page.locator("#page-view figure")
    assert figure.get_attribute("data-page") == "2"
    assert "PDF page 2 of 2" in figure.locator("figcaption").inner_text()
    shown = page.evaluate("""() => {
        const image = document.querySelector('#page-view img').getBoundingClientRect();
        return [...document.querySelectorAll('#page-view .qa-box')].map((box) => {
            const r = box.getBoundingClientRect();
            return [(r.left - image.left) / image.width, (r.top - image.top) / image.height,
                    (r.right - image.left) / image.width, (r.bottom - image.top) / image.height];
        });
    }""")
    expected = printed_boxes(app[2] / "ardmore-light.pdf", 2, LIGHTHOUSE[1])
    assert len(shown) == len(expected) == 2
    for (left, top, right, bottom), (x0, y0, x1, y1) in zip(shown, expected):
        # The same characters' extent across; down, the box spans the line (ascent to descent).
        assert abs(left - x0) < 0.01 and abs(right - x1) < 0.01, (shown, expected)
        assert top <= y0 + 0.003 and bottom >= y1 - 0.003 and bottom - top < 0.03, (shown, expected)
    page.close()
