"""Anonymous players: a random id in the cookie session, and the code that moves it elsewhere.

The id lives in Django's session (the cookie holds only the session key). A page view creates
it; a WebSocket cannot set cookies, so the socket reads the id the page created.
"""

from __future__ import annotations

import base64
import re
import uuid
from datetime import timedelta

from django.contrib.sessions.backends.base import SessionBase
from django.utils.crypto import constant_time_compare, salted_hmac

SESSION_KEY = "sixfold_player"
# A daily game's player comes back for months: keep the session a year, refreshed on visits.
SESSION_LIFETIME = timedelta(days=365)
_REFRESH_WHEN_LEFT = timedelta(days=300)

CODE_PREFIX = "S1"  # the code format's version
_CODE_SALT = "game.players.transfer-code"
_ID_BYTES, _CHECKSUM_BYTES = 16, 5
_BODY_LENGTH = -(-(_ID_BYTES + _CHECKSUM_BYTES) * 8 // 5)  # base32 characters, padding dropped


class BadCode(ValueError):
    """A transfer code that is mistyped or was not made here."""


def player_in_session(session: SessionBase) -> uuid.UUID | None:
    raw = session.get(SESSION_KEY)
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


def ensure_player(session: SessionBase) -> uuid.UUID:
    """The session's player id, created on the first visit; the session's life is extended."""
    player = player_in_session(session)
    if player is None:
        player = uuid.uuid4()
        session[SESSION_KEY] = str(player)
        session.set_expiry(SESSION_LIFETIME)
    elif session.get_expiry_age() < _REFRESH_WHEN_LEFT.total_seconds():
        session.set_expiry(SESSION_LIFETIME)
    return player


def switch_player(session: SessionBase, player: uuid.UUID) -> None:
    session[SESSION_KEY] = str(player)
    session.set_expiry(SESSION_LIFETIME)


def _checksum(raw: bytes) -> bytes:
    return salted_hmac(_CODE_SALT, raw).digest()[:_CHECKSUM_BYTES]


def transfer_code(player: uuid.UUID) -> str:
    """A code such as S1-ABCDE-FGHIJ-...: the player id and a 40-bit checksum, in base32."""
    body = base64.b32encode(player.bytes + _checksum(player.bytes)).decode().rstrip("=")
    groups = [body[i : i + 5] for i in range(0, len(body), 5)]
    return "-".join([CODE_PREFIX, *groups])


def player_from_code(code: str) -> uuid.UUID:
    """The player id in a transfer code; BadCode when it is mistyped or forged."""
    cleaned = re.sub(r"[\s\-]", "", code.strip().upper())
    if not cleaned.startswith(CODE_PREFIX):
        raise BadCode("That is not a Sixfold stats code: it should start with “S1-”.")
    body = cleaned[len(CODE_PREFIX) :]
    if len(body) < _BODY_LENGTH:
        short = _BODY_LENGTH - len(body)
        raise BadCode(f"That code does not check out: it is {short} character(s) short.")
    if len(body) > _BODY_LENGTH:
        extra = len(body) - _BODY_LENGTH
        raise BadCode(f"That code does not check out: it is {extra} character(s) too long.")
    try:
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
    except ValueError:
        raise BadCode("That code has characters a Sixfold code never has; check it.") from None
    # base32 of 21 bytes leaves two spare bits in the last character, which the decoder ignores:
    # compare with the canonical spelling so that a changed last character is still a typo.
    canonical = base64.b32encode(raw).decode().rstrip("=") == body
    if not canonical or not constant_time_compare(raw[_ID_BYTES:], _checksum(raw[:_ID_BYTES])):
        raise BadCode("That code does not check out; it may be mistyped.")
    return uuid.UUID(bytes=raw[:_ID_BYTES])
