"""Load test of the app: concurrent clients asking mixed Chinese and English questions.

    python -m benchmarks.load [--clients 1 5 20] [--seconds 60] [--json]

Starts `python app.py` on a free port of 127.0.0.1 over a copy of seeds/ (its own index in a
temporary folder; QA_PROCESSES and QA_WORKERS pass through to it), asks a few questions to
warm it up, then for each client count runs that many threads, each asking through the `/ask`
API (Gradio's two-step HTTP call) in a loop until the time is up or it has sent its share of
the request cap. It reports answers/s, latency p50/p95, errors, and the resident memory
(VmRSS) of the app and its answering processes at the start and the end of each round.
Traffic goes to 127.0.0.1 only; the app is stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.core import percentile
from qa.evaluation import load_questions

ROOT = Path(__file__).resolve().parent.parent
MAX_REQUESTS = 20_000  # per round, whatever the time: the loop always ends


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident memory of the app and its answering processes (qa.workers), together."""
    total = 0.0
    for process in [pid, *descendants(pid)]:
        try:
            for line in Path(f"/proc/{process}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue  # ended meanwhile
    return total


def descendants(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return children + [grandchild for child in children for grandchild in descendants(child)]


def ask(connection: http.client.HTTPConnection, question: str) -> dict:
    """One `/ask` call: POST the question, then read the event stream to its end."""
    body = json.dumps({"data": [question, 5, None]})  # question, top_k, doc_ids (all documents)
    connection.request("POST", "/gradio_api/call/ask", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    event_id = json.loads(response.read())["event_id"]
    connection.request("GET", f"/gradio_api/call/ask/{event_id}")
    stream = connection.getresponse().read().decode("utf-8")
    event = data = None
    for line in stream.splitlines():
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            data = line.split(":", 1)[1].strip()
    if event != "complete":
        raise RuntimeError(f"{event}: {data}")
    return json.loads(data)[0]


def run_round(port: int, pid: int, questions: list[str], clients: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    cap = MAX_REQUESTS // clients

    def client(offset: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for n in range(cap):
            if time.perf_counter() >= deadline:
                break
            question = questions[(offset + n) % len(questions)]
            began = time.perf_counter()
            try:
                answer = ask(connection, question)
                if "citations" not in answer:
                    raise RuntimeError(f"no answer object: {answer}")
                with lock:
                    latencies.append(time.perf_counter() - began)
            except Exception as exc:  # every failure is counted, whatever it is
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        connection.close()

    rss_start = rss_mb(pid)
    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i * 7,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "answers": len(latencies),
        "answers_per_s": round(len(latencies) / elapsed, 2),
        "p50_ms": round(1000 * percentile(latencies, 0.5)) if latencies else None,
        "p95_ms": round(1000 * percentile(latencies, 0.95)) if latencies else None,
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "rss_start_mb": round(rss_start),
        "rss_end_mb": round(rss_mb(pid)),
    }


def start_app(folder: Path, port: int) -> subprocess.Popen:
    seeds = folder / "seeds"
    shutil.copytree(ROOT / "seeds", seeds)
    log = (folder / "app.log").open("w")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "--port", str(port), "--index", str(folder / "index"),
         "--seeds", str(seeds)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.time() + 600
    while time.time() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/")
            connection.getresponse().read()
            return process
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(1)
    process.kill()
    raise RuntimeError((folder / "app.log").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    dev = load_questions(ROOT.parent / "shared" / "eval" / "seed_dev.jsonl")
    own = [json.loads(line)["q"] for line in (ROOT / "tests" / "data" / "seed_questions.jsonl").open(encoding="utf-8")]
    questions = [q.q for q in dev] + own  # Chinese and English, interleaved by the files' order
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        process = start_app(Path(folder), port)
        try:
            warm = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            for question in questions[:10]:
                ask(warm, question)
            warm.close()
            rounds = [run_round(port, process.pid, questions, clients, args.seconds) for clients in args.clients]
        finally:
            process.terminate()
            process.wait(timeout=60)
    if args.json:
        print(json.dumps({"questions": len(questions), "rounds": rounds}))
        return
    print(f"{len(questions)} questions (seed dev + our own, zh and en), {args.seconds:g} s per round, cores: {os.cpu_count()}")
    print("| clients | answers | answers/s | p50 ms | p95 ms | errors | RSS start → end (MB) |")
    print("|---|---|---|---|---|---|---|")
    for r in rounds:
        print(f"| {r['clients']} | {r['answers']} | {r['answers_per_s']} | {r['p50_ms']} | {r['p95_ms']} | "
              f"{r['errors']} | {r['rss_start_mb']} → {r['rss_end_mb']} |")
    base = rounds[0]["answers_per_s"] or 1
    print("throughput vs the first round: " + ", ".join(f"{r['clients']} clients {r['answers_per_s'] / base:.2f}×"
                                                        for r in rounds))
    if any(r["first_error"] for r in rounds):
        print("first error:", next(r["first_error"] for r in rounds if r["first_error"]))


if __name__ == "__main__":
    main()
