"""Sentence-level evidence: answer-type cues, enumerations, and terms that single a sentence out."""

from __future__ import annotations

from qa.evidence import focus_weights, has_new, list_lengths
from qa.questions import answer_kind, asked_count, asks_for_authors, asks_for_overview, asks_for_proposals, asks_for_publication
from qa.terms import tokenize

FIVE_LAYERS_ZH = "由浅入深、由外向内形成以技术基础、资本动能、人才应用、生产扩散和权利核心为特征的城乡数字势差动力演进过程。"
FIVE_LAYERS_EN = ("the dynamic evolution process of “technology foundation-capital momentum-talent application-"
                  "production diffusion-right core” composed of digital run and digital divide")


def test_which_questions_ask_who_wrote_the_document():
    asking = ["Who are the authors of the paper?", "这篇文章的作者是谁？", "作者有哪些？", "作者有哪几位？", "作者的姓名是什么？",
              "What are the authors' names?", "Who wrote it?", "本文的作者", "Authors?", "The paper's authors?",
              "Which paper is written by Zeng Fanjun?"]
    about_their_work = ["What measures do the authors propose?", "作者提出了哪些对策？", "What do the authors argue?",
                        "作者如何看待城市产业下乡？", "作者是如何看待城市产业下乡的？", "作者有哪些观点？",
                        "What are the shortcomings of existing research according to the authors?"]
    for question in asking:
        assert asks_for_authors(question, answer_kind(question)), question
    for question in about_their_work:
        assert not asks_for_authors(question, answer_kind(question)), question


def test_which_questions_ask_what_the_whole_document_says():
    asking = ["What is this paper about?", "What's the article about?", "Summarize the paper.", "What does the abstract say?",
              "What is the main argument of the paper?", "这篇文章讲了什么？", "摘要说了什么？", "本文的主要内容是什么？",
              "论文的核心观点是什么？", "概括一下这篇文章", "文章主要研究什么问题？"]
    about_a_part = ["What is the paper's view on rural ageing?", "What are the main conclusions?", "文章的结论是什么？",
                    "摘要中提到的数字势差是什么？", "What does the paper say about training farmers?", "本文研究了哪些数据？"]
    for question in asking:
        assert asks_for_overview(question), question
    for question in about_a_part:
        assert not asks_for_overview(question), question


def test_which_questions_ask_what_the_whole_document_proposes():
    asking = ["What policy recommendations do the authors make?", "What does the paper recommend?",
              "What measures does the paper propose?", "What are the paper's policy recommendations?",
              "文章提出了哪些政策建议？", "本文提出了什么对策建议？", "作者提出了哪些对策？", "本文的政策建议是什么？",
              "本文有哪些政策建议？", "作者有什么建议？"]
    about_a_part = ["What measures does the paper propose for rural talent?", "文章提出了哪些关于人才的建议？",
                    "逆差序智治包括哪五个方面的举措？", "How should urban industries move into the countryside?"]
    for question in asking:
        assert asks_for_proposals(question), question
    for question in about_a_part:
        assert not asks_for_proposals(question), question


def test_which_questions_ask_where_the_document_appeared():
    asking = ["When was the paper published?", "Which journal published this paper?", "What is the DOI of the paper?",
              "In which journal was the paper published?", "What year was the article published?",
              "这篇文章发表于哪一年？", "这篇文章发表在哪个期刊？", "文章编号是多少？", "本文是哪一年发表的？",
              "文章刊登在哪一期？", "这篇文章的中图分类号是什么？"]
    about_its_subject = ["Which journal did Tesla publish in?", "When was the Newcastle university founded?",
                         "When was the paper published that the temperature graph was based on?",
                         "What year did the company publish its report?", "数据来源于哪一年的统计年鉴？",
                         "这篇文章的作者是谁？"]
    for question in asking:
        assert asks_for_publication(question), question
    for question in about_its_subject:
        assert not asks_for_publication(question), question


def test_list_questions_and_the_count_they_ask_for():
    assert answer_kind("What are the five layers of the urban-rural digital divide?") == "list"
    assert asked_count("What are the five layers of the urban-rural digital divide?") == 5
    assert (answer_kind("赫姓分为哪两种？"), asked_count("赫姓分为哪两种？")) == ("list", 2)
    assert (answer_kind("长鼻王系列产品有哪几种口味？"), asked_count("长鼻王系列产品有哪几种口味？")) == ("list", None)
    assert (answer_kind("城乡数字势差的五个层次是什么？"), asked_count("城乡数字势差的五个层次是什么？")) == ("list", 5)
    assert asked_count("Which five layers make up the urban-rural digital divide?") == 5
    assert answer_kind("What is the five-year plan?") == "definition"  # not a list of five
    assert answer_kind("How many points did the Panthers defense surrender?") == "number"


def test_who_asks_for_a_person_unless_it_names_something():
    for question in ("Who wrote the paper?", "谁提出了数字势差？", "The measures were proposed by whom?",
                     "Name the scholar who described the reverse salient."):
        assert answer_kind(question) == "person", question
    for question in ("What year did Doctor Who first air?", "When was the WHO founded?"):
        assert answer_kind(question) != "person", question


def test_enumerations_are_counted_in_chinese_english_and_chains():
    # The phrase before a Chinese list may join its first item, so one fewer is also possible.
    assert 5 in list_lengths(FIVE_LAYERS_ZH)
    assert list_lengths(FIVE_LAYERS_EN) == {5}
    assert 3 in list_lengths("among civil, military, and censorial offices")
    assert list_lengths("数字挤兑与数字鸿沟的统合构成了城乡数字势差的动力演变。") == set()
    question = "What are the five layers of the urban-rural digital divide?"
    assert has_new("list", FIVE_LAYERS_EN, question, 5)
    assert not has_new("list", "urban-rural space, elements, and functions are shaped by a dual structure", question, 5)
    # A pair is everywhere, so "哪两种" gets no list cue.
    assert not has_new("list", "分为满族姓氏、汉族姓氏两种。", "赫姓分为哪两种？", 2)


def test_terms_many_sentences_share_count_less_than_the_one_that_singles_a_sentence_out():
    sentences = ["增城挂绿产于中国广东省广州市增城区，为荔枝中的名贵品种。", "增城挂绿果皮红中带绿。",
                 "肉质洁白晶莹，清甜爽口，果肉厚。"]
    terms = [set(tokenize(s)) for s in sentences]
    weights = focus_weights({"增城": 2.0, "挂绿": 2.0, "果肉": 2.0}, terms)
    assert weights["果肉"] > weights["挂绿"]
    assert weights["果肉"] == 1.0 and weights["挂绿"] == 2.0 / 3
    # The document's subject counts as named by every sentence, even those that say "it".
    assert focus_weights({"挂绿": 2.0}, terms, subject={"挂绿"})["挂绿"] == 2.0 / 4
