"""The public dev sets in `../shared/eval/` as corpora of text files plus question files for `python -m qa eval`.

CMRC 2018: one document per paragraph. XQuAD: one document per article, its paragraphs separated by
blank lines; English questions are asked over both the Chinese and the English articles. Gold
evidence is the answer with a few characters of its own paragraph on each side, so a hit means the
passage holding that occurrence, not any passage that happens to contain a short answer like "308".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_EVAL = ROOT.parent / "shared" / "eval"
OUT = ROOT / "benchmarks" / "out"
CONTEXT_CHARS = 6  # characters of the paragraph kept on each side of the answer


@dataclass(frozen=True)
class Dataset:
    name: str  # e.g. "xquad en→zh"
    corpus: Path  # folder of documents
    questions: Path  # JSON lines for `python -m qa eval`
    lang: str  # the questions' language


def evidence_around(context: str, start: int, answer: str) -> str:
    """The answer plus up to CONTEXT_CHARS characters either side, not crossing a line break."""
    left = context[max(0, start - CONTEXT_CHARS) : start].split("\n")[-1]
    right = context[start + len(answer) : start + len(answer) + CONTEXT_CHARS].split("\n")[0]
    return left + answer + right


def safe_name(text: str) -> str:
    return re.sub(r"[^\w-]+", "_", text).strip("_")[:60] or "doc"


def _write_questions(path: Path, questions: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for question in questions:
            f.write(json.dumps(question, ensure_ascii=False) + "\n")


def located(context: str, answer: dict) -> int | None:
    """Where the answer is in the context: at its given offset, or else its occurrence nearest to it
    (a few CMRC offsets are off by some characters)."""
    text, start = answer["text"], answer["answer_start"]
    if context[start:].startswith(text):
        return start
    found = [m.start() for m in re.finditer(re.escape(text), context)]
    return min(found, key=lambda at: abs(at - start)) if found else None


def _question(qa: dict, context: str, lang: str) -> dict | None:
    answers = [dict(a, answer_start=at) for a in qa["answers"] if (at := located(context, a)) is not None]
    if not answers:
        return None
    return {
        "id": qa["id"],
        "lang": lang,
        "q": qa["question"].strip(),
        "evidence": sorted({evidence_around(context, a["answer_start"], a["text"]) for a in answers}),
        "answer": answers[0]["text"],
    }


def cmrc(out: Path = OUT / "cmrc") -> Dataset:
    data = json.loads((SHARED_EVAL / "cmrc2018_dev.json").read_text(encoding="utf-8"))["data"]
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    questions = []
    for article in data:
        for n, paragraph in enumerate(article["paragraphs"]):
            context = paragraph["context"]
            name = f"{safe_name(paragraph.get('id', article['id']))}_{n}"
            meta = json.dumps({"title": article["title"]}, ensure_ascii=False)
            (corpus / f"{name}.meta.json").write_text(meta, encoding="utf-8")
            (corpus / f"{name}.txt").write_text(context + "\n", encoding="utf-8")
            questions += [q for qa in paragraph["qas"] if (q := _question(qa, context, "zh"))]
    _write_questions(out / "questions.jsonl", questions)
    return Dataset("cmrc zh→zh", corpus, out / "questions.jsonl", "zh")


def _xquad_articles(lang: str) -> list[dict]:
    return json.loads((SHARED_EVAL / f"xquad_dev.{lang}.json").read_text(encoding="utf-8"))["data"]


def _xquad_corpus(lang: str, out: Path) -> tuple[Path, dict[str, tuple[dict, str]]]:
    """Writes one file per article; returns the folder and, per question id, (qa, the article text)."""
    corpus = out / f"corpus-{lang}"
    corpus.mkdir(parents=True, exist_ok=True)
    by_id = {}
    for article in _xquad_articles(lang):
        name = safe_name(article["title"])
        meta = {"title": article["title"].replace("_", " ")}
        (corpus / f"{name}.meta.json").write_text(json.dumps(meta), encoding="utf-8")
        contexts = [paragraph["context"].strip() for paragraph in article["paragraphs"]]
        (corpus / f"{name}.txt").write_text("\n\n".join(contexts) + "\n", encoding="utf-8")
        for paragraph, context in zip(article["paragraphs"], contexts):
            shift = paragraph["context"].index(context)
            for qa in paragraph["qas"]:
                answers = [dict(a, answer_start=a["answer_start"] - shift) for a in qa["answers"]]
                by_id[qa["id"]] = (dict(qa, answers=answers), context)
    return corpus, by_id


def xquad(out: Path = OUT / "xquad") -> list[Dataset]:
    """zh→zh, en→zh (English questions, Chinese gold) and en→en."""
    zh_corpus, zh = _xquad_corpus("zh", out)
    en_corpus, en = _xquad_corpus("en", out)
    zh_questions = [q for qa, context in zh.values() if (q := _question(qa, context, "zh"))]
    en_questions = [q for qa, context in en.values() if (q := _question(qa, context, "en"))]
    cross = [dict(q, q=en[q["id"]][0]["question"].strip(), lang="en") for q in zh_questions if q["id"] in en]
    _write_questions(out / "zh-zh.jsonl", zh_questions)
    _write_questions(out / "en-zh.jsonl", cross)
    _write_questions(out / "en-en.jsonl", en_questions)
    return [
        Dataset("xquad zh→zh", zh_corpus, out / "zh-zh.jsonl", "zh"),
        Dataset("xquad en→zh", zh_corpus, out / "en-zh.jsonl", "en"),
        Dataset("xquad en→en", en_corpus, out / "en-en.jsonl", "en"),
    ]


def seed() -> Dataset:
    return Dataset("seed zh+en", ROOT / "seeds", SHARED_EVAL / "seed_dev.jsonl", "zh+en")


def seed_ours() -> Dataset:
    """Our own questions on the seed paper (`tests/data/seed_questions.jsonl`), written after the dev set."""
    return Dataset("seed-ours zh+en", ROOT / "seeds", ROOT / "tests" / "data" / "seed_questions.jsonl", "zh+en")
