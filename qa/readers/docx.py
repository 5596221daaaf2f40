"""Word (`.docx`) into a `Document`, with python-docx. Each paragraph becomes a line that goes
through the text reader's layout (`layout_units`), as a PDF's lines do, with what its runs look
like: so a paper written with direct formatting (a large title, "一、引言" in bold, "摘要：" and
"关键词：" paragraphs) gets its title, authors, abstract and sections as its PDF would. A heading
style (Heading 1, 标题 1, or any style with an outline level) heads a section wherever it
stands (the only top-level one, on the first line, is the title); tables stay whole (a row a
line); footnotes and endnotes (the file's parts for them, which python-docx does not expose)
are kept as notes, linked to their reference marks: a footnote numbered 1, 2, …, an endnote
i, ii, … (Word's defaults), each on the page of its mark.

Pages: Word records where it broke the pages when it last laid the file out
(`w:lastRenderedPageBreak`), and a file with those marks is paged by them, so a citation names
the page the author sees in Word. A file without them (written by a program, never saved by
Word) has no fixed pages: it is all page 1 and `meta["paged"]` is False, so citations name the
section, never a guessed page. The page headers and footers are not text of the document; a
running head naming the journal and issue gives them to the reference, as a PDF's does.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from qa.document import Document, DocumentError
from qa.readers.imprint import journal_of
from qa.readers.text import (
    HEADING_TYPE,
    JUNK_TITLE,
    LONGEST_SET_HEADING,
    TERMINAL,
    TOC_ENTRY,
    Line,
    Unit,
    bold_line_heads,
    build_document,
    has_word,
    is_table_row,
    join_lines,
    language_of,
    latin_vocabulary,
    layout_units,
    name_sole_title,
)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
DEFAULT_SIZE = 10.0  # points: Word's size for text that no style sizes
# Who Word and the programs that write .docx name as the author: an account, not a person.
JUNK_AUTHOR = re.compile(r"^(python-docx|administrator|admin|user|microsoft office (user|用户)|微软用户|windows 用户"
                         r"|作者|author|unknown|owner)$", re.IGNORECASE)


@dataclass
class Piece:
    """The part of a paragraph (or a table row) on one page."""

    text: str = ""
    page: int = 1
    markers: list[tuple[int, str]] = field(default_factory=list)  # footnote marks: (offset, label)


@dataclass
class Paragraph:
    pieces: list[Piece]
    size: float = DEFAULT_SIZE  # the type size most of its characters are set in
    bold: bool = False  # every character in bold
    outline: int = 0  # the outline level its style or its own properties give (1 = top), 0 if none
    cells: int = 0  # a table row's cells; 0 for a paragraph

    @property
    def text(self) -> str:
        return "".join(piece.text for piece in self.pieces)


def read(path: Path, doc_id: str, source: str, meta: dict) -> Document:
    import docx

    try:
        word = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError(f"{source}: cannot open as a Word .docx file ({exc})") from exc
    body = _Body(word)
    lines = _lines([p for p in body.paragraphs if p.text])
    all_text = "\n".join(line.text for line in lines)
    lang = language_of(all_text)
    units, _ = layout_units(lines, lang, footnote_lines=False)
    footnotes = []
    for kind, marks in body.notes.items():
        texts = _notes(word, kind)
        footnotes += [Unit("footnote", [Line(texts[key], page, False)], label=label)
                      for key, (label, page) in marks.items() if texts.get(key)]
    own: dict = {"paged": body.paged, **journal_of(_page_heads(word))}
    if body.title:
        own["title"] = body.title
    document = build_document(units, footnotes, body.page, lang, latin_vocabulary(all_text), doc_id, source,
                              {**own, **meta})
    properties = word.core_properties
    stated_title = (properties.title or "").strip()
    if document.title == doc_id and stated_title and not JUNK_TITLE.search(stated_title):
        document.title = stated_title
    author = (properties.author or "").strip()
    if author and not document.authors and not JUNK_AUTHOR.match(author):
        document.authors = [name.strip() for name in re.split(r"[;,，、]", author) if name.strip()]
    return document


class _Body:
    """The body read once in order: its paragraphs and table rows, the page each piece of them
    is on, the Title paragraph, and the notes' marks labelled as Word shows them."""

    def __init__(self, word):
        self.word = word
        self.paged = next(word.element.body.iter(f"{W}lastRenderedPageBreak"), None) is not None
        self.page = 1
        self.paragraphs: list[Paragraph] = []
        # "footnote"/"endnote" → note id → (label shown, page of its mark)
        self.notes: dict[str, dict[str, tuple[str, int]]] = {"footnote": {}, "endnote": {}}
        self.title = ""
        defaults = word.styles.element.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}sz")
        self.default_size = int(defaults.get(f"{W}val")) / 2 if defaults is not None else DEFAULT_SIZE
        for element in _blocks(word.element.body):
            if element.tag == f"{W}p":
                self._add_paragraph(element)
            else:
                self._add_table(element)

    def _add_paragraph(self, element) -> None:
        from docx.text.paragraph import Paragraph as WordParagraph

        paragraph = WordParagraph(element, self.word)
        style = paragraph.style
        pieces = self._pieces(element)
        name = (style.name or "") if style is not None else ""
        if name.lower().startswith("toc"):
            return  # a contents entry ("一、引言\t1"), made by Word from the headings
        sizes: Counter = Counter()
        bold = True
        for run in _runs(paragraph):
            length = len(run.text.strip())
            if length:
                sizes[self._size(run, style)] += length
                bold = bold and self._bold(run, style)
        found = Paragraph(pieces, sizes.most_common(1)[0][0] if sizes else self.default_size, bold and bool(sizes),
                          _outline(element, style))
        if name == "Title" and not self.title:
            self.title = found.text
        self.paragraphs.append(found)

    def _add_table(self, element) -> None:
        from docx.table import Table

        for row in Table(element, self.word).rows:
            page = self.page
            cells = list({cell._tc: cell for cell in row.cells}.values())  # a merged cell repeats
            text = " ".join(re.sub(r"\s+", " ", cell.text).strip() for cell in cells).strip()
            if self.paged:
                self.page += sum(1 for _ in row._tr.iter(f"{W}lastRenderedPageBreak"))
            if text:
                self.paragraphs.append(Paragraph([Piece(text, page)], cells=len(cells)))

    def _pieces(self, element) -> list[Piece]:
        """The paragraph's text, spaces collapsed, in one piece per page it is on."""
        pieces = [Piece(page=self.page)]
        for node in element.iter(f"{W}t", f"{W}tab", f"{W}br", f"{W}cr", f"{W}noBreakHyphen", f"{W}footnoteReference",
                                 f"{W}endnoteReference", f"{W}lastRenderedPageBreak"):
            piece = pieces[-1]
            if node.tag == f"{W}lastRenderedPageBreak":
                if self.paged:
                    self.page += 1
                    if piece.text.strip():
                        piece.text = piece.text.rstrip()
                        pieces.append(Piece(page=self.page))
                    else:
                        piece.page = self.page
                continue
            if node.tag in (f"{W}footnoteReference", f"{W}endnoteReference"):
                kind = "footnote" if node.tag == f"{W}footnoteReference" else "endnote"
                marks, key = self.notes[kind], node.get(f"{W}id")
                if key not in marks:
                    number = len(marks) + 1
                    marks[key] = (str(number) if kind == "footnote" else _roman(number), self.page)
                piece.markers.append((len(piece.text), marks[key][0]))
                continue
            if node.tag == f"{W}t":
                more = re.sub(r"[^\S\u3000]+", " ", node.text or "")
            else:  # a tab or a line break is a space; Word keeps a hyphen that must not break apart
                more = "-" if node.tag == f"{W}noBreakHyphen" else " "
            if piece.text.endswith(" ") or not piece.text:
                more = more.lstrip()
            piece.text += more
        for piece in pieces:
            piece.text = piece.text.rstrip()
            piece.markers = [(min(offset, len(piece.text)), label) for offset, label in piece.markers]
        return [piece for piece in pieces if piece.text]

    def _size(self, run, style) -> float:
        size = run.font.size or _inherited(run.style, lambda s: s.font.size) or _inherited(style, lambda s: s.font.size)
        return size.pt if size is not None else self.default_size

    @staticmethod
    def _bold(run, style) -> bool:
        for value in (run.bold, _inherited(run.style, lambda s: s.font.bold), _inherited(style, lambda s: s.font.bold)):
            if value is not None:
                return value
        return False


