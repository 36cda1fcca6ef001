"""Prompt in, ranked pictures out: DalleBart samples, the VQGAN draws, CLIP ranks.

A model directory holds three subfolders in the published layouts:

    dalle_bart/  config.json, flax_model.msgpack, tokenizer files, enwiki-words-frequency.txt
    vqgan/       config.json, flax_model.msgpack
    clip/        config.json, flax_model.msgpack, tokenizer files

and optionally `model.json`: `{"name": ..., "sampling": {"condition_scale": ...}}` names the
model for people and gives its own sampling defaults (a small model trained here draws best at a
lower condition scale than DALL·E Mini's 10). Fields it leaves out keep SamplingConfig's defaults.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import jax.numpy as jnp
import numpy as np
from PIL import Image

from generator.checkpoint import CheckpointError, resolve_model_dir
from generator.clip import CLIP, load_clip
from generator.dalle_bart import DalleBart, load_dalle_bart
from generator.legibility import LegibilityJudge
from generator.paths import BUILTIN_MODEL_DIR
from generator.prompting import check_pair, draw
from generator.sampler import SamplingConfig, sample_image_tokens
from generator.text import DEFAULT_WORD_FREQUENCIES, normalize_text
from generator.tokenizers import Tokenizer, encode_texts, load_bart_tokenizer
from generator.vqgan import VQGAN, load_vqgan

DEFAULT_MODEL_DIR = BUILTIN_MODEL_DIR  # read at call time, so that tests can point it elsewhere
MODEL_DIR_ENV = "SIXFOLD_MODEL_DIR"
SUBFOLDERS = ("dalle_bart", "vqgan", "clip")
WORD_FREQUENCIES_NAME = "enwiki-words-frequency.txt"

Progress = Callable[[str, int, int], None]


@dataclasses.dataclass(frozen=True)
class Candidate:
    """One generated picture with its CLIP score against the prompt and the seed that drew it.

    `legibility`: how plainly it shows the prompt's objects (0-1), where the model ships a
    recogniser and the prompt names objects it knows; else None.
    """

    image: Image.Image
    score: float
    seed: int
    legibility: float | None = None


@dataclasses.dataclass(frozen=True)
class GenerationResult:
    """All candidates, best CLIP score first; `kept` are the first `keep` of them."""

    prompt: str
    text: str  # what DalleBart read: the prompt after normalisation
    model_name: str
    candidates: list[Candidate]
    keep: int
    sampling: SamplingConfig

    @property
    def kept(self) -> list[Candidate]:
        return self.candidates[: self.keep]


def find_model_dir(path: str | os.PathLike[str] | None) -> Path:
    """`path`, or the built-in weights when None; checked to hold the three model folders."""
    if path is None:
        if not DEFAULT_MODEL_DIR.is_dir() or not any(
            (DEFAULT_MODEL_DIR / name).is_dir() for name in SUBFOLDERS
        ):
            raise CheckpointError(
                f"the built-in weights are not installed ({DEFAULT_MODEL_DIR} has no model); "
                f"pass a model directory with --model-dir (or {MODEL_DIR_ENV}) holding "
                "dalle_bart/, vqgan/ and clip/"
            )
        directory = DEFAULT_MODEL_DIR
    else:
        directory = resolve_model_dir(path)
    missing = [name for name in SUBFOLDERS if not (directory / name).is_dir()]
    if missing:
        raise CheckpointError(
            f"{directory} is not a Sixfold model directory: missing "
            + ", ".join(f"{name}/" for name in missing)
            + " (it needs dalle_bart/, vqgan/ and clip/; see docs/real-checkpoints.md)"
        )
    return directory


MODEL_INFO_FILE = "model.json"  # the model's name and sampling defaults


def _read_model_json(directory: Path) -> dict[str, Any]:
    path = directory / MODEL_INFO_FILE
    if not path.is_file():
        return {}
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        info = None
    if not isinstance(info, dict):
        raise CheckpointError(f'{path}: must be a JSON object like {{"name": ...}}')
    return info


def read_model_name(directory: Path) -> str:
    """The `name` in `model.json` when there is one, else the directory's name."""
    name = _read_model_json(directory).get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    return directory.resolve().name


