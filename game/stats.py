"""A player's statistics and a puzzle's community figures, from finished games (pure).

Streaks count by puzzle number, not by calendar dates, so a change of clock, zone or reset hour
cannot break one. Only games played on the puzzle's own day take part in streaks: playing an
old puzzle from the archive neither builds nor repairs a streak.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from game.rules import MAX_GUESSES


@dataclass(frozen=True)
class GameResult:
    number: int
    won: bool
    guesses: int  # guesses used (1..6)
    on_day: bool = True  # started on the puzzle's own day


@dataclass(frozen=True)
class PlayerStats:
    played: int
    won: int
    current_streak: int
    best_streak: int
    # distribution[k] = games won with k+1 guesses, k = 0..5
    distribution: list[int] = field(default_factory=lambda: [0] * MAX_GUESSES)
    lost: int = 0

    @property
    def win_percent(self) -> int:
        return round(100 * self.won / self.played) if self.played else 0

    @property
    def bar_percents(self) -> list[int]:
        """Bar lengths in percent of the longest bar (at least 4 so that an empty bar shows)."""
        top = max(self.distribution) or 1
        return [max(4, round(100 * count / top)) if count else 4 for count in self.distribution]

    @property
    def bars(self) -> list[tuple[str, int, int]]:
        """(label, count, percent of the longest) for wins in 1..6 guesses, then losses."""
        counts = [*self.distribution, self.lost]
        top = max(counts) or 1
        labels = [str(k) for k in range(1, MAX_GUESSES + 1)] + ["✗"]
        return [
            (label, count, max(4, round(100 * count / top)) if count else 4)
            for label, count in zip(labels, counts, strict=True)
        ]


def streaks(results: Iterable[GameResult], today: int) -> tuple[int, int]:
    """(current, best) runs of won puzzles with consecutive numbers, played on their day.

    The current streak runs back from today's puzzle, or from yesterday's while today's has not
    been finished, so the streak does not look lost before the player has had a chance to play.
    """
    outcome = {r.number: r.won for r in results if r.on_day}
    best = run = 0
    previous = None
    for number in sorted(outcome):
        if outcome[number] and previous is not None and number == previous + 1 and run:
            run += 1
        else:
            run = 1 if outcome[number] else 0
        best = max(best, run)
        previous = number
    start = today if today in outcome else today - 1
    current = 0
    while outcome.get(start - current):
        current += 1
    return current, best


def player_stats(results: Sequence[GameResult], today: int) -> PlayerStats:
    distribution = [0] * MAX_GUESSES
    for result in results:
        if result.won and 1 <= result.guesses <= MAX_GUESSES:
            distribution[result.guesses - 1] += 1
    current, best = streaks(results, today)
    won = sum(r.won for r in results)
    return PlayerStats(
        played=len(results),
        won=won,
        lost=len(results) - won,
        current_streak=current,
        best_streak=best,
        distribution=distribution,
    )


@dataclass(frozen=True)
class CommunityStats:
    """A puzzle's finished games: wins by guesses used, and losses."""

    distribution: list[int]  # wins with 1..6 guesses
    lost: int

    @property
    def finished(self) -> int:
        return sum(self.distribution) + self.lost

    def worse_than(self, won: bool, guesses: int) -> tuple[int, int]:
        """(how many of the other finished players did worse, how many others finished).

        The caller's own game is in the figures; it is taken out first. Worse: lost, or needed
        more guesses.
        """
        distribution, lost = list(self.distribution), self.lost
        if won:
            distribution[guesses - 1] -= 1
        else:
            lost -= 1
        others = max(0, sum(distribution) + lost)
        worse = lost + sum(distribution[guesses:]) if won else 0
        return worse, others

    def better_than_percent(self, won: bool, guesses: int) -> int:
        """Share of the other finished players who did worse."""
        worse, others = self.worse_than(won, guesses)
        if others == 0:
            return 100 if won else 0
        return round(100 * worse / others)

    def bar_percents(self) -> list[int]:
        bars = [*self.distribution, self.lost]
        top = max(bars) or 1
        return [max(2, round(100 * count / top)) if count else 2 for count in bars]
