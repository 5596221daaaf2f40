"""List answers from a document's outline: a question asking for the measures, parts or steps
of something is answered by the subsections of the section about it, their headings in order.

"逆差序智治包括哪五个方面的举措？" is answered in the seed paper by the five subsections of
its section 三, "逆差序智治：城乡融合共富的有效治术", not by a sentence: no sentence names the
five. A section qualifies when it has as many subsections as the question asks for (if it says
how many), its heading holds enough of the question's terms (IDF-weighted; its own terms, or
else those the dictionary bridge gives in the other language), and one of the passages
retrieved for the question lies in it.

A question for what the whole document proposes ("文章提出了哪些政策建议？", "What does the paper
recommend?") is answered the same way by the section of its proposals (`proposals_for`): in the
seed paper that is 三 again, where most passages retrieved for most wordings of it lie, and the
last of the sections that hold as many for the others.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from qa.document import Document, Section
from qa.evidence import terms_of
from qa.retrieval import Hit

HEADING_SHARE = 0.4  # of the question's term weight the section's heading must hold
PASSAGES_SEEN = 5  # top passages one of which must lie in the section
# "What does the paper recommend?" names no subject a heading could hold: the section of the
# document's proposals is the one with subsections where the passages retrieved for it gather.
PROPOSALS_SEEN = 10  # top passages counted
PROPOSALS_MIN = 2  # of them the section must hold, more than any other section with subsections


@dataclass(frozen=True)
class Listing:
    """A section whose subsections answer a list question."""

    document: Document
    section: Section
    items: tuple[Section, ...]


def listing_for(readings: list[dict[str, float]], count: int | None, hits: list[Hit],
                documents: dict[str, Document]) -> Listing | None:
    """The section whose subsections list what the question asks for, if one qualifies (see the
    module's doc). `readings`: the question's terms by importance, one dict per language."""
    best: tuple[float, int, Listing] | None = None
    for rank, hit in enumerate(hits[:PASSAGES_SEEN]):
        document = documents[hit.chunk.doc_id]
        for section in document.walk_sections():
            items = tuple(section.children)
            if len(items) < 2 or (count is not None and len(items) != count):
                continue
            if not section.start <= hit.chunk.start < section.end:
                continue
            share = max(heading_share(section.heading, weights) for weights in readings)
            if share < HEADING_SHARE:
                continue
            candidate = (share, -rank, Listing(document, section, items))
            if best is None or candidate[:2] > best[:2]:
                best = candidate
    return best[2] if best else None


def heading_share(heading: str, weights: dict[str, float]) -> float:
    """The share of the terms' weight a heading holds."""
    total = sum(weights.values())
    terms = terms_of(heading)
    return sum(w for t, w in weights.items() if t in terms) / total if total else 0.0


def proposals_for(hits: list[Hit], documents: dict[str, Document]) -> Listing | None:
    """The section whose subsections are a document's proposals: of the body sections with two
    subsections or more, the one holding the most of the top PROPOSALS_SEEN passages, at least
    PROPOSALS_MIN and more than any other. When none stands out so, the last in its document of
    those holding as many as any other, all of one document: a paper sets out its proposals
    after the analysis they answer ("作者提出了哪些对策？" finds one passage in the seed's section
    of causes, one in that of measures). None when no such section holds a top passage."""
    held: Counter[tuple[str, int]] = Counter()
    listings: dict[tuple[str, int], Listing] = {}
    for hit in hits[:PROPOSALS_SEEN]:
        document = documents[hit.chunk.doc_id]
        for section in document.walk_sections():
            if (section.part == "body" and len(section.children) >= 2
                    and section.start <= hit.chunk.start < section.end):
                key = (document.doc_id, section.start)
                held[key] += 1
                listings[key] = Listing(document, section, tuple(section.children))
    if not held:
        return None
    most = max(held.values())
    leading = [key for key, count in held.items() if count == most]
    if len(leading) == 1 and most >= PROPOSALS_MIN:
        return listings[leading[0]]
    if len({doc_id for doc_id, _ in leading}) > 1:
        return None
    return listings[max(leading)]
