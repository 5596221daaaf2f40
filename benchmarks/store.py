"""The Milvus store against the embedded index, on the same index and questions in one run.

    python -m benchmarks.store [--datasets seed,cmrc] [--servers lite,standalone] [--questions 400]

For each dataset's index (built or updated in `benchmarks/out/`, as `benchmarks.retrieval`
does) and each real Milvus server (milvus-lite; Milvus 2.3 standalone from PyPI's `milvus`,
without sparse vectors), started on 127.0.0.1 and stopped after: the time to publish the index
and to open it in Milvus, Hit@1/Hit@5 on both stores, the share of questions whose top five are
the same passages in the same order, and search p50/p95. Prints one Markdown table.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks import datasets
from benchmarks.core import percentile, timed
from benchmarks.retrieval import index_for
from qa.embedding import Embedder
from qa.evaluation import evaluate, load_questions, score
from qa.retrieval import Retriever
from qa.store.milvus import MilvusStore, publish
from tests.servers import milvus_lite, milvus_standalone

SERVERS = {"lite": ("milvus-lite 3.2", milvus_lite), "standalone": ("Milvus 2.3 standalone", milvus_standalone)}
DATASETS = {"seed": [datasets.seed, datasets.seed_ours], "cmrc": [datasets.cmrc]}


def compare(embedded: Retriever, milvus: Retriever, questions) -> dict:
    figures = {}
    for name, retriever in (("embedded", embedded), ("milvus", milvus)):
        scores = score(evaluate(retriever, questions))
        retriever.search(questions[0].q)
        times = [timed(retriever.search, question.q, 5) for question in questions]
        figures[name] = {"hit1": scores.hit1, "hit5": scores.hit5, "p50": percentile(times, 0.5),
                         "p95": percentile(times, 0.95)}
    same = sum([hit.chunk.chunk_id for hit in embedded.search(question.q, 5)]
               == [hit.chunk.chunk_id for hit in milvus.search(question.q, 5)] for question in questions)
    figures["same_top5"] = same / len(questions)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default="seed,cmrc")
    parser.add_argument("--servers", default="lite,standalone")
    parser.add_argument("--questions", type=int, default=400, help="at most this many questions per dataset")
    args = parser.parse_args()
    embedder = Embedder()
    lines = ["| data | server | chunks | n | publish | open | Hit@1 embedded / Milvus | Hit@5 embedded / Milvus "
             "| same top 5 | search p50 / p95 embedded | search p50 / p95 Milvus |", "|---" * 11 + "|"]
    for dataset_name in args.datasets.split(","):
        sets = [make() for make in DATASETS[dataset_name]]
        index, _ = index_for(sets[0].corpus, embedder)
        questions = [q for dataset in sets for q in load_questions(dataset.questions)][: args.questions]
        for server in args.servers.split(","):
            label, start = SERVERS[server]
            with tempfile.TemporaryDirectory() as folder, start(Path(folder)) as uri:
                began = time.perf_counter()
                publish(index, uri, "qa_benchmark")
                published = time.perf_counter() - began
                began = time.perf_counter()
                store = MilvusStore.open(uri, "qa_benchmark")
                opened = time.perf_counter() - began
                f = compare(Retriever(index, embedder), Retriever(store, embedder), questions)
            e, m = f["embedded"], f["milvus"]
            lines.append(f"| {dataset_name} | {label} | {len(index):,} | {len(questions)} | {published:.1f} s "
                         f"| {opened:.2f} s | {e['hit1']:.3f} / {m['hit1']:.3f} | {e['hit5']:.3f} / {m['hit5']:.3f} "
                         f"| {f['same_top5']:.3f} | {e['p50']:.0f} / {e['p95']:.0f} ms | {m['p50']:.0f} / {m['p95']:.0f} ms |")
            print(lines[-1], flush=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
