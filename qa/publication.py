"""Where and when a document appeared ("这篇文章发表在哪一期？", "When was the paper published?"),
from what reading found (`qa/readers/imprint.py`: the article-number line, a running head, a
DOI) or its `.meta.json` sidecar: a line stating it, and the line of the document it is read
from (the classification line "中图分类号：C91　文献标识码：A　文章编号：1000—8691（2023）05—0171—10"),
else the title, which names the document the facts belong to. Searched as text instead, such a
question was answered with a footnote citing a book of 2001, or abstained."""

from __future__ import annotations

from dataclasses import dataclass

from qa.document import Document

FACTS = ("journal", "year", "issue", "issn", "doi")  # any of them makes a publication answerable


@dataclass(frozen=True)
class Publication:
    """What a document says of where it appeared, and the line of it that says so."""

    statement: str  # in the question's language, from the document's metadata
    start: int  # the quoted line: the classification line, else the title
    end: int


def publication_of(document: Document, lang: str) -> Publication | None:
    """The document's publication facts stated in `lang` and the line they are read from; None
    when it records none (then the question is searched as any other)."""
    meta = document.meta
    if not any(meta.get(fact) for fact in FACTS):
        return None
    blocks = [b for b in document.blocks if b.kind == "classification"] or [
        b for b in document.blocks if b.kind == "title"]
    if not blocks:
        return None
    return Publication(statement(meta, lang), blocks[0].start, blocks[0].end)


def statement(meta: dict, lang: str) -> str:
    """`发表于《学习与探索》2023 年第 5 期，第 171—180 页（ISSN 1000-8691）。` or `Published in …`,
    with the parts the metadata has."""
    first, last = meta.get("first_page"), meta.get("last_page")
    if lang == "zh":
        journal = f"《{meta['journal']}》" if meta.get("journal") else ""
        when = f"{meta['year']} 年" if meta.get("year") else ""
        volume = f"第 {meta['volume']} 卷" if meta.get("volume") else ""
        issue = f"第 {meta['issue']} 期" if meta.get("issue") else ""
        pages = f"，第 {first}—{last} 页" if first and last else ""
        ids = "，".join(x for x in (f"ISSN {meta['issn']}" if meta.get("issn") else "",
                                   f"DOI:{meta['doi']}" if meta.get("doi") else "") if x)
        return f"发表于{journal or ' '}{when}{volume}{issue}{pages}" + (f"（{ids}）" if ids else "") + "。"
    journal, year = meta.get("journal_en") or meta.get("journal"), meta.get("year")
    where = f"in {journal} ({year})" if journal and year else f"in {journal or year}" if journal or year else ""
    parts = [where, f"volume {meta['volume']}" if meta.get("volume") else "",
             f"issue {meta['issue']}" if meta.get("issue") else "", f"pp. {first}–{last}" if first and last else ""]
    ids = "; ".join(x for x in (f"ISSN {meta['issn']}" if meta.get("issn") else "",
                                f"DOI {meta['doi']}" if meta.get("doi") else "") if x)
    return "Published " + ", ".join(x for x in parts if x) + (f" ({ids})" if ids else "") + "."
