"""Word (`.docx`) into a `Document`, with python-docx: heading styles give the sections, tables
stay whole (a row a line), the title comes from the Title style or the file's properties.

A Word file has no fixed pages: the whole document is page 1 and `meta["paged"]` is False,
so citations name the section, never a guessed page. Footnotes are not read (python-docx
does not expose them).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from qa.document import Document, DocumentError
from qa.readers.text import TABLE_CAPTION, Line, Unit, build_document, language_of, latin_vocabulary


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
    for element in word.element.body.iterchildren():
        if element.tag.endswith("}p"):
            paragraph = Paragraph(element, word)
            text = re.sub(r"\s+", " ", paragraph.text).strip()
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
                units.append(Unit("paragraph", [Line(text, 1, True)]))
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
    return build_document(units, [], 1, language_of(text), latin_vocabulary(text), doc_id, source, {**own, **meta})


def _heading_level(style: str) -> int:
    match = re.fullmatch(r"(?:Heading|标题)\s*(\d)", style)
    return int(match.group(1)) if match else 0
