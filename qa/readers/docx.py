"""Word (`.docx`) into a `Document`, with python-docx: heading styles give the sections, tables
stay whole (a row a line), the title comes from the Title style or the file's properties.

A Word file has no fixed pages: the whole document is page 1 and `meta["paged"]` is False,
so citations name the section, never a guessed page. Footnotes (the file's footnotes part,
which python-docx does not expose) are kept as footnotes, linked to their reference marks.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from qa.document import Document, DocumentError
from qa.readers.text import TABLE_CAPTION, Line, Unit, build_document, language_of, latin_vocabulary

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def read(path: Path, doc_id: str, source: str, meta: dict) -> Document:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        word = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError(f"{source}: cannot open as a Word .docx file ({exc})") from exc
    units: list[Unit] = []
    title = ""
    notes = _footnotes(word)
    numbers: dict[str, str] = {}  # footnote id → the number Word shows, in order of reference
    for element in word.element.body.iterchildren():
        if element.tag.endswith("}p"):
            paragraph = Paragraph(element, word)
            text, markers = _text_and_marks(element, numbers)
            if not text:
                continue
            style = paragraph.style.name if paragraph.style is not None else ""
            level = _heading_level(style)
            if style == "Title" and not title:
                title = text
                units.append(Unit("front-line", [Line(text, 1, True)]))
            elif level:
                units.append(Unit("heading", [Line(text, 1, True)], heading=("style", level)))
            else:
                units.append(Unit("paragraph", [Line(text, 1, True, markers)]))
        elif element.tag.endswith("}tbl"):
            rows = [" ".join(cell.text.strip() for cell in row.cells) for row in Table(element, word).rows]
            rows = [row for row in rows if row.strip()]
            if not rows:
                continue
            caption = units.pop() if units and units[-1].kind == "paragraph" and TABLE_CAPTION.match(
                units[-1].lines[0].text) else None
            lines = ([caption.lines[0]] if caption else []) + [Line(row, 1, False) for row in rows]
            units.append(Unit("table", lines))
    text = "\n".join(line.text for unit in units for line in unit.lines)
    properties = word.core_properties
    own = {"paged": False}
    if title or (properties.title or "").strip():
        own["title"] = title or properties.title.strip()
    if (properties.author or "").strip():
        own["authors"] = [name.strip() for name in re.split(r"[;,，、]", properties.author) if name.strip()]
    footnotes = [Unit("footnote", [Line(notes[key], 1, False)], label=number) for key, number in numbers.items()
                 if notes.get(key)]
    return build_document(units, footnotes, 1, language_of(text), latin_vocabulary(text), doc_id, source,
                          {**own, **meta})


def _footnotes(word) -> dict[str, str]:
    """The file's footnotes by id (separators left out), from its footnotes part."""
    from lxml import etree

    part = next((rel.target_part for rel in word.part.rels.values()
                 if rel.reltype.endswith("/footnotes") and not rel.is_external), None)
    if part is None:
        return {}
    notes = {}
    for note in etree.fromstring(part.blob).iter(f"{W}footnote"):
        if note.get(f"{W}type") in ("separator", "continuationSeparator", "continuationNotice"):
            continue
        text = re.sub(r"\s+", " ", "".join(t.text or "" for t in note.iter(f"{W}t"))).strip()
        notes[note.get(f"{W}id")] = text
    return notes


def _text_and_marks(paragraph, numbers: dict[str, str]) -> tuple[str, tuple[tuple[int, str], ...]]:
    """A paragraph's text, spaces collapsed, and its footnote reference marks as (offset, label)."""
    text, markers = "", []
    for node in paragraph.iter(f"{W}t", f"{W}tab", f"{W}br", f"{W}footnoteReference"):
        if node.tag == f"{W}footnoteReference":
            key = node.get(f"{W}id")
            numbers.setdefault(key, str(len(numbers) + 1))
            markers.append((len(text), numbers[key]))
            continue
        piece = re.sub(r"\s+", " ", node.text or "") if node.tag == f"{W}t" else " "
        if text.endswith(" ") or not text:
            piece = piece.lstrip()
        text += piece
    stripped = text.rstrip()
    return stripped, tuple((min(offset, len(stripped)), label) for offset, label in markers)


def _heading_level(style: str) -> int:
    match = re.fullmatch(r"(?:Heading|标题)\s*(\d)", style)
    return int(match.group(1)) if match else 0
