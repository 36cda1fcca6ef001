"""The rules of a game (pure): guesses allowed, pictures shown, when a word is found, won, lost,
and which words of the answer a player may see.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from game.scoring.marking import WordMark
from game.scoring.marks import EXACT
from game.scoring.words import tokens
from puzzles.models import IMAGES_PER_PUZZLE

MAX_GUESSES = 6
IMAGE_COUNT = IMAGES_PER_PUZZLE  # one picture at the start, one more per miss

PLAYING, WON, LOST = "playing", "won", "lost"


def images_revealed(guess_count: int, over: bool) -> int:
    """One picture at the start, one more after each miss, all six once the game is over."""
    return IMAGE_COUNT if over else min(IMAGE_COUNT, 1 + guess_count)


def content_positions(answer: str) -> list[int]:
    """Positions of the answer words a player must find (not the function words)."""
    return [i for i, token in enumerate(tokens(answer)) if not token.is_function_word]


@dataclass(frozen=True)
class Turn:
    found: list[int]  # positions found so far, sorted
    state: str  # playing, won or lost


def play_turn(answer: str, found: Iterable[int], marks: Sequence[WordMark], count: int) -> Turn:
    """The game after guess number `count` with these marks: found words stay found."""
    now_found = set(found) | {i for i, mark in enumerate(marks) if mark.state == EXACT}
    if set(content_positions(answer)) <= now_found:
        state = WON
    elif count >= MAX_GUESSES:
        state = LOST
    else:
        state = PLAYING
    return Turn(sorted(now_found), state)


def visible_tiles(answer: str, found: Iterable[int], over: bool) -> list[dict[str, str | None]]:
    """One tile per answer word, with the word only where the player may see it.

    States: "given" (a function word, shown from the start), "found", "hidden" (no word sent)
    and, once the game is over, "missed" for the words never found.
    """
    found_set = set(found)
    tiles: list[dict[str, str | None]] = []
    for i, token in enumerate(tokens(answer)):
        if token.is_function_word:
            tiles.append({"word": token.text, "state": "given"})
        elif i in found_set:
            tiles.append({"word": token.text, "state": "found"})
        elif over:
            tiles.append({"word": token.text, "state": "missed"})
        else:
            tiles.append({"word": None, "state": "hidden"})
    return tiles
