"""PDF (`.pdf`) into a `Document`, with pypdfium2 (per-character text, type size and boxes).

Per page: characters are grouped into rows and a row into segments at wide gaps; gutters
(x ranges that many rows leave empty between two wide segments) give the columns, and a row
that crosses a gutter (a title, a full-width figure caption) separates bands, read column by
column. Running headers and footers (the same text, digits aside, at the page's top or foot on
many pages, or a bare page number) are dropped, and give the printed page number. Small type
at the foot of the page is footnotes, linked to the superscript markers in the body; larger or
bolder lines are headings. The lines then go through the text reader's layout (`layout_units`),
so sections, tables and paragraphs joined across pages work as for text.

A page without a text layer, or whose text is garbage (private-use or replacement characters,
unmapped glyphs), is read by OCR (`qa.readers.ocr`); its `Page.ocr` says so.
"""

from __future__ import annotations

import ctypes
import math
import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from qa.document import Document, DocumentError, Page
from qa.readers.imprint import journal_of
from qa.readers.ocr import ocr_lines
from qa.readers.text import (
    ARTICLE_NOTE,
    EMAIL_ADDRESS,
    HEADING_TYPE,
    JUNK_TITLE,
    TERMINAL,
    TOC_ENTRY,
    Line,
    Unit,
    bold_line_heads,
    build_document,
    has_word,
    is_cjk,
    is_table_row,
    join_lines,
    language_of,
    latin_vocabulary,
    layout_units,
)

RUN_IN_TAIL = 3  # regular characters after a bold lead's colon that make it a run-in lead
BOLD_WEIGHT = 550  # a character's font weight from which it is bold (TeX's bold Latin reads 570)
SMALL_TYPE = 0.86  # footnote type is at most this share of the body's
LISTING_ROWS = 3  # typewriter rows at the foot of a page that make a code listing, not footnotes
SUPERSCRIPT = 0.8  # a marker's type is under this share of its row's
HIGH_SUPERSCRIPT = 0.9  # or under this share, raised by 0.3 of the row's type or more, at the row's end
SCRIPT_GLYPHS = 8  # a band of at most this many small glyphs is a sub- or superscript of a row beside it
SLIVER = 0.5  # a glyph box lower than this share of its type size is an outline ("”", "一"), not a line's height
RUNNING_ZONE = 0.1  # running headers and footers sit within this share of the page from its edge
RUNNING_SHARE = 0.3  # and repeat on at least this share of the pages (and at least two)
GARBAGE_SHARE = 0.15  # a page with more unusable characters than this is read by OCR
FIXED_PITCH_FLAG = 1  # in a PDF font descriptor's flags, which TeX's Type 1 fonts often leave unset:
TYPEWRITER_FONT = re.compile(rb"Courier|Mono|Consol|Menlo|Typewriter|CMTT|SFTT|Inconsolata|Code", re.IGNORECASE)
TURNED = 0.2  # radians: a character turned further is not set along the line
TURNED_SHARE = 0.3  # of a page's characters: fewer turned ones are dropped
FIGURE_MIN = (0.1, 0.05)  # share of the page's width and height a figure spans at least
FIGURE_MAX = 0.6  # share of the page's area: a larger image or drawing is the page itself
FIGURE_TEXT_SHARE = 0.5  # a "figure" holding more of the page's characters holds its text
PAGE_NUMBER = re.compile(r"^[-—–·•\s()（）第页Pp.age]*(\d{1,5}|[ivxlcdm]{1,7})[-—–·•\s()（）页]*$", re.IGNORECASE)
FOOTNOTE_LABEL = re.compile(r"^(\[\d{1,3}\]|[①-⑳]|\d{1,3}(?=[\s.)、])|[*†‡]|[a-z](?=\s|[\u3000-\u9fff（《“【\[]))\s*")
# A running head with one of these words names the journal; a title may be its own running head.
JOURNAL_NAME = re.compile(r"\b(Journal|Letters|Proceedings|Transactions|Annals|Bulletin)\b|学报|杂志|期刊", re.IGNORECASE)
CIRCLED = {chr(0x2460 + i): str(i + 1) for i in range(20)}
DAGGERS = "*†‡"  # note marks besides digits
WEB_ADDRESS = re.compile(r"https?://|www\.|\w@\w")
CURLY_QUOTES = "“”‘’"  # of ambiguous width: full-width in CJK text, narrow in Latin


@dataclass
class Glyph:
    ch: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    weight: int
    space_before: str = ""  # the space character the file put before it; " " for one pdfium inferred
    fixed_pitch: bool = False  # its font is a typewriter font (Courier, a code listing's)

    @property
    def middle(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass
class Segment:
    """Glyphs of one row between wide gaps; `text` with spaces put back, markers taken out."""

    glyphs: list[Glyph]
    text: str = ""
    markers: list[tuple[int, str]] = field(default_factory=list)

    @property
    def x0(self) -> float:
        return self.glyphs[0].x0

    @property
    def x1(self) -> float:
        return max(g.x1 for g in self.glyphs)

    @property
    def top(self) -> float:
        return max(g.y1 for g in self.glyphs)

    @property
    def size(self) -> float:
        return statistics.median(g.size for g in self.glyphs)

    @property
    def bold(self) -> bool:
        """Mostly in bold, and not a bold run-in lead with the text after it in regular type
        ("2. No Requirements dependencies: There are no"): that line is body text."""
        bold = [g.weight >= BOLD_WEIGHT for g in self.glyphs]
        if sum(bold) <= len(bold) / 2:
            return False
        last = max(i for i, b in enumerate(bold) if b)
        return not (len(bold) - last > RUN_IN_TAIL and self.glyphs[last].ch in ":：.。")

    @property
    def fixed_pitch(self) -> bool:
        """All in a typewriter font: "3.1. readData" names a function in one, and heads a section."""
        return all(g.fixed_pitch for g in self.glyphs)


@dataclass
class Row:
    segments: list[Segment]

    @property
    def top(self) -> float:
        return max(s.top for s in self.segments)

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments)

    @property
    def size(self) -> float:
        return statistics.median(g.size for s in self.segments for g in s.glyphs)


