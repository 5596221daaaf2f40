"""Reading files into `Document`s: one reader module per format, all giving the same `Document`
(pages, blocks, sections, footnotes, offsets), so chunking, indexing and citations need no
change per format. Here: which reader reads which file, document ids, size limits, sidecars.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from qa.document import Document, DocumentError
from qa.readers import docx, html, markdown, pdf, text
from qa.readers.imprint import imprint
from qa.readers.text import split_authors

READERS = {".txt": text.read, ".md": markdown.read, ".pdf": pdf.read, ".docx": docx.read, ".html": html.read,
           ".htm": html.read}
SUPPORTED_SUFFIXES = tuple(READERS)
TEXT_SUFFIXES = (".txt", ".md", ".html", ".htm")
META_SUFFIX = ".meta.json"

__all__ = ["READER_VERSION", "DocumentError", "SUPPORTED_SUFFIXES", "check_size", "doc_id_for", "printable_name", "read_document",
           "sidecar_of"]

# Bumped when what the readers make of a file changes: an index re-reads its files then, and
# re-embeds only those whose chunks changed (`qa.index.build_index`).
READER_VERSION = "3"


def doc_id_for(source: str) -> str:
    """A document's id: its path in the seeds folder, extension included (so paper.txt and
    paper.md differ), when that is safe in a URL; else the safe characters and a short hash
    of the path (sub/a b.txt → sub-a-b.txt-1f2e3d4c), the same on every build."""
    safe = re.sub(r"[^\w.-]+", "-", source).strip("-.")
    if safe == source:
        return source
    digest = hashlib.sha1(source.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"{safe or 'doc'}-{digest}"


def printable_name(name: str) -> str:
    """A file name as it can be shown: bytes that are not UTF-8 become U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def check_size(size: int, source: str, max_text_mb: float, max_file_mb: float = 200) -> None:
    """Refuses a file over its format's limit before it is read: text is read whole into memory,
    a PDF or Word file page by page."""
    if Path(source).suffix.lower() in TEXT_SUFFIXES:
        limit, kind, setting = max_text_mb, "a text file", "QA_MAX_TEXT_MB"
    else:
        limit, kind, setting = max_file_mb, f"a {Path(source).suffix.lower()} file", "QA_MAX_FILE_MB"
    if size > limit * 1_000_000:
        raise DocumentError(f"{source}: {size / 1_000_000:.1f} MB, over the {limit:g} MB limit for {kind} ({setting})")


def read_document(path: Path, root: Path | None = None, source: str | None = None) -> Document:
    """Read one file of a supported format (and its optional `.meta.json` sidecar, which
    overrides what the file says of itself); `source` names it in the library when it is read
    from elsewhere (an upload not yet moved into place)."""
    root = root or path.parent
    source = source or path.relative_to(root).as_posix()
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise DocumentError(f"{source}: unsupported format {path.suffix!r} (supported: {', '.join(SUPPORTED_SUFFIXES)})")
    meta = read_meta(path, source)
    document = reader(path, doc_id_for(source), source, meta)
    if not document.text.strip():
        raise DocumentError(f"{source}: no text")
    first = document.pages[0] if document.paged else None
    front = document.text[first.start:first.end] if first else document.text[:3000]
    # Page 1's notes may say it too (the article's own reference, its DOI).
    front += "".join("\n" + document.text[note.start:note.end] for note in document.footnotes if note.page == 1)
    document.meta = {**imprint(front), **document.meta}
    return document


def read_meta(path: Path, source: str) -> dict:
    sidecar = sidecar_of(path)
    if not sidecar.exists():
        return {}
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DocumentError(f"{source}: its metadata file {sidecar.name} is not valid JSON: {exc}") from exc
    if not isinstance(meta, dict):
        raise DocumentError(f"{source}: its metadata file {sidecar.name} must hold a JSON object")
    return _checked_meta(meta, f"{source}: in {sidecar.name}")


# What a sidecar may say, by kind of value; anything else a sidecar holds is kept as it is.
META_TEXT = ("title", "title_en", "journal", "journal_en", "doi", "url", "language", "article_number", "publisher",
             "place", "school", "degree", "isbn", "issn", "date", "site")
REFERENCE_TYPES = ("J", "M", "D", "EB/OL", "Z")  # GB/T 7714: journal article, book, thesis, web page, other
META_NUMBER_OR_TEXT = ("year", "volume", "issue")
META_PAGE = ("first_page", "last_page")
META_NAMES = ("authors", "authors_en")


def _checked_meta(meta: dict, where: str) -> dict:
    """The sidecar's fields, each of the kind the references need, else a DocumentError naming it."""
    for key in META_TEXT:
        if key in meta and not isinstance(meta[key], str):
            raise DocumentError(f"{where}, {key!r} must be text")
    if "type" in meta and meta["type"] not in REFERENCE_TYPES:
        raise DocumentError(f"{where}, 'type' must be one of {', '.join(REFERENCE_TYPES)}")
    for key in META_NUMBER_OR_TEXT:
        if key in meta and (isinstance(meta[key], bool) or not isinstance(meta[key], int | str)):
            raise DocumentError(f"{where}, {key!r} must be a number or text")
    for key in META_PAGE:
        if key in meta:
            value = meta[key]
            if isinstance(value, str) and value.strip().isdigit():
                meta[key] = value = int(value)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise DocumentError(f"{where}, {key!r} must be a page number")
    for key in META_NAMES:
        names = meta.get(key)
        if isinstance(names, str):
            meta[key] = split_authors(names)
        elif names is not None and not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
            raise DocumentError(f"{where}, {key!r} must be a list of names")
    return meta


def sidecar_of(path: Path) -> Path:
    return path.with_name(path.name.rsplit(".", 1)[0] + META_SUFFIX)


