"""Documents as entries a reference manager imports: BibTeX and RIS, from the same metadata
the formatted references use (sidecar, file metadata, what the pages print). A field that
is not known is left out, never guessed."""

from __future__ import annotations

import re

from qa.document import Document
from qa.references import reference_type, split_name

# GB/T 7714 type → BibTeX entry type and RIS type (a thesis by its degree, see `_bibtex_kind`).
BIBTEX_TYPES = {"J": "article", "M": "book", "D": "phdthesis", "EB/OL": "online", "Z": "misc"}
RIS_TYPES = {"J": "JOUR", "M": "BOOK", "D": "THES", "EB/OL": "ELEC", "Z": "GEN"}


def _fields(document: Document) -> dict:
    meta = document.meta
    first, last = meta.get("first_page"), meta.get("last_page")
    return {
        "authors": list(meta.get("authors") or document.authors),
        "title": meta.get("title") or document.title,
        "journal": meta.get("journal"),
        "year": meta.get("year"),
        "volume": meta.get("volume"),
        "issue": meta.get("issue"),
        "pages": (first, last) if first and last else None,
        "issn": meta.get("issn"),
        "isbn": meta.get("isbn"),
        "publisher": meta.get("publisher"),
        "place": meta.get("place"),
        "school": meta.get("school"),
        "doi": meta.get("doi"),
        "url": meta.get("url"),
        "language": "chinese" if document.lang == "zh" else "english",
    }


def _bibtex_kind(document: Document) -> str:
    kind = BIBTEX_TYPES[reference_type(document)]
    if kind == "phdthesis" and str(document.meta.get("degree", "")).lower() in ("硕士", "master's", "master"):
        return "mastersthesis"
    return kind


def _key(document: Document, fields: dict) -> str:
    """`zeng2023`-like where the first author is in Latin letters, else the doc_id's letters and the year."""
    english = document.meta.get("authors_en") or fields["authors"]
    family = split_name(english[0])[0] if english else document.doc_id
    stem = re.sub(r"[^a-z0-9]", "", family.lower()) or re.sub(r"[^a-z0-9]", "", document.doc_id.lower()) or "doc"
    return f"{stem}{fields['year'] or ''}"


def _braced(text: str) -> str:
    return "{" + str(text).replace("{", "\\{").replace("}", "\\}") + "}"


def bibtex(documents: list[Document]) -> str:
    entries, keys = [], set()
    for document in documents:
        fields = _fields(document)
        key = _key(document, fields)
        while key in keys:
            key += "a"
        keys.add(key)
        kind = _bibtex_kind(document)
        rows = [("author", " and ".join(fields["authors"]) if fields["authors"] else None), ("title", fields["title"]),
                ("journal", fields["journal"]), ("year", fields["year"]), ("volume", fields["volume"]),
                ("number", fields["issue"]), ("pages", "--".join(map(str, fields["pages"])) if fields["pages"] else None),
                ("publisher", fields["publisher"]), ("address", fields["place"]), ("school", fields["school"]),
                ("issn", fields["issn"]), ("isbn", fields["isbn"]), ("doi", fields["doi"]), ("url", fields["url"]),
                ("langid", fields["language"])]
        body = ",\n".join(f"  {name} = {_braced(value)}" for name, value in rows if value)
        entries.append(f"@{kind}{{{key},\n{body}\n}}")
    return "\n\n".join(entries) + ("\n" if entries else "")


def ris(documents: list[Document]) -> str:
    records = []
    for document in documents:
        fields = _fields(document)
        kind = RIS_TYPES[reference_type(document)]
        rows = [("TY", kind)] + [("AU", name) for name in fields["authors"]]
        rows += [("TI", fields["title"]), ("T2", fields["journal"]), ("PY", fields["year"]), ("VL", fields["volume"]),
                 ("IS", fields["issue"]), ("SP", fields["pages"][0] if fields["pages"] else None),
                 ("EP", fields["pages"][1] if fields["pages"] else None), ("PB", fields["publisher"] or fields["school"]),
                 ("CY", fields["place"]), ("SN", fields["issn"] or fields["isbn"]),
                 ("DO", fields["doi"]), ("UR", fields["url"]), ("LA", fields["language"]), ("ER", "")]
        records.append("\n".join(f"{tag}  - {value}".rstrip() for tag, value in rows if value is not None))
    return "\n\n".join(records) + ("\n" if records else "")
