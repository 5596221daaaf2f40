"""Answers: abstention calibrated on answerable and off-corpus questions, and formatted references."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import qa.evidence
from qa.answer import NO_EVIDENCE, ask, quote_span
from qa.bridge import Bridge
from qa.chunking import Chunk, Sentence
from qa.evaluation import load_questions
from qa.exhibits import Exhibit, asked_exhibit, exhibit_spans
from qa.export import bibtex
from qa.index import build_index
from qa.lexical import LexicalIndex
from qa.overview import abstract_of
from qa.publication import publication_of, statement
from qa.readers.text import parse_text
from qa.references import apa, gb_t_7714
from qa.retrieval import Hit, Retriever
from qa.support import unmatched_terms
from tests.conftest import SHARED_EVAL

OFF_CORPUS = Path(__file__).parent / "data" / "off_corpus.jsonl"
# Our own questions on the seed paper (49 zh, 51 en), written after the dev set, with evidence and pages.
SEED_QUESTIONS = Path(__file__).parent / "data" / "seed_questions.jsonl"


def abstention_rate(retriever, questions: list[str]) -> float:
    return sum(ask(retriever, q).abstained for q in questions) / len(questions)


def test_answerable_questions_are_answered_and_off_corpus_ones_abstain(seed_index, embedder):
    retriever = Retriever(seed_index, embedder)
    answerable = [q.q for q in load_questions(SHARED_EVAL / "seed_dev.jsonl")]
    ours = [q.q for q in load_questions(SEED_QUESTIONS)]
    off = [json.loads(line) for line in OFF_CORPUS.read_text(encoding="utf-8").splitlines()]
    assert len(off) >= 30 and len(ours) >= 50
    assert abstention_rate(retriever, answerable) <= 0.05
    assert abstention_rate(retriever, ours) <= 0.05
    assert abstention_rate(retriever, [q["q"] for q in off]) >= 0.8
    assert abstention_rate(retriever, [q["q"] for q in off if q["lang"] == "zh"]) >= 0.8
    # English questions over a Chinese paper are the hard case (see the README): guard the level reached.
    assert abstention_rate(retriever, [q["q"] for q in off if q["lang"] == "en"]) >= 0.7


def test_author_questions_find_the_byline(seed_index, embedder):
    retriever = Retriever(seed_index, embedder)
    for question in ("Who are the authors of the paper?", "这篇文章的作者是谁？"):
        answer = ask(retriever, question)
        assert not answer.abstained
        assert any("曾凡军" in c.quote or "ZENG Fan-jun" in c.quote for c in answer.citations), question
        # A table row of bare figures ("2021 74652 -0.55% …") names no one: it is never quoted for "who".
        assert all(re.search(r"[^\W\d_]", c.quote) for c in answer.citations), question
    # A question about the authors' work is not answered with their names.
    for question in ("What measures do the authors propose?", "作者提出了哪些对策？"):
        answer = ask(retriever, question)
        assert not answer.abstained, question
        assert all("曾凡军" not in c.quote and "ZENG Fan-jun" not in c.quote for c in answer.citations), question


def test_a_question_for_the_keywords_quotes_the_whole_keyword_list(seed_index, embedder):
    retriever = Retriever(seed_index, embedder)
    for question in ("这篇文章的关键词是什么？", "What are the keywords of the paper?"):
        # Split at "；" like clauses, the list is still quoted whole.
        assert ask(retriever, question).citations[0].quote == "关键词：圈层分割；数字势差；逆差序智治；城乡融合；共同富裕"


def test_a_figure_asked_of_a_table_is_quoted_from_the_row_the_question_names(seed_index, embedder):
    retriever = Retriever(seed_index, embedder)
    # Not the caption or the column header, which name the figures but give none.
    for question, row in (("2019年农村就业人数是多少？", "2019 75447 "),
                          ("How many people were employed in information technology in 2020?", "2020 75064 ")):
        assert ask(retriever, question).citations[0].quote.startswith(row), question


def test_a_word_the_documents_hold_in_another_form_is_not_missing_from_them():
    lexical = LexicalIndex.build(["Lady Gaga sang the national anthem.", "It was seen by millions."])
    bridge = Bridge.default()
    assert unmatched_terms("What did Lady Gaga sing?", "en", lexical, bridge).words == []
    assert unmatched_terms("Who saw the national anthem?", "en", lexical, bridge).words == []
    assert unmatched_terms("What did Lady Gaga paint?", "en", lexical, bridge).words == ["paint"]


def test_an_abstention_says_so_in_the_question_language_and_keeps_the_closest_passages(seed_index, embedder):
    retriever = Retriever(seed_index, embedder)
    chinese = ask(retriever, "珠穆朗玛峰的海拔是多少米？")
    assert chinese.abstained and chinese.answer == NO_EVIDENCE["zh"] and not chinese.citations and chinese.hits
    english = ask(retriever, "How do you cook braised pork belly?")
    assert english.abstained and english.answer == NO_EVIDENCE["en"] and english.hits


def test_references_name_authors_title_year_and_the_printed_page(seed_document):
    document = seed_document
    chinese = gb_t_7714(document, 5)
    # A journal article by its article-number line; the journal's name is in neither the text nor the sidecar.
    assert chinese.startswith("曾凡军, 王鹏. 城乡数字势差与逆差序智治")
    assert chinese.endswith("[J]. ISSN 1000-8691, 2023(5): 175.")
    english = apa(document, 5)
    assert english.startswith("Zeng, F.-j., & Wang, P. (2023). Urban-Rural Digital Potential Difference")
    assert english.endswith("(p. 175)")


def test_a_question_about_the_five_layers_is_answered_by_the_sentence_or_the_sections_that_name_them(
        seed_index, embedder):
    retriever = Retriever(seed_index, embedder)
    layers = ("技术基础", "资本动能", "人才应用", "生产扩散", "权利核心")
    sections = ("势差基础层", "势差动能层", "势差应用层", "势差扩散层", "势差核心层")  # the subsections of 二
    for question in ("What are the five layers of the urban-rural digital divide?", "城乡数字势差的五个层次是什么？"):
        answer = ask(retriever, question)
        assert not answer.abstained, question
        if answer.listed:
            assert [c.quote[3:8] for c in answer.citations] == list(sections), question
        else:
            assert all(layer in answer.citations[0].quote for layer in layers), question


def test_what_is_a_term_is_answered_by_the_sentence_that_defines_it(seed_index, embedder):
    retriever = Retriever(seed_index, embedder)
    # The English question reaches the Chinese definition although its passage is far down the dense ranking.
    # However it is worded: "文章如何定义数字势差？" reads far from "数字势差是…" and abstained.
    answer = ask(retriever, "What is reverse differential order smart governance?")  # the paper's term paraphrased
    assert answer.citations[0].quote.startswith("城乡“逆差序智治”意指")
    for question in ("What is the digital potential difference between urban and rural areas?", "什么是数字势差？",
                     "How does the paper define digital potential difference?", "文章如何定义数字势差？",
                     "数字势差是如何界定的？"):
        answer = ask(retriever, question)
        assert not answer.abstained, question
        assert answer.citations[0].quote.startswith("数字势差是“二元结构”"), question
        assert answer.citations[0].page == 1


def test_a_term_the_dictionary_cannot_carry_is_matched_to_its_definition_by_meaning(seed_index, embedder):
    retriever = Retriever(seed_index, embedder)
    # "divide" is 划分 in CC-CEDICT, never 鸿沟; "permeability" is 透水性, not 渗透性. The first got a
    # sentence leading up to the definition, with another after it; the second abstained.
    for question, opening in (("What is the digital investment divide?", "数字投资鸿沟是指"),
                              ("What does the strong permeability of the technology system mean?",
                               "技术系统的“强渗透性”是指")):
        answer = ask(retriever, question)
        assert not answer.abstained, question
        assert [c.quote[:len(opening)] for c in answer.citations] == [opening], question


def test_a_question_for_the_conclusions_finds_the_section_headed_so(seed_index, embedder):
    # The heading is set "四、结　论": read letter by letter, it held no 结论 and the question abstained.
    answer = ask(Retriever(seed_index, embedder), "本文的主要结论是什么？")
    assert not answer.abstained
    assert answer.citations[0].section == ("四、结　论",)


def test_a_question_about_the_whole_paper_is_answered_by_its_abstract(seed_index, embedder, seed_document):
    retriever = Retriever(seed_index, embedder)
    # No passage stands out for it: the best sentence was a run-in heading, or the question abstained.
    for question, opening in (("What is this paper about?", "Abstract: Urban and rural areas"),
                              ("这篇文章讲了什么？", "摘要：城乡是国家社会的主要构成部分")):
        answer = ask(retriever, question)
        assert not answer.abstained, question
        assert len(answer.citations) == 1 and answer.citations[0].quote.startswith(opening), question
        document = seed_index.documents[answer.citations[0].doc_id]
        assert document.text[answer.citations[0].start:answer.citations[0].end] == answer.citations[0].quote
    assert abstract_of(seed_document, "en")[0][0] == ("Abstract",)
    assert abstract_of(parse_text("# Lighthouses\n\nThe keeper lit the lamp at dusk.\n", "n", "n.md"),
                       "en") == []


def test_a_question_for_where_the_paper_appeared_is_answered_by_its_imprint(seed_index, embedder):
    retriever = Retriever(seed_index, embedder)
    # Searched as text, "When was the paper published?" got a footnote citing a book of 2001.
    for question, stated in (("When was the paper published?", "Published in 2023, issue 5, pp. 171–180"),
                             ("这篇文章发表在哪个期刊？", "发表于 2023 年第 5 期，第 171—180 页（ISSN 1000-8691）。")):
        answer = ask(retriever, question)
        assert answer.answer.startswith(stated), question
        assert len(answer.citations) == 1 and "文章编号：1000—8691（2023）05—0171—10" in answer.citations[0].quote
        assert answer.citations[0].page_label == "171"
    # A document that records nothing of where it appeared is searched as before.
    assert publication_of(parse_text("# Lighthouses\n\nThe keeper lit the lamp.\n", "n", "n.md"),
                          "en") is None


def test_publication_statements_say_what_the_metadata_has():
    assert statement({"journal": "Journal of Rural Studies", "year": 2023, "volume": "12", "issue": "3",
                      "first_page": 1, "last_page": 10, "doi": "10.1016/j.x.2023.1"}, "en") == (
        "Published in Journal of Rural Studies (2023), volume 12, issue 3, pp. 1–10 (DOI 10.1016/j.x.2023.1).")
    assert statement({"journal": "社会科学", "year": 2023, "issue": "5"}, "zh") == "发表于《社会科学》2023 年第 5 期。"
    assert statement({"year": 2021}, "en") == "Published in 2021."


def test_a_numbered_table_or_figure_is_explained_by_its_caption_and_the_sentences_pointing_to_it(
        seed_index, embedder):
    retriever = Retriever(seed_index, embedder)
    # "表1说明了什么？" abstained: a number matches every figure of the paper.
    for question in ("表1说明了什么？", "What does Table 1 show?"):
        answer = ask(retriever, question)
        assert [c.quote[:5] for c in answer.citations] == ["表 1  ", "从增量来看"], question
        assert answer.citations[1].quote.endswith("（详见表 1）。")
    # The figure itself is not in the text: the sentence pointing to it is.
    answer = ask(retriever, "What does Figure 2 show?")
    assert len(answer.citations) == 1 and answer.citations[0].quote.endswith("（详见图 2）。")
    assert asked_exhibit("表1的数据来源是什么？") is None  # a more specific question is searched as any
    assert asked_exhibit("表一反映了什么问题？") == Exhibit("table", 1)
    assert asked_exhibit("What is shown in Fig. 3?") == Exhibit("figure", 3)


def test_an_exhibit_is_found_by_its_caption_and_the_sentences_naming_it():
    parts = ["Rural employment grew slowly, as Figure 3 shows.", "Figure 3. Employment by sector.",
             "Figure 31 is another.", "See Figure 3.2 for detail.", "The gap narrowed (Fig. 3)."]
    text = " ".join(parts)
    spans, start = [], 0
    for part in parts:
        spans.append((start, start + len(part)))
        start += len(part) + 1
    chunk = Chunk("d#0000", "d", ("Results",), "en", 0, len(text), 1, 1, text,
                  [Sentence(a, b, 1, "paragraph") for a, b in spans])
    assert exhibit_spans(Exhibit("figure", 3), [chunk]) == [
        (("Results",), *spans[1]), (("Results",), *spans[0]), (("Results",), *spans[4])]
    assert exhibit_spans(Exhibit("table", 3), [chunk]) == []


def test_asking_for_more_passages_does_not_reorder_the_first_ones(seed_index, embedder):
    retriever = Retriever(seed_index, embedder)
    for question in ("What are the five layers of the urban-rural digital divide?", "城乡数字鸿沟有哪些表现？"):
        few = [hit.chunk.chunk_id for hit in retriever.search(question, 3)]
        many = [hit.chunk.chunk_id for hit in retriever.search(question, 15)]
        assert many[:3] == few, question


def test_a_footnote_citing_a_work_is_not_quoted_for_its_list_of_authors(seed_index, embedder):
    answer = ask(Retriever(seed_index, embedder), "城乡数字鸿沟有哪些表现？")
    assert not answer.abstained
    assert all(citation.section[-1:] != ("脚注",) for citation in answer.citations)


def test_a_reference_footnote_answers_questions_about_sources_only(seed_index, embedder):
    retriever = Retriever(seed_index, embedder)
    # "theoretical" matches 理论 in the titles of cited works; the paper's framework is in its body.
    framework = ask(retriever, "What theoretical framework does the paper use?")
    assert not framework.abstained
    assert framework.citations[0].section[-1:] != ("脚注",)
    # "According to the authors" means "in the paper", not "which source".
    shortcomings = ask(retriever, "What are the shortcomings of existing research according to the authors?")
    assert shortcomings.citations[0].section[-1:] != ("脚注",)
    source = ask(retriever, "《数字权利论》的作者是谁？")
    assert not source.abstained
    assert source.citations[0].quote.startswith("罗有成：《数字权利论")


def test_a_verb_of_asking_the_paper_lacks_does_not_count_against_the_question(seed_index, embedder):
    retriever = Retriever(seed_index, embedder)
    # The paper never says 采用 or 用: the questions covered too little of the corpus and abstained.
    for question in ("文章采用了什么分析框架？", "文章用了什么理论视角？"):
        answer = ask(retriever, question)
        assert not answer.abstained, question
        assert "“技术—社会”" in answer.citations[0].quote, question
    # The method it names still has to be there: the paper runs no regression.
    assert ask(retriever, "文章使用了哪种计量模型进行回归分析？").abstained


def test_where_the_authors_work_is_answered_by_the_affiliation_line(seed_index, embedder):
    retriever = Retriever(seed_index, embedder)
    # The line is printed in English only, yet answers Chinese questions.
    for question in ("Where do the authors work?", "本文的作者来自哪个单位？", "作者来自哪所大学？"):
        answer = ask(retriever, question)
        assert not answer.abstained, question
        assert "Guangxi University" in answer.citations[0].quote, question
    # Elsewhere an affiliation line answers nothing: it is not quoted for the paper's subject.
    answer = ask(retriever, "城乡数字鸿沟有哪些表现？")
    assert all("Guangxi University" not in citation.quote for citation in answer.citations)


def test_a_quote_opening_with_a_pronoun_brings_the_sentence_it_points_back_to(tmp_path, embedder):
    named = "Peyton Manning led the Denver Broncos to the title."
    pointing = "He became the oldest quarterback ever to play in a Super Bowl, at age 39."
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "bowl.txt").write_text(
        f"Super Bowl 50 was played on February 7, 2016, at Levi's Stadium in Santa Clara. {named} {pointing} "
        "The Broncos defense forced four turnovers.\n", encoding="utf-8")
    index, _ = build_index(tmp_path / "seeds", tmp_path / "index", embedder, progress=False)
    answer = ask(Retriever(index, embedder), "Who was the oldest quarterback to play in a Super Bowl?")
    assert not answer.abstained
    assert answer.citations[0].quote == f"{named} {pointing}"
    assert all(named not in citation.quote for citation in answer.citations[1:])  # quoted once


def test_a_quote_takes_in_the_sentences_linked_to_it_by_a_pronoun_within_its_paragraph_and_page():
    text = "曼宁带领野马队夺冠。他成为史上年龄最大的四分卫。\n他也是首位带领两支球队进入超级碗的四分卫。"
    spans = [(0, 10), (10, 24), (25, len(text))]

    def chunk(pages):
        sentences = [Sentence(start, end, page, "paragraph") for (start, end), page in zip(spans, pages)]
        return Chunk("d#0000", "d", (), "zh", 0, len(text), pages[0], pages[-1], text, sentences)

    same_page = chunk([1, 1, 1])
    first, second, third = same_page.sentences
    assert quote_span(same_page, first) == (0, 24)  # "他" in the next sentence is 曼宁
    assert quote_span(same_page, second) == (0, 24)
    assert quote_span(same_page, third) == (25, len(text))  # a new paragraph
    next_page = chunk([1, 2, 2])
    assert quote_span(next_page, next_page.sentences[0]) == (0, 10)
    assert quote_span(next_page, next_page.sentences[1]) == (10, 24)


def test_a_sentence_announcing_its_items_is_quoted_with_all_of_them():
    # Split at "；" like clauses, the third point was left out of the quote of "…三个核心要点：一是…".
    parts = ["本文将关注三个核心要点：一是城乡社会结构的不平衡问题；", "二是将城乡视为一个系统；",
             "三是尝试从方法论出发化解势差。", "此后另起一句。"]
    text = "".join(parts)
    bounds = [0]
    for part in parts:
        bounds.append(bounds[-1] + len(part))
    sentences = [Sentence(start, end, 1, "paragraph") for start, end in zip(bounds, bounds[1:])]
    chunk = Chunk("d#0000", "d", (), "zh", 0, len(text), 1, 1, text, sentences)
    assert quote_span(chunk, sentences[0]) == (0, bounds[3])
    assert quote_span(chunk, sentences[1]) == (bounds[1], bounds[2])  # an item alone is quoted alone


def test_a_list_question_gets_the_whole_enumeration_the_paper_announces(seed_index, embedder):
    answer = ask(Retriever(seed_index, embedder), "本文关注哪三个核心要点？")
    assert len(answer.citations) == 1
    quote = answer.citations[0].quote
    assert quote.startswith("基于此，本文将关注三个核心要点：一是") and "二是" in quote and "三是" in quote


@pytest.mark.parametrize(("before", "after", "linked"), [
    ("First the crew noticed an odor, which delayed the hatch.", "During this hold, a fire began.", True),
    ("Luther's version quickly became popular.", "As such, it made a contribution to German.", True),
    ("The dispensary is subject to pharmacy legislation;", "with requirements for storage.", True),
    ("Bad air was thought to cause plague.", "Today, this is known as the Miasma theory.", True),
    ("UPT proposed a merger with DuMont.", "As part of this merger, the network was renamed.", True),
    ("空气质量不佳引起瘟疫成为最广泛接受的理论。", "如今，这被称为瘴气理论。", True),
    ("Luther had written his last statement.", "The statement was in Latin.", True),
    ("Plague occurred in Venice 22 times.", "The plague of 1576 killed 50,000.", True),
    ("Kublai ruled from Dadu.", "The city grew.", False),
    ("Kublai helped the Tran.", "The Tran dynasty fought the Mongols.", False),
    ("Kublai ruled from Dadu.", "Chinese advisers such as Liu Bingzhong gave him counsel.", False),
    ("Kublai ruled from Dadu.", "In 1271, the Yuan dynasty was founded.", False),
    ("忽必烈定都大都。", "在美国南部大部分地区，许多白人学生移民到学院。", False),
])
def test_a_sentence_points_back_after_an_opening_phrase_by_naming_a_thing_again_or_after_a_semicolon(before, after, linked):
    text = f"{before} {after}"
    first = Sentence(0, len(before), 1, "paragraph")
    second = Sentence(len(before) + 1, len(text), 1, "paragraph")
    chunk = Chunk("d#0000", "d", (), "en", 0, len(text), 1, 1, text, [first, second])
    assert (quote_span(chunk, first) == (0, len(text))) is linked
    assert (quote_span(chunk, second) == (0, len(text))) is linked


def test_the_answer_encoder_chooses_the_sentence_that_answers(tmp_path, embedder, monkeypatch):
    """XQuAD's article on Jacksonville: e5 and the question's words prefer the clause giving the
    population, which calls the city "it"; the answer encoder's cosine picks the sentence naming it."""
    articles = json.loads((SHARED_EVAL / "xquad_dev.en.json").read_text(encoding="utf-8"))["data"]
    article = next(a for a in articles if a["title"] == "Jacksonville,_Florida")
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "jacksonville.txt").write_text(
        "\n\n".join(p["context"].strip() for p in article["paragraphs"]) + "\n", encoding="utf-8")
    retriever = Retriever(build_index(tmp_path / "seeds", tmp_path / "index", embedder, progress=False)[0], embedder)
    question = "Which Florida city has the biggest population?"
    answer = "Jacksonville is the largest city by population in the U.S. state of Florida"

    def best_sentence() -> str:  # the one an answer quotes first
        hit = retriever.search(question)[0]
        return hit.chunk.text_of(hit.sentences[0].sentence)

    assert answer in best_sentence()
    monkeypatch.setitem(qa.evidence.ANSWER_ENCODER_WEIGHT, "same", 0.0)
    assert answer not in best_sentence()


