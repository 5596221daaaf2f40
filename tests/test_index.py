"""Index build: incremental updates, bad files skipped, atomic swap, refusal of foreign indexes."""

import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from qa import openvino_encoder
from qa.embedding import AnswerEncoder, Embedder, ModelError
from qa.index import Index, IndexMismatch, build_index, embedded_sentence_texts

NOTE = "# Field notes\n\n## 1 Villages\n\nBroadband reached the village school in 2021. Teachers use it daily.\n"


def test_incremental_update_embeds_only_what_changed(tmp_path, seeds_copy, embedder):
    folder = tmp_path / "index"
    (seeds_copy / "notes.md").write_text(NOTE, encoding="utf-8")
    index, report = build_index(seeds_copy, folder, embedder, progress=False)
    assert sorted(report.added) == ["notes.md", "urban-rural-digital-divide.txt"]
    assert index.manifest["model"]["passages"] == embedder.passage_encoder  # which encoder made the vectors
    seed_chunks = [c.chunk_id for c in index.chunks if c.doc_id == "urban-rural-digital-divide.txt"]

    _, report = build_index(seeds_copy, folder, embedder, progress=False)
    assert not report.changed and len(report.unchanged) == 2

    (seeds_copy / "notes.md").write_text(NOTE + "\nA second paragraph about fibre.\n", encoding="utf-8")
    (seeds_copy / "broken.txt").write_bytes(b"\x00\x01\x02\xff" * 100)
    index, report = build_index(seeds_copy, folder, embedder, progress=False)
    assert report.updated == ["notes.md"] and report.unchanged == ["urban-rural-digital-divide.txt"]
    assert "broken.txt" in report.errors and "binary" in report.errors["broken.txt"]
    assert [c.chunk_id for c in index.chunks if c.doc_id == "urban-rural-digital-divide.txt"] == seed_chunks
    assert any("fibre" in c.text for c in index.chunks)
    # Kept and new sentences' answer-encoder vectors stay in sentence order.
    texts = [text for chunk in index.chunks for text in embedded_sentence_texts(chunk)]
    assert np.allclose(index.answer_vectors, AnswerEncoder.default().embed(texts), atol=1e-3)  # float16 on disk

    (seeds_copy / "notes.md").unlink()
    index, report = build_index(seeds_copy, folder, embedder, progress=False)
    assert report.removed == ["notes.md"]
    assert {c.doc_id for c in Index.load(folder).chunks} == {"urban-rural-digital-divide.txt"}
    assert len(index.sentence_vectors) == sum(len(c.sentences) for c in index.chunks)


def test_interrupted_build_leaves_the_old_index(tmp_path, seeds_copy, embedder, monkeypatch):
    folder = tmp_path / "index"
    build_index(seeds_copy, folder, embedder, progress=False)
    before = (folder / "manifest.json").read_text()
    (seeds_copy / "notes.md").write_text(NOTE, encoding="utf-8")

    def fail(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(embedder, "embed_passages", fail)
    with pytest.raises(KeyboardInterrupt):
        build_index(seeds_copy, folder, embedder, progress=False)
    assert (folder / "manifest.json").read_text() == before
    assert len(Index.load(folder).chunks) > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [".index.lock", "index", "seeds"]  # no staging left


@pytest.mark.parametrize(("part", "field", "value", "message"), [
    ("model", "fingerprint", "0" * 64, "rebuild it"),
    ("chunker", "version", "0", "chunker"),
    ("answer_encoder", "version", "0.0.1", "answer encoder"),
])
def test_index_from_another_model_chunker_or_answer_encoder_is_refused(seed_index, embedder, tmp_path,
                                                                       part, field, value, message):
    seed_index.save(tmp_path / "index")
    manifest_path = tmp_path / "index" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest[part][field] = value
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatch, match=message):
        Index.load(tmp_path / "index").check_compatible(embedder.identity)


def test_a_model_that_is_not_here_gets_a_clear_error():
    with pytest.raises(ModelError, match="--model"):
        Embedder("someone/model-not-on-this-machine")


def test_bfloat16_and_float32_embeddings_agree(embedder):
    texts = ["城乡数字鸿沟表现为接入鸿沟、使用鸿沟和福利鸿沟。", "The digital economy accounted for 38.6% of GDP in 2020."]
    exact = Embedder(embedder.name, precision="float32")
    fast = Embedder(embedder.name, precision="bfloat16")
    cosines = np.sum(exact.embed_passages(texts) * fast.embed_passages(texts), axis=1)
    assert exact.identity == fast.identity  # an index built in one precision serves the other
    assert cosines.min() > 0.999


def test_passages_embedded_by_openvino_agree_with_torch(embedder):
    """Passages are embedded by the model's OpenVINO conversion (qa/openvino_encoder.py): in float32
    with torch's vectors, in int8 close to them; questions, in float32, match either."""
    texts = ["城乡数字鸿沟表现为接入鸿沟、使用鸿沟和福利鸿沟。" * 8, "The digital economy accounted for 38.6% of GDP in 2020.",
             "2020 年底全国县域农业农村信息化发展总体水平为 37.9%。", "短句。"]
    torch_vectors = embedder.model.encode(texts, prompt="passage: ", normalize_embeddings=True)
    for precision, bar in (("float32", 0.99999), ("int8", openvino_encoder.MIN_COSINE["int8"])):
        converted = Embedder(embedder.name, precision=precision)
        assert converted.passage_encoder == openvino_encoder.identity(precision)
        assert converted.identity == embedder.identity
        assert np.sum(converted.embed_passages(texts) * torch_vectors, axis=1).min() > bar


