"""The training scenes as VQGAN codes, encoded once (in resumable chunks) for DalleBart.

codes/codes.npy   int16 [N, tokens], memory-mapped
codes/done.json   {"count": n, "vqgan_step": s}: how many rows are final, and which VQGAN
                  checkpoint encoded them (codes from another VQGAN are refused)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from generator.training.dataset import DatasetError, SceneSet
from generator.vqgan import VQGAN

CODES_FILE = "codes.npy"
DONE_FILE = "done.json"
ENCODE_BATCH = 250


def _read_done(directory: Path) -> dict[str, int]:
    path = directory / DONE_FILE
    return json.loads(path.read_text("utf-8")) if path.exists() else {"count": 0}


def encode_scenes(
    directory: Path, scenes: SceneSet, vqgan: VQGAN, vqgan_step: int, chunk: int
) -> np.ndarray:
    """Codes of every scene, int16 [N, tokens]; resumes a previous partial encoding."""
    directory.mkdir(parents=True, exist_ok=True)
    count, tokens = len(scenes.captions), vqgan.config.num_tokens
    done = _read_done(directory)
    if done["count"] and done.get("vqgan_step") != vqgan_step:
        raise DatasetError(
            f"{directory} holds codes from VQGAN step {done.get('vqgan_step')}, but the VQGAN "
            f"is now at step {vqgan_step}; delete {directory} to encode the scenes again"
        )
    path = directory / CODES_FILE
    if path.exists():
        codes = np.load(path, mmap_mode="r+")
    else:
        codes = np.lib.format.open_memmap(path, "w+", np.int16, (count, tokens))
    if codes.shape != (count, tokens):
        raise DatasetError(f"{path} holds {codes.shape}, expected {(count, tokens)}")
    start = done["count"]
    with tqdm(total=count, initial=start, desc="encode", unit="scene", dynamic_ncols=True) as bar:
        while start < count:
            end = min(start + chunk, count)
            for first in range(start, end, ENCODE_BATCH):
                last = min(first + ENCODE_BATCH, end)
                images = np.asarray(scenes.images[first:last], np.float32) / 255.0
                codes[first:last] = vqgan.encode(images).astype(np.int16)
                bar.update(last - first)
            codes.flush()
            start = end
            state = {"count": start, "vqgan_step": vqgan_step}
            (directory / DONE_FILE).write_text(json.dumps(state) + "\n", "utf-8")
    return np.asarray(codes)