@dataclass
class PageLayout:
    number: int
    width: float
    height: float
    rows: list[Row]
    label: str | None = None
    ocr: bool = False


def read(path: Path, doc_id: str, source: str, meta: dict) -> Document:
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(str(path))
    except pypdfium2.PdfiumError as exc:
        reason = str(exc).rstrip(".")
        raise DocumentError(f"{source}: cannot open as a PDF ({reason}); is it damaged or password-protected?") from exc
    try:
        pages = [read_page(pdf, index) for index in range(len(pdf))]
        labels = [pdf.get_page_label(index) or None for index in range(len(pdf))]
        info = pdf.get_metadata_dict(skip_empty=True)
    finally:
        pdf.close()
    if not pages:
        raise DocumentError(f"{source}: the PDF has no pages")
    reason = refusal(pages, source)
    if reason:
        raise DocumentError(reason)
    return lay_out(pages, labels, info, doc_id, source, meta)


def read_page(pdf, index: int) -> PageLayout:
    """A page's rows; a page without usable text is read by OCR unless it is blank (no
    characters, no image), and stays empty if OCR finds nothing."""
    import pypdfium2.raw as raw

    page = pdf[index]
    try:
        width, height = page.get_size()
        glyphs = outside_figures(page_glyphs(page), figure_boxes(page, width, height))
        ocr = False
        if garbage_share(glyphs) > GARBAGE_SHARE or not glyphs:
            ocr = True
            # Garbage characters still render as the right shapes; a page with neither text
            # nor an image is blank.
            image = next(iter(page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE])), None) is not None
            glyphs = [glyph for line in ocr_lines(page) for glyph in line_glyphs(*line)] if glyphs or image else []
        return PageLayout(index + 1, width, height, rows_of(glyphs), ocr=ocr and bool(glyphs))
    finally:
        page.close()


def refusal(pages: list[PageLayout], source: str) -> str | None:
    """Why a file that yields no text is refused (never indexed as garbage or as nothing)."""
    if any(page.rows for page in pages):
        return None
    if len(pages) == 1:
        return f"{source}: page 1 has no usable text layer and OCR found no text"
    return f"{source}: none of its {len(pages)} pages has a usable text layer, and OCR found no text"


def page_glyphs(page) -> list[Glyph]:
    import pypdfium2.raw as raw

    textpage = page.get_textpage()
    try:
        glyphs, turned = [], []
        flags, font_name = ctypes.c_int(), ctypes.create_string_buffer(64)
        space = ""
        high = None  # pdfium gives a character beyond the BMP (math italic 𝑥) as two UTF-16 halves
        for i in range(textpage.count_chars()):
            code = raw.FPDFText_GetUnicode(textpage.raw, i)
            if 0xD800 <= code < 0xDC00:
                high = (code, i)
                continue
            box_index = i
            if 0xDC00 <= code < 0xE000 and high is not None:
                code, box_index = 0x10000 + ((high[0] - 0xD800) << 10) + (code - 0xDC00), high[1]
            high = None
            ch = "-" if raw.FPDFText_IsHyphen(textpage.raw, i) == 1 else chr(code)
            if ch in "\r\n" or code == 0:
                space = ""  # pdfium's line breaks: rows come from the boxes
                continue
            if ch.isspace():
                space = " " if raw.FPDFText_IsGenerated(textpage.raw, i) == 1 else ch
                continue
            # Loose boxes span the font's ascent and descent: every glyph of a line gets the same
            # height (a tight box of 一 or “ is a sliver that would seem to be a row of its own).
            left, bottom, right, top = textpage.get_charbox(box_index, loose=True)
            if right <= left and top <= bottom:
                continue
            # Ligatures (ﬁ), full-width Latin letters and digits and math letters (𝑥), for
            # search; CJK punctuation stays.
            if "\ufb00" <= ch <= "\ufb4f" or "\uff10" <= ch <= "\uff5a" and ch.isalnum() or (
                    "\U0001d400" <= ch <= "\U0001d7ff"):
                ch = unicodedata.normalize("NFKC", ch)
            size = raw.FPDFText_GetFontSize(textpage.raw, box_index)
            if size < 0.5 * (top - bottom):
                # A font set at size 1 and scaled by the text matrix (register and government
                # PDFs): the loose box, ascent to descent, is about the real size.
                size = top - bottom
            raw.FPDFText_GetFontInfo(textpage.raw, box_index, font_name, len(font_name), ctypes.byref(flags))
            fixed = bool(flags.value & FIXED_PITCH_FLAG) or TYPEWRITER_FONT.search(font_name.value) is not None
            glyphs.append(Glyph(ch, left, bottom, right, top, size, raw.FPDFText_GetFontWeight(textpage.raw, box_index),
                                space, fixed))
            angle = raw.FPDFText_GetCharAngle(textpage.raw, box_index) % (2 * math.pi)
            turned.append(min(angle, 2 * math.pi - angle) > TURNED)
            space = ""
        # A few turned characters are a stamp up the margin ("arXiv:0807.3577v2 [astro-ph]") or
        # an axis label, whose letters would join the rows they cross; a page mostly turned is
        # set sideways (a landscape table) and read as it is.
        if sum(turned) < TURNED_SHARE * len(glyphs):
            glyphs = [glyph for glyph, sideways in zip(glyphs, turned) if not sideways]
        return glyphs
    finally:
        textpage.close()


