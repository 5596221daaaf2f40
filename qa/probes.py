"""Questions about nothing in particular, used to find hub passages.

A hub is a passage that sits close to every question in another language, whatever the
question says: keyword lists, footnotes, short title lines. Its cosine with these unrelated
questions measures that pull, and retrieval subtracts it (see `qa.chunk_table.hubness`).
"""

import hashlib
import json
import os
from functools import lru_cache

import numpy as np

from qa.config import Config

PROBE_QUESTIONS = {
    "en": [
        "What is the capital of France?", "How do vaccines work?", "Who wrote this?", "When did it happen?",
        "What are the main findings?", "How many people live there?", "Why is the sky blue?",
        "What does the author argue?", "What is the definition of this term?", "How can this problem be solved?",
        "What are the causes of inflation?", "Which country won the match?", "What is machine learning?",
        "How is the data collected?", "What happened in 1990?", "What role does the government play?",
        "How does photosynthesis work?", "What are the risks?", "Where is it located?",
        "What percentage of people agree?",
    ],
    "zh": [
        "法国的首都是哪里？", "疫苗是如何起作用的？", "这是谁写的？", "这件事发生在什么时候？", "主要结论是什么？",
        "那里有多少人口？", "天空为什么是蓝色的？", "作者的观点是什么？", "这个概念的定义是什么？", "如何解决这个问题？",
        "通货膨胀的原因有哪些？", "哪个国家赢得了比赛？", "什么是机器学习？", "数据是如何收集的？", "1990年发生了什么？",
        "政府发挥了什么作用？", "光合作用是怎样进行的？", "有哪些风险？", "它位于哪里？", "有百分之多少的人同意？",
    ],
}


@lru_cache(maxsize=4)
def probe_vectors(embedder) -> dict[str, np.ndarray]:
    """The probe questions' vectors, embedded once per model and kept in the cache folder (an
    index build uses them for its chunks' hubness, `qa.chunk_table`; every build reuses them)."""
    key = json.dumps([embedder.fingerprint, embedder.prompts, PROBE_QUESTIONS], ensure_ascii=False, sort_keys=True)
    path = Config.from_env().cache_dir / f"probes-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz"
    try:
        with np.load(path) as stored:
            return {lang: stored[lang] for lang in PROBE_QUESTIONS}
    except (OSError, ValueError, KeyError):
        pass
    vectors = {lang: embedder.embed_queries(questions) for lang, questions in PROBE_QUESTIONS.items()}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_name(f".{path.stem}-{os.getpid()}.npz")
        np.savez(staging, **vectors)
        os.replace(staging, path)
    except OSError:
        pass  # a read-only cache folder: embedded again next time
    return vectors
