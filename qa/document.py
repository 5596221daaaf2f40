"""The document model: what reading a file produces, with offsets into its normalized text."""

from __future__ import annotations

import bisect
from dataclasses import asdict, dataclass, field

# Words that open a family name: "van Stokkum", "dos Santos" (authors' names in references).
NAME_PARTICLES = frozenset("van von der den de del della di da du dos le la ter ten".split())


class DocumentError(ValueError):
    """A source file that cannot be read; the message names the file."""


@dataclass(frozen=True)
class Page:
    """A page of the source; its body text is `text[start:end]` (footnotes live apart)."""

    number: int  # the physical page of the file, from 1
    start: int
    end: int
    label: str | None = None  # the printed page number (PDF page labels or the running header/footer)
    ocr: bool = False  # its text was read from the page's image


@dataclass(frozen=True)
class PageSpan:
    """Where a passage or a quote is: the file's pages (None for a document without pages,
    Word or web) and the printed page numbers (None when the file does not say them)."""

    start: int | None
    end: int | None
    label_start: str | None
    label_end: str | None
    ocr: bool = False  # some of it was read from a page's image

    def to_dict(self) -> dict:
        return {"page_start": self.start, "page_end": self.end, "page_label_start": self.label_start,
                "page_label_end": self.label_end, "ocr": self.ocr}


@dataclass(frozen=True)
class Footnote:
    page: int
    label: str
    start: int
    end: int


@dataclass(frozen=True)
class FootnoteRef:
    """An inline marker (`”a由此`), removed from the text; `offset` is where it stood."""

    label: str
    offset: int
    page: int
    footnote: int | None  # index into Document.footnotes, None when the note was not extracted


@dataclass(frozen=True)
class Block:
    """A unit of text. Kinds: paragraph, heading, table, code, footnote, abstract, keywords, and the
    front/back matter lines title, subtitle, authors, affiliation, classification."""

    kind: str
    start: int
    end: int
    section: tuple[str, ...]


@dataclass
class Section:
    heading: str
    level: int
    path: tuple[str, ...]
    start: int
    end: int
    page: int
    part: str  # "front", "body" or "back"
    children: list[Section] = field(default_factory=list)


@dataclass
class Document:
    doc_id: str
    source: str  # path relative to the seeds folder
    text: str  # normalized text; every offset in this model points into it
    lang: str  # "zh" or "en", by script of the body
    title: str
    authors: list[str]
    meta: dict
    pages: list[Page]
    blocks: list[Block]
    sections: list[Section]  # top-level sections, each with its children
    footnotes: list[Footnote]
    footnote_refs: list[FootnoteRef]

    def page_of(self, offset: int) -> int:
        """The page a character of `text` was printed on."""
        for note in self.footnotes:
            if note.start <= offset < note.end:
                return note.page
        index = bisect.bisect_right(self.pages, offset, key=lambda page: page.start) - 1
        return self.pages[max(index, 0)].number

    def label_of(self, number: int) -> str | None:
        """The printed page number of physical page `number`, if known."""
        return next((page.label for page in self.pages if page.number == number), None)

    @property
    def paged(self) -> bool:
        """Whether the file has fixed pages (web pages have none, nor Word files Word never laid out)."""
        return self.meta.get("paged") is not False

    def printed_label(self, number: int) -> str | None:
        """The page number as printed: the file's own label (a PDF's page labels or running
        header), else counted from the sidecar's `first_page`; None when neither says."""
        if not self.paged:
            return None
        label = self.label_of(number)
        if label:
            return label
        first = self.meta.get("first_page")
        return str(int(first) + number - 1) if isinstance(first, int) or str(first or "").isdigit() else None

    def span(self, start: int, end: int) -> PageSpan:
        """Pages `start` to `end` of the file, with their printed numbers."""
        if not self.paged:
            return PageSpan(None, None, None, None, any(page.ocr for page in self.pages))
        ocr = any(page.ocr for page in self.pages if start <= page.number <= end)
        return PageSpan(start, end, self.printed_label(start), self.printed_label(end), ocr)

    def section_path_at(self, offset: int) -> tuple[str, ...]:
        """The path of the innermost section holding `offset`; () outside every section."""
        holding = [s for s in self.walk_sections() if s.start <= offset < s.end]
        return max(holding, key=lambda s: s.level).path if holding else ()

    def walk_sections(self):
        stack = list(reversed(self.sections))
        while stack:
            section = stack.pop()
            yield section
            stack.extend(reversed(section.children))


def document_to_dict(document: Document) -> dict:
    return asdict(document)


def document_from_dict(data: dict) -> Document:
    def section(item: dict) -> Section:
        return Section(**{**item, "path": tuple(item["path"]), "children": [section(c) for c in item["children"]]})

    return Document(
        **{
            **data,
            "pages": [Page(**p) for p in data["pages"]],
            "blocks": [Block(**{**b, "section": tuple(b["section"])}) for b in data["blocks"]],
            "sections": [section(s) for s in data["sections"]],
            "footnotes": [Footnote(**f) for f in data["footnotes"]],
            "footnote_refs": [FootnoteRef(**r) for r in data["footnote_refs"]],
        }
    )
