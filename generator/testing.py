"""A tiny random-weight model directory, for tests of every layer that generates pictures.

`write_tiny_model(directory)` writes the same layout as a real model (dalle_bart/, vqgan/,
clip/, each with config, msgpack weights and tokenizer files) with networks small enough to
generate a handful of 32×32 pictures on a CPU in about a second. The pictures are noise-like,
but every stage (normalisation, tokenisation, sampling, decoding, ranking) runs for real.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

from generator import clip, dalle_bart, vqgan
from generator.checkpoint import flatten_params, unflatten_params
from generator.clip import CLIP, CLIPConfig
from generator.dalle_bart import DalleBart, DalleBartConfig
from generator.legibility import VOCABULARY_FILE
from generator.text import DEFAULT_WORD_FREQUENCIES, normalize_text
from generator.tokenizers import load_bart_tokenizer, load_clip_tokenizer
from generator.training import configs as training_configs
from generator.training.bpe import train_bart_tokenizer, train_clip_tokenizer
from generator.vqgan import VQGAN, VQGANConfig

TINY_IMAGE_SIZE = 32  # pixels; the VQGAN halves it twice into an 8×8 token grid
TINY_CODES = 64  # VQGAN codebook size = DalleBart image vocabulary
WORD_LIST_LINES = 5000  # enough common words to split everyday hashtags

_COLOURS = ("red", "blue", "green", "yellow", "purple", "orange")
_THINGS = ("apple", "cat", "dog", "car", "house", "tree", "fish", "boat")
_PLACES = ("on a table", "in the snow", "at the beach", "under the moon", "in a forest")


def tiny_captions() -> list[str]:
    """A few dozen captions to train the tiny tokenizers on."""
    return [
        f"a {colour} {thing} {place}"
        for i, colour in enumerate(_COLOURS)
        for j, thing in enumerate(_THINGS)
        for place in _PLACES[(i + j) % 2 :: 2]
    ]


def tiny_vqgan_config() -> VQGANConfig:
    return VQGANConfig(
        ch=32,  # GroupNorm uses 32 groups, so channels must be multiples of 32
        ch_mult=(1, 1, 2),
        num_res_blocks=1,
        attn_resolutions=(8,),
        z_channels=16,
        resolution=TINY_IMAGE_SIZE,
        n_embed=TINY_CODES,
        embed_dim=16,
    )


def tiny_codec_config(resolution: int = 16) -> VQGANConfig:
    """The smallest VQGAN the training steps run on: f2, 16 codes of 4 dims, no attention."""
    return VQGANConfig(
        ch=32,
        ch_mult=(1, 1),
        num_res_blocks=1,
        attn_resolutions=(),
        z_channels=8,
        resolution=resolution,
        n_embed=16,
        embed_dim=4,
    )


def tiny_dalle_bart_config(
    text_vocab_size: int, image_length: int, image_codes: int = TINY_CODES
) -> DalleBartConfig:
    """The `tiny` training preset's DalleBart (one layer each side, width 32)."""
    return training_configs.tiny().dalle_bart.model_config(
        text_vocab_size, image_codes, image_length
    )


def tiny_clip_config(text_vocab_size: int, image_size: int = TINY_IMAGE_SIZE) -> CLIPConfig:
    """The `tiny` training preset's CLIP (one layer a tower, width 32)."""
    return training_configs.tiny().clip.model_config(text_vocab_size, image_size)