def test_a_quote_across_a_page_break_is_cited_with_both_pages(seed_index, embedder):
    answer = ask(Retriever(seed_index, embedder), "农村网民规模有多大，占农村人口的比例是多少？")
    [citation] = [c for c in answer.citations if "3.08 亿" in c.quote]
    document = seed_index.documents[citation.doc_id]
    assert document.page_of(citation.start) == 5 and document.page_of(citation.end - 1) == 6
    assert (citation.page, citation.page_end, citation.page_label, citation.page_label_end) == (5, 6, "175", "176")
    assert citation.reference.endswith(": 175-176.")
    assert citation.to_dict()["page_end"] == 6


def test_references_export_as_bibtex_and_ris_that_reference_managers_read_back(seed_document):
    import bibtexparser
    import rispy

    from qa.export import bibtex, ris

    [entry] = bibtexparser.loads(bibtex([seed_document])).entries
    assert entry["ENTRYTYPE"] == "article" and entry["ID"] == "zeng2023"
    assert (entry["author"], entry["year"], entry["number"], entry["pages"], entry["issn"]) == (
        "曾凡军 and 王鹏", "2023", "5", "171--180", "1000-8691")
    assert entry["title"] == seed_document.meta["title"] and "journal" not in entry  # not known: left out
    [record] = rispy.loads(ris([seed_document]))
    assert record["type_of_reference"] == "JOUR" and record["authors"] == ["曾凡军", "王鹏"]
    assert (record["year"], record["number"], record["start_page"], record["end_page"], record["issn"]) == (
        "2023", "5", "171", "180", "1000-8691")


