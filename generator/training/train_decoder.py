"""Sharpening the VQGAN's decoder with its encoder and codebook frozen.

The VQGAN stage trains encoder, codebook and decoder together for a short while; its decoder
comes out blurry (object identity is lost: three bear faces come back as orange smears) while
the codes already say more than the decoder draws. This stage trains only the decoder (and the
1×1 convolution in front of it) on (codes → scene) pairs, the codes computed by the frozen
encoder. Because no code changes meaning, DalleBart, trained on the frozen encoder's codes,
stays valid: every picture it draws is decoded by the sharper decoder, with nothing retrained.

Scenes are rendered on the fly from the training split (sample `step × batch` onwards): a
pure function of the step, so a resumed run sees the same data, and no scene repeats. The loss
is the VQGAN stage's reconstruction loss (L1 + L2 + L1 on pixel differences); no perceptual or
adversarial term, for the reasons given in `train_vqgan`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from generator.training.configs import TrainingConfig
from generator.training.loop import TrainState, run_loop
from generator.training.optim import make_optimizer, strong_types
from generator.training.paths import RunPaths
from generator.training.splits import draw_samples
from generator.training.train_vqgan import RECONSTRUCTIONS_FILE, edge_l1, write_reconstructions
from generator.vqgan import VQGAN, VQGANModule, load_vqgan, save_vqgan

# The parts this stage trains; everything else (encoder, quant_conv, codebook) stays as it is.
TRAINED_PARTS = ("decoder", "post_quant_conv")


def split_params(params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(trained, frozen) parts of a VQGAN's parameters."""
    trained = {name: params[name] for name in TRAINED_PARTS}
    frozen = {name: value for name, value in params.items() if name not in TRAINED_PARTS}
    return trained, frozen


def decoder_loss(
    trained: Any,
    frozen: Any,
    module: VQGANModule,
    codes: jax.Array,
    images: jax.Array,
    edge_weight: float,
) -> tuple[jax.Array, dict[str, jax.Array]]:
    params = {**frozen, **trained}
    recon = module.apply({"params": params}, codes, method=VQGANModule.decode_code)
    l1 = jnp.mean(jnp.abs(recon - images))
    l2 = jnp.mean((recon - images) ** 2)
    edges = edge_l1(recon, images)
    clipped_mse = jnp.mean((jnp.clip(recon, 0.0, 1.0) - images) ** 2)
    loss = l1 + l2 + edge_weight * edges
    metrics = {
        "loss": loss,
        "l1": l1,
        "edges": edges,
        "psnr": -10.0 * jnp.log10(jnp.maximum(clipped_mse, 1e-10)),
    }
    return loss, metrics


def make_train_step(
    module: VQGANModule, frozen: Any, optimizer: optax.GradientTransformation, edge_weight: float
) -> Any:
    @partial(jax.jit, donate_argnums=(0, 1))
    def step(trained: Any, opt_state: Any, images: jax.Array) -> tuple[Any, Any, Any]:
        # The frozen encoder's codes, outside the gradient (the encoder gets none).
        codes = module.apply({"params": frozen}, images, method=VQGANModule.encode)
        grads, metrics = jax.grad(decoder_loss, has_aux=True)(
            trained, frozen, module, codes, images, edge_weight
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
    """Train (or resume) the decoder of the run's VQGAN; the whole VQGAN, with the sharpened
    decoder, is kept in `decoder/model/`."""
    source = paths.trained(paths.vqgan)
    if not source.is_dir():
        raise FileNotFoundError(f"{source} does not exist: run the 'vqgan' step first")
    vqgan = load_vqgan(source)
    params = jax.tree_util.tree_map(lambda leaf: jnp.asarray(leaf, jnp.float32), vqgan.params)
    start, frozen = split_params(params)
    settings = config.decoder
    optimizer = make_optimizer(settings.optimizer)
    module = VQGANModule(vqgan.config)
    train_step = make_train_step(module, frozen, optimizer, settings.edge_weight)
    size = config.data.image_size

    def initial() -> TrainState:
        trained = strong_types(start)
        return TrainState(0, trained, optimizer.init(trained))

    def step(state: TrainState, index: int) -> tuple[TrainState, Mapping[str, Any]]:
        images = jnp.asarray(scene_batch(index, settings.optimizer.batch_size, size))
        trained, opt_state, metrics = train_step(state.params, state.opt_state, images)
        return TrainState(index, trained, opt_state), metrics

    captions, held_out = draw_samples(0, 16, "heldout", size)

    def export(state: TrainState) -> None:
        model = VQGAN(vqgan.config, {**frozen, **state.params})
        save_vqgan(model, paths.trained(paths.decoder))
        write_reconstructions(paths.decoder / RECONSTRUCTIONS_FILE, model, held_out, captions)

    return run_loop(
        paths.decoder,
        "decoder",
        initial,
        step,
        settings.optimizer,
        stop_after=stop_after,
        on_checkpoint=export,
        budget_seconds=budget_seconds,
    )
