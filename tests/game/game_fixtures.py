"""Published puzzles for the game tests (imported by the tests and their conftest)."""

from __future__ import annotations

import io
from datetime import date

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from puzzles.calendar import puzzle_number
from puzzles.models import Prompt, Puzzle, PuzzleImage

# Answers whose content words never appear in the game's own pages (for the leak checks).
ANSWER = "two small penguins to the left of a sailboat on a beach"
OTHER_ANSWER = "a giraffe wearing a crown in the desert"


def png(colour: tuple[int, int, int], size: int = 32) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def make_published_puzzle(text: str, day: date, state: str = Puzzle.State.PUBLISHED) -> Puzzle:
    prompt = Prompt.objects.create(text=text, status=Prompt.Status.APPROVED)
    puzzle = Puzzle.objects.create(
        date=day,
        number=puzzle_number(day),
        prompt=prompt,
        state=state,
        published_at=timezone.now() if state == Puzzle.State.PUBLISHED else None,
    )
    for position in range(1, 7):
        image = PuzzleImage(
            puzzle=puzzle, position=position, rank=position, score=30.0, seed=position
        )
        image.file.save("ignored.png", ContentFile(png((40 * position, 90, 200 - 20 * position))))
    return puzzle
