"""Answers, hits and the document library as HTML for the app, in the question's language."""

from __future__ import annotations

import base64
import html
import re

from qa.answer import Answer, Citation, listing_lead
from qa.document import PageSpan, Section
from qa.glosses import Gloss
from qa.index import Index
from qa.library import Entry, entries
from qa.pageview import PageImage
from qa.readers.text import is_table_row, language_of
from qa.retrieval import Hit
from qa.terms import chinese_words, english_words

LABELS = {
    "zh": {"answer": "答案", "sources": "来源", "page": "第 {} 页", "abstained": "未作回答", "closest": "最接近的段落",
           "no_hits": "没有找到段落", "reference": "引用"},
    "en": {"answer": "Answer", "sources": "Sources", "page": "p. {}", "abstained": "No answer", "closest": "Closest passages",
           "no_hits": "No passages found", "reference": "Reference"},
}

CSS = """
.qa-answer p { font-size: 1.05em; line-height: 1.7; }
.qa-answer a.marker { font-weight: 600; text-decoration: none; padding: 0 2px; }
.qa-abstain, .qa-refusal { color: #8a4b00; }
.qa-source { border: 1px solid #ddd; border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
.qa-source .qa-meta { font-size: 0.9em; opacity: 0.8; margin-bottom: 4px; }
.qa-source blockquote { margin: 4px 0; line-height: 1.6; }
.qa-source mark, .qa-hit mark { background: #ffe58a; color: #1a1a1a; padding: 0 1px; }
.qa-reference { font-size: 0.85em; font-family: ui-monospace, monospace; user-select: all; }
.qa-hit { border-bottom: 1px solid #eee; padding: 6px 0; }
.qa-note { font-size: 0.9em; font-style: italic; }
.qa-gloss { font-size: 0.88em; margin: 2px 0 6px; }
.qa-gloss-label { font-style: italic; }
.qa-table { border-collapse: collapse; margin: 4px 0; font-size: 0.9em; }
.qa-table caption { text-align: left; font-weight: 600; }
.qa-table td { border: 1px solid #ccc; padding: 1px 6px; }
.qa-page { margin: 8px 0; }
.qa-page-frame { position: relative; border: 1px solid #ccc; }
.qa-page-frame img { width: 100%; display: block; }
.qa-box { position: absolute; background: rgba(255, 213, 0, 0.35); outline: 2px solid #c25e00; }
.qa-page figcaption { font-size: 0.9em; opacity: 0.85; }
.dark .qa-abstain, .dark .qa-refusal { color: #ffb454; }
.dark .qa-source { border-color: #555; }
.dark .qa-hit { border-bottom-color: #444; }
"""


def page_words(pages: PageSpan, lang: str) -> str:
    """Where a passage is, in both page systems when they differ: the file's page (what a PDF
    viewer shows) and the number printed on it (what a reference cites)."""
    if pages.start is None:
        return "无固定页码" if lang == "zh" else "no fixed pages"

    def numbers(start, end) -> str:
        return str(start) if end in (None, start) else f"{start}–{end}"

    words = LABELS[lang]["page"].format(numbers(pages.start, pages.end))
    printed = numbers(pages.label_start, pages.label_end) if pages.label_start else None
    if printed and printed != numbers(pages.start, pages.end):
        words += f"（刊印页码 {printed}）" if lang == "zh" else f" (printed p. {printed})"
    if pages.ocr:
        words += "（OCR 识别）" if lang == "zh" else " (OCR)"
    return words


def _trail(section: tuple[str, ...] | list[str]) -> str:
    return " › ".join(section)


