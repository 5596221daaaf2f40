"""The readers on files the tests make: the seed typeset as a journal PDF (one and two columns),
PDF page labels, three columns, hyphenation and a table, a scanned page (OCR), a garbage text
layer, the seed written in Word, a Word file and a web page."""

from __future__ import annotations

import re

import pytest

from qa.answer import ask
from qa.config import Config
from qa.document import DocumentError
from qa.evaluation import evaluate, load_questions, score, squash
from qa.index import build_index
from qa.library import entries
from qa.readers import read_document
from qa.references import reference
from qa.retrieval import Retriever
from tests.conftest import SHARED_EVAL
from tests.pdf_fixtures import FIRST_PRINTED, WIDTH, register_fonts, scanned_pdf, seed_pdf, text_pdf
from tests.word_fixtures import add_note_mark, add_notes, seed_docx


@pytest.fixture(scope="module", params=[1, 2], ids=["one-column", "two-column"])
def seed_pdf_document(request, tmp_path_factory, seed_document):
    folder = tmp_path_factory.mktemp(f"pdf{request.param}")
    path = seed_pdf(seed_document, folder / "seed.pdf", columns=request.param)
    return read_document(path, folder)


def test_the_typeset_seed_keeps_its_pages_labels_title_and_footnotes(seed_pdf_document, seed_document):
    document = seed_pdf_document
    assert document.title == "城乡数字势差与逆差序智治"
    assert document.authors == ["曾凡军", "王鹏"]
    assert [page.label for page in document.pages] == [str(FIRST_PRINTED + i) for i in range(len(seed_document.pages))]
    assert len(document.footnotes) == len(seed_document.footnotes)
    assert [note.page for note in document.footnotes] == [note.page for note in seed_document.footnotes]
    linked = [ref for ref in document.footnote_refs if ref.footnote is not None]
    assert len(linked) >= len(document.footnotes)
    # The running head names the journal and issue, the article-number line the pages.
    assert reference(document, 5, 6) == "曾凡军, 王鹏. 城乡数字势差与逆差序智治[J]. 社会科学, 2023(5): 175-176."
    assert (document.meta["issn"], document.meta["first_page"], document.meta["last_page"]) == ("1000-8691", 171, 180)
    for page, expected in zip(document.pages, seed_document.pages):  # same page, give or take a line
        assert abs((page.end - page.start) - (expected.end - expected.start)) < 0.05 * (expected.end - expected.start)


def test_no_running_header_page_number_or_footnote_lands_in_the_body(seed_pdf_document, seed_document):
    document = seed_pdf_document
    body = document.text[: document.pages[-1].end]
    assert "社会科学 2023 年第 5 期" not in body and "2023 年第 5 期" not in body
    assert not re.search(r"· \d{3} ·", body)
    for note in seed_document.footnotes:
        text = squash(seed_document.text[note.start:note.end])[:20]
        assert text not in squash(body), f"footnote {note.label} of page {note.page} inside the body"


def test_a_paragraph_across_a_page_break_is_one_paragraph(seed_pdf_document, seed_document):
    pdf_blocks = [squash(seed_pdf_document.text[b.start:b.end]) for b in seed_pdf_document.blocks]
    joins = 0
    for block in seed_document.blocks:
        if block.kind != "paragraph":
            continue
        for page in seed_document.pages:
            if block.start < page.end < block.end:  # the paragraph runs on past this page's end
                around = squash(seed_document.text[page.end - 15:page.end + 15])
                assert any(around in candidate for candidate in pdf_blocks), around
                joins += 1
    assert joins >= 3


@pytest.fixture(scope="module")
def text_scores(seed_index, embedder):
    return score(evaluate(Retriever.from_config(seed_index, embedder, Config()), SEED_QUESTIONS))


SEED_QUESTIONS = load_questions(SHARED_EVAL / "seed_dev.jsonl")


@pytest.mark.parametrize("columns", [1, 2])
def test_the_seed_questions_find_the_same_passages_and_pages_in_the_pdf(columns, seed_document, embedder, text_scores,
                                                                          tmp_path):
    seed_pdf(seed_document, (tmp_path / "seeds").mkdir() or tmp_path / "seeds" / "seed.pdf", columns=columns)
    index, report = build_index(tmp_path / "seeds", tmp_path / "index", embedder, progress=False)
    assert not report.errors
    retriever = Retriever.from_config(index, embedder, Config())
    pdf = score(evaluate(retriever, SEED_QUESTIONS))
    assert (pdf.hit5, pdf.page_accuracy) >= (text_scores.hit5, text_scores.page_accuracy)
    answer = ask(retriever, "农村网民规模有多大？")
    for hit in answer.hits:  # hits and citations carry both page systems
        found = hit.to_dict()
        assert found["page_label_start"] == str(FIRST_PRINTED - 1 + found["page_start"])
        assert found["page_label_end"] == str(FIRST_PRINTED - 1 + found["page_end"]) and found["ocr"] is False
    for citation in answer.citations:
        assert citation.page_label == str(FIRST_PRINTED - 1 + citation.page)
        assert citation.page_label_end == str(FIRST_PRINTED - 1 + citation.page_end)
        printed = citation.page_label + ("" if citation.page_end == citation.page else f"-{citation.page_label_end}")
        assert citation.reference.endswith(f"{printed}.")


def test_pdf_page_labels_roman_then_arabic_are_the_printed_pages(tmp_path):
    path = text_pdf([["Preface", "Why this book."], ["Contents"], ["Chapter 1", "It begins here."]], tmp_path / "book.pdf",
                    labels=[(0, "ROMAN_LOWER", 1), (2, "ARABIC", 1)])
    document = read_document(path, tmp_path)
    assert [page.label for page in document.pages] == ["i", "ii", "1"]
    start = document.text.index("It begins here")
    assert document.page_of(start) == 3 and document.label_of(3) == "1"
    assert reference(document, 3).endswith("(p. 1)")