def _page_heads(word) -> list[str]:
    """The lines of the page headers and footers (a journal's running head: "社会科学 2023 年第 5 期")."""
    heads = []
    for section in word.sections:
        for part in (section.header, section.first_page_header, section.even_page_header, section.footer):
            if not part.is_linked_to_previous:
                heads += [p.text.strip() for p in part.paragraphs if p.text.strip()]
    return heads


def _blocks(body):
    """The body's paragraphs and tables in order, those inside content controls included."""
    for element in body.iterchildren():
        if element.tag in (f"{W}p", f"{W}tbl"):
            yield element
        elif element.tag == f"{W}sdt":
            content = element.find(f"{W}sdtContent")
            if content is not None:
                yield from _blocks(content)


def _runs(paragraph):
    """A paragraph's runs, those inside links and tracked insertions included (not text boxes)."""
    from docx.text.run import Run

    for run in paragraph._p.iter(f"{W}r"):
        if not any(parent.tag == f"{W}txbxContent" for parent in run.iterancestors()):
            yield Run(run, paragraph)


def _inherited(style, value):
    """A style's own value, else its base style's, and so on."""
    while style is not None:
        found = value(style)
        if found is not None:
            return found
        style = style.base_style
    return None


def _outline(element, style) -> int:
    """The outline level (1 = top) the paragraph's own properties or its style give, as Word's
    navigation pane reads it; 0 for body text."""
    own = element.find(f"{W}pPr/{W}outlineLvl")
    if own is None:
        own = _inherited(style, lambda s: s.element.find(f"{W}pPr/{W}outlineLvl"))
    if own is not None:
        level = int(own.get(f"{W}val"))
        return level + 1 if level < 9 else 0
    match = re.fullmatch(r"(?:Heading|标题)\s*(\d)", (style.name or "") if style is not None else "", re.IGNORECASE)
    return int(match.group(1)) if match else 0