def answer_html(answer: Answer) -> str:
    lang = answer.lang
    labels = LABELS[lang]
    notes = "".join(f'<p class="qa-note">{html.escape(note)}</p>' for note in answer.notes)
    if answer.abstained:
        body = f'<p class="qa-abstain"><strong>{labels["abstained"]}</strong>: {html.escape(answer.answer)}</p>'
        sources = "".join(_hit_card(hit, lang, None) for hit in answer.hits[:3])
        return (f'<div class="qa-answer" lang="{lang}"><h3>{labels["answer"]}</h3>{notes}{body}</div>'
                f'<div class="qa-sources"><h3>{labels["closest"]}</h3>{sources}</div>')
    parts = [f'{html.escape(c.quote)}<a class="marker" href="#cite-{c.n}">[{c.n}]</a>' for c in answer.citations]
    if answer.listed:
        # A list answered by a section's subsections: their section, then one heading an item.
        lead = listing_lead(answer.listed[-1], len(parts), lang)
        body = f'<p>{html.escape(lead)}</p><ol class="qa-list">{"".join(f"<li>{p}</li>" for p in parts)}</ol>'
    else:
        body = f'<p>{("" if lang == "zh" else " ").join(parts)}</p>'
    sources = _citation_cards(answer.citations, answer.hits, lang)
    return (f'<div class="qa-answer" lang="{lang}"><h3>{labels["answer"]}</h3>{notes}{body}</div>'
            f'<div class="qa-sources"><h3>{labels["sources"]}</h3>{pages_explained(answer.citations, lang)}'
            f'{sources}</div>')


def pages_explained(citations: list[Citation], lang: str) -> str:
    """Once, when a card shows two page numbers: which is which."""
    if not any(c.page_label and c.page_label != str(c.page) for c in citations):
        return ""
    if lang == "zh":
        text = "“第 N 页”是文件中的页（PDF 阅读器显示的页码），“刊印页码”是原刊印在页上的页码，引用用后者。"
    else:
        text = ("“p. N” is the file's page (what a PDF viewer shows); “printed p.” is the number printed "
                "on the page, which the reference cites.")
    return f'<p class="qa-meta qa-pages-note">{text}</p>'



def _citation_cards(citations: list[Citation], hits: list[Hit], lang: str) -> str:
    """One card per cited passage: the passage with each of its cited sentences highlighted,
    where it is, and its reference (once when the sentences share it)."""
    groups: dict[int, list[Citation]] = {}
    for citation in citations:
        hit = next((i for i, h in enumerate(hits) if h.chunk.doc_id == citation.doc_id
                    and h.chunk.start <= citation.start < h.chunk.end), -citation.n)
        groups.setdefault(hit, []).append(citation)
    return "".join(_citation_card(group, hits[key] if key >= 0 else None, lang) for key, group in groups.items())


def _citation_card(group: list[Citation], hit: Hit | None, lang: str) -> str:
    first = group[0]
    if hit is None:
        passage = f"<mark>{html.escape(first.quote)}</mark>"
    else:
        text, start, position, pieces = hit.chunk.text, hit.chunk.start, 0, []
        for citation in sorted(group, key=lambda c: c.start):
            pieces.append(html.escape(text[position : citation.start - start]))
            pieces.append(f"<mark>{html.escape(citation.quote)}</mark>")
            position = citation.end - start
        passage = "".join(pieces) + html.escape(text[position:])
    last = max(group, key=lambda c: c.pages.end or 0)
    span = PageSpan(first.page, last.pages.end, first.page_label, last.pages.label_end, any(c.ocr for c in group))
    markers = "".join(f"[{c.n}]" for c in group)
    meta = " · ".join(x for x in (html.escape(first.doc_title), html.escape(_trail(first.section)),
                                  page_words(span, lang)) if x)
    anchors = "".join(f'<span id="cite-{c.n}"></span>' for c in group[1:])
    references = dict.fromkeys(c.reference for c in group)
    lines = "".join(f'<div class="qa-reference" title="{LABELS[lang]["reference"]}">{html.escape(r)}</div>'
                    for r in references)
    return (f'<div class="qa-source" id="cite-{first.n}">{anchors}<div class="qa-meta">{markers} {meta}</div>'
            f'<blockquote>{passage}</blockquote>{glosses_html(group, lang)}{lines}</div>')


GLOSS_SOURCES = {
    "zh": {"paper": "本文自译", "dictionary, paper's wording": "词典，取本文用词", "dictionary": "词典"},
    "en": {"paper": "the paper's own term", "dictionary, paper's wording": "dictionary, as the paper words it",
           "dictionary": "dictionary"},
}


