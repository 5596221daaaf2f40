"""Hybrid retrieval: the tokenizer, the dictionary bridge, per-query fusion weights, the lexical index,
paragraphs returned whole, metrics."""

from __future__ import annotations

import numpy as np
import pytest

from qa.bridge import Bridge, parallel_terms
from qa.calibration import DenseMoments, sparse_moments
from qa.evaluation import Outcome, Question, by_language, score
from qa.index import Index, build_index
from qa.lexical import LexicalIndex
from qa.retrieval import Retriever
from qa.terms import tokenize

CHINESE_TEXT = """城乡数字鸿沟的表现

城乡数字鸿沟表现为接入鸿沟、使用鸿沟和福利鸿沟。农村地区的互联网普及率明显低于城市。

2020年，我国数字经济规模占GDP比重为38.6%，城乡居民收入之比为2.56∶1。

乡村振兴需要培训农民的数字技能，提高农村居民的信息素养。
"""


def test_tokenizer_keeps_numbers_whole_and_mixes_scripts():
    terms = tokenize("2020年中国数字经济占GDP的比重为38.6%，城乡之比为1∶55；Digital divides are widening.")
    for term in ("2020", "38.6%", "1∶55", "数字", "经济", "gdp", "digit", "divid", "widen"):
        assert term in terms
    for dropped in ("的", "为", "are", "，", "；", "."):
        assert dropped not in terms


def test_counts_a_question_asks_for_are_not_search_terms():
    assert tokenize("城乡数字势差包括哪五个层次？") == ["城乡", "数字", "势差", "层次"]
    assert tokenize("What are the five layers?") == ["layer"]


def test_chinese_characters_set_apart_one_by_one_are_read_as_one_word():
    assert tokenize("四、结　论") == ["结论"]  # a journal's spaced heading
    assert tokenize("曾凡军　王　鹏") == ["曾凡军", "王鹏"]
    assert tokenize("数 字 势 差") == ["数字", "势差"]  # a PDF line read letter by letter
    # A space beside a word of two characters or more separates words.
    assert tokenize("有 两所 大学") == ["两所", "大学"]


def test_tokenizer_search_mode_yields_the_parts_of_long_words():
    assert {"城镇", "城镇化"} <= set(tokenize("城镇化率"))


def test_bridge_carries_english_words_to_chinese_and_back():
    bridge = Bridge.default()
    known = {"数字", "鸿沟", "农民", "培训", "农村"}.__contains__
    terms = bridge.chinese_terms("How are farmers trained in digital skills?", known)
    assert {"农民", "数字"} <= set(terms)
    assert all(term in {"数字", "鸿沟", "农民", "培训", "农村"} for term in terms)
    english = bridge.english_terms("数字鸿沟", lambda term: True)
    assert "digit" in english or "numer" in english


def test_bridge_looks_up_irregular_forms_by_their_lemma_and_months_by_number():
    bridge = Bridge.default()
    known = {"消费", "支出", "使用", "10", "12"}.__contains__
    # Snowball leaves "spent" and "made" as they are; CC-CEDICT glosses "spend" and "make".
    assert {"消费", "支出"} & set(bridge.chinese_terms("How much was spent?", known))
    assert "使用" in bridge.chinese_terms("What was made?", known)
    # Chinese writes months as numbers: "10 月".
    assert bridge.chinese_terms("What happened in October?", known) == {"10": 0.5}


def test_a_bilingual_paper_translates_its_own_keywords_and_title(seed_document):
    pairs = parallel_terms(seed_document)
    assert ("Digital Potential Difference", "数字势差") in pairs
    assert ("Reverse Order Wisdom Governance", "逆差序智治") in pairs
    assert ("Urban-Rural Digital Potential Difference", "城乡数字势差") in pairs
    bridge = Bridge.default().with_glossary(pairs)
    known = lambda term: True  # noqa: E731
    # The coined term the dictionary cannot know, and a shortened form of one.
    assert {"数字", "势差"} <= set(bridge.chinese_terms("What is the digital potential difference?", known))
    assert "逆差" in bridge.chinese_terms("Does reverse order governance mean equal shares?", known)
    # Paraphrased with words put in, up to two (and the term's own words but one, in order).
    assert "逆差" in bridge.chinese_terms("What is reverse differential order smart governance?", known)
    assert "逆差" not in bridge.chinese_terms("Reverse the flow of water, then order new rural governance", known)
    assert "逆差" not in bridge.chinese_terms("What is order in reverse governance?", known)
    assert {"potenti", "differ"} <= set(bridge.english_terms("什么是数字势差？", known))
    # Without the glossary the dictionary alone has no reading for the term.
    assert "势差" not in Bridge.default().chinese_terms("What is the digital potential difference?", known)


