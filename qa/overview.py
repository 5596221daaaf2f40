"""Questions about a whole document ("What is this paper about?", "这篇文章讲了什么？") are
answered by its abstract, the authors' own summary, quoted whole: no passage stands out for
them, since every passage is about the paper (the seed's best sentence for "What is the paper
about?" was the run-in heading "农村数字人力资本的“逆行提升”。")."""

from __future__ import annotations

import re

from qa.document import Document
from qa.readers.text import language_of

ABSTRACT_HEADING = re.compile(r"^(?:摘\s*要|内容提要|Abstract|Summary)$", re.IGNORECASE)


def abstract_of(document: Document, lang: str) -> list[tuple[tuple[str, ...], int, int]]:
    """(section path, start, end) of each block of the document's abstract, in `lang` when it has
    one in that language (a Chinese paper prints an English abstract too), else in any; empty
    when it has none. An abstract is a labelled block ("摘要：…") or the paragraphs under an
    "Abstract" heading."""
    blocks = [b for b in document.blocks if b.kind == "abstract"]
    if not blocks:
        spans = [(s.start, s.end) for s in document.walk_sections() if ABSTRACT_HEADING.match(s.heading.strip())]
        blocks = [b for b in document.blocks if b.kind == "paragraph" and any(a <= b.start < e for a, e in spans)]
    parts = [(document.section_path_at(b.start), b.start, b.end) for b in blocks]
    own = [part for part in parts if language_of(document.text[part[1]:part[2]]) == lang]
    return own or parts
