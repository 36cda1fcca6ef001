"""Checking a guess as typed by a player, before anything is scored or stored."""

from __future__ import annotations

import re
import unicodedata

from game.scoring.words import tokens

MAX_GUESS_CHARS = 120
MAX_GUESS_WORDS = 20
MAX_WORD_CHARS = 40

# Control, format (zero-width and bidi overrides), private-use, surrogate and unassigned code
# points have no place in a guess and can hide text from the other players' view of it.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn"})
_ALLOWED_WHITESPACE = frozenset("\t\n\r")
_SPACES = re.compile(r"\s+")


class GuessRejected(ValueError):
    """A guess that cannot be played; `message` is shown to the player, `code` is for clients."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def clean_guess(raw: object) -> str:
    """The guess in normal form (NFKC, single spaces), or GuessRejected saying what is wrong."""
    if not isinstance(raw, str):
        raise GuessRejected("A guess must be text.", "not_text")
    text = unicodedata.normalize("NFKC", raw)
    for char in text:
        if char in _ALLOWED_WHITESPACE:
            continue
        if unicodedata.category(char) in _FORBIDDEN_CATEGORIES:
            raise GuessRejected(
                f"Your guess contains an invisible or control character "
                f"(U+{ord(char):04X}); please retype it.",
                "control_character",
            )
    text = _SPACES.sub(" ", text).strip()
    if not text:
        raise GuessRejected("Type a guess first.", "empty")
    if len(text) > MAX_GUESS_CHARS:
        raise GuessRejected(
            f"That guess is {len(text)} characters long; at most {MAX_GUESS_CHARS} are allowed.",
            "too_long",
        )
    words = tokens(text)
    if not words:
        raise GuessRejected("A guess needs at least one word made of letters.", "no_words")
    if len(words) > MAX_GUESS_WORDS:
        raise GuessRejected(
            f"That guess has {len(words)} words; use at most {MAX_GUESS_WORDS}.", "too_many_words"
        )
    longest = max(words, key=lambda token: len(token.text))
    if len(longest.text) > MAX_WORD_CHARS:
        raise GuessRejected(
            f"“{longest.text[:20]}…” is longer than any real word; please check it.",
            "word_too_long",
        )
    return text


def same_guess(a: str, b: str) -> bool:
    """Two guesses that read the same once case, punctuation and plurals are ignored."""
    return [t.key for t in tokens(a)] == [t.key for t in tokens(b)]