def figure_boxes(page, width: float, height: float) -> list[tuple[float, float, float, float]]:
    """The boxes of a page's figures: images and embedded drawings (form XObjects, as LaTeX
    includes a plot) of some size, short of most of the page (a scan under its text layer, a
    page drawn as one form)."""
    import pypdfium2.raw as raw

    boxes = []
    for obj in page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE, raw.FPDF_PAGEOBJ_FORM], max_depth=1):
        left, bottom, right, top = obj.get_bounds()
        w, h = right - left, top - bottom
        if w >= FIGURE_MIN[0] * width and h >= FIGURE_MIN[1] * height and w * h <= FIGURE_MAX * width * height:
            boxes.append((left, bottom, right, top))
    return boxes


def outside_figures(glyphs: list[Glyph], boxes: list[tuple[float, float, float, float]]) -> list[Glyph]:
    """The glyphs not set inside a figure (its axis labels and legends would be read as
    headings and run into the rows beside it), unless most of the page's are: then the
    "figure" holds the page's text."""
    def inside(glyph: Glyph) -> bool:
        x, y = (glyph.x0 + glyph.x1) / 2, (glyph.y0 + glyph.y1) / 2
        return any(left <= x <= right and bottom <= y <= top for left, bottom, right, top in boxes)

    kept = [glyph for glyph in glyphs if not inside(glyph)]
    return kept if len(kept) >= (1 - FIGURE_TEXT_SHARE) * len(glyphs) else glyphs


def line_glyphs(text: str, left: float, bottom: float, right: float, top: float) -> list[Glyph]:
    """Glyphs for an OCRed line: its box shared out by display width (a CJK character is two)."""
    widths = [2 if is_cjk(ch) or unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text]
    step = (right - left) / max(sum(widths), 1)
    size = 0.85 * (top - bottom)
    glyphs, x = [], left
    for ch, width in zip(text, widths):
        if not ch.isspace():
            glyphs.append(Glyph(ch, x, bottom, x + width * step * 0.9, top, size, 400))
        x += width * step
    return glyphs


def garbage_share(glyphs: list[Glyph]) -> float:
    """Share of characters that are no text: private use, replacement, control, unassigned."""
    if not glyphs:
        return 1.0
    bad = sum(1 for g in glyphs if g.ch == "\ufffd" or unicodedata.category(g.ch[0]) in ("Co", "Cc", "Cn", "Cs"))
    return bad / len(glyphs)


# ---------------------------------------------------------------- rows and segments


def rows_of(glyphs: list[Glyph]) -> list[Row]:
    """Rows top to bottom: a glyph joins the row whose vertical band holds its middle.

    Where a font gives no ascent and descent, pdfium's boxes are the glyphs' own outlines, and a
    closing quote (”) or a dash (一) is a sliver above or across the line's middle that would
    band on its own and be read between two lines ("由于数学”公式…“恢复 成"). Slivers join the
    band the full glyphs make around them, or, with none there (a rule of dashes), band alone."""
    slivers = [g for g in glyphs if g.y1 - g.y0 < SLIVER * g.size]
    bands, extent = _bands([g for g in glyphs if g.y1 - g.y0 >= SLIVER * g.size])
    alone = []
    for glyph in slivers:
        overlaps = [(min(high, glyph.y1) - max(low, glyph.y0), i) for i, (low, high) in enumerate(extent)]
        overlap, target = max(overlaps, default=(0.0, -1))
        if overlap > 0:
            bands[target].append(glyph)
        else:
            alone.append(glyph)
    if alone:
        own_bands, own_extent = _bands(alone)
        order = sorted(zip(bands + own_bands, extent + own_extent), key=lambda band: -sum(band[1]))
        bands, extent = [band for band, _ in order], [span for _, span in order]
    _merge_scripts(bands, extent)
    return [Row(segments_of(band)) for band in bands]


def _bands(glyphs: list[Glyph]) -> tuple[list[list[Glyph]], list[list[float]]]:
    """Glyphs grouped top to bottom by vertical band, with each band's extent (low, high)."""
    bands: list[list[Glyph]] = []
    extent: list[list[float]] = []
    for glyph in sorted(glyphs, key=lambda g: -g.middle):
        if bands and extent[-1][0] <= glyph.middle <= extent[-1][1]:
            bands[-1].append(glyph)
            low, high = extent[-1]
            # The band grows with body glyphs only: a superscript must not pull the next row in.
            if glyph.y1 - glyph.y0 >= 0.6 * (high - low):
                extent[-1] = [min(low, glyph.y0), max(high, glyph.y1)]
        else:
            bands.append([glyph])
            extent.append([glyph.y0, glyph.y1])
    return bands, extent


def _merge_scripts(bands: list[list[Glyph]], extent: list[list[float]]) -> None:
    """A band of a few small glyphs alone (the "vol" of a raised or lowered q_vol) joins the
    nearer row beside it, within half that row's height: it is not a line of its own."""
    if len(bands) < 2:
        return
    usual = statistics.median(g.size for band in bands for g in band)
    index = 0
    while index < len(bands):
        band = bands[index]
        if len(band) <= SCRIPT_GLYPHS and max(g.size for g in band) < SUPERSCRIPT * usual:
            low, high = extent[index]
            gaps = {}
            for other in (index - 1, index + 1):
                if 0 <= other < len(bands):
                    other_low, other_high = extent[other]
                    gaps[other] = max(other_low - high, low - other_high, 0.0), 0.5 * (other_high - other_low)
            near = [other for other, (gap, room) in gaps.items() if gap <= room]
            if near:
                target = min(near, key=lambda other: gaps[other][0])
                bands[target].extend(band)
                del bands[index], extent[index]
                continue
        index += 1