def test_terms_embedded_while_answering_are_passage_vectors(embedder):
    """Terms compared while answering go through the question encoder's one thread, with the
    passage prompt: the vectors indexing gives them, even with questions embedded at once."""
    terms = ["数字鸿沟", "digital divide", "逆差序智治"]
    with ThreadPoolExecutor(8) as pool:
        jobs = [pool.submit(embedder.embed_terms if n % 2 else embedder.embed_queries, terms) for n in range(16)]
        vectors = [job.result() for job in jobs]
    indexed = embedder.embed_passages(terms)
    assert np.sum(vectors[1] * indexed, axis=1).min() > 0.99999
    assert np.sum(vectors[0] * indexed, axis=1).max() < 0.999  # questions have their own prompt


def test_a_model_that_converts_badly_is_embedded_by_torch(tmp_path, capsys):
    """A conversion whose vectors strayed from torch's is never used nor made again; one made by
    another converter is made again, and one that fails leaves torch to embed, with a note."""
    asked = []

    def failing_loader():
        asked.append(True)
        raise RuntimeError("no graph")

    folder = tmp_path / "openvino-0123456789abcdef"
    folder.mkdir()
    check = folder / "int8.json"
    check.write_text(json.dumps({"converter": openvino_encoder.identity("int8"), "cosine": 0.93}))
    assert openvino_encoder.load(tmp_path, "0123456789abcdef" * 4, failing_loader, "passage: ", "int8",
                                 failing_loader, 0) is None
    assert not asked
    check.write_text(json.dumps({"converter": "an older converter", "cosine": 0.9999}))
    assert openvino_encoder.load(tmp_path, "0123456789abcdef" * 4, failing_loader, "passage: ", "int8",
                                 failing_loader, 0) is None
    assert asked and "embedded by torch" in capsys.readouterr().err


def test_passages_batched_by_length_keep_their_order(embedder):
    """Passages are embedded longest first, in batches of similar length; each vector stays in its row."""
    texts = ["短句。", "城乡数字鸿沟表现为接入鸿沟、使用鸿沟和福利鸿沟。" * 30, "Broadband reached the village school.",
             "数字经济占GDP的比重为38.6%。" * 4, "The digital economy accounted for 38.6% of GDP in 2020. " * 12]
    ours = embedder.embed_passages(texts)
    theirs = embedder.model.encode(texts, prompt=embedder.prompts["passage"], normalize_embeddings=True)
    assert ours.shape == theirs.shape and (ours * theirs).sum(axis=1).min() > 0.999


def test_an_unknown_precision_is_refused():
    with pytest.raises(ModelError, match="precision"):
        Embedder(precision="float8")


def test_files_read_by_an_older_reader_are_read_again_and_not_embedded_again(seeds_copy, tmp_path, embedder,
                                                                             monkeypatch):
    """A reader change (the article-number line giving a reference its journal pages) reaches
    an existing index on its next update; chunks that read the same keep their vectors."""
    import qa.index

    folder = tmp_path / "index"
    monkeypatch.setattr(qa.index, "READER_VERSION", "0")
    old, _ = build_index(seeds_copy, folder, embedder, progress=False)
    monkeypatch.undo()
    embedded = []
    monkeypatch.setattr(embedder, "embed_passages",
                        lambda texts, **kw: embedded.append(len(texts)) or Embedder.embed_passages(embedder, texts, **kw))
    index, report = build_index(seeds_copy, folder, embedder, progress=False)
    assert report.unchanged == ["urban-rural-digital-divide.txt"] and not embedded
    assert index.manifest["files"]["urban-rural-digital-divide.txt"]["reader"] == qa.index.READER_VERSION
    assert Index.load(folder).manifest["files"]["urban-rural-digital-divide.txt"]["reader"] == qa.index.READER_VERSION
    assert np.array_equal(index.chunk_vectors, old.chunk_vectors)


def test_large_index_files_are_checked_by_size_and_sampled_blocks(seed_index, tmp_path, monkeypatch):
    """A file over FULLY_HASHED bytes is not read whole on loading; truncated or overwritten, it is still found."""
    import qa.index
    from qa.index import IndexDamaged

    monkeypatch.setattr(qa.index, "FULLY_HASHED", 1024)
    seed_index.save(tmp_path / "index")
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert manifest["checksums"]["sentences.npy"].startswith("sampled:")
    assert len(Index.load(tmp_path / "index")) == len(seed_index)
    vectors = tmp_path / "index" / "sentences.npy"
    vectors.write_bytes(vectors.read_bytes()[:-64])
    with pytest.raises(IndexDamaged, match="sentences.npy is damaged"):
        Index.load(tmp_path / "index")


def test_records_are_read_one_at_a_time_by_position_and_by_key(tmp_path):
    from qa.records import RecordMap, Records, write_records

    rows = [{"id": "a", "text": "城乡数字鸿沟"}, {"id": "b", "text": "line\nbreak"}, {"id": "c", "text": ""}]
    offsets = write_records(tmp_path / "r.jsonl", rows)
    assert len((tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()) == 3 and offsets[-1] > 0
    records = Records(tmp_path / "r.jsonl", offsets, lambda row: row["text"])
    assert len(records) == 3 and records[1] == "line\nbreak" and records[-1] == "" and records[0:2] == [
        "城乡数字鸿沟", "line\nbreak"]
    assert list(records) == [row["text"] for row in rows]
    with pytest.raises(IndexError):
        records[3]
    by_id = RecordMap([row["id"] for row in rows], records)
    assert by_id["b"] == "line\nbreak" and "c" in by_id and by_id.get("z") is None and list(by_id) == ["a", "b", "c"]
    empty = Records(tmp_path / "e.jsonl", write_records(tmp_path / "e.jsonl", []), dict)
    assert len(empty) == 0 and list(empty) == []