def test_a_register_numbers_its_pages_on_in_a_head_that_names_the_issue(tmp_path):
    head = "Federal Register / Vol. 85, No. 150 / Tuesday, August 4, 2020 / Proposed Rules"
    pages = [[f"{47698 + i} {head}" if i % 2 == 0 else f"{head} {47698 + i}",
              f"Paragraph {i} of the notice says what the agency proposes.", "0.47 0.40 0.03 0.31"] for i in range(3)]
    document = read_document(text_pdf(pages, tmp_path / "register.pdf"), tmp_path)
    assert [page.label for page in document.pages] == ["47698", "47699", "47700"]
    assert "Federal Register" not in document.text
    assert not [s for s in document.walk_sections() if s.heading.startswith("0.47")]  # figures head nothing


def test_three_columns_hyphenation_and_a_table(tmp_path):
    from reportlab.pdfgen import canvas

    columns = [["The first column starts", "the text and it goes on", "for a while here."],
               ["The second column is", "about local gover-", "nance in villages."],
               ["The third column ends", "the page with the", "last words."]]
    path = tmp_path / "three.pdf"
    pdf = canvas.Canvas(str(path), pagesize=(WIDTH, 842))
    width = (WIDTH - 2 * 50 - 2 * 20) / 3
    for number, lines in enumerate(columns):
        for row in range(12):  # enough rows for the columns to show
            line = lines[row % len(lines)] if row < len(lines) else f"Filler line {number}{row} of the column."
            pdf.setFont("Helvetica", 10)
            pdf.drawString(50 + number * (width + 20), 760 - row * 15, line)
    pdf.showPage()
    table = ["Table 1 Internet users in rural China", "Year Users Share", "2020 309 55.9%", "2021 284 57.6%",
             "2022 293 58.8%", "Source: CNNIC."]
    for row, line in enumerate(table):
        pdf.setFont("Helvetica", 10)
        pdf.drawString(72, 760 - row * 15, line)
    pdf.showPage()
    pdf.save()
    document = read_document(path, tmp_path)
    text = document.text
    assert text.index("first column starts") < text.index("second column is") < text.index("third column ends")
    assert "local governance in villages" in text
    tables = [text[b.start:b.end] for b in document.blocks if b.kind == "table"]
    assert tables and "2021 284 57.6%" in tables[0] and tables[0].startswith("Table 1")


def test_glyph_outlines_as_boxes_keep_quotes_in_their_line_and_add_no_spaces():
    """Where a font gives pdfium no ascent or descent (a TeX CJK PDF set in Source Han Serif), a
    glyph's box is its outline: a closing quote is a sliver at the top of the line, a comma one at
    its foot. Boxes measured on such a file."""
    from qa.readers.pdf import Glyph, rows_of

    size = 10.5
    outlines = {"”": (6.8, 10.0, 3.8), "，": (-1.3, 2.2, 1.7)}  # bottom, top above the line's foot; width
    lowercase = (0.0, 5.2, 5.0)

    def line(text: str, foot: float) -> list[Glyph]:
        glyphs, x = [], 72.0
        for ch in text:
            if ch == " ":
                x += 3.5
                continue
            bottom, top, width = outlines.get(ch, lowercase if ch.islower() else (0.0, 9.8, 9.7 if ord(ch) > 0x2000 else 5.0))
            glyphs.append(Glyph(ch, x, foot + bottom, x + width, foot + top, size, 400))
            x += size if ord(ch) > 0x2000 else 5.6
        return glyphs

    first, second = "另一方面，由于数学", "公式的行距“恢复”成西文，zhlineskip 还能"
    rows = rows_of(line(first, 297.0) + line(second, 281.8))
    assert [row.text for row in rows] == [first, second]


def test_a_title_page_of_its_own_gives_the_title_and_author_and_its_date_is_no_affiliation(tmp_path):
    """A manual's title page holds only its title, author and date: the title is that page's
    widest line, so a title is told by the document's usual width, not its page's. The title's
    note mark is set nearly as large as the title (15 of 18 points), raised."""
    from reportlab.pdfgen import canvas

    register_fonts()
    path = tmp_path / "guide.pdf"
    pdf = canvas.Canvas(str(path), pagesize=(WIDTH, 842))
    for size, y, text in [(18, 500, "一份简短的关于乡村数字治理的介绍"), (12, 450, "王然"), (12, 420, "2023 年 1 月 2 日")]:
        pdf.setFont("STSong-Light", size)
        pdf.drawCentredString(WIDTH / 2, y, text)
    pdf.setFont("STSong-Light", 15)
    pdf.drawString(WIDTH / 2 + pdf.stringWidth("一份简短的关于乡村数字治理的介绍", "STSong-Light", 18) / 2, 506.5, "1")
    pdf.showPage()
    pdf.setFont("STSong-Light", 14)
    pdf.drawString(72, 760, "前言")
    pdf.setFont("STSong-Light", 10)
    sentence = "本文介绍乡村数字治理的基本做法与常见问题，供基层干部和研究者参考。"
    for row in range(12):
        pdf.drawString(72, 730 - row * 16, sentence * 2 if row % 4 else sentence)
    pdf.showPage()
    pdf.save()
    document = read_document(path, tmp_path)
    assert document.title == "一份简短的关于乡村数字治理的介绍" and document.authors == ["王然"]
    kinds = {document.text[b.start:b.end]: b.kind for b in document.blocks}
    assert kinds["王然"] == "authors" and kinds["2023 年 1 月 2 日"] == "front-line"


