"""Records on disk, read one at a time: a JSON-lines file and the offset of each line.

An index of a million chunks holds more than a gigabyte of chunk and document records; parsing
them all when a question comes in took longer than answering it. `Records` maps the file
and parses a record when it is asked for (the last few thousand are kept parsed).
"""

from __future__ import annotations

import json
import mmap
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

PARSED = 8192  # records kept parsed


def write_records(path: Path, records: Iterable[dict]) -> np.ndarray:
    """Write one JSON object a line; returns the byte offset of each line and of the end."""
    offsets = [0]
    with path.open("wb") as handle:
        for record in records:
            line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
            handle.write(line)
            offsets.append(offsets[-1] + len(line))
    return np.array(offsets, dtype=np.int64)


class Records(Sequence):
    """The records of a JSON-lines file, each made by `make` from its parsed line when first read."""

    def __init__(self, path: Path, offsets: np.ndarray, make: Callable[[dict], Any]):
        self.offsets = offsets
        self._make = make
        with path.open("rb") as handle:
            self._data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if offsets[-1] else b""
        self._record = lru_cache(maxsize=PARSED)(self._read)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, position):
        if isinstance(position, slice):
            return [self[n] for n in range(*position.indices(len(self)))]
        position = int(position)
        if position < 0:
            position += len(self)
        if not 0 <= position < len(self):
            raise IndexError(position)
        return self._record(position)

    def __iter__(self) -> Iterator:
        return (self[n] for n in range(len(self)))

    def _read(self, position: int):
        line = self._data[self.offsets[position]:self.offsets[position + 1]]
        return self._make(json.loads(line))


class RecordMap(Mapping):
    """Records by key (a document's doc_id), read when first asked for."""

    def __init__(self, keys: list[str], records: Records):
        self._position = {key: n for n, key in enumerate(keys)}
        self._records = records

    def __getitem__(self, key: str):
        return self._records[self._position[key]]

    def __contains__(self, key) -> bool:
        return key in self._position

    def __iter__(self) -> Iterator[str]:
        return iter(self._position)

    def __len__(self) -> int:
        return len(self._position)
