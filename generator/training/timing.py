"""`python -m generator.training time --size small`: seconds per step of each stage, and the
whole run extrapolated from them, measured on this machine with synthetic inputs of the real
shapes (no run directory needed). Compile time is reported apart from the steady state.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from generator.clip import init_clip
from generator.dalle_bart import init_dalle_bart
from generator.recogniser import init_params
from generator.training import (
    train_clip,
    train_dalle_bart,
    train_decoder,
    train_recogniser,
    train_vqgan,
)
from generator.training.codes import ENCODE_BATCH
from generator.training.configs import TrainingConfig
from generator.training.foils import scenes_with_foils
from generator.training.optim import make_optimizer, strong_types
from generator.training.splits import draw_samples
from generator.vqgan import init_vqgan

TEXT_LENGTH = 16  # a typical caption's tokens; the rest of max_text_length is padding


def _time(run: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """(first call incl. compilation, mean of the following calls) in seconds."""
    started = time.perf_counter()
    jax.block_until_ready(run())
    first = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(repeats):
        jax.block_until_ready(run())
    return first, (time.perf_counter() - started) / repeats


def _vqgan(config: TrainingConfig, repeats: int) -> tuple[float, float]:
    vq = config.vqgan
    optimizer = make_optimizer(vq.optimizer)
    step = train_vqgan.make_train_step(vq, optimizer)
    params = strong_types(init_vqgan(vq.model, jax.random.key(0)).params)
    state = [params, optimizer.init(params), jnp.zeros(vq.model.n_embed)]
    shape = (vq.optimizer.batch_size, vq.crop, vq.crop, 3)
    images = jnp.asarray(np.random.default_rng(0).random(shape), jnp.float32)

    def run() -> Any:
        phase = train_vqgan.StepPhase.at(1, vq)
        state[0], state[1], state[2], metrics = step(*state, images, jax.random.key(0), phase)
        return metrics["loss"]

    return _time(run, repeats)


def _dalle_bart(config: TrainingConfig, repeats: int) -> tuple[float, float]:
    vq = config.vqgan.model
    model_config = config.dalle_bart.model_config(
        config.data.bart_vocab_size, vq.n_embed, vq.num_tokens
    )
    optimizer = make_optimizer(config.dalle_bart.optimizer)
    step = train_dalle_bart.make_train_step(model_config, optimizer)
    params = strong_types(init_dalle_bart(model_config, jax.random.key(0)).params)
    state = [params, optimizer.init(params)]
    batch = config.dalle_bart.optimizer.batch_size
    length = model_config.max_text_length
    ids = np.ones((batch, length), np.int32)
    mask = (np.arange(length) < TEXT_LENGTH).astype(np.int32)[None].repeat(batch, 0)
    codes = np.random.default_rng(0).integers(0, vq.n_embed, (batch, vq.num_tokens))

    def run() -> Any:
        state[0], state[1], metrics = step(*state, ids, mask, codes.astype(np.int32))
        return metrics["loss"]

    return _time(run, repeats)


def _clip(config: TrainingConfig, repeats: int, ranking: bool = False) -> tuple[float, float]:
    """A CLIP step; `ranking`: a ranking-phase step, its scenes and foils rendered in it."""
    settings = config.clip
    model_config = settings.model_config(config.data.clip_vocab_size, config.data.image_size)
    optimizer = make_optimizer(settings.optimizer)
    step = train_clip.make_train_step(model_config, settings, optimizer)
    params = strong_types(init_clip(model_config, jax.random.key(0)).params)
    state = [params, optimizer.init(params)]
    batch, size = settings.optimizer.batch_size, config.data.image_size
    length = model_config.text_config.max_position_embeddings
    ids = np.arange(batch * length, dtype=np.int32).reshape(batch, length) % 500
    mask = np.ones_like(ids)
    images = 2 * batch if ranking else batch  # a ranking step has a foil for every scene
    pixels = np.random.default_rng(0).normal(size=(images, 3, size, size)).astype(np.float32)

    def run() -> Any:
        if ranking:
            scenes_with_foils(0, batch, size)
        state[0], state[1], metrics = step(*state, ids, mask, pixels)
        return metrics["loss"]

    return _time(run, repeats)


def _clip_ranking(config: TrainingConfig, repeats: int) -> tuple[float, float]:
    return _clip(config, repeats, ranking=True)


def _decoder(config: TrainingConfig, repeats: int) -> tuple[float, float]:
    """A decoder-stage step: fresh scenes rendered, encoded, some codes drawn again by DalleBart,
    decoded with the prompt, compared by CLIP and, when configured, judged by the discriminator."""
    settings, size = config.decoder, config.data.image_size
    clip_config = config.clip.model_config(config.data.clip_vocab_size, size)
    bart_config = config.dalle_bart.model_config(
        config.data.bart_vocab_size, config.vqgan.model.n_embed, config.vqgan.model.num_tokens
    )
    stage = train_decoder.build_stage(
        init_vqgan(config.vqgan.model, jax.random.key(0)),
        init_clip(clip_config, jax.random.key(1)),
        init_dalle_bart(bart_config, jax.random.key(2)),
        settings,
        jax.random.key(3),
    )
    optimizer = make_optimizer(settings.optimizer)
    step = train_decoder.make_train_step(stage.models, optimizer)
    fresh = train_decoder.fresh_state(stage, optimizer)
    state = [fresh.params, fresh.opt_state, fresh.extra]
    batch_size = settings.optimizer.batch_size
    rng = np.random.default_rng(0)

    def tokens(vocabulary: int, length: int, rows: int) -> jax.Array:
        return jnp.asarray(rng.integers(0, vocabulary, (rows, length)), jnp.int32)

    def run() -> Any:
        _, images = draw_samples(0, batch_size, "train", size)
        clip_ids = tokens(
            config.data.clip_vocab_size, clip_config.text_config.max_position_embeddings, batch_size
        )
        bart_ids = tokens(config.data.bart_vocab_size, bart_config.max_text_length, batch_size)
        batch = train_decoder.SceneBatch(
            images=jnp.asarray(images, jnp.float32) / 255.0,
            clip_ids=clip_ids,
            clip_mask=jnp.ones_like(clip_ids),
            bart_ids=bart_ids,
            bart_mask=jnp.ones_like(bart_ids),
            empty_ids=bart_ids[:1],
            empty_mask=jnp.ones_like(bart_ids[:1]),
            degraded=jnp.arange(batch_size) % 4 != 0,
        )
        state[0], state[1], state[2], metrics = step(
            *state, stage.frozen, batch, jax.random.key(0), jnp.asarray(True)
        )
        return metrics["loss"]

    return _time(run, repeats)


def _recogniser(config: TrainingConfig, repeats: int) -> tuple[float, float]:
    model = train_recogniser.recogniser_config(config)
    optimizer = make_optimizer(config.recogniser.optimizer)
    step = train_recogniser.make_train_step(model, optimizer)
    params = strong_types(init_params(model, jax.random.key(0)))
    state = [params, optimizer.init(params)]
    batch, size = config.recogniser.optimizer.batch_size, config.data.image_size
    images = np.random.default_rng(0).random((batch, size, size, 3)).astype(np.float32)
    counts = np.zeros((batch, len(model.objects)), np.int32)
    settings = np.zeros(batch, np.int32)

    def run() -> Any:
        state[0], state[1], metrics = step(*state, images, counts, settings)
        return metrics["loss"]

    return _time(run, repeats)


def _encode(config: TrainingConfig, repeats: int) -> tuple[float, float]:
    model = init_vqgan(config.vqgan.model, jax.random.key(0))
    size = config.data.image_size
    images = np.random.default_rng(0).random((ENCODE_BATCH, size, size, 3)).astype(np.float32)
    return _time(lambda: model.encode(images), repeats)


def _render(config: TrainingConfig, repeats: int) -> tuple[float, float]:
    draw_samples(0, 50, "train", config.data.image_size)  # warm the glyph caches
    return _time(lambda: draw_samples(1000, 200, "train", config.data.image_size), repeats)


def measure(config: TrainingConfig, repeats: int = 3) -> list[tuple[str, float, float, float]]:
    """Rows of (stage, compile seconds, seconds per unit, units in the run)."""
    data = config.data
    per_batch_encode = data.train_scenes / ENCODE_BATCH
    clip_steps, ranking_from = config.clip.optimizer.steps, config.clip.ranking_from
    ranking_steps = 0 if ranking_from is None else max(clip_steps - ranking_from, 0)
    stages = [
        ("render scenes (per 200)", _render, data.train_scenes / 200),
        ("recogniser step", _recogniser, config.recogniser.optimizer.steps),
        ("vqgan step", _vqgan, config.vqgan.optimizer.steps),
        (f"encode (per {ENCODE_BATCH} scenes)", _encode, per_batch_encode),
        ("dalle_bart step", _dalle_bart, config.dalle_bart.optimizer.steps),
        ("clip step", _clip, clip_steps - ranking_steps),
        ("clip ranking step", _clip_ranking, ranking_steps),
        ("decoder step", _decoder, config.decoder.optimizer.steps),
    ]
    rows = []
    for name, function, units in stages:
        first, steady = function(config, repeats)
        rows.append((name, first, steady, units))
    return rows


def print_table(config: TrainingConfig, rows: list[tuple[str, float, float, float]]) -> None:
    print(f"size {config.name!r} on {jax.devices()[0].platform} ({jax.device_count()} device(s))")
    print(f"{'stage':28} {'first call s':>12} {'s/unit':>9} {'units':>8} {'total min':>10}")
    total = 0.0
    for name, first, steady, units in rows:
        minutes = (first + steady * units) / 60
        total += minutes
        print(f"{name:28} {first:12.1f} {steady:9.3f} {units:8.0f} {minutes:10.1f}")
    print(f"{'all (without evaluation)':28} {'':12} {'':9} {'':8} {total:10.1f}")
