"""Questions embedded without torch: a BERT sentence-transformers model's forward pass in
numpy, for the few dozen tokens of a question.

Loading sentence-transformers imports torch (seconds) before the model is even read; a
question needs none of it. `BertQueryEncoder.from_folder` reads the model's own
`model.safetensors` and `tokenizer.json` (with `tokenizers`, no transformers) and computes
what sentence-transformers computes for a folder of Transformer (BERT) + mean pooling +
normalize: embeddings, 12 layers of attention and GELU feed-forward, mean over the tokens,
unit length. Any other kind of model (`from_folder` returns None) is embedded by
sentence-transformers as before. Its vectors equal sentence-transformers' to a cosine of
0.99999 (tests/test_model.py).
"""

from __future__ import annotations

import json
import math
from functools import cached_property
from pathlib import Path

import numpy as np

SUPPORTED_MODULES = ("Transformer", "Pooling", "Normalize")


def erf(x: np.ndarray) -> np.ndarray:
    """The error function to 1.5e-7 (Abramowitz and Stegun 7.1.26), elementwise: numpy has none,
    and BERT's GELU is x·(1 + erf(x/√2))/2."""
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-x * x))


SAFETENSORS_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}


def mapped_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a .safetensors file as read-only views of the memory-mapped file: a question
    reads a few rows of the 250,000-word embedding table, and copying all 470 MB (what
    `safetensors.numpy.load_file` does) was a tenth of a cold `python -m qa ask`. The format: an
    8-byte little-endian header length, a JSON header of dtype, shape and byte offsets, the data."""
    with path.open("rb") as handle:
        length = int.from_bytes(handle.read(8), "little")
        header = json.loads(handle.read(length))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + length)
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype = SAFETENSORS_DTYPES.get(entry["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: tensor {name} has dtype {entry['dtype']}, which numpy cannot hold")
        begin, end = entry["data_offsets"]
        tensors[name] = data[begin:end].view(dtype).reshape(entry["shape"])
    return tensors


class BertQueryEncoder:
    def __init__(self, weights: dict[str, np.ndarray], config: dict, tokenizer_file: Path, max_tokens: int):
        self.weights = weights
        self.layers = config["num_hidden_layers"]
        self.heads = config["num_attention_heads"]
        self.eps = config["layer_norm_eps"]
        self.dimension = config["hidden_size"]
        self.pad_id = config.get("pad_token_id") or 0
        self._tokenizer_file = tokenizer_file
        self._max_tokens = max_tokens

    @cached_property
    def tokenizer(self):
        """Parsed on the first question (0.5 s): an index build whose probe questions are cached asks none."""
        return self.new_tokenizer()

    def new_tokenizer(self):
        """The model's tokenizer, truncating at its token limit, unpadded: a copy of one's own, as a
        fast tokenizer shared by two threads fails ("Already borrowed")."""
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self._tokenizer_file))
        tokenizer.enable_truncation(self._max_tokens)
        tokenizer.no_padding()
        return tokenizer

    @classmethod
    def from_folder(cls, folder: Path) -> BertQueryEncoder | None:
        """The encoder for a sentence-transformers folder this module can run, else None."""
        try:
            modules = json.loads((folder / "modules.json").read_text())
            config = json.loads((folder / "config.json").read_text())
            pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
            settings = folder / "sentence_bert_config.json"
            max_tokens = json.loads(settings.read_text()).get("max_seq_length") if settings.exists() else None
        except (OSError, ValueError):
            return None
        kinds = tuple(module["type"].rsplit(".", 1)[-1] for module in modules)
        if (kinds != SUPPORTED_MODULES or config.get("model_type") != "bert" or config.get("hidden_act") != "gelu"
                or pooling.get("pooling_mode") != "mean" or not (folder / "model.safetensors").exists()
                or not (folder / "tokenizer.json").exists()):
            return None
        try:
            tensors = mapped_safetensors(folder / "model.safetensors")
        except ValueError:  # bfloat16 weights, say: sentence-transformers embeds its questions
            return None
        weights = {name.removeprefix("bert."): value for name, value in tensors.items()}
        return cls(weights, config, folder / "tokenizer.json", max_tokens or config["max_position_embeddings"])

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one a text (each text alone: no padding to change its sums)."""
        return np.vstack([self._one(text) for text in texts]) if texts else np.zeros((0, self.dimension), np.float32)

    def _one(self, text: str) -> np.ndarray:
        w = self.weights
        ids = np.array(self.tokenizer.encode(text).ids)
        hidden = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][: len(ids)]
                  + w["embeddings.token_type_embeddings.weight"][0])
        hidden = self._norm(hidden, "embeddings.LayerNorm")
        size = self.dimension // self.heads
        for n in range(self.layers):
            layer = f"encoder.layer.{n}."
            q, k, v = (self._dense(hidden, layer + f"attention.self.{name}") for name in ("query", "key", "value"))
            q, k, v = (x.reshape(len(ids), self.heads, size).transpose(1, 0, 2) for x in (q, k, v))
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(size)
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            context = (scores / scores.sum(axis=-1, keepdims=True)) @ v
            context = context.transpose(1, 0, 2).reshape(len(ids), self.dimension)
            hidden = self._norm(self._dense(context, layer + "attention.output.dense") + hidden,
                                layer + "attention.output.LayerNorm")
            inner = self._dense(hidden, layer + "intermediate.dense")
            inner = 0.5 * inner * (1.0 + erf(inner / math.sqrt(2.0)))
            hidden = self._norm(self._dense(inner, layer + "output.dense") + hidden, layer + "output.LayerNorm")
        vector = hidden.mean(axis=0)
        return (vector / np.linalg.norm(vector)).astype(np.float32)

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.weights[name + ".weight"].T + self.weights[name + ".bias"]

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(axis=-1, keepdims=True)
        variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        return (x - mean) / np.sqrt(variance + self.eps) * self.weights[name + ".weight"] + self.weights[name + ".bias"]
