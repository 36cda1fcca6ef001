"""The optimizer all models use: AdamW with warm-up and cosine decay, clipped gradients.

The learning rate lives in the optimizer state (`optax.inject_hyperparams`) and the training
loop sets it before every step from `learning_rate_at(step, settings, total)`. So the schedule's
length can be fixed after a run has started (a time budget measures the first steps, then fits
the number of steps) without compiling the step again: the value changes, not the program.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import jax
import jax.numpy as jnp
import optax

from generator.training.configs import OptimizerConfig

FINAL_SHARE = 0.1  # the cosine ends at this share of the peak rate
ADOPTED_WARMUP_STEPS = 20  # weights adopted from a shipped model need only a short warm-up


def adopted_schedule(config: OptimizerConfig, rate_share: float) -> OptimizerConfig:
    """The schedule of a stage that goes on from adopted weights: its peak at `rate_share` of
    the configured one, a short warm-up."""
    return dataclasses.replace(
        config,
        learning_rate=config.learning_rate * rate_share,
        warmup_steps=min(config.warmup_steps, ADOPTED_WARMUP_STEPS),
    )


def _decay_mask(params: Any) -> Any:
    # Weight decay on matrices only: biases, norm scales and scalars are left alone.
    return jax.tree_util.tree_map(lambda leaf: leaf.ndim >= 2, params)


def learning_rate_at(step: int, config: OptimizerConfig, total: int | None = None) -> float:
    """Linear warm-up to the peak, then cosine decay to FINAL_SHARE of it at step `total`."""
    total = config.steps if total is None else total
    peak, warmup = config.learning_rate, config.warmup_steps
    if step < warmup:
        return peak * step / warmup
    span = max(total - warmup, 1)
    progress = min(max(step - warmup, 0) / span, 1.0)
    cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
    return peak * (FINAL_SHARE + (1.0 - FINAL_SHARE) * cosine)


def make_optimizer(config: OptimizerConfig) -> optax.GradientTransformation:
    def chain(learning_rate: float) -> optax.GradientTransformation:
        return optax.chain(
            optax.clip_by_global_norm(config.clip_norm),
            optax.adamw(
                learning_rate,
                b1=config.beta1,
                b2=0.99,
                weight_decay=config.weight_decay,
                mask=_decay_mask,
            ),
        )

    # Starts at the peak rate, so the optimizer works on its own too; `run_loop` sets the rate
    # of every step.
    return optax.inject_hyperparams(chain)(learning_rate=config.learning_rate)


def set_learning_rate(opt_state: Any, value: float) -> Any:
    """The optimizer state with its learning rate set (float32, so nothing recompiles)."""
    opt_state.hyperparams["learning_rate"] = jnp.asarray(value, jnp.float32)
    return opt_state


def strong_types(params: Any) -> Any:
    """Drop JAX's "weak type" flag (e.g. on a scalar initialised from a Python float).

    The first training step would otherwise compile for the weakly typed leaf and the second
    step compile again for the strongly typed one the optimizer hands back.
    """
    return jax.tree_util.tree_map(lambda leaf: leaf.astype(leaf.dtype), params)