def test_keyword_lists_and_footnotes_are_hubs_for_questions_in_the_other_language(seed_index, embedder):
    retriever = Retriever(seed_index, embedder)
    chunks = seed_index.chunks
    english = retriever.hubness["en"]
    # Chunks in the question's own language are left alone.
    assert all(english[i] == 0 for i, chunk in enumerate(chunks) if chunk.lang == "en")
    # The short lists of keywords and notes pull English questions more than the body does.
    body = [english[i] for i, chunk in enumerate(chunks) if chunk.lang == "zh" and chunk.kind == "paragraph"]
    keywords = next(english[i] for i, chunk in enumerate(chunks) if chunk.kind == "keywords" and chunk.lang == "zh")
    footnotes = [english[i] for i, chunk in enumerate(chunks) if chunk.kind == "footnote"]
    assert keywords > np.median(body) and np.median(footnotes) > np.median(body)


@pytest.fixture(scope="module")
def chinese_index(tmp_path_factory, embedder):
    seeds = tmp_path_factory.mktemp("zh-seeds")
    (seeds / "divide.txt").write_text(CHINESE_TEXT, encoding="utf-8")
    index, _ = build_index(seeds, tmp_path_factory.mktemp("zh-index") / "index", embedder, progress=False)
    return index


def test_fusion_trusts_bm25_for_chinese_and_the_bridge_for_english(chinese_index, embedder):
    retriever = Retriever(chinese_index, embedder)
    chinese = retriever.query("城乡数字鸿沟有哪些表现？")
    english = retriever.query("What does the paper say about training farmers in digital skills?")
    # Every Chinese term is in the corpus: BM25 gets its full weight.
    assert chinese.coverage > 0.9
    # No English term is: BM25 on them gets no weight, the dictionary terms take over.
    assert english.coverage == 0
    assert {"农民", "数字"} <= set(english.bridged)
    # Over Chinese text only, bridged terms count fully for the English question and not at all for the Chinese one.
    assert english.bridge_weight == 1.0 and chinese.bridge_weight == 0.0
    hits = retriever.search(english, 1)
    assert "培训农民" in hits[0].chunk.text


def test_a_paragraph_split_across_chunks_is_returned_once_and_whole(tmp_path, embedder):
    topics = ["宽带网络", "电子商务", "远程医疗", "在线教育", "智慧农业", "数字金融", "政务服务", "物流配送",
              "冷链仓储", "乡村旅游", "直播带货", "农技推广", "社会保障", "文化传播", "生态监测", "村务管理",
              "医保结算", "职业培训"]
    opening = "".join(f"{topic}是数字乡村建设的重要内容，各地正在积极推进{topic}在农村的普及。" for topic in topics)
    fact = "2021年全国农村网络零售额达到2.05万亿元。"
    paragraph = opening + fact + "这一数字表明农村电商发展势头良好。"
    other = "".join(f"城市居民的{topic}使用率普遍较高，城乡之间仍有差距。" for topic in topics[:8])
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "rural.txt").write_text(f"{paragraph}\n\n{other}\n", encoding="utf-8")
    index, _ = build_index(tmp_path / "seeds", tmp_path / "index", embedder, progress=False)
    assert len(index) == 3 and fact not in index.chunks[0].text  # the paragraph takes two chunks
    hits = Retriever(index, embedder).search("2021年全国农村网络零售额是多少？", 5)
    assert [hit.chunk.text for hit in hits] == [paragraph, other]
    best = hits[0].sentences[0].sentence
    assert paragraph[best.start : best.end] == fact


