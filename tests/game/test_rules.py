from __future__ import annotations

from game.rules import images_revealed, play_turn, visible_tiles
from game.scoring.marking import WordMark

ANSWER = "a dog chasing a ball"


def marks(*states: str) -> list[WordMark]:
    return [WordMark(word, state) for word, state in zip(ANSWER.split(), states, strict=True)]


def test_it_reveals_one_picture_at_the_start_and_one_per_miss() -> None:
    assert [images_revealed(n, over=False) for n in range(7)] == [1, 2, 3, 4, 5, 6, 6]
    assert images_revealed(1, over=True) == 6


def test_found_words_stay_found_and_finding_them_all_wins() -> None:
    first = play_turn(ANSWER, [], marks("given", "exact", "absent", "given", "near"), 1)
    assert (first.found, first.state) == ([1], "playing")
    second = play_turn(ANSWER, first.found, marks("given", "absent", "exact", "given", "absent"), 2)
    assert (second.found, second.state) == ([1, 2], "playing")
    third = play_turn(ANSWER, second.found, marks("given", "absent", "absent", "given", "exact"), 3)
    assert (third.found, third.state) == ([1, 2, 4], "won")


def test_the_sixth_miss_loses() -> None:
    turn = play_turn(ANSWER, [1], marks("given", "absent", "absent", "given", "absent"), 6)
    assert turn.state == "lost"


def test_tiles_show_function_and_found_words_only_until_the_end() -> None:
    playing = visible_tiles(ANSWER, [2], over=False)
    assert playing == [
        {"word": "a", "state": "given"},
        {"word": None, "state": "hidden"},
        {"word": "chasing", "state": "found"},
        {"word": "a", "state": "given"},
        {"word": None, "state": "hidden"},
    ]
    ended = visible_tiles(ANSWER, [2], over=True)
    assert [t["word"] for t in ended] == ANSWER.split()
    assert [t["state"] for t in ended] == ["given", "missed", "found", "given", "missed"]
