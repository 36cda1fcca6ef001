"""Training the VQGAN on random crops of the rendered scenes.

Loss: L1 + L2 reconstruction, L1 on pixel differences (outlines: `edge_l1`), plus the VQ-VAE
codebook and commitment terms, with the straight-through estimator carrying the decoder's
gradient past the quantizer. No perceptual loss (there are no pretrained VGG weights here, and a
network trained here would have to be kept apart from the recogniser that judges the result)
and no GAN loss: an adversarial term doubles the cost per step and is unstable at this budget.

The first `quantize_after` steps train a plain autoencoder (the decoder reads the
encoder's latents), which learns far faster than through a random codebook; then every code is
placed on an encoder output of the current batch and quantization starts. From then on, codes
that go unused are restarted on encoder outputs, which keeps most of the codebook in use.

The network is `generator.vqgan.VQGANModule` itself, applied with a training method, so the
trained parameters are the published layout without any conversion.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any, cast

import flax.struct
import jax
import jax.numpy as jnp
import numpy as np
import optax

from generator.clip import CLIP
from generator.prompting import draw
from generator.training.configs import TrainingConfig, VQGANTrainingConfig
from generator.training.dataset import SceneSet, load_scenes, write_preview
from generator.training.loop import TrainState, run_loop
from generator.training.optim import make_optimizer, strong_types
from generator.training.paths import RunPaths
from generator.training.splits import draw_samples
from generator.vqgan import VQGAN, VQGANModule, init_vqgan, save_vqgan

RECONSTRUCTIONS_FILE = "reconstructions.png"


def _training_forward(
    module: VQGANModule, images: jax.Array, quantize: jax.Array
) -> tuple[jax.Array, ...]:
    z = module.quant_conv(module.encoder(images))
    codes = module.quantize.nearest_codes(z)
    quantized = module.quantize.lookup(codes)
    # Straight-through: the forward pass uses the codes, the backward pass skips the argmin.
    # Before quantization starts, the decoder reads the encoder's latents directly.
    passed = jnp.where(quantize, z + jax.lax.stop_gradient(quantized - z), z)
    return module.decoder(module.post_quant_conv(passed)), z, quantized, codes


def edge_l1(recon: jax.Array, images: jax.Array) -> jax.Array:
    """L1 between the horizontal and vertical pixel differences of two image batches.

    Plain L1/L2 lets a decoder blur an outline by a pixel at little cost; an emoji's outline is
    much of what tells it apart at 16 px, so differences are compared too.
    """

    def differences(x: jax.Array) -> tuple[jax.Array, jax.Array]:
        return x[:, 1:, :, :] - x[:, :-1, :, :], x[:, :, 1:, :] - x[:, :, :-1, :]

    (ry, rx), (iy, ix) = differences(recon), differences(images)
    return jnp.mean(jnp.abs(ry - iy)) + jnp.mean(jnp.abs(rx - ix))


def reconstruction_terms(recon: jax.Array, images: jax.Array) -> dict[str, jax.Array]:
    """The pixel terms of a reconstruction (L1, L2, `edge_l1`) and its PSNR once clipped to
    [0, 1] as the pipeline shows it: shared by the VQGAN and decoder stages."""
    clipped_mse = jnp.mean((jnp.clip(recon, 0.0, 1.0) - images) ** 2)
    return {
        "l1": jnp.mean(jnp.abs(recon - images)),
        "l2": jnp.mean((recon - images) ** 2),
        "edges": edge_l1(recon, images),
        "psnr": -10.0 * jnp.log10(jnp.maximum(clipped_mse, 1e-10)),
    }


def vqgan_loss(
    params: Any,
    module: VQGANModule,
    images: jax.Array,
    commitment: float,
    quantize: jax.Array,
    edge_weight: float = 0.0,
) -> tuple[jax.Array, tuple[dict[str, jax.Array], jax.Array, jax.Array]]:
    recon, z, quantized, codes = cast(
        tuple[jax.Array, ...],
        module.apply({"params": params}, images, quantize, method=_training_forward),
    )
    terms = reconstruction_terms(recon, images)
    # The codebook terms only count once the decoder reads codes.
    codebook = jnp.mean((jax.lax.stop_gradient(z) - quantized) ** 2)
    commit = jnp.mean((z - jax.lax.stop_gradient(quantized)) ** 2)
    metrics = {
        "loss": terms["l1"]
        + terms["l2"]
        + edge_weight * terms["edges"]
        + jnp.where(quantize, codebook + commitment * commit, 0.0),
        "l1": terms["l1"],
        "edges": terms["edges"],
        "codebook": codebook,
        "psnr": terms["psnr"],
    }
    return metrics["loss"], (metrics, z.reshape(-1, z.shape[-1]), codes.reshape(-1))


def _restart_dead_codes(
    params: Any,
    usage: jax.Array,
    latents: jax.Array,
    key: jax.Array,
    restart: jax.Array,
    restart_all: jax.Array,
    config: VQGANTrainingConfig,
) -> tuple[Any, jax.Array, jax.Array]:
    """Move codes used less than `restart_below` per batch onto random encoder outputs."""
    table = params["quantize"]["embedding"]["embedding"]
    dead = ((usage < config.restart_below) & restart) | restart_all
    pick_key, noise_key = jax.random.split(key)
    picks = jax.random.randint(pick_key, (table.shape[0],), 0, latents.shape[0])
    noise = 1e-3 * jax.random.normal(noise_key, table.shape)
    candidates = jax.lax.stop_gradient(latents[picks]) + noise
    table = jnp.where(dead[:, None], candidates, table)
    usage = jnp.where(dead, 1.0, usage)  # a grace period before it can be restarted again
    quantize = {**params["quantize"], "embedding": {"embedding": table}}
    return {**params, "quantize": quantize}, usage, dead.sum()


@flax.struct.dataclass
class StepPhase:
    """What a step does besides descending the gradient (traced flags: one compiled step)."""

    quantize: jax.Array  # the decoder reads codes (False: the encoder's latents, a warm-up)
    restart: jax.Array  # restart dead codes
    restart_all: jax.Array  # restart every code (seeds the codebook when quantization starts)

    @classmethod
    def at(cls, index: int, config: VQGANTrainingConfig) -> StepPhase:
        quantizing = index >= config.quantize_after
        return cls(
            quantize=jnp.asarray(quantizing),
            restart=jnp.asarray(quantizing and index % config.restart_every == 0),
            restart_all=jnp.asarray(index == config.quantize_after),
        )


def make_train_step(config: VQGANTrainingConfig, optimizer: optax.GradientTransformation) -> Any:
    module = VQGANModule(config.model)
    n_embed = config.model.n_embed

    @partial(jax.jit, donate_argnums=(0, 1, 2))
    def step(
        params: Any,
        opt_state: Any,
        usage: jax.Array,
        images: jax.Array,
        key: jax.Array,
        phase: StepPhase,
    ) -> tuple[Any, Any, jax.Array, dict[str, jax.Array]]:
        grad_fn = jax.value_and_grad(vqgan_loss, has_aux=True)
        (_, (metrics, latents, codes)), grads = grad_fn(
            params, module, images, config.commitment, phase.quantize, config.edge_weight
        )
        updates, opt_state = optimizer.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        counts = jnp.zeros(n_embed).at[codes].add(1.0)
        usage = config.usage_decay * usage + (1 - config.usage_decay) * counts
        params, usage, restarted = _restart_dead_codes(
            params, usage, latents, key, phase.restart, phase.restart_all, config
        )
        metrics = {
            **metrics,
            "codes_used": jnp.mean(usage > config.restart_below),
            "restarted": restarted.astype(jnp.float32),
        }
        return params, opt_state, usage, metrics

    return step


def crop_batch(scenes: SceneSet, step: int, batch_size: int, crop: int, seed: int) -> np.ndarray:
    """Float32 [B, crop, crop, 3] in [0, 1]: random scenes, random crops, random flips.

    A pure function of the step, so a resumed run sees the same data.
    """
    rng = np.random.default_rng([seed, 1, step])
    count, size = scenes.images.shape[:2]
    indices = np.sort(rng.integers(0, count, batch_size))  # sorted: kinder to the memory map
    offsets = rng.integers(0, size - crop + 1, (batch_size, 2))
    flips = rng.random(batch_size) < 0.5
    batch = np.empty((batch_size, crop, crop, 3), np.float32)
    for row, (index, (top, left), flip) in enumerate(zip(indices, offsets, flips, strict=True)):
        patch = scenes.images[index, top : top + crop, left : left + crop]
        batch[row] = (patch[:, ::-1] if flip else patch) / 255.0
    return batch


def batch_shape(config: VQGANTrainingConfig, index: int, image_size: int) -> tuple[int, int]:
    """(scenes, side) of step `index`: crops first, then whole scenes with as many pixels."""
    if config.full_images_from is None or index < config.full_images_from:
        return config.optimizer.batch_size, config.crop
    scenes = max(1, config.optimizer.batch_size * config.crop**2 // image_size**2)
    return scenes, image_size


def train_vqgan(
    paths: RunPaths,
    config: TrainingConfig,
    stop_after: int | None = None,
    budget_seconds: float | None = None,
) -> TrainState:
    """Train (or resume) the VQGAN; its published-layout model is kept in `vqgan/model/`."""
    vq = config.vqgan
    scenes = load_scenes(paths.scenes, config.data.train_scenes, config.data.image_size)
    optimizer = make_optimizer(vq.optimizer)
    train_step = make_train_step(vq, optimizer)
    base_key = jax.random.key(config.seed)

    def initial() -> TrainState:
        params = strong_types(init_vqgan(vq.model, jax.random.fold_in(base_key, 1)).params)
        return TrainState(0, params, optimizer.init(params), jnp.zeros(vq.model.n_embed))

    def step(state: TrainState, index: int) -> tuple[TrainState, Mapping[str, Any]]:
        batch_size, crop = batch_shape(vq, index, config.data.image_size)
        images = crop_batch(scenes, index, batch_size, crop, config.seed)
        key = jax.random.fold_in(jax.random.fold_in(base_key, 2), index)
        params, opt_state, usage, metrics = train_step(
            state.params,
            state.opt_state,
            state.extra,
            jnp.asarray(images),
            key,
            StepPhase.at(index, vq),
        )
        return TrainState(index, params, opt_state, usage), metrics

    return run_loop(
        paths.vqgan,
        "vqgan",
        initial,
        step,
        vq.optimizer,
        stop_after=stop_after,
        on_checkpoint=vqgan_exporter(
            paths.vqgan, config.data.image_size, lambda state: VQGAN(vq.model, state.params)
        ),
        budget_seconds=budget_seconds,
    )


def vqgan_exporter(
    stage: Path, size: int, model_of: Callable[[TrainState], VQGAN], clip: CLIP | None = None
) -> Callable[[TrainState], None]:
    """A checkpoint hook for a stage that trains a VQGAN: save the model in the published layout
    (`stage/model/`) and draw 16 held-out scenes beside their reconstructions (`clip`: the CLIP
    whose text states a decoder that reads the prompt is given)."""
    captions, held_out = draw_samples(0, 16, "heldout", size)

    def export(state: TrainState) -> None:
        model = model_of(state)
        save_vqgan(model, RunPaths.trained(stage))
        write_reconstructions(stage / RECONSTRUCTIONS_FILE, model, held_out, captions, clip)

    return export


def write_reconstructions(
    path: Path, model: VQGAN, images: np.ndarray, captions: list[str], clip: CLIP | None = None
) -> None:
    """Held-out scenes (odd columns) beside their reconstructions (even columns)."""
    decoded = draw(model, clip, model.encode(images.astype(np.float32) / 255.0), captions)
    pairs = np.stack([images, decoded], axis=1).reshape(-1, *images.shape[1:])
    labels = [text for caption in captions for text in (caption, "reconstructed")]
    write_preview(path, pairs, labels)
