"""The rendered training set on disk, written in resumable chunks.

    scenes/images.npy     uint8 [N, S, S, 3] (a memory-mapped .npy, filled chunk by chunk)
    scenes/captions.txt   one caption per line, appended after each chunk's pixels are flushed,
                          so its line count is always a safe resume point
    scenes/preview.png    the first 32 scenes with their captions
    scenes/captions.normalised.txt  the captions as DalleBart reads them (normalised once, in
                          parallel: the BART tokenizer and DalleBart's training both need them)

Sample i of the set is `draw_sample(i, "train")`, so a resumed render writes the same bytes.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from tqdm.auto import tqdm

from generator.training.splits import draw_samples

IMAGES_FILE = "images.npy"
CAPTIONS_FILE = "captions.txt"
NORMALISED_FILE = "captions.normalised.txt"
PREVIEW_FILE = "preview.png"


class DatasetError(RuntimeError):
    """The scenes on disk are missing, incomplete or do not match the configuration."""


def _render_chunk(job: tuple[int, int, int]) -> tuple[list[str], np.ndarray]:
    start, count, size = job
    return draw_samples(start, count, "train", size)


def render_scenes(
    directory: Path, count: int, size: int, chunk: int, workers: int | None = None
) -> None:
    """Render train samples 0..count-1 into `directory`, resuming where a previous run stopped.

    Chunks are drawn by `workers` processes (default: one per core) and written in order, so
    the result is the same bytes whatever the number of processes.
    """
    directory.mkdir(parents=True, exist_ok=True)
    images_path, captions_path = directory / IMAGES_FILE, directory / CAPTIONS_FILE
    shape = (count, size, size, 3)
    if images_path.exists():
        images = np.load(images_path, mmap_mode="r+")
        if images.shape != shape:
            raise DatasetError(
                f"{images_path} holds {images.shape} but the configuration wants {shape}; "
                "use another --out directory or delete it"
            )
    else:
        images = np.lib.format.open_memmap(images_path, mode="w+", dtype=np.uint8, shape=shape)
    done = _count_lines(captions_path)
    jobs = [(start, min(chunk, count - start), size) for start in range(done, count, chunk)]
    workers = workers or os.cpu_count() or 1
    # Spawned, not forked: the parent may already hold JAX's threads.
    context = multiprocessing.get_context("spawn")
    with (
        tqdm(total=count, initial=done, desc="scenes", unit="scene", dynamic_ncols=True) as bar,
        ProcessPoolExecutor(min(workers, max(len(jobs), 1)), mp_context=context) as pool,
    ):
        for (start, size_now, _), (captions, pixels) in zip(
            jobs, pool.map(_render_chunk, jobs), strict=True
        ):
            images[start : start + size_now] = pixels
            images.flush()
            with captions_path.open("a", encoding="utf-8") as handle:
                handle.write("".join(caption + "\n" for caption in captions))
            bar.update(size_now)
    write_preview(directory / PREVIEW_FILE, *load_first(directory, 32))


def _normalise_chunk(captions: list[str]) -> list[str]:
    from generator.text import normalize_text

    return [normalize_text(caption) for caption in captions]


def normalised_captions(
    directory: Path, captions: list[str], workers: int | None = None
) -> list[str]:
    """The captions normalised as the pipeline normalises prompts, computed once and kept."""
    path = directory / NORMALISED_FILE
    if path.exists():
        normalised = path.read_text("utf-8").splitlines()
        if len(normalised) == len(captions):
            return normalised
    size = 2_000
    chunks = [captions[start : start + size] for start in range(0, len(captions), size)]
    workers = min(workers or os.cpu_count() or 1, max(len(chunks), 1))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        normalised = [text for chunk in pool.map(_normalise_chunk, chunks) for text in chunk]
    temporary = path.with_suffix(".tmp")
    temporary.write_text("".join(text + "\n" for text in normalised), "utf-8")
    os.replace(temporary, path)
    return normalised


def _count_lines(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


@dataclass(frozen=True)
class SceneSet:
    images: np.ndarray  # uint8 [N, S, S, 3], memory-mapped
    captions: list[str]


def load_scenes(directory: Path, count: int, size: int) -> SceneSet:
    """The complete rendered set; DatasetError if rendering has not finished."""
    images_path, captions_path = directory / IMAGES_FILE, directory / CAPTIONS_FILE
    if not images_path.exists() or not captions_path.exists():
        raise DatasetError(f"no rendered scenes in {directory}; run the 'scenes' step first")
    captions = captions_path.read_text("utf-8").splitlines()
    images = np.load(images_path, mmap_mode="r")
    if len(captions) != count or images.shape != (count, size, size, 3):
        raise DatasetError(
            f"{directory} holds {len(captions)} captions and images {images.shape}; the "
            f"configuration wants {count} scenes of {size}×{size}: run the 'scenes' step to finish"
        )
    return SceneSet(images, captions)


def load_first(directory: Path, count: int) -> tuple[np.ndarray, list[str]]:
    captions = (directory / CAPTIONS_FILE).read_text("utf-8").splitlines()[:count]
    images = np.load(directory / IMAGES_FILE, mmap_mode="r")[: len(captions)]
    return np.asarray(images), captions


def write_preview(
    path: Path, images: np.ndarray, captions: list[str], scale: int = 3, columns: int = 8
) -> None:
    """A contact sheet of scenes, upscaled without blur, each with its caption below."""
    size = images.shape[1] * scale
    cell_w, cell_h = max(size, 200) + 8, size + 40
    rows = (len(images) + columns - 1) // columns
    sheet = Image.new("RGB", (columns * cell_w, rows * cell_h), "white")
    draw = ImageDraw.Draw(sheet)
    for index, (image, caption) in enumerate(zip(images, captions, strict=True)):
        x, y = (index % columns) * cell_w, (index // columns) * cell_h
        sheet.paste(Image.fromarray(image).resize((size, size), Image.Resampling.NEAREST), (x, y))
        words = caption.split()
        half = (len(words) + 1) // 2
        draw.text((x, y + size + 2), " ".join(words[:half]), fill="black")
        draw.text((x, y + size + 16), " ".join(words[half:]), fill="black")
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)