def test_a_line_in_the_other_language_is_no_title_block_unless_an_abstract_follows():
    from qa.readers.text import parse_text

    raw = ("乡村数字治理笔记\n作者：张三\n\n本文记录一次数字治理工具的安装过程。\n\n安装字体时执行下面的命令\n\n"
           "sudo apt install fontconfig\n\n然后刷新字体缓存即可使用。\n\n" + "安装后的设置另有说明。\n\n" * 6 +
           "Notes on Rural Digital Governance\nZHANG San\nAbstract: The installation of a governance tool.\n")
    document = parse_text(raw, "notes", "notes.txt")
    kinds = {document.text[b.start:b.end]: b.kind for b in document.blocks}
    assert kinds["sudo apt install fontconfig"] == "paragraph"
    assert kinds["Notes on Rural Digital Governance"] == "title"  # the translated title block


def test_a_code_listing_running_down_to_the_footnotes_is_body_text(tmp_path):
    from reportlab.pdfgen import canvas

    register_fonts()
    path = tmp_path / "listing.pdf"
    pdf = canvas.Canvas(str(path), pagesize=(WIDTH, 842))
    pdf.setFont("STSong-Light", 10.5)
    sentence = "安装完成后，在终端中依次执行下面的命令检查安装结果，并刷新字体缓存。"
    for row in range(30):
        pdf.drawString(72, 760 - row * 16, sentence)
    pdf.drawString(72, 760 - 30 * 16, "执行以下命令")
    commands = ["sudo apt install fontconfig", "sudo fc-cache -fv", "tex -v", "kpsewhich -var-value TEXMFROOT"]
    for row, command in enumerate(commands, start=1):
        y = 260 - row * 12
        pdf.setFont("STSong-Light", 6)
        pdf.drawString(72, y, str(row))
        pdf.setFont("Courier", 9)
        pdf.drawString(84, y, command)
    pdf.setFont("STSong-Light", 7.5)
    pdf.drawString(72, 80, "1 本文的命令均在 Ubuntu 20.04 上测试。")
    pdf.showPage()
    pdf.save()
    document = read_document(path, tmp_path)
    body = document.text[: document.pages[-1].end]
    assert all(command in body for command in commands)
    assert [(note.label, document.text[note.start:note.end]) for note in document.footnotes] == [
        ("1", "本文的命令均在 Ubuntu 20.04 上测试。")]


def test_a_scanned_page_is_read_by_ocr_and_marked(tmp_path):
    path = scanned_pdf(["数字乡村建设是乡村振兴的重要内容。", "Rural broadband reached every village."], tmp_path / "scan.pdf")
    document = read_document(path, tmp_path)
    assert document.pages[0].ocr
    assert "数字乡村建设" in document.text and "broadband" in document.text


def test_a_page_without_text_or_with_a_garbage_text_layer_is_refused_with_the_reason(tmp_path):
    blank = text_pdf([[]], tmp_path / "blank.pdf")
    with pytest.raises(DocumentError, match="blank.pdf: page 1 has no usable text layer and OCR found no text"):
        read_document(blank, tmp_path)
    garbage = text_pdf([["\ue000\ue001\ue002\ue003 \ue004\ue005\ue006"] * 20], tmp_path / "garbage.pdf",
                       font="STSong-Light")
    with pytest.raises(DocumentError, match="garbage.pdf: page 1"):
        read_document(garbage, tmp_path)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 not really")
    with pytest.raises(DocumentError, match="broken.pdf: cannot open as a PDF"):
        read_document(broken, tmp_path)


def test_a_word_file_gives_sections_tables_and_no_guessed_page(tmp_path):
    import docx

    word = docx.Document()
    word.add_paragraph("茶马古道研究", style="Title")
    word.add_heading("一、引言", level=1)
    word.add_paragraph("茶马古道是连接川滇藏的古代商道。")
    word.add_heading("（一）路线", level=2)
    word.add_paragraph("表 1 主要路线")
    table = word.add_table(rows=2, cols=2)
    for row, cells in enumerate([("路线", "长度"), ("川藏线", "2350")]):
        for column, value in enumerate(cells):
            table.cell(row, column).text = value
    word.core_properties.author = "李明远"
    path = tmp_path / "tea.docx"
    word.save(path)
    document = read_document(path, tmp_path)
    assert document.title == "茶马古道研究" and document.authors == ["李明远"]
    assert [s.path for s in document.walk_sections() if s.part == "body"] == [("一、引言",), ("一、引言", "（一）路线")]
    tables = [document.text[b.start:b.end] for b in document.blocks if b.kind == "table"]
    assert len(tables) == 1 and tables[0].startswith("表 1 主要路线\n") and "川藏线 2350" in tables[0]
    assert reference(document, 1).endswith("[Z].")  # no page, stated by leaving it out


def test_the_seed_written_in_word_reads_as_its_text_page_for_page(tmp_path, seed_document):
    # Direct formatting only (no heading styles), pages where Word broke them, a running head.
    document = read_document(seed_docx(seed_document, tmp_path / "seed.docx"), tmp_path)
    assert (document.title, document.authors) == ("城乡数字势差与逆差序智治", ["曾凡军", "王鹏"])  # as the PDF's
    assert [b.kind for b in document.blocks] == [b.kind for b in seed_document.blocks]
    assert [s.path for s in document.walk_sections()] == [s.path for s in seed_document.walk_sections()]
    assert document.paged and len(document.pages) == len(seed_document.pages)
    for page, expected in zip(document.pages, seed_document.pages):
        assert squash(document.text[page.start:page.end]) == squash(seed_document.text[expected.start:expected.end])
    assert [note.page for note in document.footnotes] == [note.page for note in seed_document.footnotes]
    assert all(ref.footnote is not None for ref in document.footnote_refs)
    assert reference(document, 5, 6) == "曾凡军, 王鹏. 城乡数字势差与逆差序智治[J]. 社会科学, 2023(5): 175-176."


