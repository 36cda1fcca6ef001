"""Training the recogniser on real renders, and the figures that say it can be trusted.

Labels come from the captions themselves (read back with the grammar's parser): how many of each
object, and the setting. It trains on the run's rendered training scenes, flipped at random and
half of them degraded (blur, JPEG, downscaling, noise: `degrade`), so that a picture that is
a little soft or noisy but shows the object is still read as a person would read it; a few
pictures of pure noise teach it to find nothing where there is nothing. It never sees model
output. It is checked on held-out scenes: clean, blurred, JPEG-compressed and downscaled, plus
pictures of pure noise and a wrong object per scene (it must say "not there").
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np
import optax
from PIL import Image, ImageFilter

from generator.recogniser import (
    PRESENT,
    Recogniser,
    RecogniserConfig,
    RecogniserModule,
    init_params,
    load_recogniser,
    save_recogniser,
)
from generator.training.adopt import adopted_from
from generator.training.captions import SETTINGS, SceneSpec, parse_caption
from generator.training.configs import TrainingConfig
from generator.training.dataset import load_scenes
from generator.training.loop import TrainingStateError, TrainState, run_loop
from generator.training.objects import default_objects
from generator.training.optim import FINAL_SHARE, adopted_schedule, make_optimizer, strong_types
from generator.training.paths import RunPaths
from generator.training.splits import draw_sample, draw_samples


def recogniser_config(config: TrainingConfig) -> RecogniserConfig:
    return RecogniserConfig(
        objects=tuple(item.noun for item in default_objects()),
        settings=SETTINGS,
        image_size=config.data.image_size,
        widths=config.recogniser.widths,
        plurals=tuple(item.plural for item in default_objects()),
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
        count_logits, setting_logits, identity_logits = cast(
            tuple[jax.Array, ...], module.apply({"params": params}, images)
        )
        # Summed over objects: every object's "how many" is its own decision.
        count_loss = optax.softmax_cross_entropy_with_integer_labels(count_logits, counts)
        count_loss = count_loss.sum(axis=-1).mean()
        # Which objects, as one softmax over the table (target: the scene's objects, shared):
        # per-object decisions alone learn object identity slowly, with 1-2 positives in 230.
        present = counts > 0
        any_object = present.any(axis=-1)
        target = present / jnp.maximum(present.sum(axis=-1, keepdims=True), 1)
        identity_loss = optax.softmax_cross_entropy(identity_logits, target)
        identity_loss = (identity_loss * any_object).sum() / jnp.maximum(any_object.sum(), 1)
        has_setting = settings >= 0
        setting_loss = optax.softmax_cross_entropy_with_integer_labels(
            setting_logits, jnp.maximum(settings, 0)
        )
        setting_loss = (setting_loss * has_setting).sum() / jnp.maximum(has_setting.sum(), 1)
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


NOISE_SHARE = 1 / 32  # pictures of pure noise in a batch: no object, no setting
DEGRADED_SHARE = 0.5


def degrade(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One random degradation of a uint8 picture: blur, JPEG, downscaling or noise."""
    kind = int(rng.integers(4))
    picture = Image.fromarray(image)
    if kind == 0:
        picture = picture.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.4, 1.6))))
    elif kind == 1:
        buffer = io.BytesIO()
        picture.save(buffer, format="JPEG", quality=int(rng.integers(15, 70)))
        picture = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    elif kind == 2:
        side = image.shape[0]
        small = max(8, int(side / rng.uniform(1.4, 2.5)))
        picture = picture.resize((small, small), Image.Resampling.BOX).resize(
            (side, side), Image.Resampling.BILINEAR
        )
    else:
        noise = rng.normal(0.0, rng.uniform(5, 25), image.shape)
        return np.clip(image + noise, 0, 255).astype(np.uint8)
    return np.asarray(picture)


