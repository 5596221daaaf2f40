"""BM25-only, dense-only, naive RRF and the product's hybrid pipeline, on the same data in one process.

    python -m benchmarks.retrieval [--datasets seed,xquad,cmrc]

Writes `benchmarks/out/retrieval.md` (quality per method and language pair, latency, index
throughput) and `benchmarks/out/retrieval.png`. Data: `../shared/eval/` (CMRC 2018 dev and half of
XQuAD, CC BY-SA 4.0; questions on the seed paper). Indexes are kept in `benchmarks/out/` and
updated, not rebuilt, on later runs; the build time reported is the last full build's.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks import datasets
from benchmarks.core import percentile, timed
from qa.config import Config
from qa.embedding import Embedder
from qa.evaluation import by_language, evaluate, load_questions
from qa.index import Index, build_index
from qa.retrieval import METHODS, Retriever

OUT = datasets.OUT


def prepare(names: list[str]) -> list[datasets.Dataset]:
    chosen: list[datasets.Dataset] = []
    if "seed" in names:
        chosen += [datasets.seed(), datasets.seed_ours()]
    if "xquad" in names:
        chosen += datasets.xquad()
    if "cmrc" in names:
        chosen.append(datasets.cmrc())
    return chosen


def index_for(corpus: Path, embedder: Embedder) -> tuple[Index, dict]:
    """The corpus's index, and the figures of its last full build."""
    folder = OUT / f"index-{corpus.parent.name}-{corpus.name}"
    stats_file = folder.with_suffix(".build.json")
    index, report = build_index(corpus, folder, embedder, Config().chunk_chars, progress=False)
    if report.added and not report.unchanged:
        paragraphs = sum(1 for d in index.documents.values() for b in d.blocks if b.kind == "paragraph")
        stats_file.write_text(json.dumps({"seconds": report.seconds, "chunks": report.chunks, "paragraphs": paragraphs}))
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    return index, stats


def latency(retriever: Retriever, questions: list[str], runs: int = 100) -> tuple[float, float]:
    """`search` p50 and p95 in milliseconds, after a warm-up."""
    retriever.search(questions[0])
    times = [timed(retriever.search, questions[n % len(questions)], 5) for n in range(runs)]
    return percentile(times, 0.5), percentile(times, 0.95)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", default="seed,xquad,cmrc")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated; default: all four")
    args = parser.parse_args()
    embedder = Embedder()
    rows = []
    builds: dict[Path, tuple[str, dict]] = {}
    for dataset in prepare(args.datasets.split(",")):
        index, stats = index_for(dataset.corpus, embedder)
        if stats and dataset.corpus not in builds:  # the seed paper has two question sets
            builds[dataset.corpus] = (f"{dataset.name.split()[0]} {dataset.corpus.name}", stats)
        questions = load_questions(dataset.questions)
        for method in args.methods.split(","):
            retriever = Retriever(index, embedder, method)
            outcomes = evaluate(retriever, questions)
            p50, p95 = latency(retriever, [q.q for q in questions])
            for lang, s in by_language(outcomes).items():
                if lang == "all":
                    continue
                rows.append({"data": dataset.name, "lang": lang, "method": method, "n": s.count, "hit1": s.hit1,
                             "hit5": s.hit5, "mrr10": s.mrr10, "page": s.page_accuracy, "answer": s.answer_hit,
                             "precision": s.citation_precision, "first": s.first_sentence_hit,
                             "abstained": s.abstained, "p50": p50, "p95": p95})
                print(json.dumps(rows[-1]), flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "retrieval.md").write_text(markdown(rows, list(builds.values())), encoding="utf-8")
    chart(rows, OUT / "retrieval.png")
    print(f"wrote {OUT / 'retrieval.md'} and {OUT / 'retrieval.png'}")


def markdown(rows: list[dict], builds: list[tuple[str, dict]]) -> str:
    lines = ["| data | question lang | method | n | Hit@1 | Hit@5 | MRR@10 | page acc. | answer-hit | citation precision "
             "| 1st sentence | abstained | p50 ms | p95 ms |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        page = "—" if r["page"] is None else f"{r['page']:.2f}"
        precision = "—" if r["precision"] is None else f"{r['precision']:.3f}"
        lines.append(f"| {r['data']} | {r['lang']} | {r['method']} | {r['n']} | {r['hit1']:.3f} | {r['hit5']:.3f} | "
                     f"{r['mrr10']:.3f} | {page} | {r['answer']:.3f} | {precision} | {r['first']:.3f} | "
                     f"{r['abstained']:.3f} | {r['p50']:.1f} | {r['p95']:.1f} |")
    lines += ["", "| corpus | paragraphs | chunks | full build s | paragraphs/min |", "|---|---|---|---|---|"]
    for name, b in builds:
        lines.append(f"| {name} | {b['paragraphs']} | {b['chunks']} | {b['seconds']:.0f} | "
                     f"{b['paragraphs'] / b['seconds'] * 60:.0f} |")
    return "\n".join(lines) + "\n"


def chart(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = list(dict.fromkeys(f"{r['data']} ({r['lang']})" for r in rows))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    figure, axis = plt.subplots(figsize=(max(6, 1.6 * len(groups)), 4))
    width = 0.8 / len(methods)
    for i, method in enumerate(methods):
        values = [next((r["hit1"] for r in rows if f"{r['data']} ({r['lang']})" == g and r["method"] == method), 0)
                  for g in groups]
        axis.bar([x + i * width for x in range(len(groups))], values, width, label=method)
    axis.set_xticks([x + 0.4 - width / 2 for x in range(len(groups))], groups, rotation=20, ha="right", fontsize=8)
    axis.set_ylabel("Hit@1")
    axis.set_ylim(0, 1)
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
