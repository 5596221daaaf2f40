"""End to end through `python -m qa`: build, search and ask in both languages, JSON contract."""

import json
import subprocess
import sys

import pytest

from qa.answer import ask
from qa.evaluation import contains_evidence, load_questions
from qa.retrieval import Retriever
from tests.conftest import ROOT, SHARED_EVAL

HIT_KEYS = {
    "rank", "score", "cosine", "chunk_id", "doc_id", "doc_title", "section", "page_start", "page_end",
    "page_label_start", "page_label_end", "ocr", "start", "end", "text", "bridged"
}
CITATION_KEYS = {"n", "doc_id", "doc_title", "authors", "section", "page", "page_label", "page_end", "page_label_end",
                 "ocr", "quote", "start", "end", "reference", "glosses"}


def run(*args, stdin=None):
    result = subprocess.run([sys.executable, "-m", "qa", *args], cwd=ROOT, capture_output=True, text=True,
                            input=stdin, timeout=600)
    return result


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory, seeds_for_cli):
    folder = tmp_path_factory.mktemp("cli") / "index"
    result = run("index", "--seeds", str(seeds_for_cli), "--index", str(folder))
    assert result.returncode == 0, result.stderr
    assert "1 added" in result.stdout
    return folder


@pytest.fixture(scope="module")
def seeds_for_cli():
    return ROOT / "seeds"


def test_search_json_contract_chinese(cli_index):
    result = run("search", "城乡数字鸿沟有哪些表现？", "--index", str(cli_index), "--top-k", "3", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["query"] == "城乡数字鸿沟有哪些表现？" and len(payload["hits"]) == 3
    assert all(set(hit) == HIT_KEYS for hit in payload["hits"])
    assert [hit["rank"] for hit in payload["hits"]] == [1, 2, 3]


def test_ask_json_quotes_are_verbatim(cli_index, seed_index):
    result = run("ask", "What are the five layers of the urban-rural digital divide?", "--index", str(cli_index), "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert not payload["abstained"] and payload["citations"]
    text = seed_index.documents["urban-rural-digital-divide.txt"].text
    for citation in payload["citations"]:
        assert set(citation) == CITATION_KEYS
        assert text[citation["start"] : citation["end"]] == citation["quote"]
        assert f"[{citation['n']}]" in payload["answer"]


def test_queries_file_prints_one_json_line_per_question_in_order(cli_index):
    questions = "什么是数字势差？\nWhere does the digital welfare divide come from?\n"
    result = run("search", "--queries", "-", "--index", str(cli_index), stdin=questions)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["query"] for line in lines] == questions.splitlines()


def test_human_output_and_clear_errors(cli_index, tmp_path):
    result = run("ask", "数字福利鸿沟是如何产生的？", "--index", str(cli_index))
    assert result.returncode == 0 and "[1]" in result.stdout and "p. " in result.stdout
    empty = run("search", "  ", "--index", str(cli_index))
    assert empty.returncode == 2 and "question" in empty.stderr
    missing = run("search", "x", "--index", str(tmp_path / "none"), "--seeds", str(tmp_path / "no-seeds"))
    assert missing.returncode == 2 and "no-seeds" in missing.stderr


def test_every_chinese_dev_question_finds_its_evidence_in_the_top_five(seed_index, embedder):
    retriever = Retriever(seed_index, embedder)
    questions = [q for q in load_questions(SHARED_EVAL / "seed_dev.jsonl") if q.lang == "zh"]
    assert len(questions) >= 10
    for question in questions:
        hits = retriever.search(question.q, 5)
        assert any(contains_evidence(hit.chunk.text, question.evidence) for hit in hits), question.q


def test_citations_over_the_dev_questions_are_exact_and_the_first_on_the_right_page(seed_index, embedder):
    retriever = Retriever(seed_index, embedder)
    for question in load_questions(SHARED_EVAL / "seed_dev.jsonl"):
        answer = ask(retriever, question.q)
        first = answer.citations[0]
        assert first.page <= question.page <= first.page_end, question.q
        for citation in answer.citations:
            document = seed_index.documents[citation.doc_id]
            assert document.text[citation.start : citation.end] == citation.quote
            assert document.page_of(citation.start) == citation.page


def test_eval_reports_per_language_and_writes_each_question(cli_index, tmp_path):
    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        '{"id": "a", "q": "2020年中国数字经济占GDP的比重是多少？", "evidence": ["38.6%"], "page": 5}\n'
        '{"id": "b", "q": "What share of GDP did the digital economy account for in 2020?", "evidence": ["38.6%"]}\n',
        encoding="utf-8",
    )
    details = tmp_path / "details.jsonl"
    result = run("eval", str(questions), "--index", str(cli_index), "--details", str(details))
    assert result.returncode == 0, result.stderr
    assert "| lang | n | Hit@1 |" in result.stdout
    languages = [line.split("|")[1].strip() for line in result.stdout.splitlines() if line.startswith("| ")][1:]
    assert languages == ["en", "zh", "all"]
    rows = [json.loads(line) for line in details.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in rows] == ["a", "b"] and rows[0]["rank"] == 1 and rows[0]["page_right"] is True


