"""Web pages (`.html`, `.htm`) into a `Document`: the main content only, found by trafilatura
(navigation, scripts, footers and comments dropped), with h1–h6 as sections and `<title>`
(or the page's own metadata) as the title. A web page has no pages: `meta["paged"]` is False."""

from __future__ import annotations

from pathlib import Path

from qa.document import Document, DocumentError
from qa.readers.text import decode_bytes, parse_text


def read(path: Path, doc_id: str, source: str, meta: dict) -> Document:
    import trafilatura

    html = decode_bytes(path.read_bytes(), source)
    markdown = trafilatura.extract(html, output_format="markdown", include_tables=True, include_comments=False,
                                   include_images=False, favor_recall=True)
    if not markdown or not markdown.strip():
        raise DocumentError(f"{source}: no main text found in the web page")
    found = trafilatura.extract_metadata(html)
    own: dict = {"paged": False}
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
    return parse_text(markdown, doc_id, source, {**own, **meta})
