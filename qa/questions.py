"""What a question may be before any work is done on it: bounded, printable, and about something."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Letters or digits of any script (CJK included); a question without one asks nothing.
MEANINGFUL = re.compile(r"[^\W_]")


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
