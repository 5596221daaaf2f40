"""Test PDFs made with reportlab: the seed paper typeset as a journal prints it (one PDF page per
seed page, running header, printed page numbers from 171, footnotes in small type under a rule,
superscript markers), in one or two columns; pages with roman then arabic labels; a scanned
page (an image only); a page whose text layer is garbage. Fonts: reportlab's built-in
Adobe-GB1 CID font (STSong-Light, not embedded, as many Chinese journals set it) and Helvetica."""

from __future__ import annotations

import io
from pathlib import Path

from qa.document import Document

FONT = "STSong-Light"
BODY = 9.0
NOTE = 6.5
HEADING = 11.0
TITLE = 16.0
WIDTH, HEIGHT = 595.0, 842.0  # A4
MARGIN = 56.0
FIRST_PRINTED = 171


def register_fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def wrap(text: str, width: float, size: float, font: str = FONT, indent: float = 0.0) -> list[str]:
    """Greedy wrapping: anywhere between CJK characters, at spaces between Latin words."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, current = [], ""
    limit = width - indent
    for token in _tokens(text):
        if current and stringWidth(current + token, font, size) > limit:
            lines.append(current.rstrip())
            current, limit = token.lstrip(), width
        else:
            current += token
    if current.strip():
        lines.append(current.rstrip())
    return lines


def _tokens(text: str) -> list[str]:
    tokens, word = [], ""
    for ch in text:
        if ch.isascii() and not ch.isspace():
            word += ch
            continue
        if word:
            tokens.append(word)
            word = ""
        tokens.append(ch)
    if word:
        tokens.append(word)
    return tokens


def seed_pdf(document: Document, path: Path, columns: int = 1) -> Path:
    """The seed paper typeset page for page: each seed page's body and footnotes on one PDF page."""
    from reportlab.pdfgen import canvas

    register_fonts()
    pdf = canvas.Canvas(str(path), pagesize=(WIDTH, HEIGHT))
    pdf.setTitle("")
    markers = {ref.offset: ref.label for ref in document.footnote_refs}
    gutter = 18.0
    column_width = (WIDTH - 2 * MARGIN - gutter * (columns - 1)) / columns
    for page in document.pages:
        printed = FIRST_PRINTED + page.number - 1
        pdf.setFont(FONT, 7.5)
        header = "社会科学 2023 年第 5 期" if page.number % 2 else "城乡数字势差与逆差序智治"
        pdf.drawString(MARGIN, HEIGHT - 36, header)
        pdf.line(MARGIN, HEIGHT - 40, WIDTH - MARGIN, HEIGHT - 40)
        pdf.drawCentredString(WIDTH / 2, 30, f"· {printed} ·")
        notes = [note for note in document.footnotes if note.page == page.number]
        note_lines = []
        for note in notes:
            text = f"{note.label}\u3000{document.text[note.start:note.end]}"
            note_lines += wrap(text, WIDTH - 2 * MARGIN, NOTE)
        bottom = 48 + len(note_lines) * (NOTE + 2.5) + (10 if note_lines else 0)
        y = 48 + len(note_lines) * (NOTE + 2.5)
        if note_lines:
            pdf.line(MARGIN, y + 4, MARGIN + 120, y + 4)
        for line in note_lines:
            y -= NOTE + 2.5
            pdf.setFont(FONT, NOTE)
            pdf.drawString(MARGIN, y + NOTE + 2.5 - 0.5, line)
        column, top = 0, HEIGHT - 60
        y = top
        for block in document.blocks:
            start, end = max(block.start, page.start), min(block.end, page.end)
            if block.kind == "footnote" or start >= end:
                continue
            size = {"heading": HEADING, "title": TITLE}.get(block.kind, BODY)
            full_width = columns == 1 or page.number == 1 and block.kind in (
                "title", "subtitle", "authors", "affiliation", "abstract", "keywords", "classification")
            width = WIDTH - 2 * MARGIN if full_width else column_width
            continues = start > block.start  # a paragraph carried over from the page before
            indent = 0.0 if continues or block.kind != "paragraph" else 2 * size
            text = document.text[start:end]
            if block.kind == "table":
                column, y = _draw_table(pdf, text, column, y, top, bottom, width, columns, full_width, column_width,
                                        gutter)
                continue
            lines = wrap(text, width, size, indent=indent)
            y -= 4 if block.kind in ("heading", "title") else 0
            offset = start
            for number, line in enumerate(lines):
                leading = size * 1.6
                if y - leading < bottom:
                    column += 1
                    y = top if not full_width else y
                    if column >= columns:
                        raise ValueError(f"seed page {page.number} does not fit one PDF page")
                y -= leading
                x = MARGIN + (0 if full_width else column * (column_width + gutter))
                if number == 0:
                    x += indent
                if block.kind == "title":
                    x += (width - _width(line, size)) / 2
                offset = document.text.index(line[:1], offset) if line else offset
                _draw_line(pdf, line, x, y, size, offset, markers)
                offset += len(line)
            if full_width and columns > 1:
                top = y  # the columns start under the full-width front matter
        pdf.showPage()
    pdf.save()
    return path


