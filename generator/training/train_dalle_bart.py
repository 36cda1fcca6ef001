"""Training DalleBart: caption -> VQGAN codes of the scene, teacher-forced cross-entropy.

Captions are normalised exactly as the pipeline normalises prompts (the model's config says
`normalize_text: true`), and a share of them (`caption_dropout`) is replaced by the empty
prompt, tokenised without normalisation as the pipeline tokenises it. That teaches the
unconditional distribution that super-conditioning contrasts with.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np
import optax

from generator.dalle_bart import (
    DalleBart,
    DalleBartConfig,
    DalleBartModule,
    init_dalle_bart,
    save_dalle_bart,
)
from generator.text import DEFAULT_WORD_FREQUENCIES
from generator.tokenizers import TOKENIZER_FILES, Tokenizer, encode_texts, load_bart_tokenizer
from generator.training.codes import encode_scenes
from generator.training.configs import TrainingConfig
from generator.training.dataset import load_scenes, normalised_captions
from generator.training.loop import TrainState, run_loop, saved_step
from generator.training.optim import make_optimizer, strong_types
from generator.training.paths import RunPaths
from generator.vqgan import VQGANConfig, load_vqgan

WORD_FREQUENCIES_NAME = "enwiki-words-frequency.txt"


def dalle_bart_config(
    config: TrainingConfig, tokenizer: Tokenizer, vqgan: VQGANConfig
) -> DalleBartConfig:
    return config.dalle_bart.model_config(len(tokenizer), vqgan.n_embed, vqgan.num_tokens)


def tokenize_captions(
    tokenizer: Tokenizer, texts: list[str], max_length: int
) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and mask of captions already normalised (`normalised_captions`)."""
    ids, mask = encode_texts(tokenizer, texts, max_length)
    if mask[:, -1].any():
        raise ValueError(f"some captions are longer than max_text_length={max_length} tokens")
    return ids, mask


def make_train_step(
    model_config: DalleBartConfig,
    optimizer: optax.GradientTransformation,
    compute_dtype: str = "float32",
) -> Any:
    # Parameters stay float32; with bfloat16 the matrix products run in it (fast on a GPU).
    module = DalleBartModule(model_config, dtype=jnp.dtype(compute_dtype))
    start = model_config.start_token

    def loss_fn(
        params: Any, ids: jax.Array, mask: jax.Array, codes: jax.Array
    ) -> tuple[jax.Array, dict[str, jax.Array]]:
        starts = jnp.full((codes.shape[0], 1), start, codes.dtype)
        decoder_input = jnp.concatenate([starts, codes[:, :-1]], axis=1)
        logits = cast(jax.Array, module.apply({"params": params}, ids, mask, decoder_input))
        loss = optax.softmax_cross_entropy_with_integer_labels(logits, codes).mean()
        accuracy = jnp.mean(jnp.argmax(logits, axis=-1) == codes)
        return loss, {"loss": loss, "accuracy": accuracy}

    @partial(jax.jit, donate_argnums=(0, 1))
    def step(
        params: Any, opt_state: Any, ids: jax.Array, mask: jax.Array, codes: jax.Array
    ) -> tuple[Any, Any, dict[str, jax.Array]]:
        (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, ids, mask, codes)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, metrics

    return step


@dataclasses.dataclass(frozen=True)
class CaptionCodes:
    ids: np.ndarray  # int32 [N, L]
    mask: np.ndarray  # int32 [N, L]
    codes: np.ndarray  # int16 [N, tokens]
    empty_ids: np.ndarray  # int32 [L]: the empty prompt
    empty_mask: np.ndarray

    def batch(
        self, step: int, batch_size: int, dropout: float, seed: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Random rows (a pure function of the step), some captions dropped to the empty one."""
        rng = np.random.default_rng([seed, 2, step])
        rows = rng.integers(0, len(self.codes), batch_size)
        dropped = rng.random(batch_size) < dropout
        ids = np.where(dropped[:, None], self.empty_ids, self.ids[rows])
        mask = np.where(dropped[:, None], self.empty_mask, self.mask[rows])
        return ids, mask, self.codes[rows].astype(np.int32)


def prepare_data(paths: RunPaths, config: TrainingConfig) -> tuple[CaptionCodes, DalleBartConfig]:
    """Tokenised captions and (encoding them first if needed) the scenes' VQGAN codes."""
    scenes = load_scenes(paths.scenes, config.data.train_scenes, config.data.image_size)
    vqgan = load_vqgan(paths.trained(paths.vqgan))
    vqgan_step = saved_step(paths.vqgan)
    codes = encode_scenes(paths.codes, scenes, vqgan, vqgan_step, config.data.chunk)
    tokenizer = load_bart_tokenizer(paths.bart_tokenizer)
    model_config = dalle_bart_config(config, tokenizer, vqgan.config)
    texts = normalised_captions(paths.scenes, scenes.captions)
    ids, mask = tokenize_captions(tokenizer, texts, model_config.max_text_length)
    empty_ids, empty_mask = encode_texts(tokenizer, [""], model_config.max_text_length)
    return CaptionCodes(ids, mask, codes, empty_ids[0], empty_mask[0]), model_config


def train_dalle_bart(
    paths: RunPaths,
    config: TrainingConfig,
    stop_after: int | None = None,
    budget_seconds: float | None = None,
) -> TrainState:
    """Train (or resume) DalleBart; its published-layout model is kept in `dalle_bart/model/`."""
    data, model_config = prepare_data(paths, config)
    settings = config.dalle_bart
    optimizer = make_optimizer(settings.optimizer)
    train_step = make_train_step(model_config, optimizer, settings.compute_dtype)
    key = jax.random.fold_in(jax.random.key(config.seed), 3)

    def initial() -> TrainState:
        params = strong_types(init_dalle_bart(model_config, key).params)
        return TrainState(0, params, optimizer.init(params))

    def step(state: TrainState, index: int) -> tuple[TrainState, Mapping[str, Any]]:
        batch = data.batch(
            index, settings.optimizer.batch_size, settings.caption_dropout, config.seed
        )
        params, opt_state, metrics = train_step(state.params, state.opt_state, *batch)
        return TrainState(index, params, opt_state), metrics

    def export(state: TrainState) -> None:
        write_dalle_bart_dir(
            DalleBart(model_config, state.params),
            paths.bart_tokenizer,
            paths.trained(paths.dalle_bart),
        )

    return run_loop(
        paths.dalle_bart,
        "dalle_bart",
        initial,
        step,
        settings.optimizer,
        stop_after=stop_after,
        on_checkpoint=export,
        budget_seconds=budget_seconds,
    )


def write_dalle_bart_dir(model: DalleBart, tokenizer_dir: Path, directory: Path) -> None:
    """The published layout: weights, config, tokenizer files and the word-frequency list."""
    save_dalle_bart(model, directory)
    for name in TOKENIZER_FILES:
        if (tokenizer_dir / name).is_file():
            shutil.copyfile(tokenizer_dir / name, directory / name)
    shutil.copyfile(DEFAULT_WORD_FREQUENCIES, directory / WORD_FREQUENCIES_NAME)
