"""Training CLIP contrastively on (caption, rendered scene) pairs.

The symmetric InfoNCE loss of CLIP over a batch: every scene should score its own caption above
the other captions of the batch, and every caption its own scene. The temperature is learned
(`logit_scale`, clamped at ln 100 as in CLIP). Pixels are normalised exactly as
`CLIP.preprocess` normalises 64×64 images (its resize and centre crop are identities at the
training size), so the ranker sees at run time what it saw in training.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np
import optax

from generator.clip import (
    CLIP,
    CLIP_MEAN,
    CLIP_STD,
    CLIPConfig,
    CLIPModule,
    CLIPTextConfig,
    CLIPVisionConfig,
    init_clip,
    save_clip,
)
from generator.tokenizers import Tokenizer, encode_texts, load_clip_tokenizer
from generator.training.configs import CLIPTrainingConfig, TrainingConfig
from generator.training.dataset import SceneSet, load_scenes
from generator.training.loop import TrainState, run_loop
from generator.training.optim import make_optimizer, strong_types
from generator.training.paths import RunPaths


def clip_config(config: TrainingConfig, tokenizer: Tokenizer) -> CLIPConfig:
    settings = config.clip
    return CLIPConfig(
        text_config=CLIPTextConfig(vocab_size=len(tokenizer), **settings.text),
        vision_config=CLIPVisionConfig(image_size=config.data.image_size, **settings.vision),
        projection_dim=settings.projection_dim,
    )


def pixel_values(images: np.ndarray) -> np.ndarray:
    """uint8 [B, H, W, 3] -> float32 NCHW normalised with the CLIP mean and std."""
    values = (images.astype(np.float32) / 255.0 - np.asarray(CLIP_MEAN, np.float32)) / np.asarray(
        CLIP_STD, np.float32
    )
    return values.transpose(0, 3, 1, 2)


def contrastive_loss(
    params: Any, module: CLIPModule, ids: jax.Array, mask: jax.Array, pixels: jax.Array
) -> tuple[jax.Array, dict[str, jax.Array]]:
    text, image, logit_scale = cast(
        tuple[jax.Array, ...], module.apply({"params": params}, ids, mask, pixels)
    )
    text = text / jnp.linalg.norm(text, axis=-1, keepdims=True)
    image = image / jnp.linalg.norm(image, axis=-1, keepdims=True)
    logits = jnp.exp(logit_scale) * image @ text.T  # [images, texts]
    labels = jnp.arange(logits.shape[0])
    loss = 0.5 * (
        optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()
        + optax.softmax_cross_entropy_with_integer_labels(logits.T, labels).mean()
    )
    accuracy = jnp.mean(jnp.argmax(logits, axis=1) == labels)
    return loss, {"loss": loss, "accuracy": accuracy, "logit_scale": logit_scale}


def make_train_step(
    model_config: CLIPConfig, settings: CLIPTrainingConfig, optimizer: optax.GradientTransformation
) -> Any:
    module = CLIPModule(model_config)

    @partial(jax.jit, donate_argnums=(0, 1))
    def step(
        params: Any, opt_state: Any, ids: jax.Array, mask: jax.Array, pixels: jax.Array
    ) -> tuple[Any, Any, dict[str, jax.Array]]:
        grad_fn = jax.value_and_grad(contrastive_loss, has_aux=True)
        (_, metrics), grads = grad_fn(params, module, ids, mask, pixels)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        params = {
            **params,
            "logit_scale": jnp.minimum(params["logit_scale"], settings.max_logit_scale),
        }
        return params, opt_state, metrics

    return step


def clip_batch(
    scenes: SceneSet, ids: np.ndarray, mask: np.ndarray, step: int, batch_size: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct random scenes (a pure function of the step) with their captions' tokens."""
    rng = np.random.default_rng([seed, 3, step])
    rows = np.sort(rng.choice(len(scenes.captions), batch_size, replace=False))
    return ids[rows], mask[rows], pixel_values(np.asarray(scenes.images[rows]))


def train_clip(
    paths: RunPaths,
    config: TrainingConfig,
    stop_after: int | None = None,
    budget_seconds: float | None = None,
) -> TrainState:
    """Train (or resume) CLIP; its published-layout model is kept in `clip/model/`."""
    settings = config.clip
    scenes = load_scenes(paths.scenes, config.data.train_scenes, config.data.image_size)
    tokenizer = load_clip_tokenizer(paths.clip_tokenizer)
    model_config = clip_config(config, tokenizer)
    max_length = model_config.text_config.max_position_embeddings
    ids, mask = encode_texts(tokenizer, scenes.captions, max_length)
    if mask[:, -1].any():
        raise ValueError(f"some captions are longer than CLIP's {max_length} tokens")
    optimizer = make_optimizer(settings.optimizer)
    train_step = make_train_step(model_config, settings, optimizer)
    key = jax.random.fold_in(jax.random.key(config.seed), 4)

    def initial() -> TrainState:
        params = strong_types(init_clip(model_config, key).params)
        return TrainState(0, params, optimizer.init(params))

    def step(state: TrainState, index: int) -> tuple[TrainState, Mapping[str, Any]]:
        batch = clip_batch(scenes, ids, mask, index, settings.optimizer.batch_size, config.seed)
        params, opt_state, metrics = train_step(state.params, state.opt_state, *batch)
        return TrainState(index, params, opt_state), metrics

    def export(state: TrainState) -> None:
        model = CLIP(model_config, state.params, tokenizer, tokenizer_dir=paths.clip_tokenizer)
        save_clip(model, paths.trained(paths.clip))

    return run_loop(
        paths.clip,
        "clip",
        initial,
        step,
        settings.optimizer,
        stop_after=stop_after,
        on_checkpoint=export,
        budget_seconds=budget_seconds,
    )