def training_batch(
    images: np.ndarray,
    counts: np.ndarray,
    settings: np.ndarray,
    rng: np.random.Generator,
    degraded: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Float images in [0, 1] with their labels: flipped, and (with `degraded`) partly
    degraded, a few pure noise. A noise picture has no object; its setting label is -1, which
    the loss skips.
    """
    images, counts, settings = np.array(images), counts.copy(), settings.copy()
    share = DEGRADED_SHARE if degraded else 0.0
    for row in range(len(images)):
        if rng.random() < 0.5:
            images[row] = images[row, :, ::-1]
        if rng.random() < share:
            images[row] = degrade(images[row], rng)
    noise = rng.random(len(images)) < (NOISE_SHARE if degraded else 0.0)
    images[noise] = rng.integers(0, 256, images[noise].shape, dtype=np.uint8)
    counts[noise] = 0
    settings[noise] = -1
    return images.astype(np.float32) / 255.0, counts, settings


def adopted_params(stage: Path, model: RecogniserConfig) -> Any | None:
    """The float32 parameters of an adopted recogniser (`adopt`), which training goes on from;
    None when the stage was not adopted."""
    if adopted_from(stage) is None:
        return None
    recogniser = load_recogniser(RunPaths.trained(stage))
    if recogniser.config != model:
        raise TrainingStateError(
            f"the adopted recogniser in {stage} has another shape than this configuration's; "
            "adopt into a run of the configuration it was trained with"
        )
    return jax.tree_util.tree_map(lambda leaf: jnp.asarray(leaf, jnp.float32), recogniser.params)


def train_recogniser(
    paths: RunPaths,
    config: TrainingConfig,
    stop_after: int | None = None,
    budget_seconds: float | None = None,
) -> TrainState:
    """Train (or resume) the recogniser; the model is kept in `recogniser/model/`.

    A recogniser adopted from a shipped model (`adopt`) goes on from its weights with the
    robustness phase only, on scenes rendered on the fly (an adopted run has no rendered set).
    """
    model = recogniser_config(config)
    adopted = adopted_params(paths.recogniser, model)
    settings_config = config.recogniser
    batch_size = settings_config.optimizer.batch_size
    if adopted is None:
        scenes = load_scenes(paths.scenes, config.data.train_scenes, config.data.image_size)
        counts, settings = scene_labels([parse_caption(text) for text in scenes.captions], model)

    def raw_batch(
        index: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if adopted is not None:
            first = index * batch_size
            captions, images = draw_samples(first, batch_size, "train", model.image_size)
            return (images, *scene_labels([parse_caption(text) for text in captions], model))
        rows = np.sort(rng.integers(0, len(counts), batch_size))
        return scenes.images[rows], counts[rows], settings[rows]

    schedule = settings_config.optimizer
    if adopted is not None:
        # Going on from trained weights: the rate its own schedule ended at.
        schedule = adopted_schedule(schedule, FINAL_SHARE)
    optimizer = make_optimizer(schedule)
    train_step = make_train_step(model, optimizer)
    key = jax.random.fold_in(jax.random.key(config.seed), 5)

    def initial() -> TrainState:
        params = strong_types(init_params(model, key) if adopted is None else adopted)
        return TrainState(0, params, optimizer.init(params))

    def step(state: TrainState, index: int) -> tuple[TrainState, Mapping[str, Any]]:
        rng = np.random.default_rng([config.seed, 5, index])
        images, batch_counts, batch_settings = training_batch(
            *raw_batch(index, rng),
            rng,
            # An adopted recogniser has had its clean phase: it trains for robustness only.
            degraded=adopted is not None or index >= settings_config.degraded_from,
        )
        params, opt_state, metrics = train_step(
            state.params, state.opt_state, images, batch_counts, batch_settings
        )
        return TrainState(index, params, opt_state), metrics

    def export(state: TrainState) -> None:
        save_recogniser(Recogniser(model, state.params), paths.trained(paths.recogniser))

    return run_loop(
        paths.recogniser,
        "recogniser",
        initial,
        step,
        schedule,
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