@pytest.mark.parametrize("meta, chinese, english", [
    ({"journal": "社会科学", "journal_en": "Social Sciences", "volume": "12", "doi": "10.1234/ss.2023.05"},
     "[J]. 社会科学, 2023, 12(5): 175. DOI:10.1234/ss.2023.05.",
     "Social Sciences, 12(5), 171–180. https://doi.org/10.1234/ss.2023.05 (p. 175)"),
    ({"issn": None, "publisher": "社会科学文献出版社", "place": "北京"}, "[M]. 北京: 社会科学文献出版社, 2023: 175.",
     "社会科学文献出版社. (p. 175)"),
    ({"issn": None, "school": "南京大学", "degree": "博士"}, "[D]. 南京大学, 2023: 175.",
     "[Doctoral dissertation, 南京大学]. (p. 175)"),
    ({"issn": None, "year": None}, "分析[Z]. 175.", "(n.d.)."),
])
def test_references_take_the_type_of_what_is_known(seed_document, meta, chinese, english):
    """GB/T 7714 [J] journal article, [M] book, [D] thesis, [Z] nothing known; APA 7 alike."""
    import dataclasses

    document = dataclasses.replace(seed_document, meta={
        k: v for k, v in {**seed_document.meta, **meta}.items() if v is not None})
    assert gb_t_7714(document, 5).endswith(chinese)
    assert english in apa(document, 5)


