"""Where an article appeared, as its pages print it: the article-number line of Chinese
journals (`文章编号：1000—8691（2023）05—0171—10`: ISSN, year, issue, first page, page count)
and a running head that names the journal and issue (`社会科学 2023 年第 5 期`, `2023 年第 3 期 中国农村观察`,
`Journal of Rural Studies, 2023, 12(3)`). Values found here rank below the file's own
metadata and the `.meta.json` sidecar."""

from __future__ import annotations

import re

DASH = r"\s*[-—–－]\s*"
ARTICLE_NUMBER = re.compile(rf"(\d{{4}}){DASH}(\d{{3}}[\dXx])\s*[（(]\s*(\d{{4}})\s*[）)]\s*(\d{{1,2}}){DASH}"
                            rf"(\d{{3,5}}){DASH}(\d{{1,3}})")
CHINESE_HEAD = re.compile(r"^(?P<journal>[^\d\s·•—–-][^\d]{1,30}?)\s*[（(]?\s*(?P<year>(19|20)\d{2})\s*年\s*第\s*"
                          r"(?P<issue>\d{1,2})\s*期")
# The issue first, the journal after it ("2023 年第 3 期（总第 171 期）　　中国农村观察").
CHINESE_HEAD_ISSUE_FIRST = re.compile(r"^(?P<year>(19|20)\d{2})\s*年\s*第\s*(?P<issue>\d{1,2})\s*期"
                                      r"(?:\s*[（(]总第\s*\d+\s*期[）)])?\s+(?P<journal>[^\d\s·•—–-][^\d]{1,30}?)\s*$")
ENGLISH_HEAD = re.compile(r"^(?P<journal>[A-Z][A-Za-z&:.,' ]{3,80}?)[,.]?\s+(?:Vol\.?\s*(?P<volume>\d+)[,.]?\s*"
                          r"(?:No\.?\s*(?P<issue>\d+))?[,.]?\s*)?\(?(?P<year>(19|20)\d{2})\)?"
                          r"(?:[,.]?\s*(?P<volume2>\d+)\s*\((?P<issue2>\d+)\))?")

# "Journal of Cosmology and Astroparticle Physics 10 (2008) 003": volume, then the year.
VOLUME_YEAR_HEAD = re.compile(r"^(?P<journal>[A-Z][A-Za-z&:.,' ]{3,80}?)\s+(?P<volume>\d{1,4})\s*"
                              r"\((?P<year>(19|20)\d{2})\)(?P<volume2>)(?P<issue>)(?P<issue2>)")


def article_number(text: str) -> dict:
    """ISSN, year, issue, first and last page from an article-number line, if the text has one."""
    match = ARTICLE_NUMBER.search(text)
    if not match:
        return {}
    issn, year, issue, first, count = (f"{match[1]}-{match[2].upper()}", int(match[3]), str(int(match[4])),
                                       int(match[5]), int(match[6]))
    return {"issn": issn, "year": year, "issue": issue, "first_page": first, "last_page": first + count - 1}


def journal_of(heads: list[str]) -> dict:
    """Journal, year, volume and issue from the first running head that names them."""
    for head in heads:
        bare = re.sub(r"^[·•]?\s*\d{1,5}\s*[·•]?\s+(?!年)", "", head.strip())  # the page number before it, not a year
        match = CHINESE_HEAD.match(bare) or CHINESE_HEAD_ISSUE_FIRST.match(bare)
        if match:
            return {"journal": match["journal"].strip(" ，,《》"), "year": int(match["year"]),
                    "issue": str(int(match["issue"]))}
        match = ENGLISH_HEAD.match(bare)
        if not (match and (match["volume"] or match["volume2"])):
            match = VOLUME_YEAR_HEAD.match(bare)
        if match and (match["volume"] or match["volume2"]):
            found = {"journal": match["journal"].strip(" ,."), "year": int(match["year"]),
                     "volume": match["volume"] or match["volume2"]}
            issue = match["issue"] or match["issue2"]
            return {**found, "issue": issue} if issue else found
    return {}


# A first page's issue line: "January 2007, Volume 18, Issue 3.", "Vol. 12, No. 3, 2023".
VOLUME_ISSUE = re.compile(r"\bVol(?:ume|\.)?\s*(?P<volume>\d{1,4})\s*[,，]?\s*(?:Issue|No\.?|Number)\s*(?P<issue>\d{1,4})\b",
                          re.IGNORECASE)
YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
PUBLISHED = re.compile(r"\b(?:Published(?: online)?|Available online)[:\s]+(?:[\w,.]+\s+){0,3}?((?:19|20)\d{2})\b",
                       re.IGNORECASE)
DOI = re.compile(r"\b(10\.\d{4,9}/[^\s，。；;,、）)\]]+)")
ISBN = re.compile(r"ISBN[:：\s]*((?:97[89][-\s]?)?\d{1,5}[-\s]?\d{1,7}[-\s]?\d{1,7}[-\s]?[\dXx])\b")
THESIS = re.compile(r"(博士|硕士)学位论文|\b(doctoral|master'?s|PhD|Ph\.D\.)\s+(?:thesis|dissertation)\b"
                    r"|\b(?:a )?(thesis|dissertation) submitted\b", re.IGNORECASE)


# A first page's own reference of the article (GB/T 7714): "引用格式：张三. 题名[J]. 中国农村观察, 2023(3): 41-52."
CITE_AS = re.compile(r"(?:本文)?(?:引用格式|引文格式)\s*[:：].*?\[J\]\s*[.．]\s*(?P<journal>[^,，.．\d]{2,40}?)\s*[,，]\s*"
                     r"(?P<year>(?:19|20)\d{2})\s*[,，]?\s*(?P<volume>\d{1,4})?\s*[（(]\s*(?P<issue>\d{1,3})\s*[)）]"
                     rf"(?:\s*[:：]\s*(?P<first>\d{{1,5}}){DASH}(?P<last>\d{{1,5}}))?")


def cited_as(text: str) -> dict:
    """Journal, year, volume, issue and pages from the article's own reference line, if the text has one."""
    match = CITE_AS.search(text)
    if not match:
        return {}
    found = {"journal": match["journal"].strip(), "year": int(match["year"]), "issue": str(int(match["issue"]))}
    if match["volume"]:
        found["volume"] = match["volume"]
    if match["first"]:
        found |= {"first_page": int(match["first"]), "last_page": int(match["last"])}
    return found


def imprint(front: str) -> dict:
    """What a document's first page says of where it appeared: the article-number line and the
    article's own reference line (else a volume and issue line, and the year it was published), a DOI, an ISBN, a thesis's degree
    ("type": "D", "degree": "博士" / "doctoral" / "master's")."""
    found = {**cited_as(front), **article_number(front)}
    if not found and (match := VOLUME_ISSUE.search(front)):
        end = front.find("\n", match.end())
        line = front[front.rfind("\n", 0, match.start()) + 1 : end if end >= 0 else len(front)]
        found = {"volume": match["volume"], "issue": match["issue"]}
        if year := YEAR.search(line):
            found["year"] = int(year[0])
    if "year" not in found and (match := PUBLISHED.search(front)):
        found["year"] = int(match[1])
    if match := DOI.search(front):
        found["doi"] = match[1].rstrip(".")
    if match := ISBN.search(front):
        found["isbn"] = re.sub(r"[-\s]", "", match[1])
    if match := THESIS.search(front):
        degree = match[1] or (match[2] or "").lower().replace("ph.d.", "doctoral").replace("phd", "doctoral")
        found |= {"type": "D", **({"degree": degree.replace("masters", "master's")} if degree else {})}
    return found
