"""Signals other apps listen to (the game precomputes answer embeddings on publication)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent once a puzzle's publication is committed, with `puzzle` (a Puzzle) as keyword argument.
puzzle_published = Signal()
