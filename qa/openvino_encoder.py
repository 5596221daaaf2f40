"""Passages embedded by OpenVINO: the model converted once from its torch weights, no torch after.

A BERT-family sentence-transformers model (the default e5 is one) is converted with its mean
pooling into one OpenVINO graph, kept in the cache folder, and checked against the torch model
on `openvino_calibration.txt` before it is used. In float32 (the default) its vectors are torch's
to a cosine of 0.9999999 and it runs 1.2× as fast, without the seconds torch takes to import.
In int8 (`--precision int8`) it is also quantized by NNCF (static, per channel, calibrated on
that file) except each layer's feed-forward output, whose activations int8 cannot hold (cosine
with float32 0.9985 on CMRC paragraphs quantized too, 0.9996 kept in float32): passages embed
1.5× as fast again, at a small cost in answer quality (docs/benchmarks.md). A conversion that
strays below its bar is recorded and never used: those passages are embedded by torch.
Questions never use it: they keep float32 (`qa.encoder`).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
import warnings
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

RECIPE = "1"  # changes whenever the conversion below does
CALIBRATION = Path(__file__).with_name("openvino_calibration.txt")
# Kept in float32 in int8: the feed-forward output of each layer (BERT's names, as torch.export gives them).
FLOAT_LAYERS = r".*layer\.\d+\.output\.dense.*"
# Mean cosine with torch's vectors on the calibration texts below which a conversion is not used.
MIN_COSINE = {"float32": 0.99999, "int8": 0.998}


def available(precision: str) -> bool:
    """Whether OpenVINO (and for int8 NNCF) is installed: both are in requirements.txt."""
    try:
        version("openvino")
        if precision == "int8":
            version("nncf")
    except PackageNotFoundError:
        return False
    return True


def identity(precision: str) -> str:
    return f"openvino-{version('openvino')} {precision} recipe {RECIPE}"


class OpenVinoPassageEncoder:
    """A converted model with its tokenizer: `token_ids` of texts, then `encode` a batch of them."""

    def __init__(self, graph: Path, tokenizer, pad_id: int, threads: int | None):
        import openvino as ov

        self.tokenizer = tokenizer  # the model's (`qa.encoder.BertQueryEncoder.new_tokenizer`)
        self.pad_id = pad_id
        settings = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"}
        if threads:
            settings["INFERENCE_NUM_THREADS"] = threads
        self._request = ov.Core().compile_model(str(graph), "CPU", settings).create_infer_request()

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        return [encoding.ids for encoding in self.tokenizer.encode_batch(texts)]

    def encode(self, ids: list[list[int]]) -> np.ndarray:
        """Unit vectors of texts given as token ids (`token_ids`), padded to the longest."""
        longest = max(len(row) for row in ids)
        input_ids = np.full((len(ids), longest), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(ids), longest), dtype=np.int64)
        for row, tokens in enumerate(ids):
            input_ids[row, :len(tokens)] = tokens
            mask[row, :len(tokens)] = 1
        pooled = self._request.infer({"input_ids": input_ids, "attention_mask": mask})[0]
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def load(cache_dir: Path, fingerprint: str, model_loader, prompt: str, precision: str, tokenizer_loader,
         pad_id: int, threads: int | None = None) -> OpenVinoPassageEncoder | None:
    """The `precision` (float32, int8) conversion of the model whose weights have `fingerprint`,
    made on first use (`model_loader()` gives the sentence-transformers model; seconds in float32,
    about half a minute more in int8, once), with the tokenizer `tokenizer_loader()` gives; None
    when it strays from torch's vectors."""
    folder = cache_dir / f"openvino-{fingerprint[:16]}"
    check = _check(folder, precision)
    if check is None or check.get("converter") != identity(precision):
        print(f"converting the embedding model for OpenVINO in {precision} (once, "
              f"{'about a minute' if precision == 'int8' else 'seconds'})", file=sys.stderr)
        try:
            _convert(folder, model_loader(), prompt, precision)
        except Exception as exc:  # a read-only cache, a graph OpenVINO cannot take: torch embeds instead
            print(f"note: passages are embedded by torch: the {precision} OpenVINO conversion failed "
                  f"({type(exc).__name__}: {exc})", file=sys.stderr)
            return None
        check = _check(folder, precision)
    if not check or check["cosine"] < MIN_COSINE[precision]:
        return None
    return OpenVinoPassageEncoder(folder / f"{precision}.xml", tokenizer_loader(), pad_id, threads)


def calibration_texts() -> list[str]:
    """Whole passages, pairs of them (long inputs) and every other sentence (short ones)."""
    lines = [line for line in CALIBRATION.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    pairs = [f"{lines[n]} {lines[n + 1]}" for n in range(0, len(lines) - 1, 2)]
    sentences = [piece for line in lines for piece in re.split(r"(?<=[。；！？])|(?<=[.;!?]) ", line)
                 if piece and len(piece.strip()) > 3]
    return lines + pairs + sentences[::2]


def _check(folder: Path, precision: str) -> dict | None:
    try:
        return json.loads((folder / f"{precision}.json").read_text())
    except (OSError, ValueError):
        return None


def _convert(folder: Path, model, prompt: str, precision: str) -> None:
    """Writes `{precision}.xml` (with its weights) and `{precision}.json` (converter and cosine) to
    `folder`: staged beside it, then moved in, so a process that stops midway leaves nothing half made."""
    import openvino as ov
    import torch

    class Pooled(torch.nn.Module):
        """The transformer with the model's mean pooling, as one graph to convert."""

        def __init__(self):
            super().__init__()
            self.transformer = model[0].auto_model

        def forward(self, input_ids, attention_mask):
            hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * weights).sum(1) / weights.sum(1)

    samples = []
    for text in calibration_texts():
        encoded = model.tokenizer([prompt + text], truncation=True, max_length=model.max_seq_length,
                                  return_tensors="pt")
        samples.append({"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"]})
    pooled = Pooled().eval()
    with torch.inference_mode():
        reference = _unit(np.vstack([pooled(**sample).numpy() for sample in samples]))
    with warnings.catch_warnings():  # the tracer's notes on data-dependent branches, which e5 does not take
        warnings.simplefilter("ignore")
        graph = ov.convert_model(pooled, example_input=samples[0])
    arrays = [{name: tensor.numpy() for name, tensor in sample.items()} for sample in samples]
    if precision == "int8":
        import nncf

        graph = nncf.quantize(graph, nncf.Dataset(arrays), model_type=nncf.ModelType.TRANSFORMER,
                              subset_size=len(arrays),
                              ignored_scope=nncf.IgnoredScope(patterns=[FLOAT_LAYERS], validate=False))
    compiled = ov.Core().compile_model(graph, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    cosine = float((_unit(np.vstack([compiled(sample)[0] for sample in arrays])) * reference).sum(axis=1).mean())
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder, prefix=f".{precision}-"))
    try:
        ov.save_model(graph, str(staging / f"{precision}.xml"), compress_to_fp16=False)
        (staging / f"{precision}.json").write_text(json.dumps({"converter": identity(precision),
                                                               "cosine": round(cosine, 7)}))
        for name in (f"{precision}.xml", f"{precision}.bin", f"{precision}.json"):  # the check last: it marks it done
            (staging / name).replace(folder / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
