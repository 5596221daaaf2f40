"""A formatted reference for a cited page: GB/T 7714 for Chinese sources, APA for English ones.

Built from the document's metadata (its `.meta.json` sidecar, else what reading found,
`qa/readers/imprint.py` included: the journal and issue of a running head, the pages of an
article-number line): `title`, `authors`, `year`, `journal`, `volume`, `issue`, `first_page`
(the printed number of the file's first page, so citations give the page a reader finds in
the journal). Parts that are missing are left out rather than guessed.
"""

from __future__ import annotations

from qa.document import Document


def reference(document: Document, page: int, page_end: int | None = None) -> str:
    """The reference of a quote on `page` (to `page_end` when it runs onto the next page)."""
    return gb_t_7714(document, page, page_end) if document.lang == "zh" else apa(document, page, page_end)


def printed_page(document: Document, page: int) -> str | None:
    """The page number a reader finds: the printed one, else the file's; None without pages."""
    return (document.printed_label(page) or str(page)) if document.paged else None


def printed_pages(document: Document, page: int, page_end: int | None) -> str | None:
    """`175` or the range `175-176` (GB/T 7714 and APA both join a range with a dash)."""
    first = printed_page(document, page)
    last = printed_page(document, page_end) if page_end not in (None, page) else None
    return f"{first}-{last}" if first and last and last != first else first


def gb_t_7714(document: Document, page: int, page_end: int | None = None) -> str:
    """`曾凡军, 王鹏. 标题[J]. 期刊, 2023, 卷(期): 175.`, ending with the cited page."""
    meta = document.meta
    authors = list(meta.get("authors") or document.authors)
    names = ", ".join(authors[:3]) + (", 等" if len(authors) > 3 else "")
    journal = meta.get("journal", "")
    kind = "J" if journal else "Z"
    parts = [f"{names}. " if names else "", f"{meta.get('title') or document.title}[{kind}]. "]
    # GB/T 7714: 期刊, 2023(5) without a volume, 期刊, 2023, 12(5) with one.
    where = ", ".join(str(x) for x in (journal, meta.get("year")) if x)
    issue = f"({meta['issue']})" if meta.get("issue") and journal else ""
    where += f", {meta['volume']}{issue}" if meta.get("volume") and journal else issue
    printed = printed_pages(document, page, page_end)
    if printed is None:
        parts.append(f"{where}." if where else "")
    else:
        parts.append(f"{where}: {printed}." if where else f"{printed}.")
    return "".join(parts).strip()


def _apa_name(name: str) -> str:
    """`ZENG Fan-jun` or `Fan-jun Zeng` → `Zeng, F.-j.`; a single word stays as it is."""
    words = name.replace(",", " ").split()
    if len(words) < 2:
        return name
    if words[0].isupper():  # Chinese order in capitals: family name first
        family, given = words[0].title(), words[1:]
    else:
        family, given = words[-1], words[:-1]
    initials = " ".join("-".join(part[:1] + "." for part in word.split("-")) for word in given)
    return f"{family}, {initials}"


def apa(document: Document, page: int, page_end: int | None = None) -> str:
    """`Zeng, F.-j., & Wang, P. (2023). Title. Journal, 12(3). (p. 175)`, ending with the cited page."""
    meta = document.meta
    authors = [_apa_name(a) for a in (meta.get("authors_en") or meta.get("authors") or document.authors)]
    if len(authors) > 1:
        names = ", ".join(authors[:-1]) + ", & " + authors[-1]
    else:
        names = "".join(authors)
    title = meta.get("title_en") or meta.get("title") or document.title
    parts = [f"{names} " if names else "", f"({meta.get('year', 'n.d.')}). ", f"{title}. "]
    journal = meta.get("journal_en") or meta.get("journal")
    if journal:
        volume = f", {meta['volume']}" if meta.get("volume") else ""
        issue = f"({meta['issue']})" if meta.get("issue") else ""
        parts.append(f"{journal}{volume}{issue}. ")
    printed = printed_pages(document, page, page_end)
    if printed is not None:
        parts.append(f"(pp. {printed.replace('-', '–')})" if "-" in printed else f"(p. {printed})")
    return "".join(parts).strip()
