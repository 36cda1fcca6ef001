"""The guess protocol the page speaks, over the WebSocket and over HTTP alike: the frames, the
rule for the id a reply carries, the socket's close codes and the site address of share links.

Frames (JSON objects):
    {"type": "state", "state": {...}, "id": "<guess id>"|null, "duplicate": bool}
    {"type": "error", "code": "...", "message": "...", "id": "<guess id>"|null}
    {"type": "counts", "players": n, "solvers": m}
"""

from __future__ import annotations

import json
from typing import Any

# A reply names the guess it answers by the id the page made for it; anything that is not a
# short string is not echoed back (the page then matches by order).
MAX_REPLY_ID_CHARS = 64

# Every code an error frame (or an HTTP error body) carries, and what it means.
ERROR_CODES = {
    "bad_message": "the frame or body is not a message the protocol knows",
    "bad_id": "the guess has no usable id",
    "not_text": "the guess is not text",
    "empty": "the guess is empty",
    "control_character": "the guess holds an invisible or control character",
    "too_long": "the guess is longer than allowed",
    "too_many_words": "the guess has too many words",
    "word_too_long": "a word of the guess is longer than allowed",
    "no_words": "the guess has no word made of letters",
    "invalid": "the guess cannot be played",
    "repeated": "the player made this guess already",
    "game_over": "the game is over",
    "rate_limited": "too many guesses or messages: wait",
    "no_session": "no session: reload the page",
    "no_puzzle": "no such puzzle to play",
    "not_ready": "the puzzle is not ready",
    "unavailable": "a service the game needs is down: try again",
}

# Close codes of the socket (4000-4999 are the application's own). The page gets them from its
# config (`close_codes()`), so that both ends read them from here.
NO_SESSION, NO_PUZZLE, FLOODING, UNAVAILABLE = 4401, 4404, 4429, 4503


# The longest message the page ever sends is a guess: 120 characters of text and a 64-character
# id, JSON-escaped (a character at most 12 bytes as a surrogate pair, \uXXXX\uXXXX) and framed.
# Anything longer is refused before it is parsed: no depth of nesting or length of number in it
# can cost the server more than this many bytes' work.
MAX_MESSAGE_BYTES = 4096


class Malformed:
    """A message that is not a JSON object the protocol knows: why, for the error's text."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def parse_message(data: str | bytes | None) -> Any:
    """The JSON value of a frame's text or a request's body, or `Malformed` saying why not
    (empty, binary, not UTF-8, too long, not JSON, nested too deep)."""
    if data is None:
        return Malformed("The game reads text messages only.")
    if len(data) > MAX_MESSAGE_BYTES:
        return Malformed("That message is too long.")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            return Malformed("That message is not UTF-8 text.")
    if not data.strip():
        return Malformed("That message was empty.")
    try:
        return json.loads(data)
    except RecursionError:
        return Malformed("That message is nested too deep.")
    except ValueError:  # not JSON, or a number past Python's 4,300-digit limit
        return Malformed("That message was not JSON.")


def reply_id(raw: object) -> str | None:
    return raw if isinstance(raw, str) and len(raw) <= MAX_REPLY_ID_CHARS else None


def state_frame(
    state: dict[str, Any], guess_id: str | None = None, duplicate: bool = False
) -> dict[str, Any]:
    return {"type": "state", "state": state, "id": guess_id, "duplicate": duplicate}


def error_frame(code: str, message: str, guess_id: str | None = None) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message, "id": guess_id}


def counts_frame(players: int, solvers: int) -> dict[str, Any]:
    return {"type": "counts", "players": players, "solvers": solvers}


def site_url(scheme: str, host: str) -> str:
    """Scheme and host of the site as the player reached it ("ws"/"wss" count as http/https)."""
    secure = scheme in ("https", "wss")
    return f"{'https' if secure else 'http'}://{host}"


def close_codes() -> dict[str, int]:
    """The close codes as the page's config carries them."""
    return {
        "noSession": NO_SESSION,
        "noPuzzle": NO_PUZZLE,
        "flooding": FLOODING,
        "unavailable": UNAVAILABLE,
    }
