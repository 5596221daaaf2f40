"""What the app shows of hits and answers: counts, plain-language relevance, highlights."""

from __future__ import annotations

from qa.render import highlight, hits_html
from qa.retrieval import Retriever


def test_a_word_is_highlighted_once_a_sentence():
    text = "农村网民增加。农村宽带覆盖农村学校和农村医院。Rural users grew. Rural broadband reached rural schools."
    marked = highlight(text, ["农村", "rural"])
    assert marked.count("<mark>农村</mark>") == 2  # once in each Chinese sentence
    assert marked.count("<mark>Rural</mark>") == 2 and "<mark>rural</mark>" not in marked


def test_search_cards_count_the_results_and_say_in_plain_words_why_they_match(seed_index, embedder):
    retriever = Retriever(seed_index, embedder)
    page = hits_html("数字福利鸿沟", retriever.search("数字福利鸿沟", 3))
    assert "3 段结果" in page and "含检索词" in page and "cos" not in page
    hits = retriever.search("digital welfare divide", 3)
    english = hits_html("digital welfare divide", hits)
    assert "3 passages" in english and ("of your" in english or "matches in translation" in english)
    # Over the Chinese text, the question's terms as the bridge gives them in Chinese are marked.
    chinese = next(hit for hit in hits if hit.chunk.lang == "zh")
    assert {"数字", "福利"} <= set(chinese.bridged)
    card = hits_html("digital welfare divide", [chinese])
    assert "<mark>福利</mark>" in card and "<mark>数字</mark>" in card


def test_a_table_found_by_search_is_shown_as_a_table(seed_index, embedder):
    retriever = Retriever(seed_index, embedder)
    hits = retriever.search("2017—2021年就业总人数和信息传输、软件和信息技术服务业城乡就业人数", 5)
    table = next(hit for hit in hits if hit.chunk.kind == "table")
    page = hits_html("城乡就业人数", [table])
    assert "<table" in page and "<td>74652</td>" in page and "<caption>" in page


def test_an_answer_card_explains_its_two_page_numbers_once_and_glosses_a_chinese_quote(seed_index, embedder):
    from qa.answer import ask
    from qa.render import answer_html

    retriever = Retriever(seed_index, embedder)
    page = answer_html(ask(retriever, "What is the digital potential difference between urban and rural areas?"))
    assert "(printed p. 171" in page and page.count("is the file's page") == 1
    assert "Word glosses (not a translation):" in page and "Digital Potential Difference" in page
    chinese = answer_html(ask(retriever, "什么是数字势差？"))
    assert chinese.count("刊印页码”是") == 1 and "词语释义" not in chinese