def test_a_web_page_is_cited_as_eb_ol_with_its_date_and_address(seed_document):
    import dataclasses
    import datetime

    document = dataclasses.replace(seed_document, lang="zh", meta={
        "title": "乡村振兴", "authors": ["李明"], "url": "https://example.org/a", "date": "2023-05-01", "paged": False})
    today = datetime.date.today().isoformat()
    assert gb_t_7714(document, None) == f"李明. 乡村振兴[EB/OL]. (2023-05-01)[{today}]. https://example.org/a"
    assert apa(document, None) == "李明 (2023-05-01). 乡村振兴. https://example.org/a"


def test_the_first_page_gives_doi_isbn_and_a_thesis_degree():
    from qa.readers.imprint import imprint

    found = imprint("南京大学博士学位论文\nDOI: 10.16538/j.cnki.fem.20230101.001。ISBN 978-7-5201-1234-5")
    assert found == {"doi": "10.16538/j.cnki.fem.20230101.001", "isbn": "9787520112345", "type": "D", "degree": "博士"}
    assert imprint("A thesis submitted for the degree of Master of Arts") == {"type": "D"}
    assert imprint("文章编号：1000—8691（2023）05—0171—10")["last_page"] == 180
    # An English first page: its issue line, else the date it was published.
    assert imprint("January 2007, Volume 18, Issue 3. http://www.jstatsoft.org/") == {
        "volume": "18", "issue": "3", "year": 2007}
    assert imprint("Received 25 July 2008\nAccepted 8 September 2008\nPublished 3 October 2008") == {"year": 2008}


