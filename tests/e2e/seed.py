"""Seeds a database for the live-server tests: published puzzles for today and the days before,
each with six pictures drawn by the emoji-scene drawer the built-in model learns from.

Run as `python seed.py` with DJANGO_SETTINGS_MODULE and DATABASE_URL set (the live-server
fixtures do this); prints the puzzle numbers as JSON.
"""

from __future__ import annotations

import io
import json
import sys
from datetime import timedelta
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
django.setup()

import numpy as np  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.utils import timezone  # noqa: E402
from PIL import Image  # noqa: E402

from puzzles.calendar import puzzle_day, puzzle_number  # noqa: E402
from puzzles.models import Prompt, Puzzle, PuzzleImage  # noqa: E402

# Newest first: today's puzzle, then one a day before it. Their content words are not words the
# game's pages use, so that the leak checks can look for them anywhere.
ANSWERS = [
    "two small penguins to the left of a sailboat on a beach",
    "a giraffe next to a crown in the desert",
    "three balloons above a birthday cake on a pink background",
]


def picture(text: str, seed: int) -> bytes:
    try:
        from generator.training.captions import parse_caption
        from generator.training.scenes import render_scene

        pixels = render_scene(parse_caption(text), np.random.default_rng(seed), size=256)
        image = Image.fromarray(pixels)
    except Exception:  # a prompt outside the caption grammar: a plain colour will do
        image = Image.new("RGB", (256, 256), (40 * seed % 255, 120, 200))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def seed() -> list[int]:
    today = puzzle_day()
    numbers = []
    for days_ago, text in enumerate(ANSWERS):
        day = today - timedelta(days=days_ago)
        prompt = Prompt.objects.create(text=text, status=Prompt.Status.APPROVED)
        puzzle = Puzzle.objects.create(
            date=day,
            number=puzzle_number(day),
            prompt=prompt,
            state=Puzzle.State.PUBLISHED,
            published_at=timezone.now(),
        )
        for position in range(1, 7):
            image = PuzzleImage(
                puzzle=puzzle, position=position, rank=position, score=30.0, seed=position
            )
            image.file.save("picture.png", ContentFile(picture(text, position)))
        numbers.append(puzzle.number)
    return numbers


if __name__ == "__main__":
    print(json.dumps({"numbers": seed(), "answers": ANSWERS}))
