"""Markdown tables for the model card and the codec ablation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A GitHub-flavoured table; cells are written with `str`, so format numbers first."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def percent(value: float) -> str:
    """A share in [0, 1] as a whole percentage: 0.953 -> "95%"."""
    return f"{100 * value:.0f}%"
