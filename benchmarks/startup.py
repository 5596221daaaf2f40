"""Cold start and indexing against what a user's own script pays: each in a fresh process, alternated.

    python -m benchmarks.startup [--runs 3] [--json]

Builds the seed index in a temporary folder (not timed), then, `--runs` times in turn:
sentence-transformers loading the same model and embedding one query (the yardstick),
`python app.py` until its page answers, and `python -m qa ask` on the built index; and
sentence-transformers loading the model and embedding 400 CMRC paragraphs once (the indexing
yardstick) against `python -m qa index` building them, one file each, from nothing, in its
default precision and in int8. Prints the medians and each one's ratio to its yardstick.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

from benchmarks.datasets import SHARED_EVAL
from qa.config import Config
from qa.embedding import Embedder
from qa.index import build_index

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "什么是数字势差？"
PARAGRAPHS = 400


def yardstick(folder: Path) -> float:
    script = ("from sentence_transformers import SentenceTransformer; "
              f"SentenceTransformer({str(folder)!r}, device='cpu').encode(['query: {QUESTION}'])")
    return _timed([sys.executable, "-c", script])


def encode_once(folder: Path, paragraphs: Path) -> float:
    script = ("import json; from sentence_transformers import SentenceTransformer; "
              f"SentenceTransformer({str(folder)!r}, device='cpu').encode("
              f"json.load(open({str(paragraphs)!r}, encoding='utf-8')), prompt='passage: ')")
    return _timed([sys.executable, "-c", script])


def index_from_nothing(seeds: Path, index: Path, *options: str) -> float:
    shutil.rmtree(index, ignore_errors=True)
    return _timed([sys.executable, "-m", "qa", "index", "--seeds", str(seeds), "--index", str(index), *options])


def cmrc_paragraphs(count: int, seeds: Path) -> list[str]:
    """The first `count` paragraphs of CMRC 2018 dev, written one file each to `seeds`."""
    data = json.loads((SHARED_EVAL / "cmrc2018_dev.json").read_text(encoding="utf-8"))["data"]
    paragraphs = [paragraph["context"] for article in data for paragraph in article["paragraphs"]][:count]
    seeds.mkdir(parents=True)
    for n, paragraph in enumerate(paragraphs):
        (seeds / f"{n:04d}.txt").write_text(paragraph + "\n", encoding="utf-8")
    return paragraphs


def ask(index: Path) -> float:
    return _timed([sys.executable, "-m", "qa", "ask", QUESTION, "--index", str(index)])


def serve(index: Path) -> float:
    """Seconds until `python app.py` answers its page."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    began = time.perf_counter()
    app = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), "--index", str(index),
                            "--seeds", str(ROOT / "seeds")], cwd=ROOT, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                return time.perf_counter() - began
            except OSError:
                if app.poll() is not None:
                    raise RuntimeError("the app exited before serving") from None
                time.sleep(0.1)
    finally:
        app.terminate()
        app.wait(timeout=60)


def _timed(command: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    embedder = Embedder.from_config(Config.from_env())
    query_load, encoding = "sentence-transformers load + one query", f"sentence-transformers load + {PARAGRAPHS} paragraphs"
    indexing, indexing_int8 = f"python -m qa index, {PARAGRAPHS} paragraphs", "the same, --precision int8"
    runs: dict[str, list[float]] = {query_load: [], "python app.py serving": [], "python -m qa ask": [],
                                    encoding: [], indexing: [], indexing_int8: []}
    with tempfile.TemporaryDirectory() as folder:
        index = Path(folder) / "index"
        build_index(ROOT / "seeds", index, embedder, progress=False)
        Embedder.from_config(replace(Config.from_env(), precision="int8")).embed_passages(["x"])  # converted once, not timed
        paragraphs = Path(folder) / "paragraphs.json"
        paragraphs.write_text(json.dumps(cmrc_paragraphs(PARAGRAPHS, Path(folder) / "cmrc"), ensure_ascii=False),
                              encoding="utf-8")
        for _ in range(args.runs):
            runs[query_load].append(yardstick(embedder.folder))
            runs["python app.py serving"].append(serve(index))
            runs["python -m qa ask"].append(ask(index))
            runs[encoding].append(encode_once(embedder.folder, paragraphs))
            runs[indexing].append(index_from_nothing(Path(folder) / "cmrc", Path(folder) / "cmrc-index"))
            runs[indexing_int8].append(index_from_nothing(Path(folder) / "cmrc", Path(folder) / "cmrc-index",
                                                          "--precision", "int8"))
    rows = []
    for what, times in runs.items():
        base = statistics.median(runs[encoding if what in (encoding, indexing, indexing_int8) else query_load])
        rows.append({"what": what, "runs_s": [round(t, 2) for t in times],
                     "median_s": round(statistics.median(times), 2), "ratio": round(statistics.median(times) / base, 2)})
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return
    print("| | runs (s) | median | × its yardstick |\n|---|---|---|---|")
    for row in rows:
        print(f"| {row['what']} | {', '.join(map(str, row['runs_s']))} | {row['median_s']} s | {row['ratio']} |")


if __name__ == "__main__":
    main()