def segments_of(band: list[Glyph]) -> list[Segment]:
    band = sorted(band, key=lambda g: g.x0)
    size = statistics.median(g.size for g in band)
    segments = [[band[0]]]
    for glyph in band[1:]:
        previous = segments[-1][-1]
        if glyph.x0 - previous.x1 > 1.5 * max(size, 1.0):
            segments.append([glyph])
        else:
            segments[-1].append(glyph)
    return [spell(Segment(glyphs)) for glyphs in segments]


def spell(segment: Segment) -> Segment:
    """The segment's text: a space where a gap between Latin characters is a word space;
    superscript runs (small type, raised) become markers."""
    glyphs = segment.glyphs
    body = [g for g in glyphs if g.size >= SUPERSCRIPT * max(g.size for g in glyphs)] or glyphs
    size = statistics.median(g.size for g in body)
    base = statistics.median(g.y0 for g in body)
    pieces: list[str] = []
    markers: list[tuple[int, str]] = []
    length = 0
    previous: Glyph | None = None
    # A title's note mark may be set nearly as large as the title, but sits higher and ends the
    # line ("…安装的介绍¹"): where the run of digits and daggers ending the segment starts.
    tail = len(glyphs)
    while tail > 0 and (glyphs[tail - 1].ch.isdigit() or glyphs[tail - 1].ch in DAGGERS):
        tail -= 1
    for index, glyph in enumerate(glyphs):
        raised = glyph.y0 > base + 0.2 * size and glyph.size < SUPERSCRIPT * size or (
            index >= tail and glyph.y0 > base + 0.3 * size and glyph.size < HIGH_SUPERSCRIPT * size)
        # Markers are digits, circled digits, daggers or lower-case letters (the A raised in
        # LaTeX's logo is none).
        if raised and (glyph.ch.isdigit() or glyph.ch in CIRCLED or glyph.ch in DAGGERS or "a" <= glyph.ch <= "z"):
            label = CIRCLED.get(glyph.ch, glyph.ch)
            if markers and markers[-1][0] == length and previous is not None and previous.size < SUPERSCRIPT * size:
                markers[-1] = (length, markers[-1][1] + label)
            else:
                markers.append((length, label))
            previous = glyph
            continue
        if previous is not None and pieces:
            gap = glyph.x0 - previous.x1
            if glyph.space_before not in ("", " "):
                pieces.append(glyph.space_before)  # the file's own (ideographic) space, kept
                length += 1
            elif glyph.space_before or gap > (0.25 if _wide(glyph.ch) == _wide(pieces[-1][-1]) else 0.15) * size:
                # Between CJK characters only a wide gap is a space (a table's cells); between
                # CJK and Latin, TeX and Word set a narrow one where the source had a space.
                # Measured start to start: a glyph's own outline (a comma's, a quote's) may fill
                # little of the em it is set in.
                if not _side_by_side_cjk(pieces[-1][-1], glyph.ch) or glyph.x0 - previous.x0 > 1.9 * size:
                    pieces.append(" ")
                    length += 1
        pieces.append(glyph.ch)
        length += len(glyph.ch)
        previous = glyph
    segment.text = "".join(pieces)
    segment.markers = markers
    return segment


def _wide(ch: str) -> bool:
    """CJK characters and punctuation: no word spaces next to them."""
    return is_cjk(ch) or unicodedata.east_asian_width(ch) in "WF"


def _side_by_side_cjk(before: str, after: str) -> bool:
    """Two characters of CJK text, where curly quotes are full-width punctuation too ("行距“恢复”成"),
    or either is full-width punctuation that holds its own spacing ("的，zhlineskip", "TEX；"); an
    opening bracket may follow a real space (a listing's "1 〈class〉")."""
    def wide_or_quote(ch: str) -> bool:
        return _wide(ch) or ch in CURLY_QUOTES

    def wide_punctuation(ch: str) -> bool:
        return _wide(ch) and unicodedata.category(ch) in ("Pc", "Pd", "Pe", "Pf", "Po")

    return (wide_or_quote(before) and wide_or_quote(after) and (_wide(before) or _wide(after))
            or wide_punctuation(before) or wide_punctuation(after))


# ---------------------------------------------------------------- the document


def lay_out(pages: list[PageLayout], labels: list[str | None], info: dict, doc_id: str, source: str,
            meta: dict) -> Document:
    body_size = _body_size(pages)
    printed, heads = drop_running_lines(pages, body_size)
    for page, own in zip(pages, labels):
        page.label = own or printed.get(page.number)
    lines: list[Line] = []
    footnotes: list[Unit] = []
    heading_sizes = _heading_sizes(pages, body_size)
    split = [split_footnotes(page.rows, body_size) for page in pages]
    columns = document_gutters([(page.width, body) for page, (body, _) in zip(pages, split)])
    for page, (body_rows, note_rows) in zip(pages, split):
        cuts = page_gutters(body_rows, page.width, columns)
        lines += body_lines(page, body_rows, cuts, body_size, heading_sizes)
        footnotes += footnote_units(note_rows, page.number)
    all_text = "\n".join(line.text for line in lines)
    lang = language_of(all_text)
    units, _ = layout_units(lines, lang, footnote_lines=False)
    meta = {**_pdf_meta(info, pages, body_size, heads), **journal_of(heads), **meta}
    document = build_document(units, footnotes, len(pages), lang, latin_vocabulary(all_text), doc_id, source, meta)
    document.pages = [Page(p.number, p.start, p.end, label=page.label, ocr=page.ocr)
                      for p, page in zip(document.pages, pages)]
    author = info.get("Author", "").strip()
    if author and author.lower() not in ("anonymous", "unknown", "admin", "user"):
        named = [name.strip() for name in re.split(r"[;,，、]| and ", author) if name.strip()]
        # The file's own list also splits names the page sets apart by space alone.
        if not document.authors or re.sub(r"\s", "", "".join(document.authors)) == re.sub(r"\s", "", "".join(named)):
            document.authors = named
    # An e-mail address under the title, or as the PDF's author, names no one.
    document.authors = [name for name in (EMAIL_ADDRESS.sub("", name).strip(" <>()") for name in document.authors)
                        if any(ch.isalpha() for ch in name)]
    return document