def read_default_sampling(directory: Path) -> SamplingConfig:
    """The model's own sampling defaults from `model.json`, else SamplingConfig's."""
    fields = _read_model_json(directory).get("sampling", {})
    known = {field.name for field in dataclasses.fields(SamplingConfig)}
    if not isinstance(fields, dict) or set(fields) - known:
        raise CheckpointError(
            f"{directory / 'model.json'}: 'sampling' must be an object with some of "
            f"{sorted(known)}, got {fields!r}"
        )
    try:
        return SamplingConfig(**fields)
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{directory / 'model.json'}: sampling: {error}") from None


class Generator:
    """Loads the three models once; `generate` draws and ranks pictures for a prompt."""

    def __init__(
        self,
        model_dir: str | os.PathLike[str] | None = None,
        dtype: Any = jnp.float32,
        batch_size: int = 8,
    ) -> None:
        directory = find_model_dir(model_dir)
        bart_dir = directory / "dalle_bart"
        word_frequencies = bart_dir / WORD_FREQUENCIES_NAME
        self._setup(
            bart=load_dalle_bart(bart_dir, dtype=dtype),
            vqgan=load_vqgan(directory / "vqgan"),  # fp32 always: fp16 VQGANs draw artefacts
            clip=load_clip(directory / "clip"),
            bart_tokenizer=load_bart_tokenizer(bart_dir),
            # Real checkpoints ship this file beside the model; fall back to the built-in list.
            word_frequencies=word_frequencies
            if word_frequencies.is_file()
            else DEFAULT_WORD_FREQUENCIES,
            model_name=read_model_name(directory),
            batch_size=batch_size,
            sampling=read_default_sampling(directory),
            judge=LegibilityJudge.for_model(directory),
        )
        self.model_dir: Path | None = directory

    @classmethod
    def from_parts(
        cls,
        bart: DalleBart,
        vqgan: VQGAN,
        clip: CLIP,
        bart_tokenizer: Tokenizer,
        word_frequencies: str | os.PathLike[str] = DEFAULT_WORD_FREQUENCIES,
        model_name: str = "unnamed",
        batch_size: int = 8,
        sampling: SamplingConfig | None = None,
        judge: LegibilityJudge | None = None,
    ) -> Generator:
        """A generator over models already loaded (or freshly initialised)."""
        generator = cls.__new__(cls)
        generator._setup(
            bart,
            vqgan,
            clip,
            bart_tokenizer,
            Path(word_frequencies),
            model_name,
            batch_size,
            sampling or SamplingConfig(),
            judge,
        )
        generator.model_dir = None
        return generator

    def _setup(
        self,
        bart: DalleBart,
        vqgan: VQGAN,
        clip: CLIP,
        bart_tokenizer: Tokenizer,
        word_frequencies: Path,
        model_name: str,
        batch_size: int,
        sampling: SamplingConfig,
        judge: LegibilityJudge | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        grid = vqgan.config.num_tokens
        if bart.config.image_length != grid:
            raise CheckpointError(
                f"DalleBart draws {bart.config.image_length} image tokens but the VQGAN decodes "
                f"a grid of {grid}; they are not a pair"
            )
        if bart.config.image_codes > vqgan.config.n_embed:
            raise CheckpointError(
                f"DalleBart draws codes up to {bart.config.image_codes} but the VQGAN codebook "
                f"has {vqgan.config.n_embed}; they are not a pair"
            )
        check_pair(vqgan, clip)
        self.bart, self.vqgan, self.clip = bart, vqgan, clip
        self.bart_tokenizer = bart_tokenizer
        self.word_frequencies = word_frequencies
        self.model_name = model_name
        self.batch_size = batch_size
        self.default_sampling = sampling  # what `generate` uses when not told otherwise
        self.judge = judge

    def prepare_text(self, prompt: str) -> str:
        """The text DalleBart reads: normalised as in training when its config says so."""
        if self.bart.config.normalize_text:
            return normalize_text(prompt, self.word_frequencies)
        return prompt

    def generate(
        self,
        prompt: str,
        candidates: int = 16,
        keep: int = 6,
        seed: int = 0,
        sampling: SamplingConfig | None = None,
        progress: Progress | None = None,
    ) -> GenerationResult:
        """Draw `candidates` pictures (seeds seed, seed+1, …) and rank them by CLIP score."""
        _check_request(prompt, candidates, keep, seed)
        sampling = sampling or self.default_sampling
        report = progress or _ignore_progress
        seeds = list(range(seed, seed + candidates))

        report("encode", 0, 1)
        text = self.prepare_text(prompt)
        length = self.bart.config.max_text_length
        input_ids, mask = encode_texts(self.bart_tokenizer, [text], length)
        # Super-conditioning contrasts with the empty prompt, tokenised without normalisation.
        uncond_ids, uncond_mask = encode_texts(self.bart_tokenizer, [""], length)
        report("encode", 1, 1)

        tokens = self._in_batches(
            "sample",
            seeds,
            report,
            lambda chunk: sample_image_tokens(
                self.bart, input_ids, mask, uncond_ids, uncond_mask, chunk, sampling
            ),
        )
        pixels = self._in_batches(
            "decode", tokens, report, lambda chunk: draw(self.vqgan, self.clip, chunk, [prompt])
        )
        # CLIP judges the prompt as the person wrote it, as dalle-mini's reranking does.
        scores = self._in_batches(
            "rank", pixels, report, lambda chunk: np.asarray(self.clip.score([prompt], chunk))[:, 0]
        )

        legibility = self._judge(prompt, pixels, report)
        ranked = sorted(
            (
                Candidate(Image.fromarray(image), float(score), seed, judged)
                for image, score, seed, judged in zip(
                    pixels, scores, seeds, legibility, strict=True
                )
            ),
            key=lambda candidate: -candidate.score,  # stable: equal scores keep seed order
        )
        return GenerationResult(prompt, text, self.model_name, ranked, keep, sampling)

    def _judge(self, prompt: str, pixels: np.ndarray, report: Progress) -> list[float | None]:
        """Each picture's legibility, or None for each when there is no judge or no object."""
        scores = None
        if self.judge is not None:
            report("judge", 0, len(pixels))
            scores = self.judge.score(prompt, pixels)
            report("judge", len(pixels), len(pixels))
        return list(scores) if scores is not None else [None] * len(pixels)

    def _in_batches(
        self,
        stage: str,
        items: Sequence[Any] | np.ndarray,
        report: Progress,
        work: Callable[[Any], Any],
    ) -> np.ndarray:
        total = len(items)
        report(stage, 0, total)
        parts = []
        for start, chunk in _chunks(items, self.batch_size):
            parts.append(np.asarray(work(chunk)))
            report(stage, start + len(chunk), total)
        return np.concatenate(parts)


def _chunks(items: Sequence[Any] | np.ndarray, size: int) -> Iterator[tuple[int, Any]]:
    for start in range(0, len(items), size):
        yield start, items[start : start + size]


def _check_request(prompt: str, candidates: int, keep: int, seed: int) -> None:
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError("the prompt is empty")
    if not isinstance(candidates, int) or candidates < 1:
        raise ValueError(f"candidates must be a positive integer, got {candidates!r}")
    if not isinstance(keep, int) or not 1 <= keep <= candidates:
        raise ValueError(f"keep must be between 1 and candidates={candidates}, got {keep!r}")
    if not isinstance(seed, int) or seed < 0 or seed + candidates > 2**32:
        raise ValueError(f"seed must be an integer in 0…{2**32 - candidates}, got {seed!r}")


def _ignore_progress(stage: str, done: int, total: int) -> None:
    pass
