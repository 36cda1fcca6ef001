"""Sixfold's text-to-image generator: DALL·E Mini's BART + VQGAN + CLIP in JAX/Flax.

The entry points other parts rely on are re-exported here. They are imported lazily so that
`import generator` stays cheap (JAX and the models load only when first used).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from generator.clip import load_clip
    from generator.dalle_bart import load_dalle_bart
    from generator.pipeline import Generator
    from generator.text import normalize_text
    from generator.vqgan import load_vqgan

__all__ = ["Generator", "load_clip", "load_dalle_bart", "load_vqgan", "normalize_text"]

_HOMES = {
    "normalize_text": "generator.text",
    "load_dalle_bart": "generator.dalle_bart",
    "load_vqgan": "generator.vqgan",
    "load_clip": "generator.clip",
    "Generator": "generator.pipeline",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'generator' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
