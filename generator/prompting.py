"""Decoding codes into pictures, with the prompt when the VQGAN's decoder reads it.

The built-in model's decoder takes the prompt as a second input (its CLIP text tower's states):
DalleBart's codes say where a thing is and roughly its colour and shape, the prompt says what it
is. A published VQGAN's decoder reads codes only. Every caller that turns codes into pictures
goes through `draw`, so both kinds are handled in one place.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax.numpy as jnp
import numpy as np

from generator.checkpoint import CheckpointError
from generator.clip import CLIP
from generator.vqgan import VQGAN, PromptStates


def prompt_states(clip: CLIP, prompts: Sequence[str]) -> PromptStates:
    """The text states a prompt-reading decoder is given, one row per prompt."""
    tokens, mask, pooled = clip.text_states(list(prompts))
    return PromptStates(
        tokens=jnp.asarray(tokens), mask=jnp.asarray(mask), pooled=jnp.asarray(pooled)
    )


def check_pair(vqgan: VQGAN, clip: CLIP) -> None:
    """A decoder that reads the prompt must have been trained on this CLIP's text width."""
    if not vqgan.reads_prompt:
        return
    width = clip.config.text_config.hidden_size
    if vqgan.config.text_width != width:
        raise CheckpointError(
            f"the VQGAN's decoder reads prompt states {vqgan.config.text_width} wide but the "
            f"CLIP's text tower is {width} wide; they are not a pair"
        )


def draw(vqgan: VQGAN, clip: CLIP | None, codes: np.ndarray, prompts: Sequence[str]) -> np.ndarray:
    """Codes [B, n] -> uint8 pictures [B, H, W, 3], clipped and truncated as dalle-mini does.

    `prompts`: one for all pictures or one per picture; a plain decoder ignores them (and
    needs no CLIP)."""
    prompt = None
    if vqgan.reads_prompt:
        if clip is None:
            raise ValueError("this VQGAN's decoder reads the prompt: it needs the model's CLIP")
        if len(prompts) not in (1, len(codes)):
            raise ValueError(f"{len(prompts)} prompts for {len(codes)} pictures")
        prompt = prompt_states(clip, prompts)
    images = np.asarray(vqgan.decode_code(codes, prompt))
    return (np.clip(images, 0.0, 1.0) * 255).astype(np.uint8)
