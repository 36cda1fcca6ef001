from __future__ import annotations

from game.stats import CommunityStats, GameResult, player_stats, streaks


def won(number: int, guesses: int = 3, on_day: bool = True) -> GameResult:
    return GameResult(number, True, guesses, on_day)


def lost(number: int) -> GameResult:
    return GameResult(number, False, 6)


def test_it_counts_streaks_by_puzzle_number() -> None:
    results = [won(1), won(2), lost(3), won(4), won(5), won(6), won(8)]
    assert streaks(results, today=8) == (1, 3)


def test_it_keeps_the_current_streak_until_today_is_played() -> None:
    results = [won(5), won(6), won(7)]
    assert streaks(results, today=8) == (3, 3)  # today (8) not played yet
    assert streaks([*results, lost(8)], today=8) == (0, 3)
    assert streaks(results, today=9) == (0, 3)  # a whole day missed


def test_it_does_not_let_archive_games_build_streaks() -> None:
    results = [won(1), won(2, on_day=False), won(3)]
    assert streaks(results, today=3) == (1, 1)


def test_it_sums_up_a_players_games() -> None:
    stats = player_stats([won(1, 2), won(2, 2), won(3, 6), lost(4)], today=4)
    assert (stats.played, stats.won, stats.lost, stats.win_percent) == (4, 3, 1, 75)
    assert stats.distribution == [0, 2, 0, 0, 0, 1]
    assert stats.bar_percents == [4, 100, 4, 4, 4, 50]
    empty = player_stats([], today=1)
    assert (empty.played, empty.win_percent, empty.current_streak) == (0, 0, 0)


def test_it_tells_how_many_players_did_worse() -> None:
    # Ten finished games: wins with 1, 2, 2, 3, 4, 4, 4, 6 guesses and two losses.
    community = CommunityStats(distribution=[1, 2, 1, 3, 0, 1], lost=2)
    assert community.finished == 10
    # A 3-guess win: of the 9 others, 3 + 1 + 2 = 6 did worse.
    assert community.better_than_percent(True, 3) == 67
    assert community.better_than_percent(True, 1) == 100
    assert community.better_than_percent(False, 6) == 0
    alone = CommunityStats(distribution=[0, 0, 1, 0, 0, 0], lost=0)
    assert alone.better_than_percent(True, 3) == 100