def test_apa_names_keep_their_particles_and_split_initials_run_together(seed_document):
    import dataclasses

    document = dataclasses.replace(seed_document, lang="en", meta={
        "title": "TIMP", "authors": ["Katharine M. Mullen", "Ivo H. M. van Stokkum", "Yu.A.Pusep"], "year": 2007})
    assert apa(document, None).startswith("Mullen, K. M., van Stokkum, I. H. M., & Pusep, Y. A. (2007).")
    # A name written family name first keeps it so; the BibTeX key is the family name.
    inverted = dataclasses.replace(document, meta={**document.meta, "authors": ["Mullen, K. M.", "Jane Smith"]})
    assert apa(inverted, None).startswith("Mullen, K. M., & Smith, J. (2007).")
    assert bibtex([dataclasses.replace(document, meta={**document.meta, "authors": ["Jane Smith"]})]).startswith(
        "@misc{smith2007,")


@pytest.mark.parametrize("question", ["逆差序智治包括哪五个方面的举措？",
                                      "What five measures does reverse order wise governance include?",
                                      # The paper's term paraphrased, words put in (`Bridge._loose_glossary`).
                                      "What are the five measures of reverse differential-order smart governance?"])
def test_a_list_question_is_answered_by_the_subsections_that_list_it(seed_index, embedder, question):
    """The five measures are the five subsections of section 三; no sentence names them all."""
    answer = ask(Retriever(seed_index, embedder), question)
    assert answer.listed == ("三、逆差序智治：城乡融合共富的有效治术",)
    assert [c.quote[:8] for c in answer.citations] == ["（一）“包容开源", "（二）“均衡有效", "（三）“双向适配",
                                                       "（四）“互构联通", "（五）“增权分利"]
    assert [(c.page, c.page_label) for c in answer.citations] == [
        (7, "177"), (7, "177"), (8, "178"), (8, "178"), (9, "179")]
    document = seed_index.documents[answer.citations[0].doc_id]
    for citation in answer.citations:
        assert document.text[citation.start:citation.end] == citation.quote
        assert citation.section[-1] == citation.quote
    assert answer.answer.count("[") == 5 and "5" in answer.answer.split("（一）")[0]


