"""The app's service answering in processes (qa.workers): the answers it gives alone, library
changes seen at once, a manifest met mid-change, refusals with their message."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from qa.answer import ask
from qa.config import Config
from qa.questions import QuestionError
from qa.retrieval import Retriever
from tests.conftest import SEEDS

QUESTIONS = ["什么是数字势差？", "What share of China's GDP did the digital economy account for in 2020?",
             "城乡数字鸿沟有哪些表现？", "What are the five layers of the urban-rural digital divide?"]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    from qa.service import QAService

    root = tmp_path_factory.mktemp("service")
    shutil.copytree(SEEDS, root / "seeds")
    service = QAService(Config.from_env(seeds=root / "seeds", index=root / "index"), processes=2)
    service.refresh()
    service.answering.wait_ready()
    yield service
    service.close()


def test_processes_give_the_answers_of_this_process_even_asked_at_once(service):
    alone = Retriever.from_config(service.index(), service.embedder, service.config, service.reranker)
    expected = [ask(alone, question, 5).to_dict() for question in QUESTIONS]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda question: service.ask(question, 5).to_dict(), QUESTIONS * 3))
    _assert_same(answers, expected * 3)
    hits = service.search(QUESTIONS[0], 3)
    _assert_same([{"hits": [hit.to_dict() for hit in hits]}],
                 [{"hits": [hit.to_dict() for hit in alone.search(QUESTIONS[0], 3)]}])


def _assert_same(payloads: list[dict], expected: list[dict]) -> None:
    """Equal but for the hits' scores, which may differ in the 4th decimal: a process on one
    thread sums floats in another order."""
    got, want = zip(*map(_scores_apart, payloads)), zip(*map(_scores_apart, expected))
    (got_payloads, got_scores), (want_payloads, want_scores) = got, want
    assert got_payloads == want_payloads
    assert [s for scores in got_scores for s in scores] == pytest.approx(
        [s for scores in want_scores for s in scores], abs=2e-3)


def _scores_apart(payload: dict) -> tuple[dict, list[float]]:
    hits = [dict(hit) for hit in payload["hits"]]
    scores = [hit.pop(key) for hit in hits for key in ("score", "cosine")]
    return {**payload, "hits": hits}, scores


def test_a_refusal_in_a_process_reaches_the_caller_with_its_message(service):
    with pytest.raises(QuestionError, match="no words to search for"):
        service.ask("？？？!!!")


def test_every_process_answers_from_a_document_as_soon_as_it_is_added(service, tmp_path):
    note = tmp_path / "lighthouse-note.txt"
    note.write_text("Lighthouse keepers\n\nThe keeper of the Skerryvore light trimmed the lamp wicks at dusk "
                    "and recorded the weather every four hours.\n", encoding="utf-8")
    service.add_document(note)
    with ThreadPoolExecutor(4) as pool:  # several at once, so both processes answer
        found = list(pool.map(lambda _: service.search("Skerryvore lamp wicks", 1)[0].chunk.doc_id, range(8)))
    assert found == ["lighthouse-note.txt"] * 8


def test_a_manifest_met_mid_change_leaves_the_processes_on_the_index_they_have(service):
    manifest = service.config.index / "manifest.json"
    good = manifest.read_bytes()
    try:
        manifest.write_text("{half written")  # what a process may meet between two renames of a save
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda _: service.ask(QUESTIONS[0], 5), range(6)))
        assert all(answer.citations and not answer.abstained for answer in answers)
    finally:
        manifest.write_bytes(good)
