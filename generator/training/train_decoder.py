"""Sharpening the VQGAN's decoder with a perceptual loss, its encoder and codebook frozen.

The codes stay what they were, so DalleBart, trained on them, stays valid: every picture it
draws is decoded by the new decoder with nothing else retrained. Trained on L1 + L2 + edges
alone, the decoder draws the mean of what a code may stand for: a smear where an emoji's face
was (training it further on the same loss left the curve flat). Here it also matches the
hidden states of CLIP's vision tower on the real scene, layer by layer: CLIP was trained on
these scenes to tell a scene from the same scene with one object swapped or smeared, so its
features carry what makes an object that object. CLIP is a ViT that also ranks the candidates;
the recogniser that judges legibility in the model card is a separately trained CNN that feeds
no loss (`../shared/reference/codec-notes.md`: a network whose features serve as a loss must
not be the judge).

Scenes are rendered on the fly from the training split, a pure function of the step, so a
resumed run sees the same data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np
import optax

from generator.clip import load_clip
from generator.clip.config import CLIP_MEAN, CLIP_STD, CLIPVisionConfig
from generator.clip.network import VisionTransformer
from generator.training.configs import DecoderTrainingConfig, TrainingConfig
from generator.training.loop import TrainState, run_loop
from generator.training.optim import make_optimizer, strong_types
from generator.training.paths import RunPaths
from generator.training.splits import draw_samples
from generator.training.train_vqgan import reconstruction_terms, vqgan_exporter
from generator.vqgan import VQGAN, VQGANModule, load_vqgan

# The parts this stage trains; everything else (encoder, quant_conv, codebook) stays as it is.
TRAINED_PARTS = ("decoder", "post_quant_conv")

Features = Callable[[jax.Array], list[jax.Array]]


def split_params(params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(trained, frozen) parts of a VQGAN's parameters."""
    trained = {name: params[name] for name in TRAINED_PARTS}
    frozen = {name: value for name, value in params.items() if name not in TRAINED_PARTS}
    return trained, frozen


def vision_features(config: CLIPVisionConfig, vision_params: Any) -> Features:
    """Images [B, S, S, 3] in [0, 1] -> CLIP's vision hidden states, embeddings and each layer
    (the images normalised as CLIP's preprocessing does; S must be CLIP's image size)."""
    tower = VisionTransformer(config, hidden_states=True)
    mean, std = jnp.asarray(CLIP_MEAN), jnp.asarray(CLIP_STD)

    def features(images: jax.Array) -> list[jax.Array]:
        states = tower.apply({"params": vision_params}, (images - mean) / std)
        return cast(list[jax.Array], states)

    return features


def perceptual_distance(ours: list[jax.Array], theirs: list[jax.Array]) -> jax.Array:
    """Mean over layers of the squared difference, each relative to the layer's own scale
    (the layers' magnitudes differ several-fold; none should dominate)."""
    terms = [
        jnp.mean((a - b) ** 2) / (jnp.mean(b**2) + 1e-6) for a, b in zip(ours, theirs, strict=True)
    ]
    return jnp.mean(jnp.stack(terms))


def decoder_loss(
    trained: Any,
    frozen: Any,
    module: VQGANModule,
    codes: jax.Array,
    images: jax.Array,
    settings: DecoderTrainingConfig,
    features: Features,
) -> tuple[jax.Array, dict[str, jax.Array]]:
    recon = module.apply({"params": {**frozen, **trained}}, codes, method=VQGANModule.decode_code)
    terms = reconstruction_terms(jnp.asarray(recon), images)
    perceptual = perceptual_distance(features(jnp.asarray(recon)), features(images))
    loss = (
        terms["l1"]
        + terms["l2"]
        + settings.edge_weight * terms["edges"]
        + settings.perceptual_weight * perceptual
    )
    metrics = {
        "loss": loss,
        "l1": terms["l1"],
        "edges": terms["edges"],
        "perceptual": perceptual,
        "psnr": terms["psnr"],
    }
    return loss, metrics


def make_train_step(
    module: VQGANModule,
    frozen: Any,
    optimizer: optax.GradientTransformation,
    settings: DecoderTrainingConfig,
    features: Features,
) -> Any:
    @partial(jax.jit, donate_argnums=(0, 1))
    def step(trained: Any, opt_state: Any, images: jax.Array) -> tuple[Any, Any, Any]:
        # The frozen encoder's codes, outside the gradient (the encoder gets none).
        codes = module.apply({"params": frozen}, images, method=VQGANModule.encode)
        grads, metrics = jax.grad(decoder_loss, has_aux=True)(
            trained, frozen, module, codes, images, settings, features
        )
        updates, opt_state = optimizer.update(grads, opt_state, trained)
        return optax.apply_updates(trained, updates), opt_state, metrics

    return step


def scene_batch(step: int, batch_size: int, size: int) -> np.ndarray:
    """Float32 [B, S, S, 3] in [0, 1]: training scenes step×B .. step×B + B - 1."""
    _, images = draw_samples(step * batch_size, batch_size, "train", size)
    return images.astype(np.float32) / 255.0


def train_decoder(
    paths: RunPaths,
    config: TrainingConfig,
    stop_after: int | None = None,
    budget_seconds: float | None = None,
) -> TrainState:
    """Train (or resume) the decoder of the run's VQGAN against its CLIP's features; the whole
    VQGAN, with the new decoder, is kept in `decoder/model/`."""
    for stage, name in ((paths.vqgan, "vqgan"), (paths.clip, "clip")):
        if not paths.trained(stage).is_dir():
            raise FileNotFoundError(f"{paths.trained(stage)} does not exist: run '{name}' first")
    vqgan = load_vqgan(paths.trained(paths.vqgan))
    clip = load_clip(paths.trained(paths.clip))
    params = jax.tree_util.tree_map(lambda leaf: jnp.asarray(leaf, jnp.float32), vqgan.params)
    start, frozen = split_params(params)
    settings = config.decoder
    optimizer = make_optimizer(settings.optimizer)
    module = VQGANModule(vqgan.config)
    features = vision_features(clip.config.vision_config, clip.params["vision_model"])
    train_step = make_train_step(module, frozen, optimizer, settings, features)
    size = config.data.image_size

    def initial() -> TrainState:
        trained = strong_types(start)
        return TrainState(0, trained, optimizer.init(trained))

    def step(state: TrainState, index: int) -> tuple[TrainState, Mapping[str, Any]]:
        images = jnp.asarray(scene_batch(index, settings.optimizer.batch_size, size))
        trained, opt_state, metrics = train_step(state.params, state.opt_state, images)
        return TrainState(index, trained, opt_state), metrics

    return run_loop(
        paths.decoder,
        "decoder",
        initial,
        step,
        settings.optimizer,
        stop_after=stop_after,
        on_checkpoint=vqgan_exporter(
            paths.decoder, size, lambda state: VQGAN(vqgan.config, {**frozen, **state.params})
        ),
        budget_seconds=budget_seconds,
    )