@pytest.mark.parametrize("question", ["文章提出了哪些政策建议？", "What policy recommendations do the authors make?",
                                      "What does the paper recommend?", "作者提出了哪些对策？", "本文有哪些政策建议？"])
def test_a_question_for_what_the_paper_proposes_is_answered_by_the_section_of_its_proposals(
        seed_index, embedder, question):
    """No heading says "recommendations": most passages found for the question lie in section 三,
    or as many lie in it as in an earlier section ("作者提出了哪些对策？": one in 一, one in 三).
    The Chinese question abstained; the English one got two generic sentences of the abstract."""
    answer = ask(Retriever(seed_index, embedder), question, top_k=3)
    assert answer.listed == ("三、逆差序智治：城乡融合共富的有效治术",)
    assert [c.quote[:3] for c in answer.citations] == ["（一）", "（二）", "（三）", "（四）", "（五）"]
    assert len(answer.hits) == 3  # read from more passages, shown as many as asked for


def test_an_answer_cites_a_second_sentence_only_when_it_adds_support(seed_index, embedder):
    """The definition alone answers "what is"; nothing after it from elsewhere is padding."""
    retriever = Retriever(seed_index, embedder)
    answer = ask(retriever, "什么是数字势差？")
    assert [c.quote[:11] for c in answer.citations] == ["数字势差是“二元结构”"]
    for question in ("What is the digital potential difference between urban and rural areas?",
                     "2020年中国数字经济占GDP的比重是多少？"):
        answer = ask(retriever, question)
        document = seed_index.documents[answer.citations[0].doc_id]
        # Never the paper's English abstract after a Chinese quote, never the same sentence twice.
        assert {document.page_of(c.start) for c in answer.citations} <= {1, 5}
        assert all(re.search(r"[\u4e00-\u9fff]", c.quote) for c in answer.citations), question
        assert len({c.start for c in answer.citations}) == len(answer.citations)


