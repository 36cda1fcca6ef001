"""The share text of a finished game (pure).

    Sixfold #12 4/6

    ⬛⬜🟧⬛⬛🟨
    🟩⬜🟧⬛⬛🟨
    🟩⬜🟩🟧🟩⬛
    🟩⬜🟩🟩🟩🟩
    Closest: 100%
    https://sixfold.example/p/12/

One row per guess and one square per answer word, in the answer's order, so a row lines up with
the tiles on the page; the short function words shown from the start get a white square (⬜),
which no mark uses. The emoji never spell the answer: they are the player's own marks, the reason
Wordle-style games share squares.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from game.rules import MAX_GUESSES
from game.scoring import ABSENT, EXACT, GIVEN, NEAR, PRESENT

Palette = Literal["standard", "high-contrast"]

SQUARES: dict[Palette, dict[str, str]] = {
    "standard": {EXACT: "🟩", PRESENT: "🟨", NEAR: "🟧", ABSENT: "⬛", GIVEN: "⬜"},
    # NYT Wordle's high-contrast pair (orange = right, blue = in it), purple for near: told
    # apart by players with red-green colour blindness, where green, yellow and orange blur.
    "high-contrast": {EXACT: "🟧", PRESENT: "🟦", NEAR: "🟪", ABSENT: "⬛", GIVEN: "⬜"},
}


def share_row(states: Sequence[str], palette: Palette = "standard") -> str:
    squares = SQUARES[palette]
    return "".join(squares[state] for state in states)


def share_text(
    number: int,
    won: bool,
    rows: Sequence[Sequence[str]],
    best_similarity: float,
    url: str,
    palette: Palette = "standard",
) -> str:
    """The text a player pastes: title, one emoji row per guess, the closest guess, the link."""
    if palette not in SQUARES:
        raise ValueError(f"unknown palette {palette!r}: use 'standard' or 'high-contrast'")
    score = f"{len(rows)}/{MAX_GUESSES}" if won else f"X/{MAX_GUESSES}"
    lines = [f"Sixfold #{number} {score}", ""]
    lines += [share_row(states, palette) for states in rows]
    lines.append(f"Closest: {round(best_similarity)}%")
    lines.append(url)
    return "\n".join(lines)