def _body_size(pages: list[PageLayout]) -> float:
    """The type size of running text: the most common among lines that fill the measure (code
    listings and tables, often in a smaller type with more characters, leave it ragged)."""
    sizes: Counter = Counter()
    every: Counter = Counter()
    for row, full in _rows_and_fill(pages):
        count = sum(len(s.glyphs) for s in row.segments)
        every[round(row.size * 2) / 2] += count
        if full:
            sizes[round(row.size * 2) / 2] += count
    chosen = sizes or every
    return chosen.most_common(1)[0][0] if chosen else 10.0


def _heading_sizes(pages: list[PageLayout], body_size: float) -> list[float]:
    """Type sizes larger than the body's that headings are set in, largest first (the levels).
    Rows in a heading size seldom fill the measure; a paragraph set in larger type (an
    abstract, a manual's prose beside its smaller code) does."""
    rows: Counter = Counter()
    filled: Counter = Counter()
    for row, full in _rows_and_fill(pages):
        if row.size >= HEADING_TYPE * body_size:
            rows[round(row.size * 2) / 2] += 1
            filled[round(row.size * 2) / 2] += full
    return sorted((size for size in rows if filled[size] <= 0.3 * rows[size]), reverse=True)


def _rows_and_fill(pages: list[PageLayout]):
    """(row, whether it reaches its page's right text edge) for every row."""
    for page in pages:
        right = max((row.segments[-1].x1 for row in page.rows), default=0.0)
        for row in page.rows:
            yield row, row.segments[-1].x1 >= right - 2 * row.size


def drop_running_lines(pages: list[PageLayout], body_size: float) -> tuple[dict[int, str], list[str]]:
    """Removes running headers and footers; returns the page number each page prints, by page,
    and the texts removed (a head may name the journal and issue)."""
    def key(text: str) -> str:
        return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))

    candidates: dict[int, list[Row]] = {}
    # A page's first or last row beyond the zone is a head set far from the edge when it is in
    # smaller type than the text.
    outer: set[int] = set()
    for page in pages:
        zone = RUNNING_ZONE * page.height
        edge = [row for row in page.rows[:2] if row.top >= page.height - zone]
        edge += [row for row in page.rows[-2:] if row.top <= zone + 2 * row.size and row not in edge]
        for row in page.rows[:1] + page.rows[-1:]:
            if row not in edge and row.size < SMALL_TYPE * body_size:
                edge.append(row)
                outer.add(id(row))
        candidates[page.number] = edge
    counts = Counter(key(row.text) for rows in candidates.values() for row in {key(r.text): r for r in rows}.values())
    sizes: dict[str, list[float]] = {}
    for rows in candidates.values():
        for row in rows:
            sizes.setdefault(key(row.text), []).append(row.size)
    needed = max(2, RUNNING_SHARE * len(pages))
    offset = _page_number_offset(pages, candidates)
    printed, removed = [], []
    for page in pages:
        for row in candidates[page.number]:
            bare = PAGE_NUMBER.match(row.text.strip())
            # The title on page 1 may read as the short title in the running header: it is set larger.
            usual = abs(row.size - statistics.median(sizes[key(row.text)])) <= 0.15 * row.size
            numbered = offset is not None and page.number + offset in _end_numbers(row.text)
            # A head that changes with the chapter ("C 安装升级 7") runs with the page by its number.
            repeated = counts[key(row.text)] >= needed and usual
            # A head naming the journal and issue is one on any page (page 1's is often its own).
            names_issue = row.top >= page.height - RUNNING_ZONE * page.height and bool(journal_of([row.text]))
            if repeated or id(row) not in outer and (bare or numbered and len(row.text) <= 120 or names_issue):
                page.rows.remove(row)
                removed.append(row.text)
            if numbered:
                printed.append(page.number)
    if not printed:
        return {}, removed
    # A page between two that print their numbers has its number too, printed or not (a
    # chapter's first page often leaves it out).
    return {page: str(page + offset) for page in range(min(printed), max(printed) + 1)}, removed


