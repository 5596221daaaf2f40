"""Plain text (`.txt`) into a `Document`: decoding, page and layout repair, structure.

Text files are often extracted from PDFs: lines are hard-wrapped, footnotes sit at the
bottom of pages (sometimes inside a paragraph that continues after them), figure captions
are duplicated, and inline footnote markers stick to the text. `parse_text` undoes that
damage and records where everything came from. Its layout stage (`layout_units`) and
`TextBuilder` also lay out the lines the other readers find (PDF, Word, web page, Markdown).
"""

from __future__ import annotations

import codecs
import re
import statistics
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from qa.document import NAME_PARTICLES, Block, Document, DocumentError, Footnote, FootnoteRef, Page, Section

# ---------------------------------------------------------------- decoding


def decode_bytes(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 (BOM or not), GB18030/GBK; else a clear error."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return _strict(data, encoding, name)
    if data and b"\x00" in data:
        utf16 = _utf16_without_bom(data)
        if utf16 is None:
            raise DocumentError(f"{name}: binary file (contains NUL bytes), not text")
        return utf16
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return text
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None and _looks_like_text(str(best)):
        return str(best)
    raise DocumentError(f"{name}: cannot decode as UTF-8, UTF-16 or GB18030 text")


def _strict(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{name}: invalid {encoding} at byte {exc.start}") from exc


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 puts the zero bytes of ASCII characters on one side: odd offsets (LE), even (BE)."""
    if len(data) % 2:
        return None
    zero_even, zero_odd = data[0::2].count(0), data[1::2].count(0)
    if max(zero_even, zero_odd) < 4 * min(zero_even, zero_odd):
        return None
    encoding = "utf-16-le" if zero_odd > zero_even else "utf-16-be"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    return text if _looks_like_text(text) else None


def _looks_like_text(text: str) -> bool:
    if not text:
        return True
    control = sum(1 for ch in text if unicodedata.category(ch) in ("Cc", "Co", "Cn") and ch not in "\n\r\t\f")
    return control / len(text) < 0.01


# ---------------------------------------------------------------- character classes

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_PUNCT = "\u3000-\u303f\uff00-\uffef“”‘’《》•—…"
TERMINAL = "。！？!?…；;.："  # a line ending in one of these may end a paragraph
CLOSERS = "”’」』）)》】\"'"


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


CJK_CHAR = re.compile(f"[{CJK}]")


def is_cjk(ch: str) -> bool:
    return CJK_CHAR.match(ch) is not None


def cjk_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    return sum(1 for ch in letters if is_cjk(ch)) / len(letters) if letters else 0.0


def language_of(text: str) -> str:
    """"zh" when at least 30% of the letters are Chinese characters, else "en"."""
    return "zh" if cjk_share(text) >= 0.3 else "en"


# ---------------------------------------------------------------- line patterns

FOOTNOTE_LINE = re.compile(r"^([a-z])(?:\u3000|\s(?=[\[【(（《\u4e00-\u9fff]))\s*(\S.*)$")
# The notes about the article at the foot of its first page, unmarked, each labelled by its kind.
NOTE_NAMES = (r"收稿日期|修回日期|基金项目|作者简介|通讯作者|通信作者|本文引用格式|引用格式|引文格式"
              r"|Received|Foundation items?|Funding|Corresponding author|Biography")
ARTICLE_NOTE = re.compile(rf"^[\[【]?({NOTE_NAMES})(?:[\]】]\s*[:：]?|\s*[:：])", re.IGNORECASE)  # "[收稿日期] 2023-01-10"
FIGURE_LINE = re.compile(r"^(图\s*\d+|(Figure|Fig\.)\s*\d+)")
FENCE = re.compile(r"^(```|~~~)")
TABLE_CAPTION = re.compile(r"^(表\s*\d+|Table\s+\d+)")
TABLE_SOURCE = re.compile(r"^(数据来源|资料来源|来源|注|Source|Sources|Note)\s*[:：]")
LABELED = {
    "abstract": re.compile(r"^(摘\s*要|内容提要|Abstract)\s*[:：]", re.I),
    "keywords": re.compile(r"^(关键词|关键字|Key\s*words)\s*[:：]", re.I),
    "classification": re.compile(r"^(中图分类号|文献标识码|文章编号|DOI)\s*[:：]", re.I),
}
LABEL_SECTION = {"abstract": {"zh": "摘要", "en": "Abstract"}, "keywords": {"zh": "关键词", "en": "Keywords"}}
NAMED_HEADINGS = re.compile(
    r"^(摘\s*要|关键词|参考文献|致\s*谢|附\s*录|Abstract|Keywords|Key words|References|Bibliography|"
    r"Acknowledge?ments|Appendix)$",
    re.I,
)
APPENDIX = re.compile(r"^(附\s*录|Appendix)", re.IGNORECASE)
# "附录 A 大陆地区的源", "Appendix B: Proofs": a top-level section like a chapter, whatever its type.
LETTERED_APPENDIX = re.compile(APPENDIX.pattern + r"\s*(?:[A-Z]|\d{1,2}|[一二三四五六七八九十]{1,3})(?=[\s:：.、]|$)",
                               re.IGNORECASE)
CN_NUMERAL = "一二三四五六七八九十百零〇"
# (kind, pattern): a heading's kind decides its level by order of first appearance.
HEADING_PATTERNS = [
    ("chapter", re.compile(rf"^第\s?[{CN_NUMERAL}\d]+\s?章")),  # "第 1 章" as LaTeX sets it
    ("jie", re.compile(rf"^第\s?[{CN_NUMERAL}\d]+\s?节")),
    ("cn", re.compile(rf"^[{CN_NUMERAL}]+、")),
    ("paren-cn", re.compile(rf"^[（(][{CN_NUMERAL}]+[）)]")),
    ("dotted", re.compile(r"^\d{1,2}(\.\d{1,2})+\.?\s*(?=\D)")),
    ("arabic-dot", re.compile(r"^\d{1,2}[.．](?!\d)\s*\S")),
    ("paren-arabic", re.compile(r"^[（(]\d{1,2}[）)]")),
    ("arabic-paren", re.compile(r"^\d{1,2}[）)]")),
    ("roman", re.compile(r"^[IVX]{1,5}\.\s+\S")),
    ("arabic-title", re.compile(r"^\d{1,2}\s+[A-Z]")),
]
MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
# A lone lower-case letter right after Chinese text or punctuation is a footnote marker.
MARKER = re.compile(rf"(?<=[{CJK}{CJK_PUNCT}])[ \t]?([a-z])(?=[{CJK}“‘《（，。、\s]|$)")


# A table-of-contents entry, "2.1 Install . . . . 3": dropped, or a question would be answered
# from the contents page instead of the section it lists.
TOC_ENTRY = re.compile(r"((\.\s?){4,}|[…·]{2,})\s*([\d]+|[ivxlc]+)$", re.IGNORECASE)
CONTENTS_HEADING = re.compile(r"^(目\s*录|(table\s+of\s+)?contents)$", re.IGNORECASE)
AFFILIATION_MARK = re.compile(r"(?<=[^\W\d_])[∗*†‡§¶#\d]+(?:[,，][∗*†‡§¶#\d]+)*(?=[\s,，、;；&]|$)")
EMAIL_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[\w-]+(\.[\w-]+)+")
AUTHOR_LABEL = re.compile(r"^\s*(?:authors?|by|作者)\s*[:：]\s*", re.IGNORECASE)
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
# A front line that is only a date ("2023 年 1 月 2 日", "2019/05/15 v1.0e", "January 2, 2023")
# dates the document; it is not where its authors work.
DATE_LINE = re.compile(rf"""\s*(?:\d{{4}}\s*年(?:\s*\d{{1,2}}\s*月(?:\s*\d{{1,2}}\s*日)?)?
    | \d{{4}}[-/.]\d{{1,2}}(?:[-/.]\d{{1,2}})?
    | {_MONTH}\s+(?:\d{{1,2}},?\s+)?\d{{4}} | \d{{1,2}}\s+{_MONTH}\s+\d{{4}}
)(?:\s+v?\d[\w.]*)?\s*$""", re.VERBOSE | re.IGNORECASE)
LONGEST_SET_HEADING = 100  # characters
HEADING_TYPE = 1.12  # heading type is at least this share of the body's (PDF, Word)
# What PDF and Word files carry as their title: the source file's name, "Microsoft Word - draft.doc".
JUNK_TITLE = re.compile(r"\.(docx?|exe|pdf|tex|dvi|ps|indd|rtf|odt)$|^Microsoft Word - |^untitled$", re.IGNORECASE)
LETTERS = re.compile(r"[^\W\d_]{2,}")
ENDS_IN_PAGE = re.compile(r"\s([\d]{1,4}|[ivxlc]{1,6})$", re.IGNORECASE)


def has_word(text: str) -> bool:
    """Whether a line holds a word (two letters in a row, or two Chinese characters), as a
    heading does: "(17)", "Q≡Θ−Θ−σ, (3)" and "8. 5" are an equation's number, an equation and
    an axis's ticks."""
    return bool(LETTERS.search(text)) or sum(map(is_cjk, text)) >= 2


def heading_kind(line: str, set_as_heading: bool = False) -> tuple[str, int] | None:
    """The kind (and depth) of a heading line, or None for body text. A line the reader saw set
    as a heading (bold or large type) may be longer: "5. Connection between the deceleration
    parameter and observations"."""
    markdown = MARKDOWN_HEADING.match(line)
    if markdown:
        return "markdown", len(markdown.group(1))
    if NAMED_HEADINGS.match(line) or CONTENTS_HEADING.match(line):
        return "named", 1
    longest = LONGEST_SET_HEADING if set_as_heading else 40
    if (len(line) > longest or line[-1] in "。，；,;：:" or TOC_ENTRY.search(line) or is_table_row(line)
            or not has_word(line)):
        return None
    if LETTERED_APPENDIX.match(line):
        return "named", 1
    for kind, pattern in HEADING_PATTERNS:
        match = pattern.match(line)
        if not match:
            continue
        if kind == "dotted":
            return f"dotted-{match.group(0).count('.') - match.group(0).endswith('.')}", 1
        if kind in ("arabic-dot", "arabic-paren", "arabic-title") and len(line) > 30 and not set_as_heading:
            return None
        return kind, 1
    return None


BOLD_LEVEL = 7  # a bold paragraph of a Word file, web page or note heads a section below every styled level


def bold_line_heads(text: str) -> bool:
    """Whether a line all in bold reads as a heading: short, or numbered and up to 100
    characters ("4. The apparent and average accelerations"), and no row of figures."""
    return not is_table_row(text) and (len(text) <= 40 or heading_kind(text, True) is not None)


# ---------------------------------------------------------------- raw lines and pages


@dataclass
class Line:
    text: str
    page: int
    blank_before: bool  # a meaningful blank line precedes it (paragraph break)
    # From a reader that sees the type (PDF): superscript footnote markers taken out of `text`,
    # as (offset in text, label), and a heading level by type size (1 = largest), 0 if none.
    markers: tuple[tuple[int, str], ...] = ()
    heading_level: int = 0
    typed: bool = False  # the reader saw the type: a numbered line in body type heads only a new block
    cells: int = 1  # pieces the reader saw set apart by wide gaps (a table row has several)
    code: bool = False  # a line of a fenced code block (its fences included), kept as written
    fixed_pitch: bool = False  # set in a typewriter font beside proportional text: a listing, which heads nothing
    styled: bool = False  # marked a heading by the author (a Word heading style, h1–h6, `#`): one wherever it stands
    ruled: bool = False  # a row of a table the file marks as one (Word, HTML, Markdown): its rows end the table


def split_pages(text: str) -> list[list[str]]:
    """Pages by form feed; failing that, by lines starting with a single space (PDF extraction)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\f" in text:
        return [page.split("\n") for page in text.split("\f")]
    lines = text.split("\n")
    page_start = re.compile(r"^ (?! )\S")
    if not lines or not page_start.match(lines[0]):
        return [lines]
    pages: list[list[str]] = []
    for line in lines:
        if page_start.match(line) or not pages:
            pages.append([])
        pages[-1].append(line)
    return pages


def raw_lines(pages: list[list[str]]) -> list[Line]:
    all_lines = [line for page in pages for line in page]
    # PDF extraction often separates every line by an empty one; then blanks mean nothing.
    double_spaced = _is_double_spaced(all_lines)
    result: list[Line] = []
    for number, page in enumerate(pages, start=1):
        blank = False
        for line in page:
            stripped = line.strip()
            if not stripped:
                blank = True
                continue
            result.append(Line(stripped, number, blank and not double_spaced))
            blank = False
    return result


def _is_double_spaced(lines: list[str]) -> bool:
    gaps = []
    run = 0
    for line in lines:
        if line.strip():
            gaps.append(run)
            run = 0
        else:
            run += 1
    gaps = gaps[1:]
    return len(gaps) >= 10 and sum(1 for gap in gaps if gap == 1) / len(gaps) > 0.8


# ---------------------------------------------------------------- joining lines


def join_lines(lines: list[str], vocabulary: set[str]) -> tuple[str, list[int]]:
    """Re-join hard-wrapped lines; returns the text and each line's start offset in it.
    Linear in the text's length: each join looks at the previous line only."""
    pieces: list[str] = []
    starts = []
    length = 0
    for line in lines:
        if pieces:
            last = pieces[-1]
            previous, first = last[-1], line[0]
            hyphenated = re.search(r"([A-Za-z]+)-$", last) if previous == "-" else None
            if hyphenated and first.islower() and hyphenated.group(1).lower() not in vocabulary:
                pieces[-1] = last[:-1]  # "gover-" + "nance": a word broken across lines
                length -= 1
            elif previous.isascii() and previous.isalnum() and first.isascii() and first.isalnum() or (
                previous in ",;:.!?)" and first.isascii() and first.isalnum()
            ):
                pieces.append(" ")
                length += 1
        starts.append(length)
        pieces.append(line)
        length += len(line)
    return "".join(pieces), starts


def latin_vocabulary(text: str) -> set[str]:
    """Latin words seen whole in the text: a hyphen before one of them at a line end is kept."""
    return {word.lower() for word in re.findall(r"(?<![A-Za-z-])[A-Za-z]{2,}(?![A-Za-z]*-\n)", text)}


# ---------------------------------------------------------------- layout into units


@dataclass
class Unit:
    """A block before it has offsets: its kind and source lines."""

    kind: str
    lines: list[Line]
    heading: tuple[str, int] | None = None
    label: str = ""  # footnote label


def _line_width_limit(lines: list[Line], index: int) -> int:
    """The width a full line has around `index` (columns narrow beside figures)."""
    window = [display_width(line.text) for line in lines[max(index - 3, 0) : index + 4]]
    return max(window)


def _ends_paragraph(lines: list[Line], index: int) -> bool:
    text = MARKER.sub("", lines[index].text).rstrip().rstrip(CLOSERS)
    if not text or text[-1] not in TERMINAL:
        return False
    return display_width(lines[index].text) < _line_width_limit(lines, index) - 4


def is_table_row(line: str) -> bool:
    """Whether a line is a row of figures ("2021 74652 -0.55% 299.12"): half its cells or more are numbers."""
    tokens = line.split()
    numeric = [t for t in tokens if re.fullmatch(r"[-+]?[\d.,]+%?|\\|/|-|—", t)]
    return len(tokens) >= 3 and len(numeric) / len(tokens) >= 0.5


def layout_units(lines: list[Line], lang: str, footnote_lines: bool = True) -> tuple[list[Unit], list[Unit]]:
    """Group lines into body units and footnotes (lines like `a　注释`, unless `footnote_lines`
    is off because the reader found the footnotes itself), dropping figure residue."""
    units: list[Unit] = []
    footnotes: list[Unit] = []
    widest: dict[int, int] = {}
    for line in lines:
        widest[line.page] = max(widest.get(line.page, 0), display_width(line.text))
    # A page of a few short lines (a title page, whose widest line is the title) is measured by
    # the document's usual width.
    usual = statistics.median(widest.values()) if widest else 0
    page_width = {page: max(width, usual) for page, width in widest.items()}

    def abstract_follows(index: int) -> bool:
        """Whether an abstract's label is a few lines below line `index`, as below a title block."""
        return any(LABELED["abstract"].match(after.text) for after in lines[index + 1 : index + 1 + BACK_TITLE_REACH])

    paragraph: list[Line] = []
    paragraph_kind = "paragraph"
    state = "front"  # front → preamble → body; "back" for the other-language title block at the end
    table: Unit | None = None
    code: Unit | None = None
    in_contents = False  # just after a "Contents" heading
    numbering = Numbering()

    def close_paragraph() -> None:
        nonlocal paragraph, paragraph_kind
        if paragraph:
            units.append(Unit(paragraph_kind, paragraph))
        paragraph, paragraph_kind = [], "paragraph"

    for index, line in enumerate(lines):
        text = line.text
        if line.code:
            if FENCE.match(text.strip()) and (code is None or not code.lines):
                close_paragraph()
                if table is not None:
                    units.append(table)
                    table = None
                code = Unit("code", [])
            elif FENCE.match(text.strip()):
                units.append(code)
                code = None
            else:
                code.lines.append(line)
            continue
        footnote = FOOTNOTE_LINE.match(text) if footnote_lines else None
        if footnote and not paragraph_is_latin(paragraph):
            footnotes.append(Unit("footnote", [Line(footnote.group(2), line.page, False)], label=footnote.group(1)))
            continue
        article_note = ARTICLE_NOTE.match(text) if footnote_lines and line.page == 1 and line.blank_before else None
        if article_note:  # "收稿日期：2023-01-10" copied out of page 1's foot: a note, not the body's
            footnotes.append(Unit("footnote", [Line(text, line.page, False)], label=article_note.group(1)))
            continue
        if FIGURE_LINE.match(text) or TOC_ENTRY.search(text):
            continue
        if in_contents and ENDS_IN_PAGE.search(text):
            continue  # an entry without leader dots ("第一章 基本概念 1")
        in_contents = False
        if line.ruled:
            if table is None:
                close_paragraph()
                table = Unit("table", [])
            table.lines.append(line)
            continue
        if table is not None:
            if TABLE_SOURCE.match(text):
                table.lines.append(line)
                units.append(table)
                table = None
                continue
            prose = display_width(text) > 0.7 * page_width[line.page] and not is_table_row(text) and line.cells < 3
            if not prose and heading_kind(text) is None and not table.lines[-1].ruled:
                table.lines.append(line)
                continue
            units.append(table)
            table = None
        if TABLE_CAPTION.match(text):
            close_paragraph()
            table = Unit("table", [line])
            continue
        if line.blank_before:
            close_paragraph()
        # A numbered line in body type that fills its measure and runs on into the next line
        # starts a paragraph ("2. No Requirements dependencies: There are no …"), not a section.
        runs_on = line.typed and not line.heading_level and index + 1 < len(lines) and not (
            lines[index + 1].blank_before) and display_width(text) >= 0.8 * page_width[line.page]
        numbered = (line.blank_before or not line.typed) and not line.fixed_pitch and not runs_on
        # Set as a heading: in bold or large type, or, in a PDF, in capitals ("III. PROPOSED MODEL").
        set_as_heading = bool(line.heading_level) or line.typed and text.isupper()
        kind = heading_kind(text, set_as_heading) if numbered else None
        if kind is not None and not numbering.follows(kind[0], text):
            kind = None
        kind = kind or (("type", line.heading_level) if line.heading_level else None)
        other_script = cjk_share(text) < 0.2 if lang == "zh" else cjk_share(text) > 0.5
        # Set apart by its type alone, a few lines above an abstract: a line of a title block.
        title_block = kind is not None and kind[0] == "type" and not line.styled and abstract_follows(index)
        if title_block and kind[1] == 1 and other_script and state == "body":
            state = "back"  # in the title's type and the other language: the title block translated
        # Lines in large type on the first page before the body are its title and authors, not
        # headings; so are those of the translated title block.
        if kind is not None and not (state == "back" and title_block) and (
                line.styled or state != "front" or kind[0] in ("markdown", "named")
                or index > 0 and (kind[0] != "type" or line.page > lines[0].page)):
            close_paragraph()
            units.append(Unit("heading", [line], heading=kind))
            state = "body"
            in_contents = bool(CONTENTS_HEADING.match(text.strip()))
            continue
        label = next((name for name, pattern in LABELED.items() if pattern.match(text)), None)
        if label is not None:
            close_paragraph()
            paragraph_kind = label
            state = "preamble" if state in ("front", "back") else state
        # A line in the other language begins the translated title block only a few lines above an
        # abstract: else it is a line of code or a quotation ("1 sudo apt install fontconfig").
        if state != "front" and label is None and other_script and not paragraph and _is_title_like(
                text, line, page_width) and abstract_follows(index):
            state = "back"
        if state in ("front", "back") and label is None and (
                state == "back" and title_block or _is_title_like(text, line, page_width)):
            if not (paragraph and paragraph_kind == "front-line"):  # else a wrapped title goes on
                close_paragraph()
                paragraph_kind = "front-line"
            paragraph.append(line)
            if display_width(text) < 0.7 * page_width[line.page] or text[-1] in TERMINAL:
                close_paragraph()
            continue
        if state in ("front", "back"):
            state = "preamble"
        paragraph.append(line)
        # A reader that saw the type marked paragraph starts itself (indent, gap, room left).
        if paragraph_kind == "classification" or not line.typed and _ends_paragraph(lines, index):
            close_paragraph()
    if table is not None:
        units.append(table)
    if code is not None and code.lines:  # a fence left open runs to the end
        units.append(code)
    close_paragraph()
    return units, footnotes


class Numbering:
    """The numbers headings of each arabic kind have reached. A heading's number follows the last
    of its kind (one may have been missed) or starts again at 1 under a new parent: the rows of
    a numbered table ("9 Resilience", "20 Modifiability") do not."""

    KINDS = ("arabic-dot", "arabic-title", "paren-arabic", "arabic-paren")

    def __init__(self) -> None:
        self.last: dict[str, int] = {}

    def follows(self, kind: str, text: str) -> bool:
        if kind not in self.KINDS:
            return True
        number = int(re.search(r"\d+", text).group())
        last = self.last.get(kind)
        if last is not None and number != 1 and not last < number <= last + 2:
            return False
        self.last[kind] = number
        return True


def paragraph_is_latin(paragraph: list[Line]) -> bool:
    return bool(paragraph) and cjk_share(paragraph[-1].text) < 0.2


def name_sole_title(lines: list[Line]) -> list[Line]:
    """A first line in the top heading level that no other line shares (a Word file's one
    `Heading 1`, a note's one `#`, a page's one h1) names the document: it goes to the title
    block, not into the outline. Where the level recurs, the first line is a section too."""
    levels = [line.heading_level for line in lines if line.styled]
    if lines and lines[0].styled and lines[0].heading_level == min(levels) and levels.count(min(levels)) == 1:
        lines[0].styled = False
    return lines


BACK_TITLE_REACH = 6  # lines from a translated title to its abstract (authors, affiliations between)
MAX_TITLE_WIDTH = 120  # display columns: 60 Chinese characters; a longer line is prose, however narrow the page


def _is_title_like(text: str, line: Line, page_width: dict[int, int]) -> bool:
    return (
        text[-1] not in "。，；,;"
        and display_width(text) < min(0.8 * page_width[line.page] + 1, MAX_TITLE_WIDTH)
        and not re.search(r"[。！？]|[.!?]\s", text[:-1])  # a title is not several sentences
    )


def read(path: Path, doc_id: str, source: str, meta: dict) -> Document:
    return parse_text(decode_bytes(path.read_bytes(), source), doc_id, source, meta)


def parse_text(raw: str, doc_id: str, source: str, meta: dict | None = None) -> Document:
    if raw.startswith("\ufeff"):
        raw = raw[1:]
    pages = split_pages(raw)
    lines = raw_lines(pages)
    lang = language_of(raw)
    units, footnote_units = layout_units(lines, lang)
    return build_document(units, footnote_units, len(pages), lang, latin_vocabulary(raw), doc_id, source, meta)


def build_document(units: list[Unit], footnote_units: list[Unit], page_count: int, lang: str, vocabulary: set[str],
                   doc_id: str, source: str, meta: dict | None) -> Document:
    """The `Document` of laid-out units (any reader's), with offsets, pages and sections."""
    meta = dict(meta or {})
    builder = TextBuilder(vocabulary, lang)
    for unit in units:
        builder.add(unit)
    builder.finish_body(page_count)
    for unit in footnote_units:
        builder.add_footnote(unit)
    title, authors = _front_matter(builder, meta.get("title"))
    return Document(
        doc_id=doc_id,
        source=source,
        text=builder.text,
        lang=lang,
        title=str(meta.get("title") or title or doc_id),
        authors=list(meta.get("authors") or authors),
        meta=meta,
        pages=builder.pages,
        blocks=builder.blocks,
        sections=builder.sections,
        footnotes=builder.footnotes,
        footnote_refs=builder.link_footnotes(),
    )


def _front_matter(builder: TextBuilder, known_title: str | None = None) -> tuple[str, list[str]]:
    """Name the front/back matter lines: title, subtitle, authors, affiliation. When the reader
    knows the title (a PDF's largest type), the lines before it are left unnamed: a journal's
    logo or masthead is not the title, nor the title its authors."""
    title, authors = "", []
    groups: list[list[int]] = []
    for index, block in enumerate(builder.blocks):
        if block.kind != "front-line":
            continue
        if groups and groups[-1][-1] == index - 1:
            groups[-1].append(index)
        else:
            groups.append([index])
    title_lines = 1
    if known_title and groups:
        start, title_lines = _title_lines(builder, groups[0], known_title) or (0, 1)
        groups[0] = groups[0][start:]
    for group_number, group in enumerate(groups):
        lines = title_lines if group_number == 0 else 1
        texts = [builder.text[builder.blocks[i].start : builder.blocks[i].end] for i in group]
        roles = ["title"]
        for number, text in enumerate(texts[1:], 1):
            if re.match(r"^[—–-]{1,2}", text) and roles[-1] == "title":
                roles.append("subtitle")
            elif number < lines:  # the known title runs on
                roles.append("title")
            elif not has_word(text) or DATE_LINE.match(text):  # affiliation marks ("1* 1 2 3"), a date
                roles.append("front-line")
            elif "authors" not in roles and names_people(text):
                roles.append("authors")
            else:
                roles.append("affiliation")
        for i, role in zip(group, roles):
            old = builder.blocks[i]
            builder.blocks[i] = Block(role, old.start, old.end, old.section)
        if group_number == 0:
            title = " ".join(text for text, role in zip(texts, roles) if role == "title")
            if "authors" in roles:
                names = texts[roles.index("authors")]
                authors = split_authors(names)
    return title, authors


def _title_lines(builder: TextBuilder, group: list[int], title: str) -> tuple[int, int] | None:
    """Where in a group of front lines a known title starts, and over how many lines it runs."""
    wanted = re.sub(r"\s+", "", title)
    texts = [re.sub(r"\s+", "", builder.text[builder.blocks[i].start : builder.blocks[i].end]) for i in group]
    for start in range(len(texts)):
        joined = ""
        for end in range(start, len(texts)):
            joined += texts[end]
            if joined == wanted:
                return start, end - start + 1
            if not wanted.startswith(joined):
                break
    return None


def names_people(line: str) -> bool:
    """Whether a front line can be the authors' names: no figures once the marks pointing to
    affiliations are gone ("或 111 分钟了解 LATEX 2ε" and "Version 0.4 beta" are a subtitle and
    a version line), and in Latin script every word capitalized, an initial, a particle or "and"."""
    bare = EMAIL_ADDRESS.sub("", AFFILIATION_MARK.sub("", line))
    if re.search(r"\d", bare):
        return False
    if cjk_share(bare) >= 0.5:
        return True
    words = re.findall(r"[^\W\d_][\w.'’-]*", bare)
    return bool(words) and all(word[0].isupper() or word in ("and", *NAME_PARTICLES) for word in words)


def split_authors(line: str) -> list[str]:
    """`曾凡军　王　鹏` → [曾凡军, 王鹏] (two-character names are padded); `A & B` → [A, B]; a
    label (`作者：`, `Authors:`) and the marks pointing to affiliations and notes (`Montoya∗`,
    `曾凡军1`) taken off."""
    line = AFFILIATION_MARK.sub("", AUTHOR_LABEL.sub("", line, count=1))
    if cjk_share(line) < 0.5:
        return [name.strip() for name in re.split(r"[,;&]| and ", line) if name.strip()]
    names: list[str] = []
    for token in re.split(r"[\s,，、;；]+", line):
        if len(token) == 1 and names and len(names[-1]) == 1:
            names[-1] += token
        elif token:
            names.append(token)
    return names


class TextBuilder:
    """Lays units out into one normalized text, recording offsets, pages and sections."""

    def __init__(self, vocabulary: set[str], lang: str):
        self.vocabulary = vocabulary
        self.lang = lang
        self.text = ""
        self.blocks: list[Block] = []
        self.page_starts: dict[int, int] = {}
        self.pages: list[Page] = []
        self.sections: list[Section] = []
        self.footnotes: list[Footnote] = []
        self.refs: list[tuple[str, int, int]] = []  # label, offset, page
        self._stack: list[tuple[str, Section]] = []  # (heading kind, section)
        self._preamble: tuple[str, ...] = ()

    def _append(self, text: str) -> tuple[int, int]:
        if self.text:
            self.text += "\n"
        start = len(self.text)
        self.text += text
        return start, len(self.text)

    def _note_pages(self, lines: list[Line], starts: list[int], base: int) -> None:
        for line, offset in zip(lines, starts):
            self.page_starts.setdefault(line.page, base + offset)

    def _current_path(self) -> tuple[str, ...]:
        if self._stack:
            return self._stack[-1][1].path
        return self._preamble

    def add(self, unit: Unit) -> None:
        if unit.kind == "heading":
            self._add_heading(unit)
            return
        if unit.kind == "table":
            self._add_table(unit)
            return
        if unit.kind == "code":
            start, end = self._append("\n".join(line.text.rstrip() for line in unit.lines))
            self._note_pages(unit.lines[:1], [0], start)
            self.blocks.append(Block("code", start, end, self._current_path()))
            return
        text, starts = join_lines([line.text for line in unit.lines], self.vocabulary)
        if any(line.markers for line in unit.lines):
            refs = [(label, starts[i] + offset, line.page) for i, line in enumerate(unit.lines)
                    for offset, label in line.markers]
        else:
            text, starts, refs = remove_markers(text, starts, unit.lines)
        start, end = self._append(text)
        self._note_pages(unit.lines, starts, start)
        self.refs.extend((label, start + offset, page) for label, offset, page in refs)
        if unit.kind in ("abstract", "keywords"):
            heading = LABEL_SECTION[unit.kind][language_of(text)]
            self._close_sections(0, start)
            part = "back" if self.sections and any(s.part == "body" for s in self.sections) else "front"
            section = Section(heading, 1, (heading,), start, end, unit.lines[0].page, part)
            self.sections.append(section)
            self.blocks.append(Block(unit.kind, start, end, section.path))
            self._preamble = ("引言",) if self.lang == "zh" else ("Introduction",)
            return
        if unit.kind in ("front-line", "classification"):
            self._close_sections(0, start)
            self.blocks.append(Block(unit.kind, start, end, ()))
            return
        if not self._stack and self._preamble and not any(s.path == self._preamble for s in self.sections):
            page = unit.lines[0].page
            self.sections.append(Section(self._preamble[0], 1, self._preamble, start, end, page, "front"))
        if not self._stack and self._preamble and self.sections[-1].path == self._preamble:
            self.sections[-1].end = end
        self.blocks.append(Block(unit.kind, start, end, self._current_path()))

    def _add_heading(self, unit: Unit) -> None:
        line = unit.lines[0]
        kind = unit.heading
        heading = MARKDOWN_HEADING.match(line.text).group(2) if kind[0] == "markdown" else line.text
        key = f"{kind[0]}-{kind[1]}"
        if kind[0] == "named":
            key = "named"
            self._stack.clear()
        start, end = self._append(heading)
        self._note_pages([line], [0], start)
        if self._stack and self._stack[0][0] == "named" and key != "named" and not APPENDIX.match(self._stack[0][1].heading):
            self._close_sections(0, start)  # only an appendix holds sections: not the abstract, nor the contents
        keys = [k for k, _ in self._stack]
        # A kind already open is a sibling of that level; a new kind opens a deeper level.
        self._close_sections(keys.index(key) if key in keys else len(keys), start)
        parent = self._stack[-1][1] if self._stack else None
        path = (parent.path if parent else ()) + (heading,)
        part = "back" if kind[0] == "named" and heading.lower() in ("references", "参考文献") else "body"
        section = Section(heading, len(path), path, start, end, line.page, part)
        (parent.children if parent else self.sections).append(section)
        self._stack.append((key, section))
        self.blocks.append(Block("heading", start, end, path))

    def _add_table(self, unit: Unit) -> None:
        caption, *rest = unit.lines
        if any(line.ruled for line in rest):  # the file marks its rows (Word, HTML, Markdown): each stays a line
            parts = [line.text for line in unit.lines]
        else:  # a header wrapped over lines is one line, above the rows of figures
            header = [line.text for line in rest if not is_table_row(line.text) and not TABLE_SOURCE.match(line.text)]
            rows = [line.text for line in rest if is_table_row(line.text) or TABLE_SOURCE.match(line.text)]
            parts = [caption.text] + ([" ".join(header)] if header else []) + rows
        start, end = self._append("\n".join(parts))
        self._note_pages([caption], [0], start)
        self.blocks.append(Block("table", start, end, self._current_path()))

    def _close_sections(self, depth: int, offset: int) -> None:
        """Sections deeper than `depth` end where the next heading starts."""
        for _, section in self._stack[depth:]:
            section.end = offset
        del self._stack[depth:]

    def finish_body(self, page_count: int) -> None:
        body_end = len(self.text)
        for _, section in self._stack:
            section.end = body_end
        # A page without text (a blank page of a book) is empty where the next page begins.
        starts, following = {}, body_end
        for number in range(page_count, 0, -1):
            following = starts[number] = self.page_starts.get(number, following)
        for number in range(1, page_count + 1):
            self.pages.append(Page(number, starts[number], 0))
        for index, page in enumerate(self.pages):
            end = self.pages[index + 1].start if index + 1 < len(self.pages) else body_end
            self.pages[index] = Page(page.number, page.start, end)

    def add_footnote(self, unit: Unit) -> None:
        text, _ = join_lines([line.text for line in unit.lines], self.vocabulary)
        start, end = self._append(text)
        page = unit.lines[0].page
        self.footnotes.append(Footnote(page, unit.label, start, end))
        label = "脚注" if self.lang == "zh" else "Footnotes"
        self.blocks.append(Block("footnote", start, end, (label,)))

    def link_footnotes(self) -> list[FootnoteRef]:
        by_key = {(note.page, note.label): index for index, note in enumerate(self.footnotes)}
        return [FootnoteRef(label, offset, page, by_key.get((page, label))) for label, offset, page in self.refs]


def remove_markers(text: str, starts: list[int], lines: list[Line]) -> tuple[str, list[int], list[tuple[str, int, int]]]:
    """Take inline footnote markers out of the text, keeping where each stood."""
    refs = []
    kept = []
    removed_before = []  # (old offset, characters removed up to it)
    position = 0
    removed = 0
    for match in MARKER.finditer(text):
        kept.append(text[position : match.start()])
        removed += match.end() - match.start()
        new_offset = match.start() - (removed - (match.end() - match.start()))
        line_index = max(i for i, s in enumerate(starts) if s <= match.start())
        refs.append((match.group(1), new_offset, lines[line_index].page))
        removed_before.append((match.end(), removed))
        position = match.end()
    kept.append(text[position:])

    def shift(offset: int) -> int:
        return offset - max((count for end, count in removed_before if end <= offset), default=0)

    return "".join(kept), [shift(s) for s in starts], refs