TABLE = 7.0  # tables are set in smaller type, each row on its line, cells apart


def _draw_table(pdf, text: str, column: int, y: float, top: float, bottom: float, width: float, columns: int,
                full_width: bool, column_width: float, gutter: float) -> tuple[int, float]:
    """Caption wrapped as prose, then each row with its cells in aligned columns, the type made
    smaller until the widest row fits; the source note wrapped under it."""
    caption, *rows = text.split("\n")
    source = rows.pop() if rows and not rows[-1][:1].isdigit() and "来源" in rows[-1] else None
    cells = [row.split() for row in rows]
    size = TABLE
    while True:
        widths = [max(_width(row[i], size) if i < len(row) else 0 for row in cells) for i in range(max(map(len, cells)))]
        if sum(widths) + 2 * size * (len(widths) - 1) <= width or size <= 4:
            break
        size -= 0.5
    printed = [(line, BODY, None) for line in wrap(caption, width, BODY)]
    printed += [("", size, row) for row in cells]
    printed += [(line, size, None) for line in wrap(source, width, size)] if source else []
    for line, line_size, row in printed:
        leading = line_size * 1.6
        if y - leading < bottom:
            column += 1
            y = top
            if column >= columns:
                raise ValueError("a table does not fit the page")
        y -= leading
        x = MARGIN + (0 if full_width else column * (column_width + gutter))
        pdf.setFont(FONT, line_size)
        if row is None:
            pdf.drawString(x, y, line)
            continue
        for cell, cell_width in zip(row, widths):
            pdf.drawString(x, y, cell)
            x += cell_width + 2 * line_size
    return column, y


def _width(text: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(text, FONT, size)


def _draw_line(pdf, line: str, x: float, y: float, size: float, offset: int, markers: dict[int, str]) -> None:
    """One line, with each footnote marker set as a raised small letter after the character it
    follows (at a line's end too, as a typesetter keeps it with its word)."""
    run = ""
    for i, ch in enumerate(line):
        run += ch
        label = markers.get(offset + i + 1)
        if label:
            pdf.setFont(FONT, size)
            pdf.drawString(x, y, run)
            x += _width(run, size)
            pdf.setFont(FONT, size * 0.6)
            pdf.drawString(x, y + size * 0.45, label)
            x += _width(label, size * 0.6)
            run = ""
    pdf.setFont(FONT, size)
    pdf.drawString(x, y, run)


def text_pdf(pages: list[list[str]], path: Path, labels: list[tuple[int, str, int]] = (), size: float = 11.0,
             font: str = "Helvetica") -> Path:
    """Simple pages of lines; `labels` as (first page index, style, start) for the PDF's own page labels."""
    from reportlab.pdfgen import canvas

    register_fonts()
    pdf = canvas.Canvas(str(path), pagesize=(WIDTH, HEIGHT))
    for index, style, start in labels:
        pdf.addPageLabel(index, style=style, start=start)
    for lines in pages:
        y = HEIGHT - 72
        for line in lines:
            pdf.setFont(font, size)
            pdf.drawString(72, y, line)
            y -= size * 1.5
        pdf.showPage()
    pdf.save()
    return path


def scanned_pdf(lines: list[str], path: Path) -> Path:
    """A page that is only an image of text, as a scanner makes it."""
    from PIL import Image, ImageDraw, ImageFont
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    image = Image.new("L", (1240, 1754), 255)  # A4 at 150 dpi
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 36)
    for number, line in enumerate(lines):
        draw.text((120, 150 + number * 70), line, fill=0, font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    pdf = canvas.Canvas(str(path), pagesize=(WIDTH, HEIGHT))
    pdf.drawImage(ImageReader(io.BytesIO(buffer.getvalue())), 0, 0, WIDTH, HEIGHT)
    pdf.showPage()
    pdf.save()
    return path
