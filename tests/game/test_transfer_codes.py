"""Stats transfer codes: any one mistyped character is refused, never read as another player."""

from __future__ import annotations

import string
import uuid

import pytest

from game.players import BadCode, player_from_code, transfer_code

BASE32 = string.ascii_uppercase + "234567"
PLAYERS = [uuid.UUID(int=0), uuid.UUID(int=(1 << 128) - 1), uuid.UUID(int=0x1234_5678_9ABC)]


@pytest.mark.parametrize("player", PLAYERS, ids=str)
def test_every_single_character_typo_is_refused(player: uuid.UUID) -> None:
    code = transfer_code(player)
    assert player_from_code(code) == player
    for position, character in enumerate(code):
        if character == "-" or position < 2:
            continue
        for replacement in BASE32:
            if replacement == character:
                continue
            typo = code[:position] + replacement + code[position + 1 :]
            with pytest.raises(BadCode):
                player_from_code(typo)


def test_a_code_missing_or_gaining_a_character_says_so() -> None:
    code = transfer_code(PLAYERS[2])
    with pytest.raises(BadCode, match="1 character\\(s\\) short"):
        player_from_code(code[:-1])
    with pytest.raises(BadCode, match="2 character\\(s\\) too long"):
        player_from_code(code + "AB")


def test_a_code_from_another_game_names_the_expected_prefix() -> None:
    with pytest.raises(BadCode, match="S1-"):
        player_from_code("WORDLE-12345")
