"""The puzzle calendar: which puzzle day it is, and which number a day has.

This is the one place that decides "today" for the game (ARCHITECTURE.md, house rules). A day
starts at midnight in settings.SIXFOLD_TIME_ZONE, whatever the server's or the player's zone;
number 1 is settings.SIXFOLD_FIRST_DAY, or, when that is not set, the day this site first needed
a number (kept in the database: a new install's first puzzle is #1).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def puzzle_zone() -> ZoneInfo:
    return ZoneInfo(settings.SIXFOLD_TIME_ZONE)


def puzzle_day(at: datetime | None = None) -> date:
    """The puzzle day at an aware moment (default: now)."""
    moment = timezone.now() if at is None else at
    if timezone.is_naive(moment):
        raise ValueError(f"puzzle_day needs an aware datetime, got the naive {moment.isoformat()}")
    return moment.astimezone(puzzle_zone()).date()


_stored_first_day: date | None = None  # read once per process: it never changes once stored


def first_day() -> date:
    """The day of puzzle number 1."""
    global _stored_first_day
    if settings.SIXFOLD_FIRST_DAY is not None:
        return settings.SIXFOLD_FIRST_DAY
    if _stored_first_day is None:
        from puzzles.models import Calendar

        calendar, _ = Calendar.objects.get_or_create(pk=1, defaults={"first_day": puzzle_day()})
        _stored_first_day = calendar.first_day
    return _stored_first_day


def forget_first_day() -> None:
    """Drops this process's copy of the stored first day (tests that start a new site)."""
    global _stored_first_day
    _stored_first_day = None


def puzzle_number(day: date) -> int:
    """The number of a puzzle day: 1 on the first day, counting up by one a day."""
    first = first_day()
    number = (day - first).days + 1
    if number < 1:
        raise ValueError(f"{day} is before the first puzzle day, {first}")
    return number


def day_of_number(number: int) -> date:
    """The day that has a puzzle number (the inverse of puzzle_number)."""
    if number < 1:
        raise ValueError(f"puzzle numbers start at 1, got {number}")
    return first_day() + timedelta(days=number - 1)


def day_start(day: date) -> datetime:
    """The moment a puzzle day starts, in UTC (days are 23 or 25 hours long across DST)."""
    return datetime.combine(day, time.min, tzinfo=puzzle_zone()).astimezone(UTC)


def upcoming_days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=offset) for offset in range(count)]
