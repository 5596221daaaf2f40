"""The README's screenshots, made again: `python docs/screenshots.py`.

Starts the app on a free local port over a copy of `seeds/` plus the seed paper typeset as a
PDF (the test suite's fixture), asks one question in Chromium (Debian's, as the tests drive it)
and saves the Ask tab in the light and the dark theme, the cited PDF page open, to `docs/`.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUESTION = "逆差序智治包括哪五个方面的举措？"
PDF_QUESTION = "农村网民规模有多大，占农村人口的比例是多少？"


def main() -> None:
    from playwright.sync_api import sync_playwright

    from qa.readers import read_document
    from tests.pdf_fixtures import seed_pdf

    with tempfile.TemporaryDirectory() as folder:
        seeds = Path(folder) / "seeds"
        seeds.mkdir()
        seed = read_document(ROOT / "seeds" / "urban-rural-digital-divide.txt", ROOT / "seeds")
        seed_pdf(seed, seeds / "urban-rural-digital-divide.pdf", columns=2)
        shutil.copy(ROOT / "seeds" / "urban-rural-digital-divide.meta.json", seeds)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        app = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), "--seeds", str(seeds),
                                "--index", str(Path(folder) / "index")], cwd=ROOT)
        url = f"http://127.0.0.1:{port}/"
        try:
            while True:
                try:
                    urllib.request.urlopen(url, timeout=2)
                    break
                except OSError:
                    time.sleep(1)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless"])
                for scheme in ("light", "dark"):
                    page = browser.new_page(viewport={"width": 1200, "height": 900}, color_scheme=scheme)
                    page.goto(url, wait_until="load")
                    ask(page, QUESTION)
                    page.screenshot(path=str(ROOT / "docs" / f"ask-{scheme}.png"), full_page=False)
                    ask(page, PDF_QUESTION)
                    page.locator("#page-choice label").first.click()
                    page.wait_for_selector("#page-view figure img", timeout=60_000)
                    page.locator("#page-view figure").first.screenshot(path=str(ROOT / "docs" / f"page-view-{scheme}.png"))
                    page.close()
                browser.close()
        finally:
            app.terminate()
            app.wait(timeout=30)


def ask(page, question: str) -> None:
    """Ask, and wait until the new answer is shown."""
    page.wait_for_selector("#ask-question textarea", timeout=120_000)
    before = page.locator("#answer").inner_text()
    page.locator("#ask-question textarea").fill(question)
    page.locator("#ask-question textarea").press("Enter")
    page.wait_for_function("(before) => document.querySelector('#answer .qa-source')"
                           " && document.querySelector('#answer').innerText !== before", arg=before, timeout=120_000)
    page.wait_for_timeout(1000)


if __name__ == "__main__":
    main()
