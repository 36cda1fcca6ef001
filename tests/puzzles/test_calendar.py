"""The puzzle day and number: around midnight and across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from puzzles.calendar import day_of_number, day_start, puzzle_day, puzzle_number


@pytest.fixture
def new_york(settings: Any) -> None:
    settings.SIXFOLD_TIME_ZONE = "America/New_York"
    settings.SIXFOLD_FIRST_DAY = date(2026, 1, 1)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_it_changes_day_at_midnight_in_utc(settings: Any) -> None:
    settings.SIXFOLD_TIME_ZONE = "UTC"
    assert puzzle_day(utc(2026, 3, 1, 23, 59, 59)) == date(2026, 3, 1)
    assert puzzle_day(utc(2026, 3, 2, 0, 0, 0)) == date(2026, 3, 2)


def test_it_changes_day_at_local_midnight_not_utc_midnight(new_york: None) -> None:
    # 2026-06-15: New York is on EDT (UTC-4), so its midnight is 04:00 UTC.
    assert puzzle_day(utc(2026, 6, 15, 2, 0)) == date(2026, 6, 14)
    assert puzzle_day(utc(2026, 6, 15, 3, 59, 59)) == date(2026, 6, 14)
    assert puzzle_day(utc(2026, 6, 15, 4, 0)) == date(2026, 6, 15)


def test_it_gives_the_same_day_whatever_zone_the_moment_is_written_in(new_york: None) -> None:
    from zoneinfo import ZoneInfo

    moment = utc(2026, 6, 15, 3, 30)
    in_tokyo = moment.astimezone(ZoneInfo("Asia/Tokyo"))  # already the 15th at 12:30 there
    assert puzzle_day(in_tokyo) == puzzle_day(moment) == date(2026, 6, 14)


def test_it_handles_the_spring_forward_night(new_york: None) -> None:
    # 2026-03-08: clocks jump from 02:00 EST to 03:00 EDT. The day starts at 05:00 UTC (EST)
    # and the next one at 04:00 UTC (EDT): a 23-hour day.
    assert puzzle_day(utc(2026, 3, 8, 4, 59)) == date(2026, 3, 7)
    assert puzzle_day(utc(2026, 3, 8, 5, 0)) == date(2026, 3, 8)
    assert puzzle_day(utc(2026, 3, 8, 7, 30)) == date(2026, 3, 8)  # 03:30 EDT, after the jump
    assert puzzle_day(utc(2026, 3, 9, 3, 59)) == date(2026, 3, 8)
    assert puzzle_day(utc(2026, 3, 9, 4, 0)) == date(2026, 3, 9)
    assert day_start(date(2026, 3, 9)) - day_start(date(2026, 3, 8)) == timedelta(hours=23)


def test_it_handles_the_fall_back_night(new_york: None) -> None:
    # 2026-11-01: clocks go back from 02:00 EDT to 01:00 EST; 01:30 happens twice. A 25-hour day.
    assert puzzle_day(utc(2026, 11, 1, 3, 59)) == date(2026, 10, 31)
    assert puzzle_day(utc(2026, 11, 1, 4, 0)) == date(2026, 11, 1)
    assert puzzle_day(utc(2026, 11, 1, 5, 30)) == date(2026, 11, 1)  # first 01:30 (EDT)
    assert puzzle_day(utc(2026, 11, 1, 6, 30)) == date(2026, 11, 1)  # second 01:30 (EST)
    assert puzzle_day(utc(2026, 11, 2, 4, 59)) == date(2026, 11, 1)
    assert puzzle_day(utc(2026, 11, 2, 5, 0)) == date(2026, 11, 2)
    assert day_start(date(2026, 11, 2)) - day_start(date(2026, 11, 1)) == timedelta(hours=25)


def test_it_numbers_days_from_the_first_day(new_york: None) -> None:
    assert puzzle_number(date(2026, 1, 1)) == 1
    assert puzzle_number(date(2026, 1, 2)) == 2
    assert puzzle_number(date(2027, 1, 1)) == 366
    assert day_of_number(366) == date(2027, 1, 1)


def test_it_numbers_days_across_dst_without_gaps_or_repeats(new_york: None) -> None:
    hours = [utc(2026, 3, 7, 0) + timedelta(hours=h) for h in range(24 * 4)]
    numbers = sorted({puzzle_number(puzzle_day(moment)) for moment in hours})
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    fall = [utc(2026, 10, 31, 0) + timedelta(hours=h) for h in range(24 * 4)]
    numbers = sorted({puzzle_number(puzzle_day(moment)) for moment in fall})
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def test_it_gives_the_number_of_the_local_day_around_midnight(new_york: None) -> None:
    before = puzzle_number(puzzle_day(utc(2026, 1, 2, 4, 59)))  # 23:59 on 1 January in New York
    after = puzzle_number(puzzle_day(utc(2026, 1, 2, 5, 0)))  # 00:00 on 2 January
    assert (before, after) == (1, 2)


def test_it_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="aware"):
        puzzle_day(datetime(2026, 3, 1, 12, 0))  # noqa: DTZ001 (naive on purpose)


def test_it_refuses_days_before_the_first(new_york: None) -> None:
    with pytest.raises(ValueError, match="before the first puzzle day"):
        puzzle_number(date(2025, 12, 31))
    with pytest.raises(ValueError, match="start at 1"):
        day_of_number(0)


@pytest.mark.django_db
def test_a_new_site_starts_at_puzzle_one_and_keeps_its_numbers(settings: Any) -> None:
    # Without SIXFOLD_FIRST_DAY, the first day a site needs a number is #1 (a new install's
    # archive does not look like hundreds of puzzles are missing), and it stays so.
    from puzzles.calendar import forget_first_day
    from puzzles.models import Calendar

    settings.SIXFOLD_FIRST_DAY = None
    forget_first_day()
    try:
        today = puzzle_day()
        assert puzzle_number(today) == 1
        assert puzzle_number(today + timedelta(days=2)) == 3
        forget_first_day()  # another process reads the stored day
        assert puzzle_number(today) == 1 and day_of_number(1) == today
        assert Calendar.objects.get().first_day == today
        with pytest.raises(ValueError, match="before the first puzzle day"):
            puzzle_number(today - timedelta(days=1))
    finally:
        forget_first_day()