def _lines(paragraphs: list[Paragraph]) -> list[Line]:
    """Lines for the layout: a paragraph starts a block; one in heading style, in larger type
    than the body, or all in bold (when the body is not) carries a heading level, as a PDF's do."""
    prose = [p for p in paragraphs if not p.cells]
    weights: Counter = Counter()
    for paragraph in prose:
        weights[paragraph.size] += len(paragraph.text)
    body_size = weights.most_common(1)[0][0] if weights else DEFAULT_SIZE
    bold_body = sum(len(p.text) for p in prose if p.bold) > sum(weights.values()) / 2
    heading_sizes = sorted({p.size for p in prose if p.size >= HEADING_TYPE * body_size and _can_head(p.text)},
                           reverse=True)
    lines = []
    for paragraph in paragraphs:
        if paragraph.cells:
            [piece] = paragraph.pieces
            lines.append(Line(piece.text, piece.page, True, typed=True, cells=paragraph.cells, ruled=True))
            continue
        level = paragraph.outline
        if not level and _can_head(paragraph.text):
            if paragraph.size >= HEADING_TYPE * body_size:
                level = heading_sizes.index(paragraph.size) + 1
            elif paragraph.bold and not bold_body and bold_line_heads(paragraph.text):
                level = len(heading_sizes) + 1
        pieces = paragraph.pieces
        if level and len(pieces) > 1:  # a heading is one line, on the page it starts on
            text, starts = join_lines([piece.text for piece in pieces], set())
            pieces = [Piece(text, pieces[0].page, [(start + offset, label) for piece, start in zip(pieces, starts)
                                                   for offset, label in piece.markers])]
        for number, piece in enumerate(pieces):
            lines.append(Line(piece.text, piece.page, number == 0, tuple(piece.markers), level if number == 0 else 0,
                              typed=True, styled=bool(paragraph.outline) and number == 0))
    return name_sole_title(lines)


def _can_head(text: str) -> bool:
    """Whether a paragraph may be a heading by its look: not prose longer than a heading runs
    (a whole paragraph set large; a long title ends no sentence), a contents entry, a row of
    figures, or a line without a word."""
    prose = len(text) > LONGEST_SET_HEADING and text[-1] in TERMINAL
    return not prose and not TOC_ENTRY.search(text) and not is_table_row(text) and has_word(text)


def _roman(number: int) -> str:
    """i, ii, iii, iv, …: how Word numbers endnotes unless told otherwise."""
    digits = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
              (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]
    roman = ""
    for value, letters in digits:
        count, number = divmod(number, value)
        roman += letters * count
    return roman


def _notes(word, kind: str) -> dict[str, str]:
    """The file's footnotes or endnotes (`kind`) by id, separators left out, from their part."""
    from lxml import etree

    part = next((rel.target_part for rel in word.part.rels.values()
                 if rel.reltype.endswith(f"/{kind}s") and not rel.is_external), None)
    if part is None:
        return {}
    notes = {}
    for note in etree.fromstring(part.blob).iter(f"{W}{kind}"):
        if note.get(f"{W}type") in ("separator", "continuationSeparator", "continuationNotice"):
            continue
        text = re.sub(r"\s+", " ", "".join(t.text or "" for t in note.iter(f"{W}t"))).strip()
        notes[note.get(f"{W}id")] = text
    return notes
