"""Where the built-in model lives: the one place that names the folder (cheap to import: the
web process and the training tools read it without loading JAX)."""

from __future__ import annotations

from pathlib import Path

BUILTIN_MODEL_DIR = Path(__file__).resolve().parent / "weights" / "default"
