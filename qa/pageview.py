"""A cited PDF page as the reader sees it in the file: rendered by pypdfium2, with the quote's
characters boxed where they were printed (`qa.readers.pdf.quote_boxes`, exact, from the
characters the quote was read from). A quote that runs onto the next page shows both pages."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from qa.document import Document, DocumentError
from qa.index import file_hashes
from qa.readers.pdf import quote_boxes

SCALE = 1.5  # pixels per point: 893 px across an A4 page, readable without zooming


@dataclass(frozen=True)
class PageImage:
    page: int  # the file's page, from 1
    label: str | None  # the number printed on it
    pages: int  # the file's page count
    png: bytes
    width: float  # the page's size in points
    height: float
    boxes: tuple[tuple[float, float, float, float], ...]  # the quote's lines: left, top, right, bottom in points


def page_images(document: Document, path: Path, start: int, end: int, content: str | None = None) -> list[PageImage]:
    """The pages `document.text[start:end]` was printed on, each with the boxes of its part of
    the quote. A `DocumentError` when the file is not a PDF, is gone, or changed since it was
    indexed (`content`: its hash in the manifest): its pages would not be the ones cited."""
    if not path.is_file():
        raise DocumentError(f"{document.source}: the file is no longer in the library folder")
    if path.suffix.lower() != ".pdf":
        raise DocumentError(f"{document.source}: only PDF pages can be shown; the passage is in the source card")
    if content and file_hashes(path)[0] != content:
        raise DocumentError(f"{document.source}: the file changed since it was indexed; re-index to see its pages")
    import pypdfium2

    first, last = document.page_of(start), document.page_of(max(start, end - 1))
    images = []
    pdf = pypdfium2.PdfDocument(str(path))
    try:
        for page in document.pages:
            if not first <= page.number <= last:
                continue
            part = document.text[max(start, page.start) : min(end, page.end)]
            width, height, boxes = quote_boxes(pdf, page.number, part)
            buffer = io.BytesIO()
            pdf[page.number - 1].render(scale=SCALE).to_pil().save(buffer, format="PNG", optimize=True)
            images.append(PageImage(page.number, document.printed_label(page.number), len(document.pages),
                                    buffer.getvalue(), width, height, tuple(boxes)))
    finally:
        pdf.close()
    return images
