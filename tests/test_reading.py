"""Reading the seed: pages, structure, footnotes, figure residue, tables, offsets."""

import re

from qa.readers.text import Line, join_lines, layout_units, names_people, parse_text, split_authors
from tests.conftest import SEED_FILE

RAW_LINES = SEED_FILE.read_text(encoding="utf-8").split("\n")


def test_seed_has_ten_pages_starting_where_the_pdf_pages_start(seed_document):
    pages = seed_document.pages
    assert [p.number for p in pages] == list(range(1, 11))
    first_lines = [line[1:] for line in RAW_LINES if re.match(r"^ (?! )\S", line)]
    assert len(first_lines) == 10
    for page, first_line in zip(pages, first_lines):
        # the page's text begins with its first printed line (footnotes never open a page here)
        assert seed_document.text[page.start :].startswith(first_line[:12])
    assert pages[0].start == 0
    assert all(a.end == b.start for a, b in zip(pages, pages[1:]))
    assert seed_document.page_of(seed_document.text.index("数字势差是“二元结构”")) == 1
    assert seed_document.page_of(seed_document.text.index("38.6%")) == 5
    assert seed_document.page_of(seed_document.text.index("拉平式")) == 10


def test_section_tree(seed_document):
    body = [s for s in seed_document.sections if s.part == "body"]
    assert [s.heading for s in body] == [
        "一、数字势差：数字社会中城乡关系的审视",
        "二、数字挤兑：城乡数字势差的动力演进",
        "三、逆差序智治：城乡融合共富的有效治术",
        "四、结\u3000论",
    ]
    assert [len(s.children) for s in body] == [3, 5, 5, 0]
    assert [c.heading[:3] for c in body[1].children] == ["（一）", "（二）", "（三）", "（四）", "（五）"]
    assert body[1].children[0].path == (body[1].heading, body[1].children[0].heading)
    for parent in body:
        assert all(parent.start <= child.start < child.end <= parent.end for child in parent.children)
    assert [s.page for s in body] == [1, 3, 6, 9]
    front = [s.heading for s in seed_document.sections if s.part == "front"]
    back = [s.heading for s in seed_document.sections if s.part == "back"]
    assert front == ["摘要", "关键词", "引言"] and back == ["Abstract", "Keywords"]


def test_front_and_back_matter(seed_document):
    kinds = {b.kind: seed_document.text[b.start : b.end] for b in seed_document.blocks[:6]}
    assert kinds["title"] == "城乡数字势差与逆差序智治"
    assert kinds["subtitle"].startswith("——基于")
    assert kinds["classification"].startswith("中图分类号")
    assert seed_document.authors == ["曾凡军", "王鹏"]
    english = [b for b in seed_document.blocks if b.kind in ("title", "authors") and seed_document.page_of(b.start) == 10]
    assert seed_document.text[english[0].start : english[0].end].endswith("Framework of “Technology-Society”")
    assert seed_document.text[english[1].start : english[1].end] == "ZENG Fan-jun & WANG Peng"


def test_footnotes_leave_the_body_and_stay_on_their_page(seed_document):
    text = seed_document.text
    notes = seed_document.footnotes
    assert len(notes) == 10
    castells = notes[0]
    assert castells.page == 3 and text[castells.start : castells.end].startswith("[ 美 ] 曼纽尔")
    assert seed_document.page_of(castells.start) == 3
    body_end = seed_document.pages[-1].end
    assert all(note.start >= body_end for note in notes)
    # the paragraph the footnote interrupted joins up again
    assert "碎片化，且反促技术负效应产生的结果" in text[:body_end]
    assert "曼纽尔" not in text[:body_end]


def test_footnote_markers_are_removed_and_linked(seed_document):
    text = seed_document.text
    assert "来看。”由此可以看出" in text
    assert "乡村内生力缺失和城乡情感联结断裂是" in text
    assert not re.search(r"[\u4e00-\u9fff，。”] ?[a-z](?=[\u4e00-\u9fff])", text[: seed_document.pages[-1].end])
    refs = {(r.page, r.label): r for r in seed_document.footnote_refs}
    linked = refs[(3, "a")]
    assert linked.footnote == 0 and text[linked.offset - 5 : linked.offset] == "等三层挤兑机制构成，"[-5:]
    assert refs[(1, "a")].footnote is None  # that page's notes were not in the extracted text


def test_figure_residue_and_table(seed_document):
    text = seed_document.text
    assert not re.search(r"^图\s*\d", text, re.M) and "\n \n" not in text
    tables = [b for b in seed_document.blocks if b.kind == "table"]
    assert len(tables) == 1
    table = text[tables[0].start : tables[0].end].split("\n")
    assert table[0].startswith("表 1") and table[-1].startswith("数据来源")
    assert [row.split()[0] for row in table[2:-1]] == ["2021", "2020", "2019", "2018", "2017"]


def test_every_block_offset_points_into_the_text(seed_document):
    for block in seed_document.blocks:
        piece = seed_document.text[block.start : block.end]
        assert piece and piece == piece.strip()


