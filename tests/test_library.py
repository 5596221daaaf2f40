"""The library never loses or corrupts a document: each bad input on its own, through the real
reader, index and embedding model (issue: safe ingestion, a self-checking index)."""

from __future__ import annotations

import json
import os
import threading
import time

import numpy as np
import pytest

from qa.answer import ask
from qa.index import Index, IndexDamaged
from qa.library import Library, LibraryError, NameTaken, entries
from qa.locking import index_lock
from qa.questions import QuestionError
from qa.readers import doc_id_for, read_document
from qa.retrieval import Retriever
from tests.conftest import ROOT

LIGHTHOUSE = "# Lighthouse Keepers\n\nThe keeper of the Skerry light logged every ship that passed in 1889.\n"
TEA = "茶马古道笔记\n\n茶马古道是以马帮为主要交通工具的民间国际商贸通道。\n"


@pytest.fixture()
def seeds(tmp_path):
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "lighthouse.md").write_text(LIGHTHOUSE, encoding="utf-8")
    (folder / "tea.txt").write_text(TEA, encoding="utf-8")
    return folder


@pytest.fixture()
def library(seeds, tmp_path, embedder):
    return Library(seeds, tmp_path / "index" / "default", embedder)


def snapshot(library: Library) -> dict:
    """Every file of the seeds folder and of the index, with its bytes."""
    files = {}
    for root in (library.seeds, library.index):
        for path in sorted(root.rglob("*")):
            if path.is_file() or path.is_symlink():
                files[str(path)] = path.read_bytes() if path.exists() else b"(link)"
    return files


def test_an_empty_file_is_skipped_and_the_library_keeps_working(library, seeds, tmp_path):
    (seeds / "empty.txt").write_text("  \n\t\n", encoding="utf-8")
    index, report = library.refresh()
    assert report.errors == {"empty.txt": "empty.txt: no text"}
    assert sorted(report.added) == ["lighthouse.md", "tea.txt"]
    (seeds / "later.txt").write_text("A later note about tides and the harbour wall.\n", encoding="utf-8")
    index, report = library.refresh()
    assert report.added == ["later.txt"] and "empty.txt" in report.errors
    empty_upload = tmp_path / "blank.md"
    empty_upload.write_text("\n\n", encoding="utf-8")
    before = snapshot(library)
    with pytest.raises(LibraryError, match="blank.md: no text"):
        library.add(empty_upload)
    assert snapshot(library) == before


def test_same_stem_with_two_extensions_are_two_documents(library, seeds, embedder):
    (seeds / "lighthouse.txt").write_text("Tide tables for the Skerry light were printed in Leith.\n", encoding="utf-8")
    index, _ = library.refresh()
    assert {"lighthouse.md", "lighthouse.txt", "tea.txt"} == set(index.documents)
    retriever = Retriever(index, embedder)
    assert retriever.search("Where were the tide tables printed?", 1)[0].chunk.doc_id == "lighthouse.txt"
    assert retriever.search("Who logged every ship that passed?", 1)[0].chunk.doc_id == "lighthouse.md"
    chunks = len(index.chunks)
    index, report = library.refresh()
    assert not report.changed and len(index.chunks) == chunks


def test_doc_ids_are_stable_unique_and_safe_in_urls():
    assert doc_id_for("paper.txt") != doc_id_for("paper.md")
    assert doc_id_for("论文.txt") == "论文.txt"
    odd = doc_id_for("sub dir/a b?.txt")
    assert odd == doc_id_for("sub dir/a b?.txt") and not set(odd) & set("/ ?#%&")
    assert doc_id_for("a b.txt") != doc_id_for("a-b.txt")


def test_replacing_needs_consent_and_keeps_the_old_version_until_the_new_one_indexed(library, seeds, tmp_path):
    library.refresh()
    upload = tmp_path / "tea.txt"
    upload.write_text("茶马古道新笔记\n\n马帮从云南出发，翻越横断山脉。\n", encoding="utf-8")
    before = snapshot(library)
    with pytest.raises(NameTaken, match="already in the library"):
        library.add(upload)
    assert snapshot(library) == before
    upload.write_bytes(b"\xff\xfe\x00\xd8broken" * 50 + b"\x00\x00")
    with pytest.raises(LibraryError):
        library.add(upload, replace=True)
    assert snapshot(library) == before
    upload.write_text("茶马古道新笔记\n\n马帮从云南出发，翻越横断山脉。\n", encoding="utf-8")
    index, report = library.add(upload, replace=True)
    assert report.updated == ["tea.txt"] and "横断山脉" in (seeds / "tea.txt").read_text(encoding="utf-8")
    assert any("横断山脉" in chunk.text for chunk in index.chunks)
    assert not (seeds / ".incoming").exists() or not any((seeds / ".incoming").iterdir())


