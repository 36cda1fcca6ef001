"""The share text of a finished game (pure).

    Sixfold #12 4/6

    ⬛🟧⬛⬛🟨
    🟩🟧⬛⬛🟨
    🟩🟩🟧🟩⬛
    🟩🟩🟩🟩🟩
    https://sixfold.example/p/12/

One row per guess and one square per answer word to find, in the answer's order: the same
squares as the page's guess rows, which leave out the short function words shown from the start.
A lost game adds how close the best guess came ("Closest: 61%"); a won one needs no such line.
The emoji never spell the answer: they are the player's own marks, the reason Wordle-style games
share squares.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from game.rules import MAX_GUESSES
from game.scoring.marking import GIVEN
from game.scoring.marks import ABSENT, EXACT, NEAR, PRESENT

Palette = Literal["standard", "high-contrast"]

SQUARES: dict[Palette, dict[str, str]] = {
    "standard": {EXACT: "🟩", PRESENT: "🟨", NEAR: "🟧", ABSENT: "⬛"},
    # NYT Wordle's high-contrast pair (orange = right, blue = in it), purple for near: told
    # apart by players with red-green colour blindness, where green, yellow and orange blur.
    "high-contrast": {EXACT: "🟧", PRESENT: "🟦", NEAR: "🟪", ABSENT: "⬛"},
}


def share_row(states: Sequence[str], palette: Palette = "standard") -> str:
    squares = SQUARES[palette]
    return "".join(squares[state] for state in states if state != GIVEN)


def shown_percent(similarity: float) -> int:
    """A similarity as players see it: whole percent, and 100 only for the answer itself (every
    other guess scores 99.9 at most, which rounding would show as a solve). The play page's
    view.js shows it by the same rule (shownPercent)."""
    return 100 if similarity >= 100 else min(round(similarity), 99)


def share_text(
    number: int,
    won: bool,
    rows: Sequence[Sequence[str]],
    best_similarity: float,
    url: str,
    palette: Palette = "standard",
) -> str:
    """The text a player pastes: title, one emoji row per guess, how close a lost game came,
    the link."""
    if palette not in SQUARES:
        raise ValueError(f"unknown palette {palette!r}: use 'standard' or 'high-contrast'")
    score = f"{len(rows)}/{MAX_GUESSES}" if won else f"X/{MAX_GUESSES}"
    lines = [f"Sixfold #{number} {score}", ""]
    lines += [share_row(states, palette) for states in rows]
    if not won:
        lines.append(f"Closest: {shown_percent(best_similarity)}%")
    lines.append(url)
    return "\n".join(lines)
