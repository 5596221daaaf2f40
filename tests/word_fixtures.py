"""Word files for the tests, made with python-docx: the seed paper as an author writes it in
Word (direct formatting, no heading styles), with the page breaks Word records on saving."""

from __future__ import annotations

from pathlib import Path

from qa.document import Document

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
SIZES = {"title": 18, "subtitle": 14, "authors": 12, "affiliation": 9, "abstract": 9, "keywords": 9,
         "classification": 9, "paragraph": 10.5}  # points, as a Chinese journal sets them


def seed_docx(document: Document, path: Path) -> Path:
    """The seed paper in Word: the title large and bold, top headings in 14 pt bold, the others
    bold in body type, the body in the Normal style's 10.5 pt, the table a Word table, the
    footnotes in the footnotes part, and a `w:lastRenderedPageBreak` where each seed page ends."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.shared import Pt

    word = docx.Document()
    word.styles["Normal"].font.size = Pt(10.5)
    word.sections[0].header.paragraphs[0].text = "社会科学 2023 年第 5 期"
    breaks = [page.start for page in document.pages[1:]]
    notes = {}  # footnote index → id in the file
    marks = {ref.offset: ref.footnote for ref in document.footnote_refs if ref.footnote is not None}

    def add_runs(paragraph, start: int, end: int, size: float | None, bold: bool) -> None:
        events = sorted({*(b for b in breaks if start <= b < end), *(m for m in marks if start < m <= end)})
        position = start
        for offset in [*events, end]:
            if offset > position:
                run = paragraph.add_run(document.text[position:offset])
                run.bold = bold or None
                if size is not None and size != 10.5:
                    run.font.size = Pt(size)
                position = offset
            if offset in breaks and offset != end:
                run = paragraph.add_run()
                run._r.append(OxmlElement("w:lastRenderedPageBreak"))
            if offset in marks:
                add_note_mark(paragraph, "footnote", notes.setdefault(marks[offset], len(notes) + 1))

    for number, block in enumerate(document.blocks):
        if block.kind == "footnote":
            continue
        # A page that starts between two blocks starts with the second.
        start = block.start if number == 0 else document.blocks[number - 1].end + 1
        if block.kind == "table":
            caption, *rows = document.text[block.start:block.end].split("\n")
            add_runs(word.add_paragraph(), start, block.start + len(caption), 9, True)
            cells = [row.split() for row in rows]
            table = word.add_table(rows=len(cells), cols=max(map(len, cells)))
            for row, values in zip(table.rows, cells):
                for cell, value in zip(row.cells, values):
                    cell.text = value
            continue
        paragraph = word.add_paragraph()
        if block.kind == "heading":
            size, bold = (14 if len(block.section) == 1 else 10.5), True
        else:
            size, bold = SIZES.get(block.kind, 10.5), block.kind == "title"
        if block.kind in ("title", "subtitle", "authors", "affiliation"):
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        add_runs(paragraph, start, block.end, size, bold)
    add_notes(word, "footnote", {notes[index]: document.text[note.start:note.end]
                          for index, note in enumerate(document.footnotes) if index in notes})
    word.save(path)
    return path


def add_notes(word, kind: str, notes: dict[int, str]) -> None:
    """Give a python-docx document its footnotes or endnotes part (`kind`), which python-docx cannot write."""
    from xml.sax.saxutils import escape

    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    body = "".join(f'<w:{kind} w:id="{key}"><w:p><w:r><w:t>{escape(text)}</w:t></w:r></w:p></w:{kind}>'
                   for key, text in notes.items())
    xml = (f'<w:{kind}s xmlns:w="{W}"><w:{kind} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r>'
           f'</w:p></w:{kind}>{body}</w:{kind}s>').encode()
    part = Part(PackURI(f"/word/{kind}s.xml"),
                f"application/vnd.openxmlformats-officedocument.wordprocessingml.{kind}s+xml", xml, word.part.package)
    word.part.relate_to(part, RELATIONSHIP_TYPE.FOOTNOTES if kind == "footnote" else RELATIONSHIP_TYPE.ENDNOTES)


def add_note_mark(paragraph, kind: str, key: int) -> None:
    """A footnote or endnote reference mark at the end of a python-docx paragraph."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    mark = OxmlElement(f"w:{kind}Reference")
    mark.set(qn("w:id"), str(key))
    paragraph.add_run()._r.append(mark)