def test_links_are_never_written_through_or_followed_out_of_the_folder(library, seeds, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("A private file outside the library, never to be served.\n", encoding="utf-8")
    (seeds / "link.txt").symlink_to(outside)
    (seeds / "inner.txt").symlink_to(seeds / "tea.txt")
    index, report = library.refresh()
    assert "outside the seeds folder" in report.errors["link.txt"]
    assert "link.txt" not in index.documents
    assert "inner.txt" in report.errors and "same content as tea.txt" in report.errors["inner.txt"]
    upload = tmp_path / "upload" / "link.txt"
    upload.parent.mkdir()
    upload.write_text("Uploaded text that must not land outside.\n", encoding="utf-8")
    with pytest.raises(LibraryError, match="symbolic link"):
        library.add(upload, replace=True)
    assert outside.read_text(encoding="utf-8").startswith("A private file")
    for name in ("../escape.txt", ".hidden.txt", "notes.meta.json", "paper.odt"):
        with pytest.raises(LibraryError):
            library.add(upload, name=name)


def test_a_document_that_becomes_unreadable_keeps_its_last_good_version(library, seeds):
    index, _ = library.refresh()
    chunks = [c.text for c in index.chunks if c.doc_id == "tea.txt"]
    (seeds / "tea.txt").write_bytes("茶马古道".encode() + b"\x00\xff\x00\xfe" * 40)
    index, report = library.refresh()
    assert "tea.txt" in report.kept and not report.removed
    assert [c.text for c in index.chunks if c.doc_id == "tea.txt"] == chunks
    (seeds / "tea.txt").unlink()
    (seeds / "tea.txt").symlink_to(seeds / "vanished.txt")  # a file that is gone when it is read
    index, report = library.refresh()
    assert "cannot be read" in report.kept["tea.txt"]
    assert [c.text for c in index.chunks if c.doc_id == "tea.txt"] == chunks


def test_odd_names_bad_sidecars_and_oversized_files_are_skipped_one_by_one(library, seeds):
    (seeds / os.fsdecode(b"caf\xe9.txt")).write_text("Latin-1 name, valid text.\n", encoding="utf-8")
    (seeds / "five.txt").write_text("Authors given as a number.\n", encoding="utf-8")
    (seeds / "five.meta.json").write_text(json.dumps({"authors": 5}), encoding="utf-8")
    (seeds / "numbers.txt").write_text("Authors given as numbers in a list.\n", encoding="utf-8")
    (seeds / "numbers.meta.json").write_text(json.dumps({"authors": [1, 2]}), encoding="utf-8")
    (seeds / "huge.txt").write_bytes(b"a" * 21_000_000)
    began = time.perf_counter()
    index, report = library.refresh()
    assert time.perf_counter() - began < 120
    assert "not valid UTF-8" in report.errors["caf\ufffd.txt"]
    assert "'authors' must be a list of names" in report.errors["five.txt"]
    assert "'authors' must be a list of names" in report.errors["numbers.txt"]
    assert "over the 20 MB limit" in report.errors["huge.txt"]
    assert sorted(report.added) == ["lighthouse.md", "tea.txt"]


def test_the_same_text_under_two_names_is_indexed_once(library, seeds, tmp_path):
    library.refresh()
    (seeds / "tea-copy.txt").write_text(TEA, encoding="utf-8")  # sorts first, but tea.txt is the indexed one
    index, report = library.refresh()
    assert report.errors == {"tea-copy.txt": "tea-copy.txt: same content as tea.txt, which is indexed; not indexed twice"}
    upload = tmp_path / "again.txt"
    upload.write_text(TEA, encoding="utf-8")
    with pytest.raises(LibraryError, match="same content as tea.txt"):
        library.add(upload)


def test_remove_moves_the_file_to_the_trash_and_the_document_out_of_the_index(library, seeds):
    library.refresh()
    with pytest.raises(LibraryError, match="no document"):
        library.remove("nothing.txt")
    index, report = library.remove("tea.txt")
    assert report.removed == ["tea.txt"] and "tea.txt" not in index.documents
    assert (seeds / ".removed" / "tea.txt").read_text(encoding="utf-8") == TEA
    assert [e.doc_id for e in entries(Index.load(library.index))] == ["lighthouse.md"]
    assert not library.refresh()[1].changed  # the trash is not scanned


@pytest.mark.parametrize("damage", ["garble-faiss", "swap-chunk-lines", "empty-sentences", "truncate-answers",
                                    "drop-lexical"])
def test_a_damaged_index_is_refused_with_one_line_and_rebuilt(library, damage):
    library.refresh()
    folder = library.index
    if damage == "garble-faiss":
        data = bytearray((folder / "chunks.faiss").read_bytes())
        data[len(data) // 2] ^= 0xFF
        (folder / "chunks.faiss").write_bytes(bytes(data))
    elif damage == "swap-chunk-lines":
        lines = (folder / "chunks.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
        (folder / "chunks.jsonl").write_text("".join([lines[1], lines[0], *lines[2:]]), encoding="utf-8")
    elif damage == "empty-sentences":
        np.save(folder / "sentences.npy", np.zeros((0, 384), np.float32))
    elif damage == "truncate-answers":
        (folder / "answers.npy").write_bytes((folder / "answers.npy").read_bytes()[:200])
    else:
        for path in (folder / "lexical").iterdir():
            path.unlink()
            break
    with pytest.raises(IndexDamaged) as refused:
        Index.load(folder)
    assert str(refused.value).startswith(f"{folder}: ") and "\n" not in str(refused.value)
    assert "damaged" in str(refused.value) and "python -m qa index" in str(refused.value)
    index, report = library.refresh()
    assert report.repaired and "damaged" in report.repaired and sorted(report.added) == ["lighthouse.md", "tea.txt"]
    assert len(Index.load(folder)) == len(index)


def test_debris_of_a_killed_build_is_cleaned_and_builds_take_turns(library):
    library.refresh()
    folder = library.index
    for debris in (f".{folder.name}.tmp-abc123", f".{folder.name}.old-99999"):
        (folder.parent / debris).mkdir()
        (folder.parent / debris / "chunks.jsonl").write_text("{}\n")
    order = []
    with index_lock(folder):
        build = threading.Thread(target=lambda: order.append(("built", library.refresh())))
        build.start()
        time.sleep(1.0)
        order.append(("released", None))
    build.join(timeout=300)
    assert [step for step, _ in order] == ["released", "built"]
    assert sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}.")) == [
        f".{folder.name}.lock"]


def test_hostile_questions_and_top_k(library, embedder):
    index, _ = library.refresh()
    retriever = Retriever(index, embedder)
    began = time.perf_counter()
    answer = ask(retriever, "Who logged the ships? " + "x" * 400_000)
    assert time.perf_counter() - began < 30
    assert answer.notes and "400022 characters" in answer.notes[0]
    assert ask(retriever, "Who logged\x00 every\x07 ship\ud800 that passed?").question == "Who logged every ship that passed?"
    for nonsense in ("？？？!!!", "🙂🙂", "\x00\x01", ""):
        with pytest.raises(QuestionError, match="Please|words"):
            ask(retriever, nonsense)
    for bad in (0, -1, 10**6, "abc", 2.5):
        with pytest.raises(ValueError, match="top_k must be a whole number from 1 to 50"):
            retriever.search("tea", bad)
    assert len(retriever.search("tea", 50)) <= 50


def test_reading_stays_linear_in_the_file_size(tmp_path):
    # 2 MB of short hard-wrapped lines: joining them once took time quadratic in the text (minutes per 250 kB).
    path = tmp_path / "wrapped.txt"
    path.write_text("The harbour wall was built in 1890 by the town\n" * 42_000, encoding="utf-8")
    began = time.perf_counter()
    document = read_document(path)
    assert time.perf_counter() - began < 120
    assert len(document.text) > 1_900_000


def test_questions_asked_at_once_get_the_answers_they_get_alone(seed_index, embedder):
    retriever = Retriever(seed_index, embedder)
    questions = [json.loads(line)["q"] for line in (ROOT / "tests" / "data" / "seed_questions.jsonl").open()][:24]
    alone = {q: [c.quote for c in ask(retriever, q).citations] for q in questions}
    together: dict[str, list[str]] = {}
    errors = []

    def asker(share: list[str]) -> None:
        for question in share:
            try:
                together[question] = [c.quote for c in ask(retriever, question).citations]
            except Exception as exc:  # a race shows up as any exception
                errors.append(repr(exc))

    threads = [threading.Thread(target=asker, args=(questions[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and together == alone