def glosses_html(citations: list[Citation], lang: str) -> str:
    """The glosses of quotes in the other language, once a term, marked as word glosses."""
    seen: dict[str, Gloss] = {}
    for citation in citations:
        for gloss in citation.glosses:
            seen.setdefault(gloss.term, gloss)
    if not seen:
        return ""
    label = "词语释义（非译文）" if lang == "zh" else "Word glosses (not a translation)"
    items = "；".join if lang == "zh" else "; ".join
    parts = [f'{html.escape(g.term)} — {html.escape(g.gloss)} <small>({GLOSS_SOURCES[lang][g.source]})</small>'
             for g in seen.values()]
    return f'<div class="qa-gloss"><span class="qa-gloss-label">{label}:</span> {items(parts)}</div>'



def _hit_card(hit: Hit, lang: str, terms: list[str] | None) -> str:
    chunk = hit.chunk
    meta = " · ".join(x for x in (f"{hit.rank}.", html.escape(hit.doc_title), html.escape(_trail(chunk.section)),
                                  page_words(hit.pages or PageSpan(chunk.page_start, chunk.page_end, None, None), lang),
                                  _relevance(hit, terms, lang) if terms is not None else "") if x)
    # The question's words, and its terms in the other language that the passage holds.
    marked = (terms or []) + list(hit.bridged)
    if chunk.kind == "table":
        body = table_html(chunk.text, marked)
    else:
        body = f"<blockquote>{highlight(chunk.text, marked) if marked else html.escape(chunk.text)}</blockquote>"
    return f'<div class="qa-source qa-hit"><div class="qa-meta">{meta}</div>{body}</div>'


def table_html(text: str, terms: list[str]) -> str:
    """A table block (caption, then a row a line, cells apart by spaces) as a table: its
    caption above, rows of figures as cells, other lines (a header, the source note) whole."""
    caption, *lines = text.split("\n")
    rows = []
    for line in lines:
        if is_table_row(line):
            rows.append("<tr>" + "".join(f"<td>{highlight(cell, terms)}</td>" for cell in line.split()) + "</tr>")
        else:
            rows.append(f'<tr><td colspan="99">{highlight(line, terms)}</td></tr>')
    return (f'<table class="qa-table"><caption>{highlight(caption, terms)}</caption>'
            f'{"".join(rows)}</table>')


def _relevance(hit: Hit, words: list[str], lang: str) -> str:
    """In plain words: which of the question's words the passage holds, or which of its terms in
    the other language (a passage can also match in meaning only)."""
    text = hit.chunk.text.lower()
    found = [w for w in dict.fromkeys(words) if w.lower() in text]
    if not words or not found:
        if hit.bridged:
            shown = "、".join(hit.bridged) if lang == "zh" else ", ".join(hit.bridged)
            return f"含译词 {shown}" if lang == "zh" else f"matches in translation: {shown}"
        return "意思相近（未含原词）" if lang == "zh" else "close in meaning (none of your words)"
    if lang == "zh":
        return f"含检索词 {len(found)}/{len(set(words))}"
    return f"has {len(found)} of your {len(set(words))} words"


def query_words(question: str) -> list[str]:
    """The words of a question to highlight in passages: jieba words for Chinese, words for English."""
    return [w for w in chinese_words(question) + english_words(question) if len(w) > 1 or "\u4e00" <= w <= "\u9fff"]


def highlight(text: str, words: list[str]) -> str:
    """`text` as HTML with the words marked (longest first, case-insensitive), each at most once
    a sentence: a card where one word is marked twenty times shows nothing."""
    if not words:
        return html.escape(text)
    # An English stem ("digit" of a bridged term) marks the whole word it starts.
    pattern = re.compile("|".join(rf"\b{re.escape(w)}\w*" if w.isascii() else re.escape(w)
                                  for w in sorted(set(words), key=len, reverse=True)), re.IGNORECASE)
    out, position, seen = [], 0, set()
    for match in pattern.finditer(text):
        if SENTENCE_END.search(text, position, match.start()):
            seen = set()
        key = match.group().lower()
        if key in seen:
            continue
        seen.add(key)
        out.append(html.escape(text[position : match.start()]))
        out.append(f"<mark>{html.escape(match.group())}</mark>")
        position = match.end()
    out.append(html.escape(text[position:]))
    return "".join(out)