def test_the_seed_questions_find_the_same_passages_and_pages_in_the_word_file(seed_document, embedder, text_scores,
                                                                                tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    seed_docx(seed_document, seeds / "seed.docx")
    index, report = build_index(seeds, tmp_path / "index", embedder, progress=False)
    assert not report.errors
    retriever = Retriever.from_config(index, embedder, Config())
    word = score(evaluate(retriever, SEED_QUESTIONS))
    assert (word.hit5, word.page_accuracy) >= (text_scores.hit5, text_scores.page_accuracy)
    [citation, *_] = ask(retriever, "农村网民规模有多大，占农村人口的比例是多少？").citations
    assert "3.08 亿" in citation.quote and (citation.page, citation.page_end) == (5, 6)


def test_a_word_file_heads_sections_by_outline_level_and_leaves_out_its_contents(tmp_path):
    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    word = docx.Document()
    heading = word.styles.add_style("论文一级标题", WD_STYLE_TYPE.PARAGRAPH)  # a template's own heading style
    heading.base_style = word.styles["Normal"]
    outline = OxmlElement("w:outlineLvl")
    outline.set(qn("w:val"), "0")
    heading.element.get_or_add_pPr().append(outline)
    contents = word.styles.add_style("toc 1", WD_STYLE_TYPE.PARAGRAPH)
    word.add_paragraph("茶马古道研究", style="Title")
    word.add_paragraph("研究背景\t1", style=contents)
    word.add_paragraph("研究背景", style=heading)
    word.add_paragraph("茶马古道是连接川滇藏的古代商道，兴起于唐宋时期。" * 6)
    hyphenated = word.add_paragraph("见 Tea")
    hyphenated.add_run()._r.append(OxmlElement("w:noBreakHyphen"))  # Word's hyphen that keeps its words together
    hyphenated.add_run("Horse Road 一文。")
    word.add_paragraph().add_run("茶马古道上的贸易延续了一千多年。" * 8).font.size = Pt(14)  # a paragraph set large
    control = word.add_paragraph("马帮沿古道运送茶叶和马匹。")  # moved into a content control below
    sdt, content = OxmlElement("w:sdt"), OxmlElement("w:sdtContent")
    control._p.addprevious(sdt)
    sdt.append(content)
    content.append(control._p)
    word.core_properties.author = "Administrator"  # the account that saved the file
    path = tmp_path / "tea.docx"
    word.save(path)
    document = read_document(path, tmp_path)
    assert [s.path for s in document.walk_sections()] == [("研究背景",)]
    assert "研究背景 1" not in document.text and "马帮沿古道运送茶叶和马匹。" in document.text
    assert "见 Tea-Horse Road 一文。" in document.text
    assert (document.title, document.authors, document.paged) == ("茶马古道研究", [], False)


def test_a_word_file_keeps_its_footnotes_and_endnotes_linked_to_their_marks(tmp_path):
    import docx

    word = docx.Document()
    word.add_heading("一、引言", level=1)
    paragraph = word.add_paragraph("茶马古道是连接川滇藏的古代商道。")
    add_note_mark(paragraph, "footnote", 2)
    paragraph.add_run("它兴起于唐宋时期。")
    add_note_mark(paragraph, "endnote", 5)
    add_notes(word, "footnote", {2: "参见《茶马古道考》，1992 年。"})
    add_notes(word, "endnote", {5: "王明：《唐宋茶马贸易研究》，《民族研究》2001 年第 3 期。"})
    path = tmp_path / "notes.docx"
    word.save(path)
    document = read_document(path, tmp_path)
    body = document.text[: document.pages[-1].end]
    assert "茶马古道是连接川滇藏的古代商道。它兴起于唐宋时期。" in body and "茶马古道考" not in body
    notes = [(document.text[note.start:note.end], note.label) for note in document.footnotes]
    assert notes == [("参见《茶马古道考》，1992 年。", "1"), ("王明：《唐宋茶马贸易研究》，《民族研究》2001 年第 3 期。", "i")]
    assert [(ref.footnote, document.text[ref.offset - 1]) for ref in document.footnote_refs] == [(0, "。"), (1, "。")]


def test_a_web_page_keeps_its_article_and_drops_navigation_scripts_and_footer(tmp_path):
    path = tmp_path / "lighthouse.html"
    path.write_text("""<!doctype html><html><head><title>Lighthouse Keepers</title>
<script>var tracking = "do not index me";</script></head><body>
<nav><a href="/">Home</a> <a href="/about">About us menu</a></nav>
<article><h1>Lighthouse Keepers</h1><p>The keepers of the Skerryvore light trimmed the lamp wicks at dusk and
recorded the weather every four hours, a duty that lasted until automation in 1984.</p>
<h2>Daily routine</h2><p>Each morning the lens was cleaned and the brass polished before the inspector came by,
which happened without warning several times a year.</p></article>
<footer>Copyright 2024 Example Press. All rights reserved.</footer></body></html>""", encoding="utf-8")
    document = read_document(path, tmp_path)
    assert document.title == "Lighthouse Keepers"
    assert "Skerryvore" in document.text and "brass polished" in document.text
    for junk in ("do not index me", "About us menu", "All rights reserved"):
        assert junk not in document.text
    assert "Daily routine" in [s.heading for s in document.walk_sections()]


def test_a_web_page_heads_sections_by_its_bold_numbered_lines_and_keeps_no_markup(tmp_path):
    path = tmp_path / "village.html"
    path.write_text("""<!doctype html><html><head><meta charset="utf-8"><title>数字乡村建设的困境与对策</title>
</head><body><div class="nav"><a href="/">首页</a> <a href="/news">新闻中心</a></div><div class="article">
<h1>数字乡村建设的困境与对策</h1><p>作者：张三、李四　来源：理论网　2023-05-12</p>
<p>数字乡村建设是乡村振兴的<strong>重要内容</strong>，也是建设<em>数字中国</em>的重要组成部分。</p>
<p><strong>一、数字乡村建设面临的困境</strong></p><p>农村地区数字基础设施仍然薄弱，城乡之间的数字鸿沟依然存在。</p>
<p><strong>（一）基础设施薄弱</strong></p><p>截至 2022 年底，农村地区互联网普及率为 61.9%。</p>
<table><tr><th>年份</th><th>普及率</th></tr><tr><td>2021</td><td>57.6%</td></tr></table>
<p><strong>二、推进数字乡村建设的对策</strong></p><ul><li>加大财政投入，完善农村网络。</li><li>加强农民数字技能培训。</li></ul>
</div><div class="footer">版权所有 理论网</div></body></html>""", encoding="utf-8")
    document = read_document(path, tmp_path)
    assert (document.title, document.authors) == ("数字乡村建设的困境与对策", ["张三", "李四"])
    assert [s.path for s in document.walk_sections()] == [
        ("一、数字乡村建设面临的困境",), ("一、数字乡村建设面临的困境", "（一）基础设施薄弱"), ("二、推进数字乡村建设的对策",)]
    assert "数字乡村建设是乡村振兴的重要内容，也是建设数字中国的重要组成部分。" in document.text
    assert "*" not in document.text and "版权所有" not in document.text
    kinds = [(b.kind, document.text[b.start:b.end]) for b in document.blocks]
    assert ("table", "年份 普及率\n2021 57.6%") in kinds and ("paragraph", "加强农民数字技能培训。") in kinds
    assert kinds.index(("table", "年份 普及率\n2021 57.6%")) < kinds.index(("heading", "二、推进数字乡村建设的对策"))


def test_the_library_says_which_pages_were_ocred_and_a_word_file_has_no_page(tmp_path, embedder):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    scanned_pdf(["数字乡村建设是乡村振兴的重要内容。", "宽带网络已经通达每一个行政村。"], seeds / "scan.pdf")
    import docx

    word = docx.Document()
    word.add_heading("Lighthouse keeping", level=1)
    word.add_paragraph("The keepers of the Skerryvore light trimmed the lamp wicks at dusk every evening.")
    word.save(seeds / "keepers.docx")
    index, report = build_index(seeds, tmp_path / "index", embedder, progress=False)
    assert not report.errors
    rows = {row.source: row for row in entries(index)}
    assert (rows["scan.pdf"].pages, rows["scan.pdf"].ocr_pages) == (1, 1)
    assert (rows["keepers.docx"].format, rows["keepers.docx"].pages) == ("docx", 0)
    retriever = Retriever.from_config(index, embedder, Config())
    [citation, *_] = ask(retriever, "When did the keepers trim the lamp wicks?").citations
    assert "Skerryvore" in citation.quote
    assert citation.to_dict()["page"] is None and citation.page_label is None
    assert retriever.search("When did the keepers trim the lamp wicks?")[0].to_dict()["page_start"] is None
    [citation, *_] = ask(retriever, "宽带网络通达了哪里？").citations
    assert citation.ocr and citation.to_dict()["ocr"] is True and "行政村" in citation.quote


def test_a_manual_with_contents_chapter_heads_code_a_logo_and_a_blank_page(tmp_path):
    """What TeX manuals do: a contents page with leader dots, running heads that name the
    chapter beside the page number, prose in a larger type than the (more plentiful) code,
    the LaTeX logo's raised A, CJK and Latin set apart by glue instead of spaces, a blank page."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    register_fonts()
    path = tmp_path / "manual.pdf"
    pdf = canvas.Canvas(str(path), pagesize=(WIDTH, 842))

    def head(text: str, number: int) -> None:
        pdf.setFont("STSong-Light", 9)
        pdf.drawString(72, 800, text)
        pdf.drawRightString(WIDTH - 72, 800, str(number))

    pdf.setFont("STSong-Light", 14)
    pdf.drawString(72, 740, "Contents")
    for row, (entry, page) in enumerate([("1 安装方法", 3), ("2 使用方法", 4)]):
        pdf.setFont("STSong-Light", 10.5)
        pdf.drawString(72, 710 - row * 16, entry + " " + ". " * 30)
        pdf.drawRightString(WIDTH - 72, 710 - row * 16, str(page))
    head("目录", 1)
    pdf.showPage()
    pdf.showPage()  # the blank back of the contents page
    for chapter, (title, prose) in enumerate([("1 安装方法", "本宏包随 TeX Live 发行，无需另行安装。"),
                                             ("2 使用方法", "载入宏包后即可使用中文数字命令。")], start=1):
        head(f"{chapter} {title[2:]}", chapter + 2)
        pdf.setFont("STSong-Light", 14)
        pdf.drawString(72, 740, title)
        y = 710
        for _ in range(3):
            x = 72
            for piece, font in (("在", "STSong-Light"), ("L", "Helvetica"), ("A", "Helvetica-small"),
                                ("TEX", "Helvetica"), ("中使用", "STSong-Light")):
                size = 7.0 if font == "Helvetica-small" else 10.5
                face = "Helvetica" if font.startswith("Helvetica") else font
                pdf.setFont(face, size)
                pdf.drawString(x, y + (3 if size < 10 else 0), piece)
                x += stringWidth(piece, face, size) + (2.5 if piece in ("在", "TEX") else 0)
            pdf.setFont("STSong-Light", 10.5)
            pdf.drawString(x, y, prose + "这一句把行填满了，" * 2)
            y -= 16
        for line in range(30):  # a code listing: more characters than the prose, in smaller type
            pdf.setFont("Courier", 9)
            pdf.drawString(72, y - line * 11, f"\\zhnumber{{{line}}} % prints the number {line} in Chinese numerals")
        pdf.showPage()
    pdf.save()
    document = read_document(path, tmp_path)
    assert [page.label for page in document.pages] == ["1", "2", "3", "4"]  # the blank page's between the others
    bodies = [s.heading for s in document.walk_sections() if s.part == "body"]
    assert bodies[-2:] == ["1 安装方法", "2 使用方法"], bodies
    assert ". . . ." not in document.text and "目录" not in document.text and "安装方法 3" not in document.text
    assert "在 LATEX 中使用本宏包随 TeX Live 发行" in document.text
    assert not document.footnote_refs  # the logo's raised A is no footnote marker
    assert document.pages[1].start == document.pages[1].end  # the blank page: empty, not refused


def test_markdown_title_author_and_a_code_block_kept_whole(tmp_path):
    path = tmp_path / "keepers.md"
    path.write_text("# Lighthouse Keepers\n\n**Author:** Jane Smith\n\n## Daily routine\n\nThe **lens** was cleaned "
                    "each\nmorning, as [the log](http://example.com/log) says.\n\n```python\ndef trim(wick):\n"
                    "    # not a heading\n\n    return wick.trim()\n```\n\n**2. Automation**\n\n"
                    "| Year | Event |\n|---|---|\n| 1984 | automated |\n| 1998 | museum |\n\n- The keepers left.\n",
                    encoding="utf-8")
    document = read_document(path, tmp_path)
    assert (document.title, document.authors, document.paged) == ("Lighthouse Keepers", ["Jane Smith"], False)
    assert [s.heading for s in document.walk_sections()] == ["Daily routine", "2. Automation"]
    [code] = [document.text[b.start:b.end] for b in document.blocks if b.kind == "code"]
    assert code == "def trim(wick):\n    # not a heading\n\n    return wick.trim()"
    blocks = [(b.kind, document.text[b.start:b.end]) for b in document.blocks]
    assert ("paragraph", "The lens was cleaned each morning, as the log says.") in blocks
    assert ("table", "Year Event\n1984 automated\n1998 museum") in blocks  # rows of words stay rows
    assert ("paragraph", "The keepers left.") in blocks


def test_a_text_file_s_labelled_author_line_names_the_author_without_its_label(tmp_path):
    from qa.references import apa, gb_t_7714

    path = tmp_path / "notes.txt"
    path.write_text("茶马古道考察笔记\n作者：李明远\n\n茶马古道是古代西南地区以马帮为主要交通工具的商贸通道。\n",
                    encoding="utf-8")
    document = read_document(path, tmp_path)
    assert document.authors == ["李明远"]
    assert gb_t_7714(document, 1).startswith("李明远. 茶马古道考察笔记[Z]") and apa(document, 1).startswith("李明远 (n.d.)")


def test_a_first_page_s_own_head_and_unmarked_article_notes_are_not_body_text(tmp_path):
    """Page 1 of a Chinese journal article: a head of its own ("2023 年第 3 期 … 中国农村观察", not
    repeated), and under a rule the dates, funding and author notes in small type, unmarked."""
    from reportlab.pdfgen import canvas

    from tests.pdf_fixtures import FONT, HEIGHT, MARGIN, register_fonts, wrap

    register_fonts()
    path = tmp_path / "village.pdf"
    pdf = canvas.Canvas(str(path), pagesize=(WIDTH, HEIGHT))
    body = "数字乡村建设是乡村振兴的重要内容，也是建设数字中国的重要组成部分。近年来各地积极推进数字乡村建设，取得了明显成效。"
    rows = [(16, "乡村数字治理的困境与出路"), (10, "张　三　李　四"), (8, "（某某大学公共管理学院，湖南 长沙 410000）"),
            (8.5, "摘要：本文分析了乡村数字治理面临的三重困境，并提出了对策。"), (8.5, "关键词：数字乡村；乡村治理"),
            (8.5, "中图分类号：D422.6　文献标识码：A　文章编号：1000-1234（2023）03-0041-12"), (11, "一、问题的提出"),
            *[(9, line) for line in wrap(body * 2, WIDTH - 2 * MARGIN, 9)]]
    for page in (1, 2):
        pdf.setFont(FONT, 7.5)
        pdf.drawString(MARGIN, HEIGHT - 36, "2023 年第 3 期　　　　　　中国农村观察" if page == 1 else "乡村数字治理的困境与出路")
        y = HEIGHT - 70
        for size, text in rows if page == 1 else [(11, "二、乡村数字治理的困境")] + rows[7:]:
            pdf.setFont(FONT, size)
            pdf.drawString(MARGIN, y, text)
            y -= size * 1.6
        if page == 1:
            pdf.line(MARGIN, 120, MARGIN + 120, 120)
            for number, note in enumerate(["收稿日期：2023-01-10", "基金项目：国家社会科学基金项目（21BZZ001）",
                                           "作者简介：张三（1980—），男，湖南长沙人，某某大学公共管理学院教授。",
                                           "引用格式：张三, 李四. 乡村数字治理的困境与出路[J]. 中国农村观察, 2023(3): 41-52."]):
                pdf.setFont(FONT, 6.5)
                pdf.drawString(MARGIN, 108 - number * 10, note)
        pdf.showPage()
    pdf.save()
    document = read_document(path, tmp_path)
    body_text = document.text[: document.pages[-1].end]
    assert "收稿日期" not in body_text and "中国农村观察" not in body_text
    assert [(note.page, note.label) for note in document.footnotes] == [
        (1, "收稿日期"), (1, "基金项目"), (1, "作者简介"), (1, "引用格式")]
    assert reference(document, 2) == "张三, 李四. 乡村数字治理的困境与出路[J]. 中国农村观察, 2023(3): 42."


def test_a_bold_run_in_lead_starts_a_paragraph_and_a_bold_line_heads_a_section(tmp_path):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    for name in ("Vera", "VeraBd"):  # embedded, so the file states their weights (reportlab ships them)
        pdfmetrics.registerFont(TTFont(name, f"{name}.ttf"))
    path = tmp_path / "leads.pdf"
    pdf = canvas.Canvas(str(path), pagesize=(WIDTH, 842))
    body = "Requirements were gathered from the market and ranked by the product team before each release."
    y = 760
    for font, text in [("Vera", body), ("Vera", body + " The team met weekly."), ("VeraBd", "3. Method"),
                       ("Vera", body), (None, "2. No requirements dependencies:"),
                       ("Vera", "dependencies between requirements at all."),
                       ("Vera", body)]:
        if font is None:  # a bold lead, the sentence running on in regular type
            pdf.setFont("VeraBd", 10)
            pdf.drawString(72, y, text)
            pdf.setFont("Vera", 10)
            pdf.drawString(72 + pdf.stringWidth(text + " ", "VeraBd", 10), y, "There are no")
        else:
            pdf.setFont(font, 10)
            pdf.drawString(72, y, text)
        y -= 15
    pdf.save()
    document = read_document(path, tmp_path)
    assert [s.heading for s in document.walk_sections()] == ["3. Method"]
    assert "2. No requirements dependencies: There are no dependencies between" in document.text


def test_where_an_article_appeared_is_read_from_its_article_number_and_running_head():
    from qa.readers.imprint import article_number, cited_as, journal_of

    assert article_number("文献标识码：A　　文章编号：1000—8691（2023）05—0171—10") == {
        "issn": "1000-8691", "year": 2023, "issue": "5", "first_page": 171, "last_page": 180}
    assert article_number("no such line 2023") == {}
    assert journal_of(["城乡数字势差与逆差序智治", "176 社会科学 2023 年第 5 期"]) == {
        "journal": "社会科学", "year": 2023, "issue": "5"}
    assert journal_of(["Journal of Rural Studies, Vol. 12, No. 3, 2023"]) == {
        "journal": "Journal of Rural Studies", "year": 2023, "volume": "12", "issue": "3"}
    assert journal_of(["· 175 ·", "A Short Title"]) == {}
    assert journal_of(["2023 年第 3 期（总第 171 期）　中国农村观察"]) == {"journal": "中国农村观察", "year": 2023, "issue": "3"}
    assert cited_as("本文引用格式：王五．数字乡村研究[J]．中国行政管理，2022，38（5）：12—19．") == {
        "journal": "中国行政管理", "year": 2022, "volume": "38", "issue": "5", "first_page": 12, "last_page": 19}


def test_a_quote_is_boxed_on_its_own_characters_across_a_hyphenated_line_break(tmp_path, seed_document):
    import pypdfium2

    from qa.readers.pdf import quote_boxes

    path = text_pdf([["The keeper of the Ardmore light wrote a care-", "ful report of every storm he saw.",
                      "Nothing else is on this line."]], tmp_path / "keeper.pdf")
    document = read_document(path, tmp_path)
    sentence = "The keeper of the Ardmore light wrote a careful report of every storm he saw."
    assert sentence in document.text  # the reader undid the hyphen
    keeper = pypdfium2.PdfDocument(str(path))
    width, height, boxes = quote_boxes(keeper, 1, sentence)
    assert len(boxes) == 2 and all(0 < left < right < width and 0 < top < bottom < height
                                   for left, top, right, bottom in boxes)
    assert boxes[0][1] < boxes[1][1] and boxes[1][3] < height - 72  # two lines, top down, the third not boxed
    assert quote_boxes(keeper, 1, "A sentence printed nowhere on the page.")[2] == []
    keeper.close()
    # The typeset seed in two columns: every sentence of a page is found on it.
    pdf = seed_pdf(seed_document, tmp_path / "seed.pdf", columns=2)
    document = read_document(pdf, tmp_path)
    seed = pypdfium2.PdfDocument(str(pdf))
    for page in document.pages[:3]:
        for sentence in re.findall(r"[^。]{8,}。", document.text[page.start:page.end])[:5]:
            assert quote_boxes(seed, page.number, sentence)[2], (page.number, sentence)
    seed.close()


def test_a_journal_paper_keeps_its_title_abstract_and_outline_apart_from_masthead_stamp_and_figure(tmp_path):
    """What real papers do: the journal's masthead in the largest type above the title, an
    issue line, a stamp up the margin, an abstract set in from both margins, a plot whose axis
    labels are in large type, an equation number alone, a numbered heading longer than forty
    characters, a lowered subscript on a band of its own, a numbered line of program output,
    references with a hanging indent."""
    from reportlab.pdfgen import canvas

    path = tmp_path / "paper.pdf"
    pdf = canvas.Canvas(str(path), pagesize=(WIDTH, 842))
    body = ("The method reads every page of the paper and keeps its structure whole for the reader.",
            "It is tested on papers that journals printed, with their mastheads, stamps and plots.")

    def prose(y: float, lines: int, page: int = 1) -> float:
        for n in range(lines):
            pdf.setFont("Helvetica", 10)
            pdf.drawString(72, y, body[(n + page) % 2] if n else f"Page {page} goes on with the argument of the paper.")
            y -= 14
        return y - 10

    def heading(text: str, y: float) -> float:
        pdf.setFont("Helvetica-Bold", 12)
        pdf.drawString(72, y, text)
        return y - 20

    pdf.setFont("Helvetica", 28)
    pdf.drawString(72, 790, "Journal of Testing Software")
    pdf.setFont("Helvetica", 10)
    pdf.drawString(72, 770, "March 2021, Volume 7, Issue 2.")
    pdf.setFont("Helvetica", 18)
    pdf.drawString(72, 735, "Reading Papers Without Losing Their Structure")
    pdf.setFont("Helvetica", 12)
    pdf.drawString(72, 712, "Ada Lovelace and Ivo van Stokkum")
    pdf.saveState()
    pdf.translate(30, 300)
    pdf.rotate(90)
    pdf.setFont("Times-Roman", 16)
    pdf.drawString(0, 0, "arXiv:2101.00001v1 [cs.DL] 1 Mar 2021")
    pdf.restoreState()
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(270, 680, "Abstract")
    abstract = ["We read papers as their authors set them: the abstract here is set in",
                "from both margins, and its lines are one paragraph, not one a line. The",
                "masthead names the journal, not the paper; the stamp up the margin and",
                "the labels of the plot are not part of the text."]
    for n, line in enumerate(abstract):
        pdf.setFont("Helvetica", 10)
        pdf.drawString(115 if n == 0 else 100, 662 - n * 13, line)
    y = heading("1. Introduction", 590)
    y = prose(y, 8)
    pdf.setFont("Helvetica", 10)
    pdf.drawString(300, y, "(17)")
    y = prose(y - 24, 3)
    pdf.drawString(72, y, "The deceleration parameter q")
    pdf.setFont("Helvetica", 6)
    pdf.drawString(72 + pdf.stringWidth("The deceleration parameter q", "Helvetica", 10), y - 6, "vol")
    pdf.setFont("Helvetica", 10)
    pdf.drawString(72, y - 14, "stays positive in every realistic model.")
    pdf.showPage()
    pdf.beginForm("plot")
    pdf.rect(0, 0, 300, 180)
    pdf.setFont("Helvetica", 16)
    pdf.drawString(130, 8, "time")
    pdf.drawString(8, 150, "wavelength")
    pdf.endForm()
    for page in (2, 3):
        pdf.setFont("Helvetica", 9)
        pdf.drawString(72, 815, "Journal of Testing Software")
        pdf.drawString(500, 815, str(page))
        y = prose(780, 10, page)
        if page == 2:
            pdf.saveState()
            pdf.translate(120, y - 190)
            pdf.doForm("plot")
            pdf.restoreState()
            pdf.setFont("Helvetica", 10)
            pdf.drawString(72, y - 210, "Figure 1: Spectra over time.")
            y = heading("2. A second section whose heading runs well past forty characters", y - 240)
            y = prose(y, 4)
            y = heading("2.1. Its first subsection", y)
            y = prose(y, 4)
            pdf.setFont("Courier", 10)  # a session's output: numbered, after a gap, in body type
            pdf.drawString(72, y - 20, "6.4 Mbytes of cons cells used (58%)")
        else:  # references with a hanging indent, the first line the page's longest
            y = heading("References", y)
            pdf.setFont("Helvetica", 10)
            pdf.drawString(72, y, "[1] Mullen KM, van Stokkum IHM. TIMP: an R package for modeling the multi-way")
            pdf.drawString(90, y - 14, "spectroscopic measurements. Journal of Statistical Software, 2007.")
            pdf.drawString(72, y - 28, "[2] A second reference.")
        pdf.showPage()
    pdf.save()
    document = read_document(path, tmp_path)
    assert document.title == "Reading Papers Without Losing Their Structure"
    assert document.authors == ["Ada Lovelace", "Ivo van Stokkum"]
    assert {k: document.meta.get(k) for k in ("journal", "volume", "issue", "year")} == {
        "journal": "Journal of Testing Software", "volume": "7", "issue": "2", "year": 2021}
    assert "arXiv" not in document.text and "wavelength" not in document.text
    outline = [(s.level, s.heading) for s in document.walk_sections() if s.part == "body"]
    assert outline == [(1, "Abstract"), (1, "1. Introduction"),
                       (1, "2. A second section whose heading runs well past forty characters"),
                       (2, "2.1. Its first subsection")], outline
    paragraphs = [document.text[b.start:b.end] for b in document.blocks if b.kind == "paragraph"]
    assert any(p.startswith("We read papers") and p.endswith("not part of the text.") for p in paragraphs), paragraphs
    assert any("parameter q vol stays positive" in p or "parameter qvol stays positive" in p for p in paragraphs)
    assert "the multi-way spectroscopic measurements" in document.text  # one reference, not two paragraphs


def test_a_lettered_appendix_is_a_top_level_section_holding_its_own():
    from qa.readers.text import parse_text

    raw = ("乡村治理研究\n\n一、引言\n\n正文第一段。\n\n（一）研究背景\n\n正文第二段。\n\n附录 A 调查问卷\n\n问卷的全部题目。\n\n"
           "附录 B 访谈提纲\n\n1. 访谈对象\n\n访谈的问题。\n\n附录 A 给出了问卷。\n")
    document = parse_text(raw, "study", "study.txt")
    assert [s.path for s in document.walk_sections()] == [
        ("一、引言",), ("一、引言", "（一）研究背景"), ("附录 A 调查问卷",), ("附录 B 访谈提纲",),
        ("附录 B 访谈提纲", "1. 访谈对象")]


def test_a_chapter_head_half_figures_is_a_heading_not_a_row_of_figures(tmp_path):
    from reportlab.pdfgen import canvas

    register_fonts()
    path = tmp_path / "chapters.pdf"
    pdf = canvas.Canvas(str(path), pagesize=(WIDTH, 842))
    sentence = "这里只阐述如何用镜像安装，为使用户顺利使用，建议用户首先卸载从源内安装的相关包。"
    pdf.setFont("STSong-Light", 26)
    pdf.drawString(72, 600, "安装指南")
    pdf.setFont("STSong-Light", 10.5)
    for row in range(8):
        pdf.drawString(72, 560 - row * 16, sentence)
    pdf.showPage()
    for number, head in enumerate(["1 Windows 10 系统", "2 Ubuntu 20.04 系统"], start=1):
        pdf.setFont("STSong-Light", 22)
        pdf.drawString(72, 700, head)
        pdf.setFont("STSong-Light", 15)
        pdf.drawString(72, 660, f"{number}.1 安装方法")
        pdf.setFont("STSong-Light", 10.5)
        for row in range(20):
            pdf.drawString(72, 630 - row * 16, sentence)
        pdf.showPage()
    pdf.save()
    document = read_document(path, tmp_path)
    assert [s.path for s in document.walk_sections()] == [
        ("1 Windows 10 系统",), ("1 Windows 10 系统", "1.1 安装方法"),
        ("2 Ubuntu 20.04 系统",), ("2 Ubuntu 20.04 系统", "2.1 安装方法")]
