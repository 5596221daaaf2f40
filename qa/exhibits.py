"""Questions about a table or figure by its number ("表1说明了什么？", "What does Figure 2 show?"),
answered by its caption and the sentences that point the reader to it ("…但与城镇相差较大（详见
表 1）。"). Searched as text they abstained or were answered from elsewhere: a number matches
every figure of a paper, and a figure's own lines seldom reach the text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.chunking import Chunk

ZH_NUMERALS = {numeral: n for n, numeral in enumerate("一二三四五六七八九十", start=1)}
# "What does it show?" in both languages; "表1的数据来源是什么？" asks something more specific.
ASKED_EXHIBIT = re.compile(
    r"^(?:(?:这篇|本|该)?(?:文章|论文|文中)?的?)(?P<zh>[表图])\s*(?P<zh_n>\d{1,2}|[一二三四五六七八九十])\s*"
    r"(?:说明|展示|显示|反映|表明|描述|呈现|表示|讲|揭示)?(?:了|的)?(?:什么|哪些|是什么)(?:内容|信息|问题)?\W*$"
    r"|^what (?:does|do) (?P<en>table|figure|fig\.?)\s*(?P<en_n>\d{1,2})"
    r" (?:show|illustrate|depict|present|describe|tell us|mean|say|represent)\W*$"
    r"|^what is (?:shown|depicted|presented|illustrated) in (?P<en2>table|figure|fig\.?)\s*(?P<en2_n>\d{1,2})\W*$"
    r"|^what is (?P<en3>table|figure|fig\.?)\s*(?P<en3_n>\d{1,2})(?: about)?\W*$",
    re.IGNORECASE,
)
REFERENCES_SHOWN = 2  # sentences pointing to it, after its caption


@dataclass(frozen=True)
class Exhibit:
    """A numbered table or figure: "table" or "figure", and its number."""

    kind: str
    number: int

    def caption(self) -> re.Pattern:
        """Its caption's opening: "表 1", "Table 1", "Fig. 1"."""
        zh, en = ("表", "Table") if self.kind == "table" else ("图", "(?:Figure|Fig\\.?)")
        return re.compile(rf"^\s*(?:{zh}|{en})\s*{self.number}(?!\d|\.\d)", re.IGNORECASE)

    def mention(self) -> re.Pattern:
        """A sentence pointing to it: "（详见表 1）", "see Table 1", "Figure 1 shows"."""
        zh, en = ("表", "Tables?") if self.kind == "table" else ("图", "(?:Figures?|Figs?\\.?)")
        return re.compile(rf"(?:{zh}|\b{en})\s*{self.number}(?!\d|\.\d)", re.IGNORECASE)


def asked_exhibit(question: str) -> Exhibit | None:
    """The table or figure a question asks to explain, if it asks that."""
    match = ASKED_EXHIBIT.match(question.strip())
    if not match:
        return None
    groups = match.groupdict()
    for name in ("zh", "en", "en2", "en3"):
        if groups[name]:
            word, number = groups[name].lower(), groups[f"{name}_n"]
            kind = "table" if word in ("表", "table") else "figure"
            return Exhibit(kind, int(number) if number.isdigit() else ZH_NUMERALS[number])
    return None


def exhibit_spans(exhibit: Exhibit, chunks: list[Chunk]) -> list[tuple[tuple[str, ...], int, int]]:
    """(section path, start, end) of the exhibit's caption and of the first sentences pointing to
    it, in the document's order, from the chunks of one document; empty when it has neither."""
    caption, mention = exhibit.caption(), exhibit.mention()
    captions, mentions, seen = [], [], set()
    for chunk in sorted(chunks, key=lambda c: c.start):
        for sentence in chunk.sentences:
            if sentence.start in seen:
                continue  # chunks overlap by a sentence
            seen.add(sentence.start)
            text = chunk.text_of(sentence)
            span = (chunk.section, sentence.start, sentence.end)
            if caption.match(text):
                captions.append(span)
            elif mention.search(text):
                mentions.append(span)
    return captions[:1] + mentions[:REFERENCES_SHOWN]