def library_files(*folders):
    return {str(p): p.read_bytes() for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()}


def refused(result) -> str:
    """A refusal: exit status 2 and exactly one `error:` line."""
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.returncode == 2 and len(errors) == 1, (result.returncode, result.stderr)
    return errors[0]


def test_add_remove_and_list_change_the_library_or_nothing(tmp_path):
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    seeds.mkdir()
    (seeds / "tides.md").write_text("# Tides\n\nSpring tides at the Skerry reach four metres.\n", encoding="utf-8")
    where = ("--seeds", str(seeds), "--index", str(index))
    note = tmp_path / "harbour.txt"
    note.write_text("The harbour wall was built of granite in 1890.\n", encoding="utf-8")
    added = run("add", str(note), *where)
    assert added.returncode == 0 and "added harbour.txt" in added.stdout, added.stderr
    listed = json.loads(run("list", "--json", *where).stdout)
    assert [(d["doc_id"], d["format"]) for d in listed] == [("harbour.txt", "txt"), ("tides.md", "md")]

    before = library_files(seeds, index)
    assert "already in the library" in refused(run("add", str(note), *where))
    empty = tmp_path / "empty.txt"
    empty.write_text(" \n")
    assert "no text" in refused(run("add", str(empty), *where))
    assert "no document" in refused(run("remove", "nothing.txt", *where))
    bad_top_k = run("search", "granite", "--top-k", "-3", *where)
    assert bad_top_k.returncode == 2 and "error: argument --top-k: top_k must be a whole number from 1 to 50" in bad_top_k.stderr
    assert library_files(seeds, index) == before

    note.write_text("The harbour wall was rebuilt of concrete in 1952.\n", encoding="utf-8")
    replaced = run("add", str(note), "--replace", *where)
    assert replaced.returncode == 0 and "replaced harbour.txt" in replaced.stdout
    # A damaged index is never served: the question rebuilds it first and says why.
    faiss_file = index / "chunks.faiss"
    faiss_file.write_bytes(faiss_file.read_bytes()[:-8] + b"\xff" * 8)
    searched = run("search", "When was the harbour wall rebuilt?", "--json", *where)
    assert searched.returncode == 0 and "chunks.faiss is damaged (checksum mismatch); rebuilt the index" in searched.stderr
    assert json.loads(searched.stdout)["hits"][0]["doc_id"] == "harbour.txt"
    removed = run("remove", "harbour.txt", *where)
    assert removed.returncode == 0 and "removed harbour.txt" in removed.stdout
    assert [d["doc_id"] for d in json.loads(run("list", "--json", *where).stdout)] == ["tides.md"]
    assert (seeds / ".removed" / "harbour.txt").exists()


def test_search_keeps_to_the_documents_named_and_refuses_an_unknown_one(cli_index):
    result = run("search", "数字福利鸿沟", "--index", str(cli_index), "--doc", "urban-rural-digital-divide.txt",
                 "--json")
    assert result.returncode == 0, result.stderr
    assert {hit["doc_id"] for hit in json.loads(result.stdout)["hits"]} == {"urban-rural-digital-divide.txt"}
    result = run("ask", "数字福利鸿沟", "--index", str(cli_index), "--doc", "nowhere.txt")
    assert result.returncode == 2 and result.stderr.strip().endswith("error: no such document in the library: nowhere.txt")


def test_export_prints_the_library_as_bibtex_or_ris(cli_index):
    result = run("export", "bibtex", "--index", str(cli_index))
    assert result.returncode == 0 and result.stdout.startswith("@article{zeng2023,"), result.stderr
    result = run("export", "ris", "--index", str(cli_index), "--doc", "urban-rural-digital-divide.txt")
    assert result.returncode == 0 and result.stdout.startswith("TY  - JOUR\n")
