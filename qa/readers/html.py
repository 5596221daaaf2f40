"""Web pages (`.html`, `.htm`) into a `Document`: the main content only, found by trafilatura
(navigation, scripts, footers and comments dropped), read from its XML so that what the page
shows decides the structure: h1–h6 head sections, a paragraph wholly in bold heads one when
the layout says so ("**一、引言**" on many Chinese sites, numbered or short), as in a PDF
(`layout_units`); lists an item a block, tables a row a line, code kept as written, and no
Markdown marks left in the text. The title is the page's own (its metadata or `<title>`); the
authors its byline ("作者：张三", "By Jane Smith and Tom Brown"), else its metadata. A web page
has no pages: `meta["paged"]` is False."""

from __future__ import annotations

import re
from pathlib import Path

from qa.document import Document, DocumentError
from qa.readers.text import (
    BOLD_LEVEL,
    Line,
    bold_line_heads,
    build_document,
    decode_bytes,
    language_of,
    latin_vocabulary,
    layout_units,
    name_sole_title,
    split_authors,
)

BYLINE = (re.compile(r"(?:^|\s)(?:作者|撰文|文|记者)\s*[:：丨|]\s*([\u4e00-\u9fff·]{2,5}(?:[、，,][\u4e00-\u9fff·]{2,5})*)"),
          re.compile(r"^By\s+([A-Z][^\d:|]{2,80})$"))
BYLINE_REACH = 5  # a byline counts only among the first lines


def read(path: Path, doc_id: str, source: str, meta: dict) -> Document:
    import trafilatura
    from lxml import etree

    html = decode_bytes(path.read_bytes(), source)
    xml = trafilatura.extract(html, output_format="xml", include_tables=True, include_comments=False,
                              include_images=False, include_formatting=True, favor_recall=True)
    main = etree.fromstring(xml.encode()).find("main") if xml else None
    lines = _lines(main) if main is not None else []
    if not lines:
        raise DocumentError(f"{source}: no main text found in the web page")
    own: dict = {"paged": False}
    found = trafilatura.extract_metadata(html)
    if found is not None:
        if found.title:
            own["title"] = found.title
        if found.author:
            own["authors"] = [name.strip() for name in found.author.split(";") if name.strip()]
        if found.date:
            own["year"], own["date"] = found.date[:4], found.date
        if found.sitename:
            own["site"] = found.sitename
        if found.url:
            own["url"] = found.url
    if own.get("title") and lines[0].text != own["title"]:
        # The page shows its title above the article; the extraction may leave it out.
        lines.insert(0, Line(own["title"], 1, True, heading_level=1, typed=True))
    byline = _byline([line.text for line in lines[:BYLINE_REACH]])
    if byline:
        own["authors"] = byline
    all_text = "\n".join(line.text for line in lines)
    lang = language_of(all_text)
    units, _ = layout_units(lines, lang, footnote_lines=False)
    return build_document(units, [], 1, lang, latin_vocabulary(all_text), doc_id, source, {**own, **meta})


def _lines(main) -> list[Line]:
    """Lines for the layout, one a block (a heading, a paragraph, a list item, a table row), in order."""
    blocks = list(_blocks(main))
    bold_share = sum(len(text) for kind, text, bold in blocks if kind == "p" and bold) / max(
        sum(len(text) for kind, text, _ in blocks if kind == "p"), 1)
    lines = []
    for kind, text, bold in blocks:
        if kind.startswith("h"):
            lines.append(Line(text, 1, True, heading_level=int(kind[1:]), typed=True, styled=True))
        elif kind == "row":
            lines.append(Line(text, 1, True, typed=True, cells=text.count(" ") + 1, ruled=True))
        elif kind == "code":
            fence = Line("```", 1, True, code=True)
            lines += [fence, *(Line(row, 1, False, code=True) for row in text.split("\n")), fence]
        else:
            heads = bold and bold_share < 0.5 and bold_line_heads(text)
            lines.append(Line(text, 1, True, heading_level=BOLD_LEVEL if heads else 0, typed=True))
    return name_sole_title(lines)


def _blocks(element):
    """(kind, text, all in bold) for each block of trafilatura's XML: "h1"…"h6", "p", "row", "code"."""
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):  # a comment or processing instruction
            continue
        if tag == "head":
            level = re.fullmatch(r"h([1-6])", child.get("rend", "h2"))
            text = _text(child)
            if text:
                yield f"h{level.group(1) if level else 2}", text, False
        elif tag == "table":
            for row in child.iter("row"):
                text = " ".join(_text(cell) for cell in row.iter("cell") if _text(cell))
                if text:
                    yield "row", text, False
        elif tag == "code":
            text = "".join(child.itertext()).strip("\n")
            if text.strip():
                yield "code", text, False
        elif tag in ("list", "quote", "div") and any(grandchild.tag in ("p", "item", "list", "head", "table")
                                                       for grandchild in child):
            yield from _blocks(child)
        else:  # a paragraph, a list item, a quotation
            text = _text(child)
            if text:
                yield "p", text, _all_bold(child)


def _text(element) -> str:
    """An element's text, a line break and runs of space made one space (ideographic ones kept)."""
    for lb in element.iter("lb"):
        lb.tail = " " + (lb.tail or "")
    return re.sub(r"[^\S\u3000]+", " ", "".join(element.itertext())).strip()


def _all_bold(element) -> bool:
    """Whether every character of a block is inside a bold `hi`."""
    bold = "".join("".join(hi.itertext()) for hi in element.iter("hi") if "#b" in hi.get("rend", ""))
    return bool(bold.strip()) and len(re.sub(r"\s", "", bold)) == len(re.sub(r"\s", "", "".join(element.itertext())))


def _byline(texts: list[str]) -> list[str]:
    """The authors a byline near the top names ("作者：张三 来源：…", "By Jane Smith and Tom Brown")."""
    for text in texts:
        for pattern in BYLINE:
            match = pattern.search(text)
            if match:
                return split_authors(match.group(1))
    return []