def test_a_chinese_quote_for_an_english_question_carries_glosses_from_the_paper_first(seed_index, embedder):
    retriever = Retriever(seed_index, embedder)
    answer = ask(retriever, "What is the digital potential difference between urban and rural areas?")
    first = answer.citations[0]
    assert first.quote.startswith("数字势差是")
    glossed = {g.term: (g.gloss, g.source) for g in first.glosses}
    # The paper's own English keyword, then dictionary readings as its English abstract words them.
    assert glossed["数字势差"] == ("Digital Potential Difference", "paper")
    assert glossed["数字"] == ("digital", "dictionary, paper's wording")
    assert first.to_dict()["glosses"][0] == {"term": "数字势差", "gloss": "Digital Potential Difference",
                                             "source": "paper"}
    assert not ask(retriever, "什么是数字势差？").citations[0].glosses  # same language: nothing to gloss


def test_an_english_quote_is_glossed_in_chinese_by_the_papers_pairs_and_the_dictionary():
    from qa.glosses import glosses

    bridge = Bridge.default().with_glossary([("Digital Potential Difference", "数字势差")])
    found = glosses("The digital potential difference widens the village gap.", "en", bridge)
    assert found[0].term == "digital potential difference" and (found[0].gloss, found[0].source) == ("数字势差", "paper")
    village = next(g for g in found if g.term == "village")
    assert village.source == "dictionary" and "村" in village.gloss


