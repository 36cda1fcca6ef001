"""The training run, step by step. Every step resumes: finished work is kept and skipped.

scenes      render the captioned training scenes
tokenizer   train the BART (DalleBart) and CLIP byte-level BPE tokenizers on the captions
recogniser  train the recogniser (the legibility judge) on the real scenes
vqgan       train the VQGAN
dalle_bart  encode the scenes with the VQGAN once, then train DalleBart
clip        train CLIP on (caption, scene) pairs
decoder     train the VQGAN's decoder further against CLIP's features (codes unchanged)
evaluate    compute the model card's figures and draw the contact sheet
assemble    gather the models into DIR/model/ (the layout `Generator` loads)
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import jax
import numpy as np

from generator.checkpoint import PARAMS_NAME, read_params, write_params
from generator.legibility import VOCABULARY_FILE
from generator.training.bpe import train_bart_tokenizer, train_clip_tokenizer
from generator.training.captions import write_vocabulary
from generator.training.configs import TrainingConfig
from generator.training.dataset import load_scenes, normalised_captions, render_scenes
from generator.training.evaluate import evaluate
from generator.training.objects import objects_by_noun
from generator.training.paths import RunPaths, update_model_info
from generator.training.train_clip import train_clip
from generator.training.train_dalle_bart import train_dalle_bart
from generator.training.train_decoder import train_decoder
from generator.training.train_recogniser import train_recogniser
from generator.training.train_vqgan import train_vqgan

TIMINGS_FILE = "timings.json"


def step_scenes(paths: RunPaths, config: TrainingConfig) -> None:
    data = config.data
    render_scenes(paths.scenes, data.train_scenes, data.image_size, data.chunk)


def step_tokenizer(paths: RunPaths, config: TrainingConfig) -> None:
    scenes = load_scenes(paths.scenes, config.data.train_scenes, config.data.image_size)
    if not (paths.bart_tokenizer / "tokenizer.json").exists():
        # DalleBart reads normalised text, so its tokenizer learns normalised captions.
        normalised = normalised_captions(paths.scenes, scenes.captions)
        train_bart_tokenizer(normalised, paths.bart_tokenizer, config.data.bart_vocab_size)
    if not (paths.clip_tokenizer / "tokenizer.json").exists():
        train_clip_tokenizer(scenes.captions, paths.clip_tokenizer, config.data.clip_vocab_size)


Step = Callable[[RunPaths, TrainingConfig, "int | None", "float | None"], None]
Trainer = Callable[[RunPaths, TrainingConfig, "int | None", "float | None"], object]


def whole_step(run: Callable[[RunPaths, TrainingConfig], None]) -> Step:
    """A step that always runs to its end: `--stop-after` and `--minutes` do not apply to it."""

    def step(
        paths: RunPaths, config: TrainingConfig, stop_after: int | None, minutes: float | None
    ) -> None:
        run(paths, config)

    return step


def training_step(name: str, train: Trainer) -> Step:
    """The step of a training stage: its trainer, given the stage's share of `--minutes`."""

    def step(
        paths: RunPaths, config: TrainingConfig, stop_after: int | None, minutes: float | None
    ) -> None:
        train(paths, config, stop_after, _budget(config, name, minutes))

    return step


def step_evaluate(paths: RunPaths, config: TrainingConfig) -> None:
    metrics = evaluate(paths, config)
    print(json.dumps(metrics, indent=2))


def step_assemble(paths: RunPaths, config: TrainingConfig) -> None:
    """Copy the trained models into DIR/model/{dalle_bart,vqgan,clip,recogniser}/.

    Weights are stored in float16 (half the size; every model loads them into float32, and
    the VQGAN still computes in float32), and the words the model knows go into
    `vocabulary.txt`, which lets the platform warn about a prompt it cannot draw.
    """
    target = paths.model
    # The VQGAN with the decoder stage's decoder; an adopted VQGAN whose decoder this run did
    # not train ships as it came.
    vqgan = paths.decoder if paths.trained(paths.decoder).is_dir() else paths.vqgan
    for name, stage in (
        ("dalle_bart", paths.dalle_bart),
        ("vqgan", vqgan),
        ("clip", paths.clip),
        ("recogniser", paths.recogniser),
    ):
        source = paths.trained(stage)
        if not source.is_dir():
            raise FileNotFoundError(f"{source} does not exist: run the '{name}' step first")
        if (target / name).exists():
            shutil.rmtree(target / name)
        shutil.copytree(source, target / name)
        store_float16(target / name / PARAMS_NAME)
    name_plurals(target / "recogniser" / "config.json")
    write_vocabulary(target / VOCABULARY_FILE)
    update_model_info(paths, name=f"sixfold-emoji-{config.name}")


def name_plurals(path: Path) -> None:
    """Write the objects' plurals into a recogniser's config (one trained before they were
    there lacks them), so the library reads prompts without the scene world's object table."""
    data = json.loads(path.read_text("utf-8"))
    table = objects_by_noun()
    data["plurals"] = [table[noun].plural for noun in data["objects"]]
    path.write_text(json.dumps(data, indent=2) + "\n", "utf-8")


def store_float16(path: Path) -> None:
    """Rewrite a parameter file with its floating-point arrays in float16."""
    params = jax.tree_util.tree_map(
        lambda leaf: leaf.astype(np.float16) if np.issubdtype(leaf.dtype, np.floating) else leaf,
        read_params(path),
    )
    write_params(path, params)


STEPS: dict[str, Step] = {
    "scenes": whole_step(step_scenes),
    "tokenizer": whole_step(step_tokenizer),
    "recogniser": training_step("recogniser", train_recogniser),
    "vqgan": training_step("vqgan", train_vqgan),
    "dalle_bart": training_step("dalle_bart", train_dalle_bart),
    "clip": training_step("clip", train_clip),
    "decoder": training_step("decoder", train_decoder),
    "evaluate": whole_step(step_evaluate),
    "assemble": whole_step(step_assemble),
}
ALL = (
    "scenes",
    "tokenizer",
    "recogniser",
    "vqgan",
    "dalle_bart",
    "clip",
    "decoder",
    "assemble",
    "evaluate",
)


def _budget(config: TrainingConfig, stage: str, minutes: float | None) -> float | None:
    """Seconds of a time budget in minutes that a training stage gets (its configured share)."""
    if minutes is None:
        return None
    return 60.0 * minutes * dict(config.budget_shares)[stage]


def run_steps(
    names: list[str],
    paths: RunPaths,
    config: TrainingConfig,
    stop_after: int | None,
    minutes: float | None = None,
) -> None:
    """Run steps in order. `minutes`: fit each training stage's steps to its share of it (a
    training stage run on its own gets all of it)."""
    if len(names) == 1 and names[0] in dict(config.budget_shares):
        config = dataclasses.replace(config, budget_shares=((names[0], 1.0),))
    for name in names:
        print(f"== {name} ==", flush=True)
        started = time.monotonic()
        STEPS[name](paths, config, stop_after, minutes)
        record_step_time(paths, name, time.monotonic() - started)


def record_step_time(paths: RunPaths, name: str, seconds: float) -> None:
    """Add to the wall time of a step (all sessions of a resumed run), for the model card."""
    path = paths.root / TIMINGS_FILE
    timings = json.loads(path.read_text("utf-8")) if path.exists() else {}
    timings[name] = round(timings.get(name, 0.0) + seconds, 1)
    path.write_text(json.dumps(timings, indent=2) + "\n", "utf-8")
