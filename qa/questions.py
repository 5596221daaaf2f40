"""A question's text before any search: bounded, printable and about something (`clean_question`),
and what it asks for, read from its wording alone (`answer_kind`, `asked_count`, `item_words`)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from qa.definitions import asked_term
from qa.terms import COUNT_WORDS

# Letters or digits of any script (CJK included); a question without one asks nothing.
MEANINGFUL = re.compile(r"[^\W_]")

_COUNT = r"(?:two|three|four|five|six|seven|eight|nine|ten|\d{1,2})"
_DIGITS_ZH = "两二三四五六七八九十"
_COUNT_ZH = f"[{_DIGITS_ZH}]"
# Checked in this order: "哪几种" asks for a list, not a number.
CUES = {
    "affiliation": re.compile(r"(?:作者|笔者).*(?:单位|机构|学院|大学|哪里工作|任职|就职)"
                              r"|\b(?:affiliat\w*|universit\w*|institution)\b.*\bauthors?\b"
                              r"|\bauthors?\b.*\b(?:affiliat\w*|universit\w*|institution|work(?:s|ed)?(?: at| for|\?|$))",
                              re.IGNORECASE),
    "keywords": re.compile(r"关键词|关键字|\bkey ?words?\b", re.IGNORECASE),
    "list": re.compile(rf"哪(?:些|几|{_COUNT_ZH})"
                       rf"|[几{_DIGITS_ZH}][个种类项层大][^，。？?]{{0,6}}(?:分别)?(?:是|为|有)(?:什么|哪)"
                       rf"|\b(?:what|which)(?: are| were)?(?: the)?(?: \w+)? {_COUNT}\b|\b(?:name|list) (?:the )?{_COUNT}\b",
                       re.IGNORECASE),
    "date": re.compile(r"何时|什么时候|哪一?年|哪个年代|哪一?天|几月|\bwhen\b|\bwhat (?:year|date|day|month|century)\b"
                       r"|\bin which (?:year|century)\b", re.IGNORECASE),
    "number": re.compile(r"多少|几[个次名种位年岁天]?|多[大长高远久重]|比例|比重|百分之"
                         r"|\bhow (?:many|much|long|far|old|large|big|high)\b"
                         r"|\bwhat(?: is| was| are| were)?(?: the)?(?: total| average| overall)?"
                         r" (?:percentage|proportion|share|number|amount)\b",
                         re.IGNORECASE),
    # "Who" leading the question asks for a person; capitalized inside it, it names something
    # ("Doctor Who", "the WHO").
    "person": re.compile(r"谁|哪位|^\W*who(?:m|se)?\b|(?<!^)\b(?-i:who(?:m|se)?)\b", re.IGNORECASE),
}
# A question about sources ("出自哪本书？", "Which report gives the figure?") may be answered by one;
# "according to the authors" only means "in the paper".
SOURCE_QUESTION = re.compile(r"出自|出处|来源|来自哪|引用|引自|文献|参考|哪(?:本|部|篇|份)|报告|著作|期刊|《"
                             r"|\b(?:source|cite[sd]?|citation|reference|according to (?:which|what|whom)|book|report"
                             r"|article|journal|study|studies|published|wrote|written)\b", re.IGNORECASE)

# A question for the authors themselves, beyond "who" (`CUES["person"]`): their names, what it is
# by. "作者提出了哪些对策？" and "What do the authors propose?" ask about their work, not their names.
AUTHORS_ASKED = re.compile(r"作者(?:是|有|为)?(?:哪几?位|哪些人?\W*$|什么人)|作者的?(?:姓名|名字|名单)|作者叫什么|谁写|撰写者"
                           r"|^\W*(?:(?:the )?(?:paper|article)(?:'s|’s)? |本文的?|这篇文章的?|文章的?|论文的?)?"
                           r"(?:作者|authors?)\W*$"
                           r"|\bauthors?(?:'s?|’s?)? names?\b|\bnames? of the authors?\b|\b(?:written|authored) by\b",
                           re.IGNORECASE)

_THIS_DOCUMENT = r"(?:(?:这|本|该|此)(?:[份篇本部][^，,。？?\s]{0,6}?|文|论文|文章|报告)?的?|(?:文章|论文|文档)的?)?"
_DOCUMENT_NOUN = r"(?:paper|article|document|report|guide|book|manual|study|thesis|text)"
BYLINE_ASKED = re.compile(
    rf"^\W*(?:{_THIS_DOCUMENT}作者(?:是谁|有谁|有哪些人?|是哪几?位|叫什么(?:名字)?)|谁是{_THIS_DOCUMENT}作者)\W*$"
    rf"|^\W*who (?:is|are|was|were) the authors?(?: of (?:the|this) {_DOCUMENT_NOUN})?\W*$"
    rf"|^\W*who wrote (?:the|this) {_DOCUMENT_NOUN}\W*$",
    re.IGNORECASE)

# A question about the whole document: what it is about, its abstract, its main argument.
_DOCUMENT_ZH = r"(?:这篇|本|该|此)?(?:文章|论文|文|研究)?的?"
_DOCUMENT_EN = r"(?:this|the) (?:paper|article|study|document|text)"
ABOUT_DOCUMENT = re.compile(
    rf"^{_DOCUMENT_ZH}(?:摘要|主要内容|内容|主旨|主题|研究主题|中心思想|核心观点|主要观点|主要论点)"
    r"(?:是什么|是哪些|有哪些|说了什么|讲了什么|写了什么)?\W*$"
    rf"|^{_DOCUMENT_ZH}(?:主要)?(?:讲|说|写|研究|讨论|探讨|论述)(?:了|的)?(?:些|是)?什么(?:内容|问题)?\W*$"
    rf"|^(?:请)?(?:概括|总结|概述|简述)(?:一下)?{_DOCUMENT_ZH}(?:内容|主要内容)?\W*$"
    rf"|^what(?:'s|’s| is| are) {_DOCUMENT_EN}(?: (?:mainly|all))? about\W*$"
    rf"|^what(?: is| are|'s|’s) (?:{_DOCUMENT_EN}(?:'s|’s) |the )(?:main )?(?:argument|point|idea|topic|thesis|subject|gist)s?"
    rf"(?: of {_DOCUMENT_EN})?\W*$"
    rf"|^(?:please )?(?:summari[sz]e|give (?:me )?(?:a |an )?(?:summary|overview) of) {_DOCUMENT_EN}\W*$"
    rf"|^what does (?:the|its|{_DOCUMENT_EN}(?:'s|’s)) abstract say\W*$|^(?:{_DOCUMENT_EN}(?:'s|’s) |the )?abstract\W*$",
    re.IGNORECASE,
)

# A question for what the whole document proposes: its recommendations, measures, countermeasures.
_PROPOSALS_ZH = r"(?:政策建议|对策建议|建议|对策|措施|举措|路径|策略|办法|政策)"
_PROPOSALS_EN = (r"(?:policy |policies |main |key )?"
                 r"(?:recommendations|measures|suggestions|solutions|strategies|policies|countermeasures|proposals)")
_AUTHORS_EN = rf"(?:{_DOCUMENT_EN}|(?:the |its )?authors?|they)"
ABOUT_PROPOSALS = re.compile(
    rf"^{_DOCUMENT_ZH}(?:作者)?(?:提出|给出|提供|建议)了?(?:哪些|什么|何种|怎样的|哪几条)(?:样的)?{_PROPOSALS_ZH}\W*$"
    rf"|^{_DOCUMENT_ZH}(?:作者)?(?:的|提出的)?{_PROPOSALS_ZH}(?:是什么|有哪些|是哪些)\W*$"
    rf"|^{_DOCUMENT_ZH}(?:作者)?有(?:哪些|什么)(?:样的)?{_PROPOSALS_ZH}\W*$"
    rf"|^what {_PROPOSALS_EN} (?:do|does|did) {_AUTHORS_EN} (?:propose|make|suggest|offer|recommend|give|put forward)\W*$"
    rf"|^what (?:do|does|did) {_AUTHORS_EN} (?:recommend|propose|suggest)\W*$"
    rf"|^what are {_DOCUMENT_EN}(?:'s|’s) {_PROPOSALS_EN}\W*$",
    re.IGNORECASE,
)

# A question for where and when the document appeared: its journal, year, issue, pages, numbers.
_PUBLISHED_ZH = r"(?:发表|刊发|刊登|刊载|出版)"
ABOUT_PUBLICATION = re.compile(
    rf"^{_DOCUMENT_ZH}(?:是)?(?:什么时候|何时|哪一?年|哪年|哪一期|第几期|在哪里?|在什么)(?:的)?{_PUBLISHED_ZH}"
    rf"|^{_DOCUMENT_ZH}{_PUBLISHED_ZH}(?:于|在)(?:哪|什么|何)"
    rf"|^{_DOCUMENT_ZH}(?:的)?{_PUBLISHED_ZH}(?:的)?(?:时间|年份|日期|期刊|刊物|杂志|信息)"
    rf"|^{_DOCUMENT_ZH}(?:是)?(?:哪|什么)(?:个|本|家|一)?(?:期刊|杂志|刊物)"
    rf"|^{_DOCUMENT_ZH}(?:的)?(?:文章编号|中图分类号|文献标识码|ISSN|DOI|页码|起止页码|期号|卷期)"
    rf"|^when (?:was|is) {_DOCUMENT_EN} published(?: in)?\W*$"
    rf"|^(?:in )?(?:what|which) (?:journal|periodical|issue|year|volume)(?: (?:was|is) {_DOCUMENT_EN}(?: published)?(?: in)?|"
    rf" published {_DOCUMENT_EN}| did {_DOCUMENT_EN} appear(?: in)?)\W*$"
    rf"|^where (?:was|is) {_DOCUMENT_EN} published\W*$"
    rf"|^what (?:is|are) {_DOCUMENT_EN}(?:'s|’s) (?:doi|issn|publication (?:date|year|details)|page range|pages)\W*$"
    rf"|^what (?:is|are) the (?:doi|issn|publication (?:date|year|details)|page range) of {_DOCUMENT_EN}\W*$",
    re.IGNORECASE,
)


class QuestionError(ValueError):
    """A question that cannot be searched; the message tells the user what to type instead."""


@dataclass(frozen=True)
class CleanQuestion:
    text: str
    truncated_from: int | None = None  # the original length when the question was cut


def clean_question(text: str, limit: int) -> CleanQuestion:
    """The question without control characters or lone surrogates, cut to `limit` characters;
    a QuestionError when nothing searchable is left (empty, punctuation or emoji only)."""
    text = "".join(" " if ch in "\t\n\r\f\v" else ch for ch in str(text or "")
                   if unicodedata.category(ch) not in ("Cc", "Cs") or ch in "\t\n\r\f\v")
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise QuestionError("请输入问题 / Please type a question")
    if not MEANINGFUL.search(text):
        raise QuestionError("问题里没有可检索的文字，请用词语提问 / "
                            "The question has no words to search for: ask it in words")
    if len(text) <= limit:
        return CleanQuestion(text)
    return CleanQuestion(text[:limit].rstrip(), truncated_from=len(text))


def truncation_note(truncated_from: int | None, kept: int, lang: str) -> str | None:
    """What to tell the reader of an answer to a question that was cut, else None."""
    if truncated_from is None:
        return None
    if lang == "zh":
        return f"问题有 {truncated_from} 个字符，只检索了前 {kept} 个。"
    return f"The question has {truncated_from} characters; only the first {kept} were searched."


def answer_kind(question: str) -> str | None:
    """What the question asks for: "affiliation", "keywords", "list", "date", "number", "person",
    "definition", or None."""
    for kind, pattern in CUES.items():
        if pattern.search(question):
            return kind
    return "definition" if asked_term(question) else None


def asks_for_authors(question: str, kind: str | None) -> bool:
    """Whether the question asks who wrote the document, so its line of author names may answer it."""
    return kind == "person" or AUTHORS_ASKED.search(question) is not None


def asks_for_byline(question: str) -> bool:
    """Whether the whole question asks who wrote the document itself ("作者是谁？", "这份指南的作者是谁？",
    "Who are the authors of the paper?"), not who wrote something it names, which its line of
    author names answers."""
    return BYLINE_ASKED.search(question.strip()) is not None


def asks_for_overview(question: str) -> bool:
    """Whether the question asks what the whole document says, which its abstract answers."""
    return ABOUT_DOCUMENT.search(question.strip()) is not None


def asks_for_proposals(question: str) -> bool:
    """Whether the question asks what the whole document proposes ("文章提出了哪些政策建议？",
    "What does the paper recommend?"), which the subsections of its proposals answer."""
    return ABOUT_PROPOSALS.search(question.strip()) is not None


def asks_for_publication(question: str) -> bool:
    """Whether the question asks where or when the document appeared ("这篇文章发表在哪个期刊？",
    "When was the paper published?"), which its imprint answers (`qa.publication`)."""
    return ABOUT_PUBLICATION.search(question.strip()) is not None


def asked_count(question: str) -> int | None:
    """How many things a list question asks for ("the five layers", "哪两个公司"), if it says."""
    match = re.search(rf"\b({_COUNT})\b|哪({_COUNT_ZH})|({_COUNT_ZH})[个种类项层大]", question, re.IGNORECASE)
    if not match:
        return None
    word = next(group for group in match.groups() if group).lower()
    return int(word) if word.isdigit() else COUNT_WORDS[word]


def item_words(question: str) -> str:
    """The words of a list question naming what its items are: what follows the count in Chinese
    ("哪五个方面的举措" → "方面的举措"), the word after it in English ("five measures" → "measures")."""
    match = re.search(rf"哪(?:些|几|{_COUNT_ZH})[个种类项层大条点]?(.*)|[几{_DIGITS_ZH}][个种类项层大条点](.*)"
                      rf"|\b(?:{_COUNT}|main|key)\s+([\w-]+)", question, re.IGNORECASE)
    return next((group for group in match.groups() if group), "") if match else ""
