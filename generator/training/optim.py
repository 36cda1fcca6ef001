"""The optimizer all three models use: AdamW with warm-up and cosine decay, clipped gradients."""

from __future__ import annotations

from typing import Any

import jax
import optax

from generator.training.configs import OptimizerConfig


def _decay_mask(params: Any) -> Any:
    # Weight decay on matrices only: biases, norm scales and scalars are left alone.
    return jax.tree_util.tree_map(lambda leaf: leaf.ndim >= 2, params)


def learning_rate(config: OptimizerConfig) -> optax.Schedule:
    return optax.warmup_cosine_decay_schedule(
        init_value=0.0,
        peak_value=config.learning_rate,
        warmup_steps=config.warmup_steps,
        decay_steps=max(config.steps, config.warmup_steps + 1),
        end_value=config.learning_rate * 0.1,
    )


def make_optimizer(config: OptimizerConfig) -> optax.GradientTransformation:
    return optax.chain(
        optax.clip_by_global_norm(config.clip_norm),
        optax.adamw(
            learning_rate(config),
            b1=0.9,
            b2=0.99,
            weight_decay=config.weight_decay,
            mask=_decay_mask,
        ),
    )


def strong_types(params: Any) -> Any:
    """Drop JAX's "weak type" flag (e.g. on a scalar initialised from a Python float).

    The first training step would otherwise compile for the weakly typed leaf and the second
    step compile again for the strongly typed one the optimizer hands back.
    """
    return jax.tree_util.tree_map(lambda leaf: leaf.astype(leaf.dtype), params)
