"""Reading help for a quote in the other language than the question: its terms glossed, the
paper's own translations first (a bilingual article pairs its title and keywords, see
`qa.bridge.parallel_terms`), then CC-CEDICT's readings, worded as the paper's other-language
text words them where it does (数字: "digital", as the English abstract has it, not the
dictionary's first "numeral"). A gloss explains a word; it is never offered as a translation
of the quote."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.bridge import Bridge, jieba_frequencies, stems_of
from qa.terms import chinese_words, english_words

MOST = 8  # glosses under one quote


@dataclass(frozen=True)
class Gloss:
    term: str  # as the quote has it
    gloss: str
    source: str  # "paper" (the document's own translation), "dictionary" (CC-CEDICT), or
    # "dictionary, paper's wording" (a CC-CEDICT reading the document's other-language text uses)

    def to_dict(self) -> dict:
        return {"term": self.term, "gloss": self.gloss, "source": self.source}


def glosses(quote: str, quote_lang: str, bridge: Bridge, other_text: str = "") -> tuple[Gloss, ...]:
    """Glosses of the quote's terms into the other language, in the order they occur;
    `other_text`: what the document says in that language (a Chinese paper's English abstract)."""
    if quote_lang == "zh":
        return _from_chinese(quote, bridge, _english_wording(other_text))
    return _from_english(quote, bridge)


def _english_wording(text: str) -> dict[str, str]:
    """Stem → the word as the text first writes it."""
    wording: dict[str, str] = {}
    for word in re.findall(r"[A-Za-z][A-Za-z']+", text):
        for key in stems_of(word):
            wording.setdefault(key, word.lower())
    return wording


def _from_chinese(quote: str, bridge: Bridge, wording: dict[str, str]) -> tuple[Gloss, ...]:
    found: list[tuple[int, Gloss]] = []
    covered: list[tuple[int, int]] = []
    # Longest first, so that 城乡数字势差 is glossed whole, not as 数字势差 inside it.
    for term in sorted(bridge.glossary_en, key=len, reverse=True):
        at = quote.find(term)
        if at >= 0 and not any(a <= at < b for a, b in covered):
            covered.append((at, at + len(term)))
            found.append((at, Gloss(term, bridge.glossary_en[term], "paper")))
    seen = {g.term for _, g in found}
    position = 0
    for word in chinese_words(quote):
        at = quote.find(word, position)
        position = max(position, at)
        if len(word) < 2 or word in seen or word not in bridge.to_en or any(a <= at < b for a, b in covered):
            continue
        seen.add(word)
        worded = [english for key, english in wording.items() if word in bridge.to_zh.get((key,), ())]
        if worded:
            found.append((at, Gloss(word, "; ".join(worded[:2]), "dictionary, paper's wording")))
        else:
            found.append((at, Gloss(word, "; ".join(p.rstrip(":") for p in bridge.to_en[word]), "dictionary")))
    return _first(found)


def _from_english(quote: str, bridge: Bridge) -> tuple[Gloss, ...]:
    found: list[tuple[int, Gloss]] = []
    covered: list[tuple[int, int]] = []
    for chinese, english in sorted(bridge.glossary_en.items(), key=lambda item: -len(item[1])):
        match = re.search(re.escape(english), quote, re.IGNORECASE)
        if match and not any(a <= match.start() < b for a, b in covered):
            covered.append(match.span())
            found.append((match.start(), Gloss(match.group(), chinese, "paper")))
    seen: set[str] = set()
    for match in re.finditer(r"[A-Za-z][A-Za-z'-]{3,}", quote):
        word = match.group()
        key = stems_of(word)
        if word.lower() in seen or any(a <= match.start() < b for a, b in covered) or not english_words(word):
            continue
        chinese = bridge.to_zh.get(key)
        if chinese:
            seen.add(word.lower())
            found.append((match.start(), Gloss(word, "、".join(chinese[:2]), "dictionary")))
    return _first(found)


PREFERENCE = ("paper", "dictionary, paper's wording", "dictionary")


def _first(found: list[tuple[int, Gloss]]) -> tuple[Gloss, ...]:
    """At most MOST, the paper's own terms first, then the paper's wording, then the
    dictionary's, the rarer words first (来自 and 中国 need no gloss); in the quote's order."""
    frequency = jieba_frequencies()
    chosen = sorted(found, key=lambda item: (PREFERENCE.index(item[1].source),
                                             frequency.get(item[1].term, 0)))[:MOST]
    return tuple(gloss for _, gloss in sorted(chosen, key=lambda item: item[0]))
