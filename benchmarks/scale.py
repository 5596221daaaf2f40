"""Search at library sizes this machine cannot embed: a synthetic index of N chunks, built through
the product's own index code, searched in a fresh process.

    python -m benchmarks.scale --chunks N[,N...] [--json] [--questions 200] [--chart PNG] [--folder DIR]

The corpus: the chunks of the CMRC 2018 and XQuAD dev indexes (`benchmarks.datasets`, Chinese
and English), drawn at random into documents of DOCUMENT_CHUNKS chunks each until there are N.
A drawn chunk keeps its text, sentences, search terms, sentence and answer vectors; its chunk
vector is the real one perturbed (unit Gaussian noise of norm NOISE, renormalized: a cosine of
about 0.9 with the original), so that no two chunks share a vector and exact search has a real
job. Embedding a million chunks on 2 cores would take days and is not what is measured.

Reports the build time, the index size on disk, the load time (a fresh process: the index
loaded, the retriever made and one question answered), search p50/p95 over mixed Chinese and
English questions (the dev sets', hybrid ranking, everything a search does; after WARMUP
other questions, which read the mapped files into the page cache), dense recall@10
of the index's FAISS search against exact search over the same vectors, and the search
process's peak RSS. With `--json`, one JSON object per size; with `--chart`, a chart of
latency and memory against the number of chunks.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from benchmarks import datasets
from benchmarks.retrieval import index_for
from qa.chunk_table import ChunkTable
from qa.config import Config
from qa.document import Document, Page
from qa.embedding import AnswerEncoder, Embedder
from qa.index import VECTOR_DTYPE, Index, new_manifest, passage_text
from qa.lexical import LexicalIndex
from qa.probes import probe_vectors
from qa.terms import tokenize

DOCUMENT_CHUNKS = 40
NOISE = 0.5
SEED = 7
WARMUP = 50  # questions asked before the timed ones (others than those)


def sources(embedder: Embedder) -> list[Index]:
    """The real indexes the synthetic chunks are drawn from."""
    chosen = [dataset for dataset in datasets.xquad() if dataset.name != "xquad en→zh"] + [datasets.cmrc()]
    return [index_for(dataset.corpus, embedder)[0] for dataset in chosen]


def synthetic_index(count: int, embedder: Embedder, folder: Path) -> float:
    """Build the index of `count` chunks at `folder`; returns the seconds it took."""
    rng = np.random.default_rng(SEED)
    pool = [(index, position) for index in sources(embedder) for position in range(len(index))]
    terms = {}
    began = time.perf_counter()
    documents, chunks, drawn = {}, [], rng.integers(0, len(pool), count)
    for start in range(0, count, DOCUMENT_CHUNKS):
        doc_id = f"synthetic-{start // DOCUMENT_CHUNKS:06d}"
        parts, offset, members = [], 0, []
        for n in drawn[start:start + DOCUMENT_CHUNKS]:
            index, position = pool[n]
            chunk = index.chunks[position]
            shift = offset - chunk.start
            members.append(replace(chunk, chunk_id=f"{doc_id}#{len(members)}", doc_id=doc_id, start=chunk.start + shift,
                                   end=chunk.end + shift, page_start=1, page_end=1,
                                   sentences=[replace(s, start=s.start + shift, end=s.end + shift, page=1)
                                              for s in chunk.sentences]))
            parts.append(chunk.text)
            offset += len(chunk.text) + 2
        text = "\n\n".join(parts)
        lang = max(("zh", "en"), key=[m.lang for m in members].count)
        documents[doc_id] = Document(doc_id=doc_id, source=f"{doc_id}.txt", text=text, lang=lang, title=doc_id,
                                     authors=[], meta={}, pages=[Page(1, 0, len(text))], blocks=[], sections=[],
                                     footnotes=[], footnote_refs=[])
        chunks += members
    vectors = np.empty((count, embedder.dimension), np.float32)
    sentence_total = sum(len(chunk.sentences) for chunk in chunks)
    scratch = folder.parent / f".{folder.name}-vectors"
    scratch.mkdir(parents=True, exist_ok=True)
    sentences = np.lib.format.open_memmap(scratch / "s.npy", "w+", VECTOR_DTYPE, (sentence_total, embedder.dimension))
    answers = np.lib.format.open_memmap(scratch / "a.npy", "w+", VECTOR_DTYPE, (sentence_total, AnswerEncoder.dimension))
    row = 0
    token_lists = []
    for n, (index, position) in enumerate(pool[k] for k in drawn):
        vectors[n] = index.chunk_vectors[position]
        rows = index.sentence_rows(position)
        sentences[row:row + len(rows)] = index.sentence_vectors[rows.start:rows.stop]
        answers[row:row + len(rows)] = index.answer_vectors[rows.start:rows.stop]
        row += len(rows)
        key = (id(index), position)
        if key not in terms:
            terms[key] = tokenize(passage_text(index.chunks[position])) or [""]
        token_lists.append(terms[key])
    vectors += rng.standard_normal(vectors.shape, dtype=np.float32) * (NOISE / np.sqrt(vectors.shape[1]))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    table = ChunkTable.build(documents, chunks, vectors, probe_vectors(embedder), Config().chunk_chars)
    manifest = {**new_manifest(embedder.identity, Config().chunk_chars, {}, {}), "synthetic": True}
    index = Index(manifest, documents, chunks, vectors, sentences, answers, table, LexicalIndex.from_tokens(token_lists))
    index.save(folder)
    seconds = time.perf_counter() - began
    shutil.rmtree(scratch, ignore_errors=True)
    return seconds


def questions(limit: int) -> list[str]:
    """Mixed Chinese and English dev questions (XQuAD's three sets and CMRC's, shuffled)."""
    chosen = [dataset for dataset in datasets.xquad()] + [datasets.cmrc()]
    pools = [[json.loads(line)["q"] for line in dataset.questions.read_text(encoding="utf-8").splitlines()]
             for dataset in chosen]
    random.Random(SEED).shuffle(mixed := [q for pool in pools for q in pool[: limit]])
    return mixed[:limit]


def measure(folder: Path, count: int) -> dict:
    """In this (fresh) process: load, first answer, search latency, dense recall, peak RSS."""
    from qa.retrieval import Retriever

    warmup, asked = questions(WARMUP + count)[:WARMUP], questions(WARMUP + count)[WARMUP:]
    began = time.perf_counter()
    embedder = Embedder.from_config(Config.from_env())
    index = Index.load(folder)
    retriever = Retriever.from_config(index, embedder, Config.from_env())
    retriever.search(warmup[0], 5)
    load = time.perf_counter() - began
    for question in warmup[1:]:  # the first questions read the mapped files from disk
        retriever.search(question, 5)
    latencies, recalls = [], []
    vectors = np.asarray(index.chunk_vectors)
    for question in asked:
        began = time.perf_counter()
        retriever.search(question, 5)
        latencies.append((time.perf_counter() - began) * 1000)
    peak = peak_rss_mb()  # before exact search reads every chunk vector, which only the recall check needs
    for question in asked[:100]:
        vector = retriever.query(question).vector
        _, found = index.faiss.search(vector.reshape(1, -1), 10)
        exact = np.argpartition(-(vectors @ vector), 10)[:10]
        recalls.append(len(set(found[0].tolist()) & set(exact.tolist())) / 10)
    return {"load_s": round(load, 2), "search_p50_ms": round(statistics.median(latencies), 1),
            "search_p95_ms": round(float(np.percentile(latencies, 95)), 1),
            "recall_at_10": round(float(np.mean(recalls)), 3),
            "peak_rss_mb": round(peak),
            "dense": index.manifest["dense"]}


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited across exec
    from the parent that forked it, here the builder)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def run(count: int, questions_asked: int, parent: Path | None) -> dict:
    """Build an index of `count` chunks, measure it in a fresh process, delete it."""
    embedder = Embedder.from_config(Config.from_env())
    work = Path(tempfile.mkdtemp(prefix="scale-", dir=parent))
    try:
        folder = work / "index"
        build = synthetic_index(count, embedder, folder)
        size = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
        searched = subprocess.run([sys.executable, "-m", "benchmarks.scale", "--chunks", str(count),
                                   "--questions", str(questions_asked), "--measure", str(folder)],
                                  check=True, capture_output=True, text=True)
        return {"chunks": count, "build_s": round(build, 1), "size_gb": round(size / 1e9, 2),
                **json.loads(searched.stdout.strip().splitlines()[-1])}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def chart(rows: list[dict], path: Path) -> None:
    """Search p50/p95 and peak RSS against the number of chunks, log scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = [row["chunks"] for row in rows]
    figure, latency = plt.subplots(figsize=(6.4, 3.6))
    latency.plot(counts, [row["search_p50_ms"] for row in rows], "o-", label="search p50 (ms)")
    latency.plot(counts, [row["search_p95_ms"] for row in rows], "s-", label="search p95 (ms)")
    latency.set_xscale("log")
    latency.set_xlabel("chunks in the index")
    latency.set_ylabel("ms")
    memory = latency.twinx()
    memory.plot(counts, [row["peak_rss_mb"] / 1024 for row in rows], "^--", color="tab:green", label="peak RSS (GB)")
    memory.set_ylabel("GB")
    memory.set_ylim(bottom=0)
    latency.set_ylim(bottom=0)
    handles = latency.get_legend_handles_labels()[0] + memory.get_legend_handles_labels()[0]
    latency.legend(handles, [h.get_label() for h in handles], loc="upper left", fontsize=8)
    latency.set_title("benchmarks.scale: one search process, 2-core CPU", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", required=True, help="the index size, or sizes separated by commas")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="one JSON object per size")
    parser.add_argument("--chart", type=Path, help="write a chart of latency and memory against size (PNG)")
    parser.add_argument("--folder", type=Path, help="where the indexes are built (default: the temporary folder)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the fresh search process
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.questions)))
        return
    rows = []
    for count in (int(size) for size in args.chunks.split(",")):
        rows.append(run(count, args.questions, args.folder))
        print(json.dumps(rows[-1]) if args.json else
              "\n".join(f"{key}: {value}" for key, value in rows[-1].items()) + "\n", flush=True)
    if args.chart:
        chart(rows, args.chart)


if __name__ == "__main__":
    main()