def _page_number_offset(pages: list[PageLayout], candidates: dict[int, list[Row]]) -> int | None:
    """The printed page number runs with the page: the offset from it that a number at the
    start or end of a top or bottom row has on most pages (one page: a bare number)."""
    found = {page: {n for row in rows for n in _end_numbers(row.text)
                    if len(pages) > 1 or PAGE_NUMBER.match(row.text.strip())}
             for page, rows in candidates.items()}
    offsets = Counter(n - page for page, numbers in found.items() for n in numbers)
    if not offsets:
        return None
    offset, votes = offsets.most_common(1)[0]
    return offset if votes >= max(1 if len(pages) == 1 else 2, sum(map(bool, found.values())) // 2) else None


def _end_numbers(text: str) -> set[int]:
    text = text.strip()
    # Up to five digits: a register or a journal volume numbers its pages on (47698).
    ends = [re.match(r"^\D{0,3}?(\d{1,5})(?!\d)", text), re.search(r"(?<!\d)(\d{1,5})\D{0,3}$", text)]
    return {int(match.group(1)) for match in ends if match}


def split_footnotes(rows: list[Row], body_size: float) -> tuple[list[Row], list[Row]]:
    """The small-type rows at the foot of the page that start with a footnote label are footnotes,
    below any code listing that runs down to them: LISTING_ROWS rows or more in a typewriter face,
    most of them no web address (a footnote may be a URL), whose numbered lines look like notes."""
    start = len(rows)
    while start > 0 and rows[start - 1].size <= SMALL_TYPE * body_size:
        start -= 1
    notes = rows[start:]
    listing = [i for i, row in enumerate(notes) if _typewriter(row)]
    addresses = sum(WEB_ADDRESS.search(notes[i].text) is not None for i in listing)
    below = listing[-1] + 1 if len(listing) >= LISTING_ROWS and addresses < len(listing) / 2 else 0
    first = next((i for i, row in enumerate(notes) if i >= below and _footnote_label(row)), None)
    if first is None:
        return rows, []
    return rows[: start + first], notes[first:]


def _typewriter(row: Row) -> bool:
    """A row set in a typewriter face, but for a line number before it."""
    glyphs = [glyph for segment in row.segments for glyph in segment.glyphs]
    return len(glyphs) >= 3 and sum(glyph.fixed_pitch for glyph in glyphs) >= 0.8 * len(glyphs)


def _footnote_label(row: Row) -> str | None:
    segment = row.segments[0]
    if segment.markers and segment.markers[0][0] == 0:
        return segment.markers[0][1]
    article_note = ARTICLE_NOTE.match(segment.text)
    if article_note:
        return article_note.group(1)
    match = FOOTNOTE_LABEL.match(segment.text)
    if not match:
        return None
    label = match.group(1).strip("[]")
    return CIRCLED.get(label, label)


def footnote_units(rows: list[Row], page: int) -> list[Unit]:
    units: list[Unit] = []
    for row in rows:
        label = _footnote_label(row)
        segment = row.segments[0]
        text = row.text
        if label is not None:
            if segment.markers and segment.markers[0][0] == 0:
                text = text.lstrip()
            elif not ARTICLE_NOTE.match(text):
                text = FOOTNOTE_LABEL.sub("", text, count=1)
            units.append(Unit("footnote", [Line(text, page, False)], label=label))
        elif units:
            units[-1].lines.append(Line(text, page, False))
    return units


# ---------------------------------------------------------------- reading order


def coverage(rows: list[Row], width: float) -> list[int]:
    """For each 2-point-wide strip of the page, how many rows have text there."""
    bins = int(width // 2) + 1
    cover = [0] * bins
    for row in rows:
        covered = {b for segment in row.segments for b in range(int(segment.x0 // 2), min(int(segment.x1 // 2) + 1, bins))}
        for b in covered:
            cover[b] += 1
    return cover


def gutters(cover: list[int], width: float) -> list[tuple[float, float]]:
    """x ranges that separate columns: few rows have text there, while the column-wide ranges
    on both sides are covered by many (the columns' rows need not share baselines)."""
    bins = len(cover)
    side = max(int(0.12 * width // 2), 1)
    found: list[tuple[float, float]] = []
    b = side
    while b < bins - side:
        left = sum(cover[b - side:b]) / side
        if cover[b] > 0.3 * left or left < 4:
            b += 1
            continue
        end = b
        while end + 1 < bins and cover[end + 1] <= 0.3 * left:
            end += 1
        # The gutter proper is the valley's floor: not the ragged right edge of a full left
        # column, nor a short right column whose rows are few beside the left one's.
        low = min(cover[b:end + 1])
        first = cover.index(low, b, end + 1)
        start, stop = first, first
        while start > b and cover[start - 1] <= low + 0.1 * left:
            start -= 1
        while stop < end and cover[stop + 1] <= low + 0.1 * left:
            stop += 1
        right = sum(cover[stop + 1:stop + 1 + side]) / side
        if (stop - start + 1) * 2 >= 6 and right >= 4 and low <= 0.3 * min(left, right):
            found.append((start * 2.0, (stop + 1) * 2.0))
        b = stop + 1
    return found


def page_gutters(rows: list[Row], width: float, shared: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The page's own gutters; else the document's where most of the page's rows keep out of
    them (a page whose right column is short or empty, a full-width title above the columns)."""
    own = gutters(coverage(rows, width), width)
    if own or not rows:
        return own
    kept = []
    for a, b in shared:
        crossing = sum(1 for row in rows if any(s.x0 < b and s.x1 > a for s in row.segments))
        if crossing <= 0.5 * len(rows):
            kept.append((a, b))
    return kept


def document_gutters(pages: list[tuple[float, list[Row]]]) -> list[tuple[float, float]]:
    """Gutters of the pages' rows taken together: a journal's columns are the same on every page."""
    width = max((w for w, _ in pages), default=0.0)
    total = [0] * (int(width // 2) + 1)
    for page_width, rows in pages:
        for b, count in enumerate(coverage(rows, page_width)):
            total[b] += count
    return gutters(total, width)


def split_at(row: Row, edges: list[float]) -> Row:
    """A segment that runs over a gutter with a gap there is two segments (columns set close)."""
    segments: list[Segment] = []
    for segment in row.segments:
        pieces, current = [], [segment.glyphs[0]]
        for glyph in segment.glyphs[1:]:
            if any(current[-1].x1 <= edge <= glyph.x0 for edge in edges):
                pieces.append(current)
                current = [glyph]
            else:
                current.append(glyph)
        pieces.append(current)
        segments += [segment] if len(pieces) == 1 else [spell(Segment(glyphs)) for glyphs in pieces]
    return Row(segments)


def ordered_lines(rows: list[Row], width: float, cuts: list[tuple[float, float]]
                  ) -> list[tuple[list[Segment], float, float]]:
    """(segments of one line, its column's left and right edge), in reading order."""
    if not cuts:
        left = min((s.x0 for row in rows for s in row.segments), default=0.0)
        right = max((s.x1 for row in rows for s in row.segments), default=width)
        return [(row.segments, left, right) for row in rows]
    edges = [0.0] + [(a + b) / 2 for a, b in cuts] + [width]
    rows = [split_at(row, edges[1:-1]) for row in rows]
    result: list[tuple[list[Segment], float, float]] = []
    band: list[list[list[Segment]]] = []

    def flush() -> None:
        for column in band:
            lines = [line for line in column if line]
            if lines:
                left = min(s.x0 for line in lines for s in line)
                right = max(s.x1 for line in lines for s in line)
                result.extend((line, left, right) for line in lines)
        band.clear()

    for row in rows:
        crossing = any(s.x0 < edge < s.x1 for s in row.segments for edge in edges[1:-1])
        if crossing:
            flush()
            result.append((row.segments, min(s.x0 for s in row.segments), max(s.x1 for s in row.segments)))
            continue
        if not band:
            band.extend([] for _ in range(len(edges) - 1))
        for column in band:
            column.append([])
        for segment in row.segments:
            middle = (segment.x0 + segment.x1) / 2
            column = next(i for i in range(len(edges) - 1) if middle <= edges[i + 1] or i == len(edges) - 2)
            band[column][-1].append(segment)
    flush()
    return result


def body_lines(page: PageLayout, rows: list[Row], cuts: list[tuple[float, float]], body_size: float,
               heading_sizes: list[float]) -> list[Line]:
    lines: list[Line] = []
    previous: tuple[float, float, float, float] | None = None  # the previous line's top, its column's left, room left, start
    bold_body = _mostly(rows, "bold")
    fixed_body = _mostly(rows, "fixed_pitch")
    for segments, left, right in ordered_lines(rows, page.width, cuts):
        text_parts, markers, length = [], [], 0
        for segment in segments:
            if text_parts:
                text_parts.append(" ")
                length += 1
            markers += [(length + offset, label) for offset, label in segment.markers]
            text_parts.append(segment.text)
            length += len(segment.text)
        text = "".join(text_parts).strip()
        if not text:
            continue
        size = statistics.median(g.size for s in segments for g in s.glyphs)
        top = max(s.top for s in segments)
        # Indented from its column, and further than the line before: an abstract or a quotation
        # set in from both margins is one paragraph, not one a line. After a full line that ends
        # no sentence, an indent is a hanging one (keywords, a reference running on).
        hanging = previous is not None and previous[1] == left and bool(lines) and (
            lines[-1].text[-1:] not in TERMINAL and previous[2] <= _first_word_width(segments[0]) + 0.3 * size)
        indented = segments[0].x0 > left + 0.8 * size and not hanging and (
            previous is None or previous[1] != left or segments[0].x0 > previous[3] + 0.5 * size)
        gap = previous is not None and previous[1] == left and previous[0] - top > 2.2 * size
        # A sentence that ends its line although the next line's first word would have fitted
        # there ends a paragraph (justified or ragged-right, CJK or Latin).
        short_before = bool(lines) and lines[-1].text[-1:] in TERMINAL and previous is not None and (
            previous[2] > _first_word_width(segments[0]) + 0.3 * size)
        level = 0
        # A contents entry, or a row of figures, in whatever type, heads nothing.
        # Nor does a row of three cells or more (a table's bold head row).
        if not TOC_ENTRY.search(text) and not _figures_row(text) and has_word(text) and len(segments) <= 2:
            if size >= HEADING_TYPE * body_size:
                level = next((i + 1 for i, s in enumerate(heading_sizes) if abs(size - s) <= 0.3), 0)
            # A bold numbered heading may run long: "4. The apparent and average accelerations".
            if not level and not bold_body and all(s.bold for s in segments) and bold_line_heads(text):
                level = len(heading_sizes) + 1
        last_x1 = max(s.x1 for s in segments)
        next_column = previous is not None and top > previous[0]
        if level and lines and lines[-1].heading_level == level and previous and (
                previous[1] == left and not gap or next_column):
            # A heading wrapped in a narrow column (or on into the next one): one heading.
            head = lines[-1]
            glue = " " if head.text[-1:].isascii() and text[:1].isascii() else ""
            lines[-1] = Line(head.text + glue + text, head.page, True, head.markers, level, typed=True)
            previous = (top, left, float("inf"), segments[0].x0)
            continue
        listing = not fixed_body and all(s.fixed_pitch for s in segments)
        # A line going on in lower case continues a heading or heads nothing ("of rows", the
        # second line of a bold table head).
        if listing or text[0].islower():
            level = 0
        lines.append(Line(text, page.number, bool(indented or gap or short_before or level), tuple(markers), level,
                          typed=True, cells=len(segments), fixed_pitch=listing))
        # A heading ends its line short: what follows starts a paragraph.
        previous = (top, left, float("inf") if level else right - last_x1, segments[0].x0)
    return lines


def _figures_row(text: str) -> bool:
    """A row of figures, and not only because a chapter's number leads it: "2 Ubuntu 20.04 系统",
    half figures, heads a chapter."""
    return is_table_row(text) and is_table_row(re.sub(r"^\d{1,2}\s+", "", text))


def _first_word_width(segment: Segment) -> float:
    glyphs = [g for g in segment.glyphs if g.size >= SUPERSCRIPT * segment.size] or segment.glyphs
    count = 1
    if not _wide(glyphs[0].ch):
        while count < len(glyphs) and not glyphs[count].space_before and not _wide(glyphs[count].ch) and (
                glyphs[count].x0 - glyphs[count - 1].x1 < 0.25 * glyphs[count].size):
            count += 1
    return glyphs[count - 1].x1 - glyphs[0].x0


def _mostly(rows: list[Row], style: str) -> bool:
    """Whether most of a page's segments are set so ("bold", "fixed_pitch"): a page mostly in
    bold or in a typewriter font (a plain-text printout) sets its headings so too."""
    return sum(getattr(s, style) for row in rows for s in row.segments) > 0.5 * sum(len(row.segments) for row in rows)


def _pdf_meta(info: dict, pages: list[PageLayout], body_size: float, heads: list[str]) -> dict:
    """Title from the first run of rows in the largest type on page 1 that is not the journal's
    masthead (a running head naming a journal: "Journal of Statistical Software", which is
    kept as the journal), else the PDF's own; authors from the PDF's metadata, and a DOI
    printed on page 1."""
    meta: dict = {}
    first = pages[0].rows
    repeated = {bare for bare in (re.sub(r"[\d\s]+", "", head) for head in heads) if len(bare) >= 8}
    for size in sorted({row.size for row in first}, reverse=True):
        if size < HEADING_TYPE * body_size:
            break
        start = next(i for i, row in enumerate(first) if abs(row.size - size) <= 0.25)
        run = [first[start]]
        for row in first[start + 1:]:
            if abs(row.size - size) > 0.25:
                break
            run.append(row)
        title, _ = join_lines([row.text for row in run], set())
        bare = re.sub(r"[\d\s]+", "", title)
        if JOURNAL_NAME.search(title) and any(head in bare for head in repeated):
            meta["journal"] = title.strip()
            continue
        if sum(ch.isalpha() for ch in title) >= 2:  # not a large page or line number
            meta["title"] = title.strip()
        break
    if "title" not in meta and info.get("Title", "").strip() and not JUNK_TITLE.search(info["Title"].strip()):
        meta["title"] = info["Title"].strip()
    doi = re.search(r"\b(10\.\d{4,9}/[^\s\"<>]+[^\s\"<>.,;])", " ".join(row.text for row in first))
    if doi:
        meta["doi"] = doi.group(1)
    return meta


# ---------------------------------------------------------------- quotes on the page


def quote_boxes(pdf, page_number: int, text: str) -> tuple[float, float, list[tuple[float, float, float, float]]]:
    """Where `text` (a quote's part on this page, as the document has it) was printed on page
    `page_number` of `pdf` (an open `pypdfium2.PdfDocument`): the page's width and height and one
    box per line of the characters it was read from, (left, top, right, bottom) in points from
    the page's top left. No boxes when the page does not hold the text.

    The page is read again as `read` reads it (OCR included), in reading order; the quote's
    characters are matched one by one, spaces aside, skipping only what the reader removed
    (footnote markers, a hyphen that ended a line): exact, not fuzzy (`_match`).
    """
    layout = read_page(pdf, page_number - 1)
    left, bottom, right, top = pdf[page_number - 1].get_bbox()
    # One entry a character: (character, its glyph, its line, whether it is a raised marker the reader took out).
    stream: list[tuple[str, Glyph, int, bool]] = []
    cuts = page_gutters(layout.rows, layout.width, [])
    for line, (segments, _, _) in enumerate(ordered_lines(layout.rows, layout.width, cuts)):
        for segment in segments:
            size = segment.size
            for glyph in segment.glyphs:
                marker = glyph.size < SUPERSCRIPT * size
                stream += [(ch, glyph, line, marker) for ch in unicodedata.normalize("NFKC", glyph.ch)]
    wanted = [ch for ch in unicodedata.normalize("NFKC", text) if not ch.isspace()]
    boxes: dict[int, list[float]] = {}
    for _, glyph, line, _ in _match(stream, wanted):
        box = boxes.setdefault(line, [glyph.x0, glyph.y0, glyph.x1, glyph.y1])
        box[:] = [min(box[0], glyph.x0), min(box[1], glyph.y0), max(box[2], glyph.x1), max(box[3], glyph.y1)]
    width, height = right - left, top - bottom
    return width, height, [(x0 - left, top - y1, x1 - left, top - y0) for x0, y0, x1, y1 in boxes.values()]


HYPHENS = "-‐‑\u00ad"


def _match(stream: list[tuple[str, Glyph, int, bool]], wanted: list[str]) -> list[tuple[str, Glyph, int, bool]]:
    """The characters spelling `wanted`: in one run where the page's reading order agrees with
    the document's, else run by run, each the longest the page holds (a margin note the
    document reads into a line); empty when some part of it is nowhere on the page."""
    whole = _run(stream, wanted)
    if whole or not wanted:
        return whole
    matched: list[tuple[str, Glyph, int, bool]] = []
    rest = wanted
    while rest:
        # The longest prefix of what is left that the page holds (binary search on its length).
        low, high, best = 1, len(rest), []
        while low <= high:
            middle = (low + high) // 2
            found = _run(stream, rest[:middle])
            if found:
                low, best = middle + 1, found
            else:
                high = middle - 1
        if len(best) < min(4, len(rest)):
            return []
        matched += best
        rest = rest[len(best):]
    return matched


def _run(stream: list[tuple[str, Glyph, int, bool]], wanted: list[str]) -> list[tuple[str, Glyph, int, bool]]:
    """The characters spelling `wanted` in one run, at the first place they do; empty when nowhere."""
    for start, entry in enumerate(stream):
        if not wanted or entry[0] != wanted[0]:
            continue
        matched, at = [], start
        for ch in wanted:
            # What the reader removed: footnote markers, and hyphens that ended a line.
            while at < len(stream) and stream[at][0] != ch and (stream[at][3] or stream[at][0] in HYPHENS):
                at += 1
            if at == len(stream) or stream[at][0] != ch:
                break
            matched.append(stream[at])
            at += 1
        else:
            return matched
    return []
