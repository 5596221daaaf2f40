"""Real servers for the tests, started on 127.0.0.1 and stopped after: the app, and Milvus.

- the app: `python app.py` on a free port, waited for until it serves its page;
- milvus-lite (`python -m milvus_lite server`): Milvus's own local server, with sparse vectors;
- Milvus 2.3 standalone, the server binary of PyPI's `milvus` package (no sparse vectors), with
  every component told to use 127.0.0.1 (its template leaves them the machine's first address).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(args: list[str], log: Path, cwd: Path) -> tuple[subprocess.Popen, str]:
    """`python app.py ARGS` on a free port, once it serves its page: the process and its URL."""
    port = free_port()
    process = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), *args], cwd=cwd,
                               stdout=log.open("w"), stderr=subprocess.STDOUT,
                               env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)})
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 300
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return process, url
        except OSError:
            if process.poll() is not None or time.time() > deadline:
                process.kill()
                raise RuntimeError(log.read_text()) from None
            time.sleep(1)


def wait_until_serving(uri: str, seconds: float, process: subprocess.Popen | None = None) -> None:
    from pymilvus import MilvusClient

    deadline = time.monotonic() + seconds
    while True:
        try:
            probe = MilvusClient(uri=uri, timeout=2, dedicated=True)
            probe.list_collections()
            probe.close()
            return
        except Exception:  # not listening yet: any error of the connection
            if time.monotonic() > deadline or (process is not None and process.poll() is not None):
                raise RuntimeError(f"no Milvus server at {uri} after {seconds} s") from None
            time.sleep(0.3)


@contextlib.contextmanager
def milvus_lite(folder: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(folder),
                                "--host", "127.0.0.1", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    uri = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(uri, 60, process)
        yield uri
    finally:
        process.terminate()
        process.wait(30)


@contextlib.contextmanager
def milvus_standalone(folder: Path) -> Iterator[str]:
    from milvus import MilvusServer, MilvusServerConfig

    packaged = MilvusServerConfig()
    local = folder / "config.yaml.template"
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_text(packaged.template_text.replace("  ip: #", "  ip: 127.0.0.1 #"), encoding="utf-8")
    config = MilvusServerConfig(template=str(local))
    config.glog_conf_file = packaged.glog_conf_file  # set only for the packaged template
    server = MilvusServer(config)
    server.set_base_dir(str(folder / "data"))
    server.listen_port = free_port()
    server.start()
    uri = f"http://127.0.0.1:{server.listen_port}"
    try:
        wait_until_serving(uri, 120)
        yield uri
    finally:
        server.stop()
