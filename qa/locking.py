"""One writer at a time for an index folder, across threads and processes.

A build holds an exclusive `flock` on `.<name>.lock` beside the index folder; a second build
(another process, or another thread of the app) waits for it and says so. The lock is
re-entrant within a thread, so adding a document can hold it over its checks and the build.
The kernel releases a `flock` when its holder dies, so a killed build never leaves it stuck.
"""

from __future__ import annotations

import fcntl
import os
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

_guard = threading.Lock()
_thread_locks: dict[str, threading.RLock] = {}
_holds: dict[str, tuple[int, int]] = {}  # lock file → (file descriptor, depth)


def lock_path(folder: Path) -> Path:
    folder = Path(folder)
    return folder.parent / f".{folder.name}.lock"


@contextmanager
def index_lock(folder: Path, quiet: bool = False):
    """Hold the write lock of the index at `folder` for the duration of the block."""
    path = lock_path(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = str(path.resolve())
    with _guard:
        thread_lock = _thread_locks.setdefault(key, threading.RLock())
    with thread_lock:
        descriptor, depth = _holds.get(key, (-1, 0))
        if depth == 0:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not quiet:
                    print(f"waiting for another build of {folder} to finish", file=sys.stderr, flush=True)
                fcntl.flock(descriptor, fcntl.LOCK_EX)
        _holds[key] = (descriptor, depth + 1)
        try:
            yield
        finally:
            descriptor, depth = _holds.pop(key)
            if depth > 1:
                _holds[key] = (descriptor, depth - 1)
            else:
                fcntl.flock(descriptor, fcntl.LOCK_UN)
                os.close(descriptor)
