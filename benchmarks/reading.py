"""Reading benchmark: PDF pages per second (parsing alone), OCR seconds per page, and what
share of an index build is reading and what share is embedding.

    python -m benchmarks.reading [--folder PDFS] [--repeat 3]

Without `--folder` it reads PDFs it makes (tests/pdf_fixtures.py): the seed paper typeset in
one and in two columns (10 pages each) and a scanned page. Each file is read `--repeat`
times and the median kept; then an index is built over the text PDFs (model load excluded).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from qa.config import Config
from qa.embedding import Embedder
from qa.index import build_index
from qa.readers import read_document

ROOT = Path(__file__).resolve().parent.parent


def made_pdfs(folder: Path) -> None:
    from tests.pdf_fixtures import scanned_pdf, seed_pdf

    seed = read_document(ROOT / "seeds" / "urban-rural-digital-divide.txt", ROOT / "seeds")
    seed_pdf(seed, folder / "seed-one-column.pdf", columns=1)
    seed_pdf(seed, folder / "seed-two-columns.pdf", columns=2)
    scanned = folder / "scanned"
    scanned.mkdir()
    scanned_pdf(["数字乡村建设是乡村振兴的重要内容。", "Rural broadband reached every village by 2021.",
                 "城乡数字势差从微观层面上影响了乡村接轨城市的现代化发展。"], scanned / "scan.pdf")


def read_times(paths: list[Path], folder: Path, repeat: int) -> list[tuple[Path, int, int, float]]:
    """(file, pages, OCRed pages, median seconds to read it)."""
    rows = []
    for path in paths:
        seconds = []
        for _ in range(repeat):
            began = time.perf_counter()
            document = read_document(path, folder)
            seconds.append(time.perf_counter() - began)
        rows.append((path, len(document.pages), sum(page.ocr for page in document.pages), statistics.median(seconds)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folder", type=Path, help="a folder of PDFs (default: PDFs this script makes)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.folder
        if folder is None:
            folder = Path(scratch) / "pdfs"
            folder.mkdir()
            made_pdfs(folder)
        paths = sorted(folder.rglob("*.pdf"))
        # The first read pays for loading the OCR models; it is reported apart.
        ocr_first = [p for p in paths if "scan" in p.name][:1]
        first_seconds = read_times(ocr_first, folder, 1)[0][3] if ocr_first else None
        rows = read_times(paths, folder, args.repeat)
        print("| file | pages | OCR pages | read (s) | pages/s |")
        print("|---|---|---|---|---|")
        for path, pages, ocr, seconds in rows:
            print(f"| {path.relative_to(folder)} | {pages} | {ocr} | {seconds:.2f} | {pages / seconds:.1f} |")
        text = [(pages, seconds) for _, pages, ocr, seconds in rows if not ocr]
        scans = [(pages, seconds) for _, pages, ocr, seconds in rows if ocr]
        if text:
            pages, seconds = sum(p for p, _ in text), sum(s for _, s in text)
            print(f"\ntext PDFs: {pages} pages in {seconds:.2f} s = {pages / seconds:.1f} pages/s (parsing alone)")
        if scans:
            pages, seconds = sum(p for p, _ in scans), sum(s for _, s in scans)
            print(f"OCR: {seconds / pages:.2f} s/page" + (f" (first file {first_seconds:.2f} s, models loading)"
                                                         if first_seconds else ""))
        text_files = [path for path, _, ocr, _ in rows if not ocr]
        if text_files:
            build = Path(scratch) / "build"
            build.mkdir()
            for path in text_files:
                (build / path.name).write_bytes(path.read_bytes())
            embedder = Embedder.from_config(Config.from_env())
            began = time.perf_counter()
            _, report = build_index(build, Path(scratch) / "index", embedder, progress=False)
            total = time.perf_counter() - began
            reading = sum(seconds for path, _, ocr, seconds in rows if not ocr)
            print(f"index build of the text PDFs: {total:.1f} s for {report.chunks} chunks; reading "
                  f"{reading / total:.0%}, chunking, embedding and saving {1 - reading / total:.0%}")


if __name__ == "__main__":
    main()
