"""Questions that ask what a term means, and the sentences that say it.

"什么是数字势差？" and "What is the digital potential difference?" are answered by the sentence
that opens with the term and a copula: "数字势差是“二元结构”与数字挤兑、数字鸿沟相结合的产物".
Dense similarity alone misses it across languages (the English question ranks that passage 42nd
of 58 in the seed paper), because every passage of a paper talks about its central term; the
sentence that *defines* it is told apart by its form.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Set

from qa.readers.text import is_cjk
from qa.terms import english_words, stem, tokenize

# The question's whole shape must be a definition request: "数字势差是什么？", not "X是什么性质的公司？".
# Who does the defining may be named: "How does the paper define X?", "作者如何界定X？".
_DEFINER_ZH = r"(?:(?:这篇|该|本)?(?:文章|文|论文|研究)|作者)?(?:是)?"
_DEFINER_EN = r"(?:the |this )?(?:paper|article|author|authors|study|text|document|it|they)"
ASKED_TERM = re.compile(
    rf"^(?:什么(?:是|叫做?)|何为|何谓|{_DEFINER_ZH}(?:如何|怎样|怎么)(?:理解|定义|界定))(?P<zh1>[^，。？?]{{2,30}}?)的?[？?]?$"
    r"|^(?P<zh2>[^，。？?]{2,30}?)(?:指的?是|指|的(?:含义|定义|内涵|概念)是|是)什么(?:意思)?[？?]?$"
    r"|^(?P<zh3>[^，。？?]{2,30}?)(?:是)?(?:如何|怎样|怎么)(?:被)?(?:定义|界定)的?[？?]?$"
    r"|^what (?:is|are) (?:meant by )?(?:an? |the )?(?:(?:definition|meaning) of (?:an? |the )?)?"
    r"(?P<en1>[^,?]{2,80}?)\??$"
    r"|^what does (?:an? |the )?(?P<en2>[^,?]{2,80}?) mean\??$"
    rf"|^what (?:does|do) {_DEFINER_EN} mean by (?:an? |the )?(?P<en6>[^,?]{{2,80}}?)\??$"
    r"|^what (?:does|do) (?:an? |the )?(?P<en7>[^,?]{2,80}?) refer to\??$"
    rf"|^how (?:does|do|did) {_DEFINER_EN} define (?:an? |the )?(?P<en4>[^,?]{{2,80}}?)\??$"
    r"|^how (?:is|are) (?:an? |the )?(?P<en5>[^,?]{2,80}?) defined(?: in [^,?]{2,40})?\??$"
    r"|^(?:define|explain the (?:term|concept|notion)(?: of)?) (?:an? |the )?(?P<en3>[^,?]{2,80}?)[?.]?$",
    re.IGNORECASE,
)
# "What is the name of X?", "What is another term for X?", "What is X called?" ask for a name,
# not what a term means: taken for definitions, they drew a second citation more often (XQuAD
# en→zh: 4 of 27 citations fewer without them, the same answers found).
NAMING = re.compile(r"^(?:(?:the |another |a |an |one )?(?:name|term|word|title|nickname)s? (?:of|for)\b"
                    r"|another (?:name|term|word)\b|.*\b(?:called|known as|referred to as|used for|made of|based on|named)$)",
                    re.IGNORECASE)
# A term's head noun comes before its modifiers: "digital divide [between urban and rural areas]",
# "[城乡之间的]数字鸿沟".
ENGLISH_MODIFIER = re.compile(r"\s+(?:between|among|in|within|across|for|during|at|on|under)\s.*$", re.IGNORECASE)
CHINESE_MODIFIER = re.compile(r"^.*的")
# A sentence that defines: the term first (maybe after 所谓, maybe in quotes after a modifier:
# 城乡“逆差序智治”意指…, 城乡系统对技术的“弱反馈结构”是指…, maybe with a bracketed gloss), then a
# copula, not negated ("逆差序智治并非是…", "西藏不是…" define nothing).
DEFINING_ZH = re.compile(r"^(?:所谓)?(?:[^，。；：、“”「」\s（(]{1,12}(?=[“「]))?[“「]?(?P<term>[^，。；：、“”「」\s（(]{2,16}?)"
                         r"(?<![非不])[”」]?(?:（[^）]*）|\([^)]*\))?[，,]?"
                         r"(?:是指|指的是|就是|是|指|即|意为|意指|系指|被定义为|定义为)")
DEFINING_EN = re.compile(r"^(?:the |an? )?[\"“]?(?P<term>[a-z][\w'’ -]{1,60}?)[\"”]?(?: \([^)]*\))?,?"
                         r" (?:is|are|refers? to|means|denotes|is defined as)\b", re.IGNORECASE)
HEAD_SHARE = 0.5  # share of the asked term's weight a defined term must carry
# Across languages the dictionary often cannot carry a paper's coined term ("digital talent divide"
# gives 人才; the paper defines 数字通才鸿沟), so a term defined in the other language also matches
# by meaning: the embedding of the asked term close to the defined term's, and clearly closer
# than any other defined near it (`by_meaning`). Only short terms: a long "term" is a clause
# ("the proprietary system that Sky+HD uses", "如果说农村信息化空间的优化"), whose embedding
# matches anything. Set on the dev sets' definition questions (docs/ranking.md).
MEANING_MIN_COSINE = 0.80
MEANING_MARGIN = 0.01
SHORT_ENGLISH = (2, 4)  # content words
SHORT_CHINESE = (2, 8)  # characters


def asked_term(question: str) -> str | None:
    """The term a definition question asks about, without its modifiers; None for other questions."""
    match = ASKED_TERM.match(question.strip())
    if not match:
        return None
    term = next(group for group in match.groups() if group).strip()
    if NAMING.match(term):
        return None
    term = ENGLISH_MODIFIER.sub("", term) if term.isascii() else CHINESE_MODIFIER.sub("", term)
    return term or None


def defined_term(sentence: str) -> str | None:
    """The term a sentence defines ("数字势差" in "数字势差是…"), or None."""
    match = DEFINING_ZH.match(sentence) or DEFINING_EN.match(sentence)
    return match.group("term") if match else None


def is_short_term(term: str) -> bool:
    """Whether a term is short enough to be matched by meaning: two to four English content words,
    or two to eight Chinese characters with no 的 (which makes a clause of it)."""
    if term.isascii():
        low, high = SHORT_ENGLISH
        return low <= len(english_words(term)) <= high
    low, high = SHORT_CHINESE
    return low <= len(term) <= high and "的" not in term and all(is_cjk(char) for char in term)


def meaning_variants(term: str) -> list[str]:
    """An asked term as embedded to be matched by meaning: itself and, English putting the head
    first, the part before "of" ("weak feedback structure [of the urban-rural system]"), each if
    short (`is_short_term`)."""
    head = term.split(" of ")[0]
    return [variant for variant in dict.fromkeys([term, head]) if is_short_term(variant)]


def by_meaning(cosines: Mapping[str, float]) -> str | None:
    """The defined term that matches the asked one by meaning, from each defined term's cosine with
    it: the closest, if close enough and closer than the next by a margin; else None."""
    ranked = sorted(cosines.items(), key=lambda item: -item[1])
    if not ranked or ranked[0][1] < MEANING_MIN_COSINE:
        return None
    if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < MEANING_MARGIN:
        return None
    return ranked[0][0]


def term_words(term: str) -> frozenset[str]:
    """A term as search terms; English keeps its function words ("type of committee" is not "committee")."""
    if not term.isascii():
        return frozenset(tokenize(term))
    return frozenset(stem(word) for word in re.findall(r"[a-z0-9]+", term.lower()) if word not in ("a", "an", "the"))


def definition_weight(terms: Set[str], asked: Mapping[str, float]) -> float:
    """How much of the asked term a defined term (as search terms) carries; 0 unless it is the asked
    one: all its terms asked, carrying most of the weight the asked term has in their language (it
    is asked in its own words and translated)."""
    if not terms or not terms <= asked.keys():
        return 0.0
    chinese = is_cjk(next(iter(terms))[0])
    total = sum(weight for term, weight in asked.items() if is_cjk(term[0]) == chinese)
    weight = sum(asked[t] for t in terms)
    return weight if weight >= HEAD_SHARE * total > 0 else 0.0


def defines(terms: Set[str], asked: Mapping[str, float]) -> bool:
    return definition_weight(terms, asked) > 0
