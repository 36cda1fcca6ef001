"""The one door from puzzles to the generator library.

The generator is loaded once per process (it is large and JAX compiles on first use) from
settings.SIXFOLD_MODEL_DIR, or from the built-in weights when that is empty. Images come back as
PNG bytes, best CLIP score first, so the rest of puzzles/ never touches PIL or JAX.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from generator.paths import BUILTIN_MODEL_DIR

if TYPE_CHECKING:
    import PIL.Image

    from generator.pipeline import Generator

Progress = Callable[[str, int, int], None]

# Pictures are stored at least this wide: small models draw 64×64, and a browser enlarging
# those to the game's ~400 px viewer smooths them into a blur. Enlarging here by a whole factor
# with nearest-neighbour keeps every drawn pixel a sharp square.
STORED_MIN_SIDE = 256


class GenerationError(RuntimeError):
    """Generation could not run or failed; the message says why."""


class ModelUnavailable(GenerationError):
    """The model directory is missing or incomplete."""


class StopGeneration(Exception):
    """Raised by a progress callback to abandon a run; it passes through unchanged."""


@dataclass(frozen=True)
class GeneratedImage:
    png: bytes
    score: float
    seed: int
    legibility: float | None = None


@dataclass(frozen=True)
class GeneratedSet:
    model_name: str
    images: list[GeneratedImage]  # every candidate, best CLIP score first


def model_dir() -> Path:
    configured = settings.SIXFOLD_MODEL_DIR
    return Path(configured) if configured else BUILTIN_MODEL_DIR


def prompt_warnings(text: str) -> list[str]:
    """What a curator should know before using a prompt with the configured model.

    The built-in model lists the words it was trained on; a word outside them draws vague
    shapes. A real checkpoint lists none, and nothing is said.
    """
    from generator.legibility import read_vocabulary, unknown_words

    vocabulary = read_vocabulary(model_dir())
    if vocabulary is None:
        return []
    unknown = unknown_words(text, vocabulary)
    if not unknown:
        return []
    quoted = ", ".join(f"'{word}'" for word in unknown)
    return [
        f"the model has never seen {quoted}: it would draw vague shapes there "
        "(its vocabulary is in its MODEL_CARD.md)"
    ]


def missing_model_parts(directory: Path | None = None) -> list[str]:
    """The subfolders a model directory lacks (empty when it looks complete)."""
    directory = model_dir() if directory is None else directory
    return [part for part in ("dalle_bart", "vqgan", "clip") if not (directory / part).is_dir()]


@functools.cache
def _load(directory: str) -> Generator:
    from generator.pipeline import Generator

    return Generator(directory)


def load_generator() -> Generator:
    """The generator for the configured model directory, loaded on first use in this process."""
    directory = model_dir()
    missing = missing_model_parts(directory)
    if missing:
        raise ModelUnavailable(
            f"no model at {directory}: missing {', '.join(missing)}. Train or copy the weights "
            "there, or point SIXFOLD_MODEL_DIR at a model directory."
        )
    try:
        return _load(str(directory.resolve()))
    except Exception as error:  # a broken checkpoint must not look like a crash of the job
        raise ModelUnavailable(f"cannot load the model at {directory}: {error}") from error


def generate_images(
    prompt: str, candidates: int, seed: int, progress: Progress | None = None
) -> GeneratedSet:
    """Draw `candidates` images for a prompt, ranked by CLIP score."""
    generator = load_generator()
    try:
        result = generator.generate(
            prompt, candidates=candidates, keep=candidates, seed=seed, progress=progress
        )
    except (GenerationError, StopGeneration):
        raise
    except Exception as error:
        raise GenerationError(f"the generator failed: {type(error).__name__}: {error}") from error
    images = [
        GeneratedImage(
            png=_png(candidate.image),
            score=float(candidate.score),
            seed=candidate.seed,
            legibility=candidate.legibility,
        )
        for candidate in result.candidates
    ]
    if len(images) != candidates:
        raise GenerationError(f"asked for {candidates} candidates, got {len(images)}")
    return GeneratedSet(model_name=generator.model_name, images=images)


def enlarge_for_display(image: PIL.Image.Image) -> PIL.Image.Image:
    """The picture scaled up by the smallest whole factor that makes it STORED_MIN_SIDE wide."""
    import PIL.Image

    factor = -(-STORED_MIN_SIDE // min(image.size))  # ceiling division
    if factor <= 1:
        return image
    size = (image.width * factor, image.height * factor)
    return image.resize(size, PIL.Image.Resampling.NEAREST)


def _png(image: PIL.Image.Image) -> bytes:
    buffer = io.BytesIO()
    enlarge_for_display(image).save(buffer, format="PNG")
    return buffer.getvalue()
