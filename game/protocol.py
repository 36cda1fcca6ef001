"""The guess protocol the page speaks, over the WebSocket and over HTTP alike: the frames, the
rule for the id a reply carries, the socket's close codes and the site address of share links.

Frames (JSON objects):
    {"type": "state", "state": {...}, "id": "<guess id>"|null, "duplicate": bool}
    {"type": "error", "code": "...", "message": "...", "id": "<guess id>"|null}
    {"type": "counts", "players": n, "solvers": m}
"""

from __future__ import annotations

from typing import Any

# A reply names the guess it answers by the id the page made for it; anything that is not a
# short string is not echoed back (the page then matches by order).
MAX_REPLY_ID_CHARS = 64

# Close codes of the socket (4000-4999 are the application's own). The page gets them from its
# config (`close_codes()`), so that both ends read them from here.
NO_SESSION, NO_PUZZLE, FLOODING, UNAVAILABLE = 4401, 4404, 4429, 4503


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
