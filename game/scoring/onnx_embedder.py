"""The sentence model run by ONNX Runtime instead of torch, with the same vectors.

Why: in a web process the scorer shares one interpreter lock with the event loop and the
database threads. Torch runs a forward pass as a hundred small operations, and the scoring
thread must win the lock back between each of them; under load a batch took three times as
long as the same batch alone. ONNX Runtime runs the whole pass in one call that holds no lock,
and is faster besides (MiniLM at one thread: 273 texts/s against torch's 211).

The ONNX file is exported from the local sentence-transformers directory the first time it is
needed (about 2 s, torch does it) and kept in a cache folder, named by a fingerprint of the
model's files, so that every web process after the first loads it directly. Only the shape of
all-MiniLM-L6-v2 and its kin is handled: a BERT encoder, mean pooling, normalised vectors;
`supports` says whether a directory has that shape (the caller falls back to torch otherwise).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ENCODER_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
EXPECTED_MODULES = [
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
]
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text()) if path.is_file() else None


def supports(path: Path) -> bool:
    """Whether `path` holds a BERT encoder with mean pooling and normalised output."""
    modules = _read_json(path / "modules.json") or []
    pooling_dir = next((m.get("path", "") for m in modules if "Pooling" in m.get("type", "")), "")
    pooling = _read_json(path / pooling_dir / "config.json") or {}
    config = _read_json(path / "config.json") or {}
    mean_only = pooling.get("pooling_mode_mean_tokens") is True and not any(
        value is True
        for key, value in pooling.items()
        if key.startswith("pooling_mode_") and key != "pooling_mode_mean_tokens"
    )
    return (
        [m.get("type") for m in modules] == EXPECTED_MODULES
        and mean_only
        and config.get("model_type") == "bert"
        and (path / "tokenizer.json").is_file()
        and any((path / name).is_file() for name in WEIGHT_FILES)
    )


def fingerprint(path: Path) -> str:
    """Changes whenever the model's configuration or weights change."""
    digest = hashlib.sha256()
    for name in ("config.json", "tokenizer.json", *WEIGHT_FILES):
        file = path / name
        if file.is_file():
            stat = file.stat()
            digest.update(f"{name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def export(path: Path, target: Path) -> Path:
    """Writes the encoder of `path` as ONNX to `target` (atomically: a process that starts at
    the same moment never reads half a file)."""
    import torch
    from transformers import AutoModel

    encoder = AutoModel.from_pretrained(str(path), local_files_only=True).eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.encoder(**dict(zip(ENCODER_INPUTS, inputs, strict=True))).last_hidden_state

    example = tuple(torch.ones((2, 8), dtype=torch.long) for _ in ENCODER_INPUTS)
    varying = {0: "batch", 1: "tokens"}  # both axes vary from call to call
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(dir=target.parent, suffix=".onnx.part")
    os.close(handle)
    try:
        # The tracer warns about every data-dependent branch of the model (pages of
        # TracerWarnings on the first start): they are expected for a fixed-shape encoder, and
        # the exported graph is checked against torch's vectors by the tests.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                LastHiddenState(),
                example,
                scratch,
                input_names=list(ENCODER_INPUTS),
                output_names=["last_hidden_state"],
                dynamic_axes={name: varying for name in (*ENCODER_INPUTS, "last_hidden_state")},
                opset_version=17,
                dynamo=False,
            )
        os.replace(scratch, target)
    finally:
        if os.path.exists(scratch):
            os.unlink(scratch)
    return target


class OnnxEmbedder:
    """A sentence-transformers directory of the shape `supports` accepts, run by ONNX Runtime:
    tokenised by its own tokenizer.json, mean-pooled over the real tokens, unit length."""

    def __init__(self, path: Path, export_dir: Path, threads: int = 1) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        settings = _read_json(path / "sentence_bert_config.json") or {}
        self.name = path.name if path.name != "model" else path.parent.name
        model_file = export_dir / f"{self.name}-{fingerprint(path)}.onnx"
        if not model_file.is_file():
            export(path, model_file)
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=int(settings.get("max_seq_length", 256)))
        pad = self.tokenizer.token_to_id("[PAD]") or 0
        self.tokenizer.enable_padding(pad_id=pad, pad_token="[PAD]")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Idle pool threads would spin for work, taking a core from the web process.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(
            str(model_file), options, providers=["CPUExecutionProvider"]
        )
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        encodings = self.tokenizer.encode_batch(list(texts))
        inputs = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        with self._lock:  # one pass at a time: its threads are the scorer's share of cores
            (hidden,) = self.session.run(["last_hidden_state"], inputs)
        mask = inputs["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
