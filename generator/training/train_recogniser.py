"""Training the recogniser on real renders, and the figures that say it can be trusted.

Labels come from the captions themselves (read back with the grammar's parser): how many of each
object, and the setting. It trains on the run's rendered training scenes, with random
left-right flips, and is checked on held-out scenes: clean, blurred, JPEG-compressed and
downscaled, plus pictures of pure noise and a wrong caption per scene (it must say "not there").
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from PIL import Image, ImageFilter

from generator.training.captions import SETTINGS, SceneSpec, parse_caption
from generator.training.configs import TrainingConfig
from generator.training.dataset import load_scenes
from generator.training.loop import TrainState, run_loop
from generator.training.objects import default_objects
from generator.training.optim import make_optimizer, strong_types
from generator.training.paths import RunPaths
from generator.training.recogniser import (
    PRESENT,
    Recogniser,
    RecogniserConfig,
    RecogniserModule,
    init_params,
    save_recogniser,
)
from generator.training.splits import draw_sample


def recogniser_config(config: TrainingConfig) -> RecogniserConfig:
    return RecogniserConfig(
        objects=tuple(item.noun for item in default_objects()),
        settings=SETTINGS,
        image_size=config.data.image_size,
        widths=config.recogniser.widths,
    )


def scene_labels(
    specs: Sequence[SceneSpec], model: RecogniserConfig
) -> tuple[np.ndarray, np.ndarray]:
    """(counts int32 [N, objects], setting int32 [N]) of scene descriptions."""
    rows = {noun: row for row, noun in enumerate(model.objects)}
    counts = np.zeros((len(specs), len(model.objects)), np.int32)
    settings = np.empty(len(specs), np.int32)
    for index, spec in enumerate(specs):
        for phrase in spec.phrases:
            counts[index, rows[phrase.noun]] = phrase.count
        settings[index] = model.settings.index(spec.setting)
    return counts, settings


def make_train_step(model: RecogniserConfig, optimizer: optax.GradientTransformation) -> Any:
    module = RecogniserModule(model)

    def loss_fn(
        params: Any, images: jax.Array, counts: jax.Array, settings: jax.Array
    ) -> tuple[jax.Array, dict[str, jax.Array]]:
        count_logits, setting_logits, identity_logits = module.apply({"params": params}, images)
        # Summed over objects: every object's "how many" is its own decision.
        count_loss = optax.softmax_cross_entropy_with_integer_labels(count_logits, counts)
        count_loss = count_loss.sum(axis=-1).mean()
        # Which objects, as one softmax over the table (target: the scene's objects, shared):
        # per-object decisions alone learn object identity slowly, with 1-2 positives in 230.
        present = counts > 0
        target = present / jnp.maximum(present.sum(axis=-1, keepdims=True), 1)
        identity_loss = optax.softmax_cross_entropy(identity_logits, target).mean()
        setting_loss = optax.softmax_cross_entropy_with_integer_labels(
            setting_logits, settings
        ).mean()
        found = (jax.nn.softmax(count_logits)[..., 0] < 1 - PRESENT) & present
        metrics = {
            "loss": count_loss + setting_loss + identity_loss,
            "identity_loss": identity_loss,
            "setting_loss": setting_loss,
            "recall": found.sum() / jnp.maximum(present.sum(), 1),
        }
        return metrics["loss"], metrics

    @partial(jax.jit, donate_argnums=(0, 1))
    def step(
        params: Any, opt_state: Any, images: jax.Array, counts: jax.Array, settings: jax.Array
    ) -> tuple[Any, Any, dict[str, jax.Array]]:
        grads, metrics = jax.grad(loss_fn, has_aux=True)(params, images, counts, settings)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, metrics

    return step


def train_recogniser(
    paths: RunPaths,
    config: TrainingConfig,
    stop_after: int | None = None,
    budget_seconds: float | None = None,
) -> TrainState:
    """Train (or resume) the recogniser; the model is kept in `recogniser/model/`."""
    scenes = load_scenes(paths.scenes, config.data.train_scenes, config.data.image_size)
    model = recogniser_config(config)
    counts, settings = scene_labels([parse_caption(text) for text in scenes.captions], model)
    settings_config = config.recogniser
    optimizer = make_optimizer(settings_config.optimizer)
    train_step = make_train_step(model, optimizer)
    key = jax.random.fold_in(jax.random.key(config.seed), 5)

    def initial() -> TrainState:
        params = strong_types(init_params(model, key))
        return TrainState(0, params, optimizer.init(params))

    def step(state: TrainState, index: int) -> tuple[TrainState, Mapping[str, Any]]:
        rng = np.random.default_rng([config.seed, 5, index])
        rows = np.sort(rng.integers(0, len(counts), settings_config.optimizer.batch_size))
        images = np.asarray(scenes.images[rows], np.float32) / 255.0
        flips = rng.random(len(rows)) < 0.5
        images[flips] = images[flips, :, ::-1]
        params, opt_state, metrics = train_step(
            state.params, state.opt_state, images, counts[rows], settings[rows]
        )
        return TrainState(index, params, opt_state), metrics

    def export(state: TrainState) -> None:
        save_recogniser(Recogniser(model, state.params), paths.trained(paths.recogniser))

    return run_loop(
        paths.recogniser,
        "recogniser",
        initial,
        step,
        settings_config.optimizer,
        stop_after=stop_after,
        on_checkpoint=export,
        budget_seconds=budget_seconds,
    )


# --- figures ---------------------------------------------------------------------------------


def recognition_figures(
    recogniser: Recogniser, images: np.ndarray | Sequence[Any], specs: Sequence[SceneSpec]
) -> dict[str, float]:
    """How much of each description its picture shows, averaged over pictures.

    objects    share of the described objects the recogniser finds (presence >= 0.5)
    scenes     share of pictures in which every described object is found
    counts     share of described objects whose most likely count is the described one
    setting    share of pictures whose most likely setting is the described one
    false_alarms  objects found that the description does not name, per picture
    """
    seen = recogniser.recognise(images)
    found = counted = total = whole = false_alarms = setting_right = 0
    for row, spec in enumerate(specs):
        named = {recogniser.object_index[phrase.noun]: phrase.count for phrase in spec.phrases}
        hits = [seen.presence[row, index] >= PRESENT for index in named]
        found += sum(hits)
        whole += all(hits)
        total += len(named)
        counted += sum(
            int(np.argmax(seen.count_probs[row, index])) == count for index, count in named.items()
        )
        others = np.delete(seen.presence[row], list(named))
        false_alarms += int((others >= PRESENT).sum())
        setting_right += (
            int(np.argmax(seen.setting_probs[row])) == recogniser.setting_index[spec.setting]
        )
    pictures = len(specs)
    return {
        "objects": found / total,
        "scenes": whole / pictures,
        "counts": counted / total,
        "setting": setting_right / pictures,
        "false_alarms": false_alarms / pictures,
    }


def blurred(images: np.ndarray, radius: float = 1.0) -> np.ndarray:
    return np.stack(
        [np.asarray(Image.fromarray(i).filter(ImageFilter.GaussianBlur(radius))) for i in images]
    )


def jpeg(images: np.ndarray, quality: int = 30) -> np.ndarray:
    out = []
    for image in images:
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
        out.append(np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")))
    return np.stack(out)


def downscaled(images: np.ndarray, factor: int = 2) -> np.ndarray:
    size = images.shape[1]
    small = (size // factor, size // factor)
    return np.stack(
        [
            np.asarray(
                Image.fromarray(i)
                .resize(small, Image.Resampling.BOX)
                .resize((size, size), Image.Resampling.BILINEAR)
            )
            for i in images
        ]
    )


def heldout_scenes(count: int, size: int, first_seed: int = 0) -> tuple[np.ndarray, list]:
    samples = [draw_sample(first_seed + seed, "heldout", size) for seed in range(count)]
    return np.stack([s.image for s in samples]), [s.spec for s in samples]


def trust_figures(recogniser: Recogniser, count: int, size: int) -> dict[str, Any]:
    """The recogniser checked on held-out real scenes, degraded ones, noise and wrong captions."""
    images, specs = heldout_scenes(count, size)
    figures: dict[str, Any] = {
        name: recognition_figures(recogniser, pictures, specs)
        for name, pictures in (
            ("real", images),
            ("blurred", blurred(images)),
            ("jpeg_q30", jpeg(images)),
            ("downscaled_2x", downscaled(images)),
        )
    }
    rng = np.random.default_rng(7)
    noise = rng.integers(0, 256, images.shape, dtype=np.uint8)
    seen = recogniser.recognise(noise)
    figures["noise_nothing_found"] = float(np.mean(seen.presence.max(axis=1) < PRESENT))
    # A wrong caption: an object the scene does not have, drawn at random per scene.
    seen = recogniser.recognise(images)
    rejected = 0
    for row, spec in enumerate(specs):
        named = {recogniser.object_index[phrase.noun] for phrase in spec.phrases}
        choices = [i for i in range(len(recogniser.config.objects)) if i not in named]
        wrong = choices[int(rng.integers(len(choices)))]
        rejected += int(seen.presence[row, wrong] < PRESENT)
    figures["wrong_object_rejected"] = rejected / len(specs)
    figures["pictures"] = count
    return figures
