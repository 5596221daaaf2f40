"""Text of a page image by OCR, with rapidocr (Apache-2.0): PP-OCR models that ship inside its
wheel, run by ONNX Runtime on the CPU, for Chinese and English. About a second a page here."""

from __future__ import annotations

from functools import lru_cache

SCALE = 200 / 72  # rendered at 200 dpi: small type stays legible, a page stays quick
MIN_SCORE = 0.5  # lines recognized with less confidence are left out


@lru_cache(maxsize=1)
def _engine():
    from rapidocr import RapidOCR

    # At its default level (info) rapidocr reports every model file it loads, and at warning
    # every page where it finds no text, which the reader reports itself.
    return RapidOCR(params={"Global.log_level": "error"})


def ocr_lines(page) -> list[tuple[str, float, float, float, float]]:
    """Each recognized line of a pypdfium2 page as (text, left, bottom, right, top) in PDF points."""
    height = page.get_height()
    result = _engine()(page.render(scale=SCALE).to_pil())
    lines = []
    for box, text, score in zip(result.boxes if result.boxes is not None else [], result.txts or (),
                                result.scores or ()):
        if score < MIN_SCORE or not text.strip():
            continue
        xs = [point[0] / SCALE for point in box]
        ys = [height - point[1] / SCALE for point in box]
        lines.append((text.strip(), min(xs), min(ys), max(xs), max(ys)))
    return lines
