"""Core pipeline benchmark: seed index build time, query latency, seed dev quality.

    python benchmarks/core.py [--seeds seeds] [--questions ../shared/eval/seed_dev.jsonl]

Builds a fresh index in a temporary folder (model load included in the build figure),
times 100 searches and 100 asks (p50/p95), and scores the dev questions per language.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

from qa.answer import ask
from qa.config import Config
from qa.embedding import Embedder
from qa.evaluation import by_language, evaluate, load_questions
from qa.index import build_index
from qa.retrieval import Retriever

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timed(function, *args) -> float:
    began = time.perf_counter()
    function(*args)
    return (time.perf_counter() - began) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    parser.add_argument("--questions", type=Path, default=ROOT.parent / "shared" / "eval" / "seed_dev.jsonl")
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    config = Config.from_env()

    began = time.perf_counter()
    embedder = Embedder.from_config(config)
    model_seconds = time.perf_counter() - began
    with tempfile.TemporaryDirectory() as folder:
        index, report = build_index(args.seeds, Path(folder) / "index", embedder, config.chunk_chars, progress=False)
    build_seconds = time.perf_counter() - began
    retriever = Retriever(index, embedder)

    questions = load_questions(args.questions)
    texts = [questions[i % len(questions)].q for i in range(args.queries)]
    retriever.search(texts[0])  # warm-up: first call pays one-off allocations
    search_ms = [timed(retriever.search, text, config.top_k) for text in texts]
    ask_ms = [timed(ask, retriever, text, config.top_k) for text in texts]

    outcomes = evaluate(retriever, questions)
    print(f"machine: {platform.machine()}, {platform.python_version()}, torch threads default")
    print(f"seed build: {len(index.documents)} document(s), {report.chunks} chunks, "
          f"{len(index.sentence_vectors)} sentences")
    print(f"  model load {model_seconds:.1f} s + read/chunk/embed/save {report.seconds:.1f} s "
          f"= {build_seconds:.1f} s total")
    print(f"search latency over {len(search_ms)} queries: p50 {percentile(search_ms, .5):.1f} ms, "
          f"p95 {percentile(search_ms, .95):.1f} ms")
    print(f"ask latency over {len(ask_ms)} queries:    p50 {percentile(ask_ms, .5):.1f} ms, "
          f"p95 {percentile(ask_ms, .95):.1f} ms")
    print("\n| questions | n | Hit@1 | Hit@5 | MRR@10 | page (1st citation) | answer-hit |")
    print("|---|---|---|---|---|---|---|")
    for lang, scores in by_language(outcomes).items():
        print(f"| {lang} | {scores.count} | {scores.hit1:.2f} | {scores.hit5:.2f} | {scores.mrr10:.2f} | "
              f"{scores.page_accuracy:.2f} | {scores.answer_hit:.2f} |")


if __name__ == "__main__":
    main()
