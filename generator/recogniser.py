"""The recogniser: a small CNN that says which objects a scene shows, how many, and where.

It is the project's own judge of legibility. It is trained only on real renders of the scene
grammar (never on model outputs, and its features feed no training loss and no ranking), so its
figures on codec reconstructions and generated pictures say how much of a prompt a picture
really shows, apart from the model's own CLIP, which learned the same world the model did.

Outputs, per image:
- `counts`: logits [objects, MAX_COUNT + 1] — for every object of the table, how many of it the
  scene shows (0 = absent). Presence is 1 - P(count = 0).
- `setting`: logits [settings] — the place or background colour.

The network: a strided 3×3 stem, then stages of (3×3 conv, GroupNorm, GELU) ×2, each but the
last halving the side, then mean- and max-pooled features (the mean can count, the max finds a
small object) into two linear heads.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from generator.checkpoint import PARAMS_NAME, CheckpointError, read_params, write_params
from generator.text import regular_plural

MAX_COUNT = 3
CONFIG_FILE = "config.json"
PRESENT = 0.5  # presence probability from which an object counts as recognised


@dataclasses.dataclass(frozen=True)
class RecogniserConfig:
    objects: tuple[str, ...]  # nouns, in the order of the count head's rows
    settings: tuple[str, ...]
    image_size: int = 64
    widths: tuple[int, ...] = (32, 64, 128, 192)
    # The objects' plurals, in the same order ("mice", "sheep"), so that a prompt's words can be
    # read without the scene world's object table; a file without them: regular English plurals.
    plurals: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.plurals and len(self.plurals) != len(self.objects):
            raise CheckpointError(
                f"recogniser config: {len(self.plurals)} plurals for {len(self.objects)} objects"
            )

    def plural_forms(self) -> dict[str, str]:
        """Noun -> plural, for every object."""
        plurals = self.plurals or tuple(regular_plural(noun) for noun in self.objects)
        return dict(zip(self.objects, plurals, strict=True))

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "objects": list(self.objects),
            "settings": list(self.settings),
            "image_size": self.image_size,
            "widths": list(self.widths),
        }
        if self.plurals:
            data["plurals"] = list(self.plurals)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RecogniserConfig:
        try:
            return cls(
                objects=tuple(str(noun) for noun in data["objects"]),
                settings=tuple(str(name) for name in data["settings"]),
                image_size=int(data["image_size"]),
                widths=tuple(int(width) for width in data["widths"]),
                plurals=tuple(str(plural) for plural in data.get("plurals", ())),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise CheckpointError(f"recogniser config: {error!r}") from None


class _Stage(nn.Module):
    """Two residual blocks of (GroupNorm, GELU, 3×3 conv) ×2, then (optionally) half the side."""

    width: int
    downsample: bool

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        if x.shape[-1] != self.width:
            x = nn.Conv(self.width, (1, 1), name="project")(x)
        for block in range(2):
            h = x
            for index in range(2):
                h = nn.GroupNorm(num_groups=min(16, self.width // 8), name=f"norm_{block}_{index}")(
                    h
                )
                h = nn.Conv(self.width, (3, 3), name=f"conv_{block}_{index}")(nn.gelu(h))
            x = x + h
        if self.downsample:
            x = nn.avg_pool(x, (2, 2), strides=(2, 2))
        return x


def _absent_prior(key: jax.Array, shape: tuple[int, ...], dtype: Any = jnp.float32) -> jax.Array:
    """Count biases that make "absent" about 99% likely for every object at the start."""
    del key
    per_object = jnp.array([0.0] + [-5.0] * MAX_COUNT, dtype)
    return jnp.tile(per_object, shape[0] // (MAX_COUNT + 1))


class RecogniserModule(nn.Module):
    config: RecogniserConfig

    @nn.compact
    def __call__(self, images: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        """Images [B, S, S, 3] in [0, 1] -> count logits [B, O, 4], setting logits [B, K] and
        identity logits [B, O] (a training aid: see `train_recogniser`)."""
        # A strided stem: 64 px scenes are read at 32×32 positions, 4× cheaper than full size,
        # and the smallest sprites (14 px) still span 7 of them.
        stem = nn.Conv(self.config.widths[0], (3, 3), strides=(2, 2), name="stem")
        x = stem(images * 2.0 - 1.0)
        last = len(self.config.widths) - 1
        for index, width in enumerate(self.config.widths):
            x = _Stage(width, downsample=index < last, name=f"stage_{index}")(x)
        x = nn.gelu(nn.GroupNorm(num_groups=16, name="final_norm")(x))
        pooled = jnp.concatenate([x.mean(axis=(1, 2)), x.max(axis=(1, 2))], axis=-1)
        objects = len(self.config.objects)
        # Heads start at zero (every answer equally likely; counts at "absent" most likely):
        # large random logits over 230 objects would first have to be unlearned.
        zeros = nn.initializers.zeros
        counts = nn.Dense(
            objects * (MAX_COUNT + 1), kernel_init=zeros, bias_init=_absent_prior, name="counts"
        )(pooled)
        setting = nn.Dense(len(self.config.settings), kernel_init=zeros, name="setting")(pooled)
        identity = nn.Dense(objects, kernel_init=zeros, name="identity")(pooled)
        return counts.reshape(-1, objects, MAX_COUNT + 1), setting, identity


@dataclasses.dataclass(frozen=True)
class Recognition:
    """What the recogniser sees in a batch of pictures (numpy, float32)."""

    presence: np.ndarray  # [B, O] probability that each object is in the picture
    count_probs: np.ndarray  # [B, O, MAX_COUNT + 1]
    setting_probs: np.ndarray  # [B, K]


@functools.lru_cache(maxsize=4)
def _compiled_forward(config: RecogniserConfig) -> Any:
    module = RecogniserModule(config)

    @jax.jit
    def forward(params: Any, images: jax.Array) -> tuple[jax.Array, jax.Array]:
        counts, setting, _ = cast(tuple[jax.Array, ...], module.apply({"params": params}, images))
        return jax.nn.softmax(counts, axis=-1), jax.nn.softmax(setting, axis=-1)

    return forward


class Recogniser:
    """A trained recogniser: `recognise(images)` on uint8 pictures of any square size."""

    BATCH = 64

    def __init__(self, config: RecogniserConfig, params: Any) -> None:
        self.config = config
        self.params = params
        self.object_index = {noun: row for row, noun in enumerate(config.objects)}
        self.setting_index = {name: row for row, name in enumerate(config.settings)}

    def recognise(self, images: np.ndarray | Sequence[Any]) -> Recognition:
        pixels = to_model_input(images, self.config.image_size)
        forward = _compiled_forward(self.config)
        counts, settings = [], []
        for start in range(0, len(pixels), self.BATCH):
            chunk = pixels[start : start + self.BATCH]
            padded = np.concatenate([chunk, np.zeros_like(pixels[: self.BATCH - len(chunk)])])
            count_probs, setting_probs = forward(self.params, padded)
            counts.append(np.asarray(count_probs)[: len(chunk)])
            settings.append(np.asarray(setting_probs)[: len(chunk)])
        count_probs = np.concatenate(counts)
        return Recognition(1.0 - count_probs[..., 0], count_probs, np.concatenate(settings))


def to_model_input(images: np.ndarray | Sequence[Any], size: int) -> np.ndarray:
    """uint8 or PIL pictures -> float32 [B, size, size, 3] in [0, 1] (box-filtered to size)."""
    from PIL import Image

    arrays = []
    for image in images:
        picture = image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image))
        picture = picture.convert("RGB")
        if picture.size != (size, size):
            picture = picture.resize((size, size), Image.Resampling.BOX)
        arrays.append(np.asarray(picture, np.float32) / 255.0)
    if not arrays:
        raise ValueError("no pictures to recognise")
    return np.stack(arrays)


def init_params(config: RecogniserConfig, key: jax.Array) -> Any:
    sample = jnp.zeros((1, config.image_size, config.image_size, 3), jnp.float32)
    return RecogniserModule(config).init(key, sample)["params"]


def count_params(config: RecogniserConfig) -> int:
    shapes = jax.eval_shape(lambda: init_params(config, jax.random.key(0)))
    return sum(int(np.prod(leaf.shape)) for leaf in jax.tree_util.tree_leaves(shapes))


def save_recogniser(model: Recogniser, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    params = jax.tree_util.tree_map(lambda leaf: np.asarray(leaf, np.float32), model.params)
    write_params(directory / PARAMS_NAME, params)
    text = json.dumps(model.config.to_dict(), indent=2) + "\n"
    (directory / CONFIG_FILE).write_text(text, "utf-8")


def load_recogniser(directory: Path) -> Recogniser:
    """The recogniser saved in `directory`; CheckpointError naming what is wrong."""
    config_path = directory / CONFIG_FILE
    try:
        config = RecogniserConfig.from_dict(json.loads(config_path.read_text("utf-8")))
    except (OSError, ValueError) as error:
        raise CheckpointError(
            f"{config_path}: cannot read the recogniser config ({error})"
        ) from None
    params = read_params(directory / PARAMS_NAME)
    expected = jax.eval_shape(lambda: init_params(config, jax.random.key(0)))
    want = jax.tree_util.tree_map(lambda leaf: tuple(leaf.shape), expected)
    found = jax.tree_util.tree_map(lambda leaf: tuple(np.shape(leaf)), params)
    if want != found:
        raise CheckpointError(
            f"{directory / PARAMS_NAME}: parameter shapes do not match {config_path}"
        )
    params = jax.tree_util.tree_map(lambda leaf: jnp.asarray(leaf, jnp.float32), params)
    return Recogniser(config, params)
