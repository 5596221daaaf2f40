"""Markdown (`.md`) into a `Document`: the text reader, told what Markdown says itself. The
title is the first `#` heading, the authors an `Author:` (`Authors:`, `作者：`) line near the
top, and a fenced code block stays one block, its lines and indentation as written."""

from __future__ import annotations

import re
from pathlib import Path

from qa.document import Document
from qa.readers.text import decode_bytes, parse_text, split_authors

TITLE = re.compile(r"^#\s+(.+?)\s*#*\s*$")
AUTHOR = re.compile(r"^\s*(?:\*\*)?(?:authors?|by|作者)(?:\*\*)?\s*[:：]\s*(?:\*\*)?\s*(.+?)\s*$", re.IGNORECASE)
FRONT_LINES = 12  # an author line counts only near the top


def read(path: Path, doc_id: str, source: str, meta: dict) -> Document:
    raw = decode_bytes(path.read_bytes(), source)
    return parse_text(raw, doc_id, source, {**markdown_meta(raw), **meta}, markdown=True)


def markdown_meta(raw: str) -> dict:
    found: dict = {}
    lines = [line for line in raw.splitlines() if line.strip()]
    for number, line in enumerate(lines):
        if "title" not in found and TITLE.match(line):
            found["title"] = TITLE.match(line).group(1)
        author = AUTHOR.match(line) if number < FRONT_LINES else None
        if author and "authors" not in found:
            found["authors"] = split_authors(author.group(1).rstrip("*"))
    return found