def test_lexical_index_saves_loads_and_weights_terms(tmp_path):
    texts = ["城乡数字鸿沟", "数字经济规模", "rural digital divide"]
    lexical = LexicalIndex.build(texts)
    lexical.save(tmp_path / "lexical")
    loaded = LexicalIndex.load(tmp_path / "lexical")
    query = {"数字": 1.0, "鸿沟": 2.0}
    assert np.allclose(lexical.scores(query), loaded.scores(query))
    assert np.argmax(loaded.scores(query)) == 0
    assert loaded.idf("鸿沟") > loaded.idf("数字") > 0 == loaded.idf("不存在")
    assert loaded.scores({"digit": 1.0})[2] > 0


def test_sparse_scores_are_the_scores_that_are_not_zero():
    lexical = LexicalIndex.build(["城乡数字鸿沟", "数字经济规模", "rural digital divide", "乡村振兴"])
    query = {"数字": 1.0, "鸿沟": 2.0, "digit": 0.5}
    positions, values = lexical.sparse_scores(query)
    dense = lexical.scores(query)
    assert positions.tolist() == np.flatnonzero(dense).tolist() == [0, 1, 2]
    assert np.allclose(values, dense[positions])
    assert lexical.sparse_scores({"不存在": 1.0})[0].size == 0


def test_moments_give_the_mean_and_spread_of_every_chunks_score():
    """What candidate scoring standardizes with (`qa.calibration`) equals what scoring every chunk measures."""
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    languages = np.array(["zh"] * 200 + ["en"] * 97 + ["fr"] * 3)
    hubness = {"en": (rng.random(300) * (languages != "en")).astype(np.float32)}
    moments = DenseMoments.of(vectors, languages, hubness)
    query = vectors[5]
    for lang, members in (("zh", languages == "zh"), ("en", languages == "en"), ("fr", np.ones(300, bool))):
        dense = (vectors @ query - hubness["en"])[members]  # "fr" is too small a group: all chunks stand in
        mean, spread = moments.of_group(lang).dense_moments(query, "en")
        assert np.isclose(mean, dense.mean(), atol=1e-6) and np.isclose(spread, dense.std(), atol=1e-6)
    assert np.isclose(moments.of_group("zh").cosine_mean(query), (vectors[:200] @ query).mean(), atol=1e-6)
    restored = DenseMoments.from_arrays(moments.to_arrays())
    assert restored.of_group("en").dense_moments(query, "en") == moments.of_group("en").dense_moments(query, "en")
    scores = np.zeros(1000)
    scores[[3, 70, 512]] = [1.5, 0.25, 4.0]
    assert np.allclose(sparse_moments(scores[[3, 70, 512]], 1000), (scores.mean(), scores.std()))


def test_scoring_candidates_ranks_as_scoring_every_chunk(seed_index, embedder):
    """Above `exact_limit` chunks only candidates are scored, standardized by the whole index's
    statistics: on the seed paper (forced with a limit of 0) the same passages in the same order."""
    exact, candidates = Retriever(seed_index, embedder), Retriever(seed_index, embedder, exact_limit=0)
    for question in ["什么是数字势差？", "What are the five layers of the urban-rural digital divide?",
                     "作者单位是哪里？", "逆差序智治包括哪五个方面的举措？", "How large is the rural online population?"]:
        ranked, found = exact.search(question, 10), candidates.search(question, 10)
        assert [hit.chunk.chunk_id for hit in found] == [hit.chunk.chunk_id for hit in ranked], question
        # The same scores but for float rounding (the statistics are summed in another order).
        assert [hit.score for hit in found] == pytest.approx([hit.score for hit in ranked], abs=1e-3), question
    doc_id = seed_index.chunks[0].doc_id
    assert ([h.chunk.chunk_id for h in candidates.search("数字鸿沟", 5, doc_ids=[doc_id])]
            == [h.chunk.chunk_id for h in exact.search("数字鸿沟", 5, doc_ids=[doc_id])])


def test_lexical_index_follows_index_updates(tmp_path, seeds_copy, embedder):
    folder = tmp_path / "index"
    build_index(seeds_copy, folder, embedder, progress=False)
    (seeds_copy / "note.txt").write_text("量子纠缠实验的新结果。\n", encoding="utf-8")
    index, report = build_index(seeds_copy, folder, embedder, progress=False)
    assert report.added == ["note.txt"]
    loaded = Index.load(folder)
    assert loaded.lexical.size == len(loaded.chunks) == len(index.chunks)
    best = int(np.argmax(loaded.lexical.scores({"量子": 1.0})))
    assert loaded.chunks[best].doc_id == "note.txt"


