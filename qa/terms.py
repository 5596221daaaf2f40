"""Text → search terms for lexical matching, for Chinese, English and text that mixes them.

Chinese runs are cut by jieba in search mode (a long word and its parts, so 城镇化率
matches 城镇化), Latin words are lower-cased and stemmed (Snowball), numbers stay
whole with their decimals, percent sign or ratio colon (`21.11%`, `1∶55`, `2020`),
and punctuation and function words are dropped.
"""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache

import jieba
import snowballstemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS

jieba.setLogLevel(logging.WARNING)

NUMBER = r"\d+(?:[.,]\d+)*(?:\s?[%％‰]|[∶:]\d+(?:\.\d+)?)?"
# Chinese characters set apart one by one are one run: a heading "结　论", a name "王　鹏", a PDF
# line read as "数 字 势 差" (a space beside a word of two or more characters separates words).
TOKEN = re.compile(rf"(?P<number>{NUMBER})|(?P<latin>[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z])"
                   r"|(?P<cjk>(?<![\u3400-\u9fff])[\u3400-\u9fff](?:[ \t\u3000]+[\u3400-\u9fff](?![\u3400-\u9fff]))+"
                   r"|[\u3400-\u9fff]+)")
SPACES = re.compile(r"[ \t\u3000]+")

# Function words and question words: they match everywhere and say nothing about a passage.
STOPWORDS_ZH = frozenset(
    "的 了 和 与 及 或 是 在 为 对 于 以 而 并 也 就 都 将 把 被 由 从 向 其 之 这 那 这个 那个 这些 那些 "
    "一个 一种 有 有的 没有 中 上 下 等 等等 个 种 所 者 吗 呢 吧 啊 么 什么 哪 哪些 哪个 哪里 哪儿 哪种 "
    "谁 如何 怎么 怎样 怎么样 为什么 为何 多少 几 几个 何 何时 何种 何处 是否 能否 可以 能 会 要 "
    "请问 问 通过 进行 主要 分别 包括 什么样 具有 属于 叫 叫做 称为 被称为 当 时 后 前 里 该 此 它 他 她 "
    "它们 他们 我们 你 我 您 到 着 过 又 还 则 即 且 但 如果 因为 所以 因此 之间 方面 "
    # Words for the document itself ("这篇文章的作者是谁？") say nothing about its subject.
    "文章 篇文章 本文 该文 此文 文中 论文 这篇 篇".split()
)
# Counts and count questions (五个, 哪几个, 两种, "five"): the question's count is rarely the passage's word.
COUNT_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
               "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
COUNT_WORD = re.compile(r"哪?[几一二两三四五六七八九十]+[个种类项位名条点大层]?")
STOPWORDS_EN = frozenset(STOPWORDS_EN_PLUS) | frozenset(
    "many much also would could may might must shall one ones did does whose what which according called "
    "name named kind kinds type types used use".split()
) | frozenset(word for word in COUNT_WORDS if word.isascii())


_local = threading.local()


def _stemmer():
    """A stemmer for this thread: a Snowball stemmer keeps the word it works on in itself,
    so two threads sharing one garble each other's words."""
    if not hasattr(_local, "stemmer"):
        _local.stemmer = snowballstemmer.stemmer("english")
    return _local.stemmer


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _stemmer().stemWord(word)


def normalize_number(text: str) -> str:
    return re.sub(r"\s", "", text).replace("％", "%").replace(":", "∶").replace(",", "")


def tokenize(text: str) -> list[str]:
    """Search terms of `text` in reading order, stop words and punctuation removed."""
    return list(_terms(text))


# The same passages' sentences and dictionary readings are tokenized for question after question;
# jieba was a sixth of an answer's time under load. Bounded: a few tens of MB at most.
@lru_cache(maxsize=32768)
def _terms(text: str) -> tuple[str, ...]:
    terms: list[str] = []
    for match in TOKEN.finditer(text):
        kind = match.lastgroup
        piece = match.group()
        if kind == "number":
            terms.append(normalize_number(piece))
        elif kind == "latin":
            word = piece.lower().replace("’", "'").strip("'-")
            if word and word not in STOPWORDS_EN and len(word) > 1:
                terms.append(stem(word))
        else:
            terms.extend(word for word in jieba.cut_for_search(SPACES.sub("", piece)) if not _is_stopword_zh(word))
    return tuple(terms)


def english_words(text: str) -> list[str]:
    """The lower-cased content words of the Latin-script part of `text`, unstemmed."""
    words = (match.group().lower().replace("’", "'") for match in TOKEN.finditer(text) if match.lastgroup == "latin")
    return [word for word in words if word not in STOPWORDS_EN and len(word) > 1]


def chinese_words(text: str) -> list[str]:
    """The jieba words (accurate mode) of the Chinese part of `text`, stop words removed."""
    words: list[str] = []
    for match in TOKEN.finditer(text):
        if match.lastgroup == "cjk":
            words.extend(word for word in jieba.cut(SPACES.sub("", match.group())) if not _is_stopword_zh(word))
    return words


def _is_stopword_zh(word: str) -> bool:
    return word in STOPWORDS_ZH or COUNT_WORD.fullmatch(word) is not None


def numbers(text: str) -> list[str]:
    return [normalize_number(match.group()) for match in TOKEN.finditer(text) if match.lastgroup == "number"]
