"""BART and CLIP tokenizers loaded from local model directories through transformers.

A directory needs `tokenizer.json`, or `vocab.json` + `merges.txt` (the published DALL·E
Mini and CLIP checkpoints ship all three). Nothing is ever downloaded.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from transformers import BartTokenizer, CLIPTokenizer, PreTrainedTokenizerBase

from generator.checkpoint import CheckpointError, resolve_model_dir

# (transformers 5 folded the "...Fast" classes into these tokenizers-backed ones.)
Tokenizer = PreTrainedTokenizerBase

# The files a tokenizer is saved as (HF layout); a saved model copies them along.
TOKENIZER_FILES = (
    "tokenizer.json",
    "vocab.json",
    "merges.txt",
    "tokenizer_config.json",
    "special_tokens_map.json",
)


def load_bart_tokenizer(model_dir: str | os.PathLike[str]) -> Tokenizer:
    """DalleBart's text tokenizer (`<s>`=0, `<pad>`=1, `</s>`=2) from a local directory."""
    return _load(BartTokenizer, model_dir, "BART", ("<s>", "</s>", "<pad>"))


def load_clip_tokenizer(model_dir: str | os.PathLike[str]) -> Tokenizer:
    """CLIP's text tokenizer (lower-cased, `<|endoftext|>` pads) from a local directory."""
    return _load(CLIPTokenizer, model_dir, "CLIP", ("<|startoftext|>", "<|endoftext|>"))


def _load(
    kind: type[PreTrainedTokenizerBase],
    model_dir: str | os.PathLike[str],
    name: str,
    required: tuple[str, ...],
) -> Tokenizer:
    directory = resolve_model_dir(model_dir)
    has_json = (directory / "tokenizer.json").is_file()
    has_bpe = (directory / "vocab.json").is_file() and (directory / "merges.txt").is_file()
    if not (has_json or has_bpe):
        raise CheckpointError(
            f"{directory}: no {name} tokenizer files (need tokenizer.json, or vocab.json "
            "and merges.txt)"
        )
    try:
        tokenizer = kind.from_pretrained(str(directory), local_files_only=True)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CheckpointError(f"{directory}: cannot load the {name} tokenizer ({error})") from None
    _check_special_tokens(tokenizer, directory, name, required)
    return tokenizer


def _check_special_tokens(
    tokenizer: Tokenizer, directory: Path, name: str, required: tuple[str, ...]
) -> None:
    # transformers adds missing special tokens on the fly, so BART files would "load" as a CLIP
    # tokenizer; only the trained vocabulary tells which kind of files these are.
    vocab = tokenizer.backend_tokenizer.get_vocab(with_added_tokens=False)
    missing = [token for token in required if token not in vocab]
    if missing:
        raise CheckpointError(
            f"{directory}: not a {name} tokenizer (its vocabulary lacks {', '.join(missing)})"
        )
    if name == "CLIP" and vocab[tokenizer.eos_token] != max(vocab.values()):
        # CLIP reads the text feature at argmax(input_ids), which must be the end token.
        raise CheckpointError(
            f"{directory}: the CLIP tokenizer's end token {tokenizer.eos_token!r} must have the "
            f"highest id (it has {vocab[tokenizer.eos_token]}, the highest is "
            f"{max(vocab.values())})"
        )


def encode_texts(
    tokenizer: Tokenizer, texts: Sequence[str], max_length: int
) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and attention mask, both int32 [len(texts), max_length].

    Padded to `max_length` and truncated to it, begin/end tokens included, as dalle-mini and
    CLIP feed their encoders.
    """
    if isinstance(texts, str):
        raise TypeError("encode_texts takes a sequence of texts, not one string")
    encoded = tokenizer(
        list(texts),
        padding="max_length",
        truncation=True,
        max_length=max_length,
        return_attention_mask=True,
    )
    input_ids = np.asarray(encoded["input_ids"], dtype=np.int32).reshape(len(texts), max_length)
    mask = np.asarray(encoded["attention_mask"], dtype=np.int32).reshape(len(texts), max_length)
    return input_ids, mask