def write_tiny_model(directory: str | os.PathLike[str], seed: int = 0) -> Path:
    """Write a tiny random-weight model directory (dalle_bart/, vqgan/, clip/, recogniser/ and
    vocabulary.txt, as the built-in model has them) and return it.

    The same `seed` writes the same weights. Tokenizers are trained on `tiny_captions()`.
    """
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    captions = tiny_captions()

    vqgan_config = tiny_vqgan_config()
    vqgan_params = random_params(vqgan.param_shapes(vqgan_config), seed)
    vqgan.save_vqgan(VQGAN(vqgan_config, vqgan_params), root / "vqgan")

    bart_dir = root / "dalle_bart"
    train_bart_tokenizer([normalize_text(c) for c in captions], bart_dir, vocab_size=400)
    _write_word_list(bart_dir / "enwiki-words-frequency.txt")
    bart_config = tiny_dalle_bart_config(
        len(load_bart_tokenizer(bart_dir)), vqgan_config.num_tokens
    )
    bart_params = random_params(dalle_bart.expected_params(bart_config), seed + 1)
    dalle_bart.save_dalle_bart(DalleBart(bart_config, bart_params), bart_dir)

    clip_dir = root / "clip"
    train_clip_tokenizer(captions, clip_dir, vocab_size=600)
    tokenizer = load_clip_tokenizer(clip_dir)
    clip_config = tiny_clip_config(len(tokenizer))
    clip_params = random_params(clip.param_shapes(clip_config), seed + 2)
    clip.save_clip(CLIP(clip_config, clip_params, tokenizer, tokenizer_dir=clip_dir), clip_dir)

    _write_recogniser(root, seed + 3)

    model = {"name": f"tiny-random-{seed}", "note": "random weights, for tests only"}
    (root / "model.json").write_text(json.dumps(model, indent=2) + "\n", encoding="utf-8")
    return root


def _write_recogniser(root: Path, seed: int) -> None:
    """A random recogniser and the grammar's vocabulary, as the built-in model ships them."""
    import jax

    from generator.recogniser import (
        Recogniser,
        RecogniserConfig,
        init_params,
        save_recogniser,
    )
    from generator.training.captions import SETTINGS, write_vocabulary
    from generator.training.objects import default_objects

    config = RecogniserConfig(
        objects=tuple(item.noun for item in default_objects()),
        settings=SETTINGS,
        image_size=32,
        widths=(8, 16),
        plurals=tuple(item.plural for item in default_objects()),
    )
    shapes = jax.eval_shape(lambda: init_params(config, jax.random.key(0)))
    save_recogniser(Recogniser(config, random_params(shapes, seed)), root / "recogniser")
    write_vocabulary(root / VOCABULARY_FILE)


def random_params(shapes: dict, seed: int) -> dict:
    """Random float32 weights for a tree of shapes, drawn with numpy.

    Running the networks' own `init` would compile (or run eagerly) a whole forward pass, which
    takes tens of seconds for the VQGAN on a small CPU; drawing from the shapes takes
    milliseconds. Kernels get fan-in scaled normals (so activations stay near unit size through
    the layers), other weights N(0, 0.02); norms start as identity, biases at zero, and CLIP's
    logit scale at its usual log(1/0.07).
    """
    rng = np.random.default_rng(seed)
    drawn = {}
    for path, spec in flatten_params(shapes).items():
        name = path.rsplit("/", 1)[-1]
        shape = tuple(spec.shape)
        if name == "scale":
            value = np.ones(shape)
        elif name == "bias":
            value = np.zeros(shape)
        elif name == "logit_scale":
            value = np.full(shape, math.log(1 / 0.07))
        elif name == "kernel":
            # DalleBart stacks its layers' kernels as [layers, in, out].
            fan_in = shape[-2] if len(shape) == 3 else math.prod(shape[:-1])
            value = rng.normal(0.0, 1 / math.sqrt(fan_in), shape)
        else:
            value = rng.normal(0.0, 0.02, shape)
        drawn[path] = value.astype(np.float32)
    return unflatten_params(drawn)


def _write_word_list(path: Path) -> None:
    with DEFAULT_WORD_FREQUENCIES.open(encoding="utf-8") as source:
        lines = [line for _, line in zip(range(WORD_LIST_LINES), source, strict=False)]
    path.write_text("".join(lines), encoding="utf-8")