SENTENCE_END = re.compile(r"[。！？!?]|\.\s")


def hits_html(question: str, hits: list[Hit]) -> str:
    lang = language_of(question)
    if not hits:
        return f"<p>{LABELS[lang]['no_hits']}</p>"
    words = query_words(question)
    count = f"{len(hits)} 段结果" if lang == "zh" else f"{len(hits)} passage{'s' if len(hits) > 1 else ''}"
    return f'<p class="qa-meta qa-count">{count}</p>' + "".join(_hit_card(hit, lang, words) for hit in hits)


def page_view_html(images: list[PageImage], title: str, lang: str) -> str:
    """PDF pages as images, the quote's characters boxed; the caption says which page system
    the numbers are (the file's page, and the number printed on it)."""
    figures = []
    for image in images:
        boxes = "".join(
            f'<div class="qa-box" style="left:{100 * x0 / image.width:.3f}%;top:{100 * y0 / image.height:.3f}%;'
            f'width:{100 * (x1 - x0) / image.width:.3f}%;height:{100 * (y1 - y0) / image.height:.3f}%"></div>'
            for x0, y0, x1, y1 in image.boxes)
        printed = image.label if image.label and image.label != str(image.page) else None
        if lang == "zh":
            caption = f"PDF 文件第 {image.page} 页（共 {image.pages} 页）" + (f"，刊印页码 {printed}" if printed else "")
            caption += "；框出的是引文的字符" if image.boxes else "；此页未能定位引文字符"
        else:
            caption = f"PDF page {image.page} of {image.pages}" + (f", printed page {printed}" if printed else "")
            caption += "; the quote's characters are boxed" if image.boxes else "; the quote could not be located on it"
        source = base64.b64encode(image.png).decode()
        figures.append(f'<figure class="qa-page" data-page="{image.page}"><div class="qa-page-frame">'
                       f'<img src="data:image/png;base64,{source}" alt="{html.escape(title)}, {html.escape(caption)}">'
                       f'{boxes}</div><figcaption>{html.escape(caption)}</figcaption></figure>')
    return "".join(figures)


def refusal_html(message: str) -> str:
    """Why a question was not asked (empty, no words), in place of the answer."""
    return f'<p class="qa-refusal" role="alert">{html.escape(message)}</p>'


def references_text(answer: Answer) -> str:
    """One line per reference, ready to copy; citations that share one share its line."""
    lines: dict[str, list[int]] = {}
    for citation in answer.citations:
        lines.setdefault(citation.reference, []).append(citation.n)
    return "\n".join("".join(f"[{n}]" for n in numbers) + f" {reference}" for reference, numbers in lines.items())


def library_html(index: Index) -> str:
    """Each document of the library with its file, format, size in the index and section tree."""
    rows = []
    for entry in entries(index):
        document = index.documents[entry.doc_id]
        authors = ", ".join(document.authors)
        tree = "".join(_section_tree(section) for section in document.sections)
        rows.append(
            f'<div class="qa-source" data-doc-id="{html.escape(entry.doc_id)}"><div class="qa-meta">'
            f'{html.escape(entry.source)} · {entry.format} · {_page_count(entry)} · {entry.chunks} 段 chunks · '
            f'{entry.lang} · doc_id <code>{html.escape(entry.doc_id)}</code></div>'
            f'<strong>{html.escape(document.title)}</strong>{" — " + html.escape(authors) if authors else ""}'
            f'<ul>{tree}</ul></div>'
        )
    count = f'<p class="qa-meta">{len(rows)} 篇文献 / documents</p>'
    return count + ("".join(rows) or "<p>—</p>")


def _page_count(entry: Entry) -> str:
    if not entry.pages:
        return "无固定页码 no fixed pages"
    ocr = f" ({entry.ocr_pages} OCR 识别 OCRed)" if entry.ocr_pages else ""
    return f"{entry.pages} 页 pages{ocr}"


def _section_tree(section: Section) -> str:
    children = "".join(_section_tree(child) for child in section.children)
    return f"<li>{html.escape(section.heading)}{'<ul>' + children + '</ul>' if children else ''}</li>"
