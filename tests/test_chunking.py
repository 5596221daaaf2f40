"""Chunks: inside one section, whole sentences, bounded length, exact offsets and pages."""

from qa.chunking import block_sentences, chunk_document, join_chunks, split_paragraph_runs, split_sentences, text_size
from qa.readers.text import parse_text


def test_sentence_split_keeps_numbers_and_closing_quotes():
    text = "比重为 38.6%，但仅为 8.9%。他说：“好。”然后呢？It rose 3.08 points. Then fell!"
    spans = [text[a:b] for a, b in split_sentences(text, 0, len(text))]
    assert spans == ["比重为 38.6%，但仅为 8.9%。", "他说：“好。”", "然后呢？", "It rose 3.08 points.", "Then fell!"]


def test_punctuation_alone_is_no_sentence():
    text = "。开头。并获得“英国IT潜能组织”的公司奖。 。然后呢？"
    spans = [text[a:b] for a, b in split_sentences(text, 0, len(text))]
    assert spans == ["。开头。", "并获得“英国IT潜能组织”的公司奖。 。", "然后呢？"]


def test_sentence_split_passes_over_abbreviations_initials_and_open_brackets():
    text = ("Kearney Boulevard is named after millionaire M. Theo Kearney. It focuses on review (i.e. "
            "services) in St. Louis and the U.S. Army came. Brown v. Board of Education was cited by Jones "
            "et al. 1998 on Y. p. orientalis. 氨碱法（Solvay process；又称“索尔维制碱法”）是一种方法。"
            "他说：“好。”然后呢？（未闭合；后面。")
    spans = [text[a:b] for a, b in split_sentences(text, 0, len(text))]
    assert spans == ["Kearney Boulevard is named after millionaire M. Theo Kearney.",
                     "It focuses on review (i.e. services) in St. Louis and the U.S. Army came.",
                     "Brown v. Board of Education was cited by Jones et al. 1998 on Y. p. orientalis.",
                     "氨碱法（Solvay process；又称“索尔维制碱法”）是一种方法。", "他说：“好。”", "然后呢？",
                     "（未闭合；", "后面。"]


def test_chunks_respect_sections_sentences_and_length(seed_document):
    chunks = chunk_document(seed_document, 400)
    sections = {s.path: s for s in seed_document.walk_sections()}
    for chunk in chunks:
        assert chunk.text == seed_document.text[chunk.start : chunk.end]
        if chunk.section in sections:
            section = sections[chunk.section]
            assert section.start <= chunk.start and chunk.end <= section.end
        if len(chunk.sentences) > 1:
            assert text_size(chunk.text) <= 400
        for sentence in chunk.sentences:
            assert chunk.start <= sentence.start < sentence.end <= chunk.end
            assert sentence.page == seed_document.page_of(sentence.start)
        assert chunk.page_start == chunk.sentences[0].page and chunk.page_end >= chunk.page_start


def test_overlap_is_at_most_one_sentence(seed_document):
    chunks = chunk_document(seed_document, 200)
    for left, right in zip(chunks, chunks[1:]):
        shared = {(s.start, s.end) for s in left.sentences} & {(s.start, s.end) for s in right.sentences}
        assert len(shared) <= 1


def test_sentences_across_a_page_break_cite_their_own_page(seed_document):
    chunks = chunk_document(seed_document, 400)
    crossing = [c for c in chunks if c.page_start != c.page_end]
    assert crossing, "the seed has paragraphs that run over a page break"
    for chunk in crossing:
        assert {s.page for s in chunk.sentences} <= set(range(chunk.page_start, chunk.page_end + 1))
    assert any(len({s.page for s in chunk.sentences}) > 1 for chunk in crossing)


def test_footnotes_and_table_are_chunks_of_their_own(seed_document):
    chunks = chunk_document(seed_document, 400)
    footnotes = [c for c in chunks if c.kind == "footnote"]
    assert len(footnotes) == len(seed_document.footnotes)
    assert footnotes[0].page_start == 3 and footnotes[0].section == ("脚注",)
    tables = [c for c in chunks if c.kind == "table"]
    assert len(tables) == 1 and tables[0].text.startswith("表 1")


def test_english_chunks_hold_as_much_as_chinese_ones_and_keep_paragraphs_whole():
    english = " ".join(f"Sentence number {n} says something about the topic at hand." for n in range(12))
    document = parse_text(english + "\n\n" + english + "\n", "doc", "doc.txt", {})
    chunks = chunk_document(document, 400)
    # 12 sentences of ~60 characters weigh ~290 Chinese characters: one chunk per paragraph.
    assert len(chunks) == 2
    assert [chunk.text for chunk in chunks] == [english, english]


def test_chunks_that_split_a_paragraph_join_back_into_it():
    long = "".join(f"第{n}句话讲述城乡数字发展的一个具体事实，各句内容互不相同。" for n in range(22))
    short = "".join(f"另一段的第{n}句话，说的是别的事情。" for n in range(12))
    document = parse_text(f"{long}\n\n{short}\n", "doc", "doc.txt", {})
    chunks = chunk_document(document, 400)
    assert len(chunks) == 3 and text_size(long) > 600
    # The long paragraph is split (its pieces share one sentence), the short one stands alone.
    assert split_paragraph_runs({"doc": document}, chunks, 800) == [(0, 1), (2,)]
    # A split paragraph longer than the limit stays in pieces.
    assert split_paragraph_runs({"doc": document}, chunks, 600) == [(0,), (1,), (2,)]
    paragraph = join_chunks(document, chunks[:2])
    assert paragraph.text == long and paragraph.chunk_id == chunks[0].chunk_id
    assert paragraph.sentences == block_sentences(document, document.blocks[0])
