"""A formatted reference for a cited page: GB/T 7714-2015 for Chinese sources, APA 7 for English ones.

Built from the document's metadata (its `.meta.json` sidecar, else what reading found,
`qa/readers/imprint.py` included: the journal and issue of a running head, the ISSN, year,
issue and pages of an article-number line, a DOI, an ISBN, a thesis's degree): `title`,
`authors`, `year`, `journal`, `volume`, `issue`, `first_page` (the printed number of the file's
first page, so citations give the page a reader finds in the journal), `last_page`, `doi`,
`publisher`, `place`, `school`, `url`, `date`. Parts that are missing are left out rather than
guessed; the type (`reference_type`) follows from what is known.
"""

from __future__ import annotations

import datetime
import re

from qa.document import NAME_PARTICLES, Document


def reference(document: Document, page: int | None, page_end: int | None = None) -> str:
    """The reference of a quote on `page` (to `page_end` when it runs onto the next page)."""
    return gb_t_7714(document, page, page_end) if document.lang == "zh" else apa(document, page, page_end)


def reference_type(document: Document) -> str:
    """GB/T 7714's type code: J (journal article: a journal or an ISSN is known), M (book: a
    publisher or an ISBN), D (thesis), EB/OL (web page), else Z; the sidecar's `type` first."""
    meta = document.meta
    if meta.get("type"):
        return meta["type"]
    if meta.get("journal") or meta.get("issn"):
        return "J"
    if meta.get("publisher") or meta.get("isbn"):
        return "M"
    if meta.get("school") or meta.get("degree"):
        return "D"
    if meta.get("url") and not document.paged:
        return "EB/OL"
    return "Z"


def printed_page(document: Document, page: int | None) -> str | None:
    """The page number a reader finds: the printed one, else the file's; None without pages."""
    if page is None or not document.paged:
        return None
    return document.printed_label(page) or str(page)


def printed_pages(document: Document, page: int | None, page_end: int | None) -> str | None:
    """`175` or the range `175-176` (GB/T 7714 and APA both join a range with a dash)."""
    first = printed_page(document, page)
    last = printed_page(document, page_end) if page_end not in (None, page) else None
    return f"{first}-{last}" if first and last and last != first else first


def gb_t_7714(document: Document, page: int | None, page_end: int | None = None) -> str:
    """`曾凡军, 王鹏. 标题[J]. 期刊, 2023(5): 175.`, ending with the cited pages and the DOI.
    A journal article whose journal is not known names its ISSN there instead."""
    meta = document.meta
    kind = reference_type(document)
    authors = list(meta.get("authors") or document.authors)
    names = ", ".join(authors[:3]) + (", 等" if len(authors) > 3 else "")
    head = f"{names}. " if names else ""
    head += f"{meta.get('title') or document.title}[{kind}]. "
    year = str(meta.get("year") or "")
    if kind == "J":
        journal = meta.get("journal") or (f"ISSN {meta['issn']}" if meta.get("issn") else "")
        # 期刊, 2023(5) without a volume, 期刊, 2023, 12(5) with one.
        issue = f"({meta['issue']})" if meta.get("issue") else ""
        volume = f", {meta['volume']}{issue}" if meta.get("volume") else issue
        where = ", ".join(x for x in (journal, year) if x) + volume
    elif kind == "M":
        publisher = ": ".join(x for x in (meta.get("place"), meta.get("publisher")) if x)
        where = ", ".join(x for x in (publisher, year) if x)
    elif kind == "D":
        where = ", ".join(x for x in (meta.get("school"), year) if x)
    elif kind == "EB/OL":
        published = f"({meta.get('date') or year})" if meta.get("date") or year else ""
        return f"{head}{published}[{datetime.date.today().isoformat()}]. {meta['url']}".strip()
    else:
        where = year
    printed = printed_pages(document, page, page_end)
    tail = ": ".join(x for x in (where, printed) if x)
    text = head + (f"{tail}." if tail else "")
    return (text + (f" DOI:{meta['doi']}." if meta.get("doi") else "")).strip()


def split_name(name: str) -> tuple[str, list[str]]:
    """A Latin-script name's family name and given names: `ZENG Fan-jun` and `Fan-jun Zeng` →
    (`Zeng`, [`Fan-jun`]), `Ivo H. M. van Stokkum` → (`van Stokkum`, [`Ivo`, `H.`, `M.`]); a
    single word is a family name."""
    words = re.sub(r"\.(?=[^\W\d_])", ". ", name).replace(",", " ").split()  # "Yu.A.Pusep": three words
    if len(words) < 2:
        return name, []
    if "," in name:  # "Zeng, Fanjun": family name first
        return words[0], words[1:]
    if words[0].isupper():  # Chinese order in capitals: family name first
        return words[0].title(), words[1:]
    # A particle belongs to the family name.
    first_of_family = len(words) - 1
    while first_of_family > 1 and words[first_of_family - 1] in NAME_PARTICLES:
        first_of_family -= 1
    return " ".join(words[first_of_family:]), words[:first_of_family]


def _apa_name(name: str) -> str:
    """`ZENG Fan-jun` or `Fan-jun Zeng` → `Zeng, F.-j.`; a single word stays as it is."""
    family, given = split_name(name)
    if not given:
        return name
    initials = " ".join("-".join(part[:1] + "." for part in word.split("-")) for word in given)
    return f"{family}, {initials}"


def apa(document: Document, page: int | None, page_end: int | None = None) -> str:
    """`Zeng, F.-j., & Wang, P. (2023). Title. Journal, 12(3), 171–180. https://doi.org/… (p. 175)`,
    ending with the cited pages."""
    meta = document.meta
    kind = reference_type(document)
    authors = [_apa_name(a) for a in (meta.get("authors_en") or meta.get("authors") or document.authors)]
    if len(authors) > 1:
        names = ", ".join(authors[:-1]) + ", & " + authors[-1]
    else:
        names = "".join(authors)
    title = meta.get("title_en") or meta.get("title") or document.title
    year = meta.get("date") if kind == "EB/OL" and meta.get("date") else meta.get("year", "n.d.")
    parts = [f"{names} " if names else "", f"({year}). "]
    if kind == "D":
        degree = {"博士": "Doctoral", "硕士": "Master's"}.get(meta.get("degree"), str(meta.get("degree") or "").title())
        what = ", ".join(x for x in (f"{degree} dissertation" if degree else "Thesis", meta.get("school")) if x)
        parts.append(f"{title} [{what}]. ")
    else:
        parts.append(f"{title}. ")
    journal = meta.get("journal_en") or meta.get("journal")
    if kind == "J" and journal:
        volume = f", {meta['volume']}" if meta.get("volume") else ""
        issue = f"({meta['issue']})" if meta.get("issue") else ""
        first, last = meta.get("first_page"), meta.get("last_page")
        article = f", {first}–{last}" if first and last else ""
        parts.append(f"{journal}{volume}{issue}{article}. ")
    elif kind == "M" and meta.get("publisher"):
        parts.append(f"{meta['publisher']}. ")
    elif kind == "EB/OL" and meta.get("site"):
        parts.append(f"{meta['site']}. ")
    if meta.get("doi"):
        parts.append(f"https://doi.org/{meta['doi']} ")
    elif meta.get("url"):
        parts.append(f"{meta['url']} ")
    printed = printed_pages(document, page, page_end)
    if printed is not None:
        parts.append(f"(pp. {printed.replace('-', '–')})" if "-" in printed else f"(p. {printed})")
    return "".join(parts).strip()