def test_line_joining_rules():
    assert join_lines(["数字技术在为经济", "社会发展"], set())[0] == "数字技术在为经济社会发展"
    assert join_lines(["urban and", "rural areas"], set())[0] == "urban and rural areas"
    assert join_lines(["the gover-", "nance of"], set())[0] == "the governance of"
    # a hyphen before a word seen whole elsewhere is a compound, not a line break
    assert join_lines(["production diffusion-", "right core"], {"diffusion"})[0] == "production diffusion-right core"


def test_form_feed_pages_markdown_headings_and_blank_line_paragraphs():
    raw = "# A Study\n\nIntro line one\nstill intro.\n\n## 1 Method\n\nWe did things.\n\fSecond page text.\n"
    document = parse_text(raw, "study", "study.md")
    assert len(document.pages) == 2
    assert document.page_of(document.text.index("Second page")) == 2
    headings = [s.heading for s in document.walk_sections()]
    assert headings == ["A Study", "1 Method"]
    assert "Intro line one still intro." in document.text


def test_chinese_heading_levels_by_first_appearance():
    raw = ("标题\n\n第一章 总论\n\n一、背景\n\n正文一。\n\n（一）细节\n\n正文二。\n\n二、方法\n\n正文三。\n\n"
           "第 2 章 结论\n\n正文四。\n")
    document = parse_text(raw, "d", "d.txt")
    tree = [(s.level, s.heading) for s in document.walk_sections()]
    assert tree == [(1, "第一章 总论"), (2, "一、背景"), (3, "（一）细节"), (2, "二、方法"), (1, "第 2 章 结论")]


def test_numbered_headings_follow_their_numbers_and_hold_a_word():
    """A numbered table's rows ("9 Resilience", "20 Modifiability") and an equation's number
    alone ("(17)") head nothing; a number may start again at 1 or skip one."""
    raw = ("Title\n\n1 Introduction\n\nText one.\n\n(1) First point\n\nText.\n\n(2) Second point\n\n"
           "Text.\n\n(17)\n\n2 Methods\n\nText two.\n\n(1) Sampling\n\nText.\n\n9 Resilience\n\n"
           "20 Modifiability\n\n4 Results\n\nText three.\n")
    document = parse_text(raw, "d", "d.txt")
    tree = [(s.level, s.heading) for s in document.walk_sections()]
    assert tree == [(1, "1 Introduction"), (2, "(1) First point"), (2, "(2) Second point"), (1, "2 Methods"),
                    (2, "(1) Sampling"), (1, "4 Results")], tree


def test_author_lines():
    assert split_authors("曾凡军\u3000王\u3000鹏") == ["曾凡军", "王鹏"]
    assert split_authors("ZENG Fan-jun & WANG Peng") == ["ZENG Fan-jun", "WANG Peng"]
    assert split_authors("Ivan Rodriguez Montoya∗ and Tonatiuh Matos Chassin∗") == [
        "Ivan Rodriguez Montoya", "Tonatiuh Matos Chassin"]
    assert split_authors("曾凡军1，2　王鹏3") == ["曾凡军", "王鹏"]
    # A line after the title names people only if it reads as names.
    assert names_people("Krzysztof Bolejko, and Lars Andersson") and names_people("Ivo H. M. van Stokkum")
    assert names_people("曾凡军　王　鹏") and names_people("郑奘巍zhengzangw@gmail.com")
    assert not names_people("或 111 分钟了解 LATEX 2ε") and not names_people("Version 0.4 beta (89")
    assert not names_people("Resources in Chongqing University")


def test_a_numbered_line_that_fills_the_measure_and_runs_on_starts_a_paragraph_not_a_section():
    def typed(text, starts=True):  # a line as the PDF reader gives it, in body type
        return Line(text, 1, starts, typed=True)

    lines = [typed("乡村数字治理的研究日益增多，但多停留在描述层面，缺少系统分析。"), typed("2. 方法"),
             typed("本文采用案例研究方法，选取东部和西部各两个县作为研究对象。"),
             typed("1. 论文存档方面，PDF 文件的设计意图之一便是存档，其格式稳定、"),
             typed("跨平台一致，因此被各大图书馆采用。", starts=False)]
    units, _ = layout_units(lines, "zh")
    assert [(unit.kind, unit.lines[0].text[:5]) for unit in units][1:] == [
        ("heading", "2. 方法"), ("paragraph", "本文采用案"), ("paragraph", "1. 论文")]


def test_the_article_notes_copied_out_of_a_first_page_are_notes_not_body_text():
    raw = ("乡村数字治理的困境与出路\n\n张三　李四\n\n摘要：本文分析了乡村数字治理的困境。\n\n一、问题的提出\n\n"
           "数字乡村建设是乡村振兴的重要内容，也是建设数字中国的重要组成部分。\n\n收稿日期：2023-01-10\n\n"
           "[基金项目] 国家社会科学基金项目（21BZZ001）\n\n二、困境\n\n农村地区数字基础设施仍然薄弱。\n")
    document = parse_text(raw, "d", "d.txt")
    body = document.text[: document.pages[-1].end]
    assert "收稿日期" not in body and "基金项目" not in body
    assert [(note.label, note.page) for note in document.footnotes] == [("收稿日期", 1), ("基金项目", 1)]
    assert [s.heading for s in document.walk_sections() if s.part == "body"] == ["一、问题的提出", "二、困境"]
