"""Markdown (`.md`) into a `Document`, parsed by markdown-it-py (CommonMark and tables): each
block (heading, paragraph, list item, table row, code block) becomes one line for the shared
layout (`layout_units`), as a Word paragraph does, with the markup taken out of the text
(`**重要**`, `[原文](url)`, `` `code` `` read as 重要, 原文, code), so quotes read as the note
does. `#` headings head sections at their level, the only top-level one on the first line is
the title; a paragraph wholly in bold heads one when numbered or short ("**二、对策**"); the
authors come from an `Author:` (`Authors:`, `By:`, `作者：`) line near the top. A note has no
pages: `meta["paged"]` is False."""

from __future__ import annotations

import re
from pathlib import Path

from qa.document import Document
from qa.readers.text import (
    AUTHOR_LABEL,
    BOLD_LEVEL,
    Line,
    bold_line_heads,
    build_document,
    decode_bytes,
    join_lines,
    language_of,
    latin_vocabulary,
    layout_units,
    name_sole_title,
    split_authors,
)

FRONT_LINES = 12  # an author line counts only near the top


def read(path: Path, doc_id: str, source: str, meta: dict) -> Document:
    raw = decode_bytes(path.read_bytes(), source)
    lines = markdown_lines(raw.removeprefix("\ufeff"))
    all_text = "\n".join(line.text for line in lines)
    lang = language_of(all_text)
    own: dict = {"paged": False}
    if lines and not lines[0].styled and lines[0].heading_level == 1:
        own["title"] = lines[0].text
    author = next((line.text for line in lines[:FRONT_LINES]
                   if AUTHOR_LABEL.match(line.text) and AUTHOR_LABEL.sub("", line.text).strip()), None)
    if author:
        own["authors"] = split_authors(author)  # which takes off the label
    units, _ = layout_units(lines, lang, footnote_lines=False)
    return build_document(units, [], 1, lang, latin_vocabulary(all_text), doc_id, source, {**own, **meta})


def markdown_lines(raw: str) -> list[Line]:
    """One line a block, in order, headings carrying their level."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(raw)
    vocabulary = latin_vocabulary(raw)  # words a line break's hyphen belongs to
    lines: list[Line] = []
    row: list[str] | None = None
    for index, token in enumerate(tokens):
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close":
            text = " ".join(cell for cell in row if cell)
            if text:
                lines.append(Line(text, 1, True, typed=True, cells=len(row), ruled=True))
            row = None
        elif token.type in ("fence", "code_block"):
            code = token.content.rstrip("\n")
            if code.strip():
                fence = Line("```", 1, True, code=True)
                lines += [fence, *(Line(text.rstrip() or " ", 1, False, code=True) for text in code.split("\n")), fence]
        elif token.type == "inline":
            text, bold = _plain(token, vocabulary)
            if row is not None:
                row.append(text)
            elif text and tokens[index - 1].type == "heading_open":
                level = int(tokens[index - 1].tag[1])
                lines.append(Line(text, 1, True, heading_level=level, typed=True, styled=True))
            elif text:
                heads = bold and bold_line_heads(text)
                lines.append(Line(text, 1, True, heading_level=BOLD_LEVEL if heads else 0, typed=True))
    return name_sole_title(lines)


def _plain(inline, vocabulary: set[str]) -> tuple[str, bool]:
    """An inline token's text without its markup, and whether all of it is in bold."""
    segments, current = [], ""
    depth, bold_chars, chars = 0, 0, 0
    for child in inline.children or []:
        if child.type == "strong_open":
            depth += 1
        elif child.type == "strong_close":
            depth -= 1
        elif child.type in ("softbreak", "hardbreak"):
            segments.append(current)
            current = ""
        elif child.type in ("text", "code_inline"):
            current += child.content
            visible = len(child.content.strip())
            chars += visible
            bold_chars += visible if depth else 0
        elif child.type == "image":
            current += child.content  # its alt text
    segments.append(current)
    text, _ = join_lines([segment.strip() for segment in segments if segment.strip()], vocabulary)
    return re.sub(r"[^\S\u3000]+", " ", text).strip(), chars > 0 and bold_chars == chars