def test_a_sentence_running_on_from_the_first_quote_needs_lower_odds_than_one_cited_apart():
    from qa.answer import adds_support
    from qa.evidence import SentenceScore
    from qa.query import Query

    text = "曼宁带领野马队夺冠。他成为史上年龄最大的四分卫。"
    first_sentence, next_sentence = Sentence(0, 10, 1, "paragraph"), Sentence(10, 24, 1, "paragraph")
    chunk = Chunk("d#0000", "d", (), "zh", 0, len(text), 1, 1, text, [first_sentence, next_sentence])
    first = SentenceScore(first_sentence, 0.9, 0.9, 0.85, 0.5, 0.5, False)
    following = SentenceScore(next_sentence, 0.8, 0.85, 0.82, 0.5, 0.2, False)
    hit = Hit(1, 5.0, 0.85, chunk, "d", 0, (first, following))

    def query(kind):
        return Query("谁是年龄最大的四分卫？", "zh", np.zeros(4), {}, {}, 1.0, 1.0, np.zeros(4), kind=kind)

    # Odds between the two bars: enough to lengthen the first's quote, not to be cited on its own.
    assert adds_support(query(None), hit, first, hit, following, 1, joins=True)
    assert not adds_support(query(None), hit, first, hit, following, 1, joins=False)
    # After a sentence defining what the question asks to define, nothing is added.
    defining = SentenceScore(first_sentence, 0.9, 0.9, 0.85, 0.5, 0.5, True)
    assert not adds_support(query("definition"), hit, defining, hit, following, 1, joins=True)


def test_a_sentence_printed_twice_is_quoted_once():
    """An abstract's sentence repeated word for word in the conclusion adds nothing the second time."""
    from qa.answer import choose_sentences
    from qa.evidence import SentenceScore
    from qa.query import Query

    repeated, other = "城乡数字鸿沟仍在持续扩大。", "农村网民规模增长较快。"
    hits = []
    for number, (head, tail) in enumerate([(repeated, other), (other, repeated)]):
        text, base = head + tail, 100 * number
        one = Sentence(base, base + len(head), 1, "paragraph")
        two = Sentence(base + len(head), base + len(text), 1, "paragraph")
        chunk = Chunk(f"d#000{number}", "d", (), "zh", base, base + len(text), 1, 1, text, [one, two])
        same, different = (one, two) if number == 0 else (two, one)
        scored = (SentenceScore(same, 0.9 - 0.01 * number, 0.9, 0.88, 0.6, 0.5, False),
                  SentenceScore(different, 0.6, 0.6, 0.6, 0.1, 0.1, False))
        hits.append(Hit(number + 1, 5.0 - number, 0.85, chunk, "d", number, scored))
    query = Query("城乡数字鸿沟是否在扩大？", "zh", np.zeros(4), {}, {}, 1.0, 1.0, np.zeros(4))
    quotes = [hit.chunk.text[start - hit.chunk.start:end - hit.chunk.start] for hit, (start, end) in
              choose_sentences(hits, query)]
    assert quotes[0] == repeated and repeated not in "".join(quotes[1:]), quotes


def test_who_wrote_the_document_is_answered_by_its_byline_whatever_ranks_first(tmp_path, embedder):
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "notes.txt").write_text(
        "茶马古道考察笔记\n作者：李明远\n\n"
        "书中的作者是谁？这是村民常问考察队的问题，他们把考察队当作写书的人。\n\n"
        "茶马古道是古代西南地区以马帮为主要交通工具的商贸通道，考察队沿古道行走了十二天。\n\n"
        "沿途村民仍以种茶为生，每年春季采摘的新茶经古道运往山外。\n", encoding="utf-8")
    index, _ = build_index(tmp_path / "seeds", tmp_path / "index", embedder, progress=False)
    retriever = Retriever(index, embedder)
    for question in ("作者是谁？", "这份笔记的作者是谁？", "Who is the author?"):
        answer = ask(retriever, question)
        assert [c.quote for c in answer.citations] == ["作者：李明远"], question


def test_a_date_or_version_line_of_the_front_matter_answers_only_a_question_for_a_date():
    from qa.answer import can_answer
    from qa.query import Query

    line = Sentence(0, 16, 1, "front-line")

    def query(kind):
        return Query("zhlineskip 宏包依赖哪些宏包？", "zh", np.zeros(4), {}, {}, 1.0, 1.0, np.zeros(4), kind=kind)

    assert not can_answer(query("list"), line, "2019/05/15 v1.0e")
    assert not can_answer(query(None), line, "2019/05/15 v1.0e")
    assert can_answer(query("date"), line, "2019/05/15 v1.0e")
