"""Sections into chunks: sentence-aligned, never crossing a section, with one sentence of overlap;
and back: the chunks that split a paragraph, joined again."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from qa.document import Block, Document
from qa.readers.text import CJK_CHAR, language_of

CHUNKER_VERSION = "5"
# Chunk sizes count Chinese characters; a Latin-script character is worth this much of one, about
# the ratio of their token counts, so an English chunk holds as much meaning as a Chinese one.
LATIN_CHAR_WEIGHT = 0.4
# Blocks that are never packed together with their neighbours.
SOLO_KINDS = ("table", "footnote", "code")
SENTENCE_END = re.compile(r"(?:[。！？；…]+|[.!?;]+(?=\s|$))[”’」』）)》\"']*")
# A full stop that ends an abbreviation or an initial ("M. Theo Kearney", "i.e. review", "St. Louis",
# "Brown v. Board of Education", "Y. p. orientalis", "Jones et al. 1998") ends no sentence.
ABBREVIATION = re.compile(r"(?:\b[A-Za-z]|\bet al|\b(?:Mr|Mrs|Ms|Dr|Prof|St|Mt|Jr|Sr|Gen|Col|Lt|Capt|Sgt|Rev|Gov|Sen|Rep|Hon"
                          r"|No|Nos|Vol|Fig|Figs|Eq|pp|ca|cf|vs|approx|Inc|Ltd|Co|Corp|Jan|Feb|Mar|Apr|Aug|Sep|Sept|Oct|Nov|Dec)"
                          r"|\b(?:[a-zA-Z]\.){1,3}[a-zA-Z])\.$")
OPENING_BRACKETS = {"（": "）", "(": ")", "“": "”", "「": "」", "『": "』", "《": "》"}
BRACKET_REACH = 200  # characters within which an opened bracket must close to hold a sentence together
WORD_OR_DIGIT = re.compile(r"[^\W_]")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    page: int
    kind: str  # kind of the block it comes from (paragraph, heading, table, ...)


@dataclass
class Chunk:
    chunk_id: str
    doc_id: str
    section: tuple[str, ...]
    lang: str
    start: int
    end: int
    page_start: int
    page_end: int
    text: str
    sentences: list[Sentence] = field(default_factory=list)

    @property
    def kind(self) -> str:
        kinds = {sentence.kind for sentence in self.sentences}
        return kinds.pop() if len(kinds) == 1 else "mixed"

    def text_of(self, sentence: Sentence) -> str:
        """The text of one of its sentences (whose offsets are the document's)."""
        return self.text[sentence.start - self.start : sentence.end - self.start]


def split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans in `text[start:end]`, cut after 。！？；… (and . ! ? before a space),
    but not after an abbreviation nor inside brackets or quotes that close soon after."""
    spans = []
    position = start
    for match in SENTENCE_END.finditer(text, start, end):
        if _inside_brackets(text, position, match.end(), end) or (
                match.group() == "." and ABBREVIATION.search(text, max(position, match.start() - 8), match.end())):
            continue
        spans.append((position, match.end()))
        position = match.end()
    spans.append((position, end))
    result = []
    for left, right in spans:
        while left < right and text[left].isspace():
            left += 1
        while right > left and text[right - 1].isspace():
            right -= 1
        if left < right:
            result.append((left, right))
    return _punctuation_joined(text, result)


def _punctuation_joined(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans of punctuation alone (a stray "。" after "…公司奖。 ") joined to the sentence before
    them (the first to the one after): on their own they were quoted as answers."""
    joined: list[tuple[int, int]] = []
    for left, right in spans:
        if joined and (not WORD_OR_DIGIT.search(text, left, right) or not WORD_OR_DIGIT.search(text, *joined[-1])):
            joined[-1] = (joined[-1][0], right)
        else:
            joined.append((left, right))
    return joined


def _inside_brackets(text: str, start: int, cut: int, end: int) -> bool:
    """Whether a bracket or quote opened in `text[start:cut]` is still open at `cut` and closes
    within BRACKET_REACH characters ("氨碱法（Solvay process；又称“索尔维制碱法”）是…" is one sentence)."""
    expected: list[str] = []
    for char in text[start:cut]:
        if char in OPENING_BRACKETS:
            expected.append(OPENING_BRACKETS[char])
        elif expected and char == expected[-1]:
            expected.pop()
    return bool(expected) and expected[-1] in text[cut : min(end, cut + BRACKET_REACH)]


def block_sentences(document: Document, block: Block) -> list[Sentence]:
    if block.kind in ("paragraph", "abstract", "keywords"):
        spans = split_sentences(document.text, block.start, block.end)
    else:  # headings, titles and table rows are units of their own
        spans = []
        offset = block.start
        for line in document.text[block.start : block.end].split("\n"):
            if line.strip():
                spans.append((offset, offset + len(line)))
            offset += len(line) + 1
    return [Sentence(left, right, document.page_of(left), block.kind) for left, right in spans]


def _groups(document: Document) -> list[list[Block]]:
    """Runs of consecutive blocks that may share a chunk (same section, packable kinds)."""
    groups: list[list[Block]] = []
    for block in document.blocks:
        previous = groups[-1][-1] if groups else None
        joinable = (
            previous is not None
            and previous.section == block.section
            and block.kind not in SOLO_KINDS
            and previous.kind not in SOLO_KINDS
        )
        if joinable:
            groups[-1].append(block)
        else:
            groups.append([block])
    return groups


def chunk_document(document: Document, target_chars: int = 400) -> list[Chunk]:
    """Chunks of about `target_chars` Chinese characters (or the same weight of Latin text)."""
    chunks: list[Chunk] = []
    for group in _groups(document):
        sentences = [(index, sentence) for index, block in enumerate(group)
                     for sentence in block_sentences(document, block)]
        for piece in _pack(document.text, sentences, target_chars):
            chunks.append(_make_chunk(document, group[0].section, [s for _, s in piece], len(chunks)))
    return chunks


def text_size(text: str) -> float:
    """Length in Chinese-character equivalents: CJK characters count 1, other non-space characters less."""
    cjk = len(CJK_CHAR.findall(text))
    other = len(text) - sum(map(str.isspace, text)) - cjk
    return cjk + LATIN_CHAR_WEIGHT * other


def _pack(text: str, sentences: list[tuple[int, Sentence]], target: int) -> list[list[tuple[int, Sentence]]]:
    """Greedy packing of sentences into pieces of at most `target` size (a longer sentence stands alone).

    A piece already half full ends before a paragraph that would not fit whole, so paragraphs are
    split only when they must be; a cut inside a paragraph carries one sentence over.
    """
    block_size: dict[int, float] = {}
    for block, sentence in sentences:
        block_size[block] = block_size.get(block, 0.0) + text_size(text[sentence.start : sentence.end])
    pieces: list[list[tuple[int, Sentence]]] = []
    current: list[tuple[int, Sentence]] = []
    for item in sentences:
        if current:
            size = text_size(text[current[0][1].start : current[-1][1].end])
            new_paragraph = item[0] != current[-1][0]
            grown = text_size(text[current[0][1].start : item[1].end])
            if grown > target or (new_paragraph and size >= target / 2 and size + block_size[item[0]] > target):
                pieces.append(current)
                last = current[-1]
                overlap = (len(current) > 1 and not new_paragraph
                           and text_size(text[last[1].start : item[1].end]) <= target)
                current = [last] if overlap else []
        current.append(item)
    if current:
        pieces.append(current)
    return pieces


def _make_chunk(document: Document, section: tuple[str, ...], sentences: list[Sentence], number: int) -> Chunk:
    start, end = sentences[0].start, sentences[-1].end
    text = document.text[start:end]
    return Chunk(
        chunk_id=f"{document.doc_id}#{number:04d}",
        doc_id=document.doc_id,
        section=section,
        lang=language_of(text),
        start=start,
        end=end,
        page_start=sentences[0].page,
        page_end=document.page_of(end - 1),
        text=text,
        sentences=sentences,
    )


def split_paragraph_runs(documents: dict[str, Document], chunks: list[Chunk], limit: float) -> list[tuple[int, ...]]:
    """The chunks (by position) grouped into passages: chunks that overlap (the chunker cut a
    paragraph between them and carried a sentence over) form one run while its text is at most
    `limit` in size; every other chunk is a run of its own."""
    runs: list[tuple[int, ...]] = []
    for position, chunk in enumerate(chunks):
        if runs:
            first, previous = chunks[runs[-1][0]], chunks[runs[-1][-1]]
            text = documents[chunk.doc_id].text
            if (previous.doc_id == chunk.doc_id and chunk.start < previous.end
                    and text_size(text[first.start : chunk.end]) <= limit):
                runs[-1] += (position,)
                continue
        runs.append((position,))
    return runs


def join_chunks(document: Document, chunks: list[Chunk]) -> Chunk:
    """A run of overlapping chunks as one chunk (each shared sentence counted once); it keeps the
    first chunk's id."""
    first, last = chunks[0], chunks[-1]
    sentences: list[Sentence] = []
    for chunk in chunks:
        sentences += [sentence for sentence in chunk.sentences if not sentences or sentence.start >= sentences[-1].end]
    return replace(first, end=last.end, page_end=last.page_end, text=document.text[first.start : last.end],
                   sentences=sentences)