def test_metrics_on_a_hand_made_example():
    def outcome(lang, rank, page_right, answer_hit):
        question = Question(id=f"{lang}{rank}", q="?", evidence=["x"], lang=lang, page=1 if page_right is not None else None)
        return Outcome(question, rank, page_right, answer_hit, answer_hit)

    outcomes = [outcome("zh", 1, True, True), outcome("zh", 3, False, False), outcome("zh", None, None, False),
                outcome("en", 7, True, True)]
    table = by_language(outcomes)
    zh = table["zh"]
    assert (zh.count, zh.hit1, zh.hit5) == (3, 1 / 3, 2 / 3)
    assert zh.mrr10 == pytest.approx((1 + 1 / 3) / 3)
    assert zh.page_accuracy == 0.5  # the question without a page is not counted
    assert table["en"].hit5 == 0 and table["en"].mrr10 == pytest.approx(1 / 7)
    assert score(outcomes).answer_hit == 0.5 == table["all"].answer_hit


def test_a_cross_encoder_reranks_the_hybrid_candidates(seed_index, embedder, tmp_path):
    # No trained cross-encoder ships offline, so a real CrossEncoder is made from the e5 weights with a
    # fresh scoring head: its order is arbitrary, but loading and scoring go through the real code path.
    from sentence_transformers import CrossEncoder

    from qa.embedding import load_reranker
    from qa.retrieval import RERANK_DEPTH

    CrossEncoder(str(embedder.folder), num_labels=1, device="cpu").save(str(tmp_path / "reranker"))
    reranker = load_reranker(str(tmp_path / "reranker"))
    question = "数字福利鸿沟是如何产生的？"
    candidates = {hit.chunk.chunk_id for hit in Retriever(seed_index, embedder).search(question, RERANK_DEPTH)}
    reranked = Retriever(seed_index, embedder, reranker=reranker).search(question, 5)
    assert len(reranked) == 5 and {hit.chunk.chunk_id for hit in reranked} <= candidates
    assert [hit.rank for hit in reranked] == [1, 2, 3, 4, 5]


def test_a_question_the_dictionary_carries_is_also_searched_by_its_translation(seed_index, embedder):
    retriever = Retriever(seed_index, embedder)
    question = "Why do highly skilled technical talents concentrate in cities?"
    query = retriever.query(question)
    assert query.translated and not np.allclose(query.vector, embedder.embed_queries([question])[0])
    assert "优渥报酬条件的区域集中" in retriever.search(query, 1)[0].chunk.text
    # Names the dictionary cannot carry keep the question's own vector, which holds them;
    # so does a question in the language most of the corpus is in.
    for own in ("How does Shakespeare describe Hamlet's talents?", "数字福利鸿沟是如何产生的？"):
        assert not retriever.query(own).translated, own
        assert np.allclose(retriever.query(own).vector, embedder.embed_queries([own])[0]), own


def test_a_search_kept_to_chosen_documents_finds_nothing_elsewhere(tmp_path, embedder):
    from qa.answer import ask
    from qa.index import build_index

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "keepers.txt").write_text("Lighthouse keepers\n\nThe keepers of the Skerryvore light trimmed the lamp "
                                       "wicks at dusk.\n", encoding="utf-8")
    (seeds / "bees.txt").write_text("Bee keeping\n\nThe keepers of the hives smoked the bees at dusk before "
                                    "taking the honey.\n", encoding="utf-8")
    index, _ = build_index(seeds, tmp_path / "index", embedder, progress=False)
    retriever = Retriever(index, embedder)
    assert retriever.search("What did the keepers do at dusk?", 1)[0].chunk.doc_id == "keepers.txt"
    hits = retriever.search("What did the keepers do at dusk?", 5, ["bees.txt"])
    assert hits and {hit.chunk.doc_id for hit in hits} == {"bees.txt"}
    answer = ask(retriever, "What did the keepers do at dusk?", 5, ["bees.txt"])
    assert {c.doc_id for c in answer.citations} <= {"bees.txt"}
    with pytest.raises(ValueError, match="no such document in the library: nowhere.txt"):
        retriever.search("keepers", 5, ["nowhere.txt"])
