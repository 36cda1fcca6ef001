"""Scheduling prompts on days, reviewing and publishing (no generator involved)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile

from puzzles import services
from puzzles.calendar import puzzle_day
from puzzles.models import Prompt, Puzzle, PuzzleImage
from puzzles.signals import puzzle_published

pytestmark = pytest.mark.django_db


def today() -> date:
    return puzzle_day()


def add_candidates(puzzle: Puzzle, count: int = 8, selected: int = 6) -> list[PuzzleImage]:
    images = []
    for rank in range(1, count + 1):
        image = PuzzleImage(puzzle=puzzle, rank=rank, score=30.0 - rank, seed=rank)
        image.position = rank if rank <= selected else None
        image.file.save("ignored.png", ContentFile(b"\x89PNG fake"), save=False)
        image.save()
        images.append(image)
    return images


@pytest.fixture
def published_signals() -> list[Puzzle]:
    received: list[Puzzle] = []

    def receive(sender: Any, puzzle: Puzzle, **_: Any) -> None:
        received.append(puzzle)

    puzzle_published.connect(receive)
    yield received
    puzzle_published.disconnect(receive)


def test_days_get_approved_prompts_in_queue_order(make_prompt: Callable[..., Prompt]) -> None:
    first, second = make_prompt("a cat on the grass"), make_prompt("a dog on the grass")
    make_prompt("a draft", status=Prompt.Status.DRAFT)
    make_prompt("a retired one", status=Prompt.Status.RETIRED)
    puzzles = services.ensure_puzzles(today(), 2)
    assert [puzzle.prompt for puzzle in puzzles] == [first, second]
    assert [puzzle.date for puzzle in puzzles] == [today(), today() + timedelta(days=1)]
    assert puzzles[1].number == puzzles[0].number + 1


def test_scheduling_again_changes_nothing(make_prompt: Callable[..., Prompt]) -> None:
    for index in range(5):
        make_prompt(f"prompt {index}")
    first = services.ensure_puzzles(today(), 3)
    again = services.ensure_puzzles(today(), 3)
    assert [puzzle.pk for puzzle in again] == [puzzle.pk for puzzle in first]
    assert Puzzle.objects.count() == 3
    assert services.queued_prompts().count() == 2


def test_a_day_still_gets_a_puzzle_when_the_queue_is_empty(settings: Any) -> None:
    settings.SIXFOLD_FALLBACK_PROMPT = "a big apple on a blue background"
    [puzzle] = services.ensure_puzzles(today(), 1)
    assert puzzle.prompt.text == "a big apple on a blue background"
    assert puzzle.fallback == Puzzle.Fallback.PROMPT
    assert "queue" in puzzle.error
    [tomorrow] = services.ensure_puzzles(today() + timedelta(days=1), 1)
    assert tomorrow.prompt == puzzle.prompt  # the fallback prompt may repeat


def test_auto_fill_uses_the_queue_only(make_prompt: Callable[..., Prompt]) -> None:
    make_prompt("only one")
    created, empty = services.auto_fill(today(), 3)
    assert [puzzle.prompt.text for puzzle in created] == ["only one"]
    assert empty == 2
    assert Puzzle.objects.count() == 1


def test_assigning_a_prompt_replaces_a_scheduled_one(
    make_prompt: Callable[..., Prompt], make_puzzle: Callable[..., Puzzle]
) -> None:
    puzzle = make_puzzle(today() + timedelta(days=2), state=Puzzle.State.REVIEW)
    add_candidates(puzzle)
    chosen = make_prompt("a whale underwater")
    assigned = services.assign_prompt(puzzle.date, chosen)
    assert assigned.pk == puzzle.pk
    assert (assigned.prompt, assigned.state) == (chosen, Puzzle.State.SCHEDULED)
    assert not assigned.candidates.exists()
    assert chosen not in services.queued_prompts()


@pytest.mark.parametrize(
    ("state", "offset", "message"),
    [
        (Puzzle.State.GENERATING, 1, "being generated"),
        (Puzzle.State.PUBLISHED, 0, "is live"),
    ],
)
def test_assigning_refuses_puzzles_that_cannot_change(
    state: str,
    offset: int,
    message: str,
    make_prompt: Callable[..., Prompt],
    make_puzzle: Callable[..., Puzzle],
) -> None:
    puzzle = make_puzzle(today() + timedelta(days=offset), state=state)
    with pytest.raises(services.CurationError, match=message):
        services.assign_prompt(puzzle.date, make_prompt("a fox in the snow"))
    puzzle.refresh_from_db()
    assert puzzle.prompt.text != "a fox in the snow"


def test_assigning_refuses_drafts_past_days_and_prompts_played_elsewhere(
    make_prompt: Callable[..., Prompt], make_puzzle: Callable[..., Puzzle]
) -> None:
    with pytest.raises(services.CurationError, match="only approved prompts"):
        services.assign_prompt(today(), make_prompt("draft", status=Prompt.Status.DRAFT))
    with pytest.raises(services.CurationError, match="in the past"):
        services.assign_prompt(today() - timedelta(days=1), make_prompt("late"))
    played = make_puzzle(today() + timedelta(days=1))
    with pytest.raises(services.CurationError, match="already the puzzle of"):
        services.assign_prompt(today() + timedelta(days=2), played.prompt)
    assert Puzzle.objects.count() == 1


def test_a_curator_picks_orders_and_publishes_six_images(
    make_puzzle: Callable[..., Puzzle],
    published_signals: list[Puzzle],
    django_capture_on_commit_callbacks: Any,
) -> None:
    puzzle = make_puzzle(today() + timedelta(days=1), state=Puzzle.State.REVIEW)
    images = add_candidates(puzzle)
    chosen = [images[7], images[6], images[0], images[1], images[2], images[3]]
    services.select_images(puzzle, [image.pk for image in chosen])
    assert list(puzzle.images) == chosen
    assert puzzle.candidates.filter(position__isnull=True).count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(puzzle)
    assert puzzle.state == Puzzle.State.PUBLISHED and puzzle.published_at is not None
    assert [signal.pk for signal in published_signals] == [puzzle.pk]


@pytest.mark.parametrize(
    "pick",
    [
        lambda images: [image.pk for image in images[:5]],
        lambda images: [images[0].pk] * 6,
        lambda images: [image.pk for image in images[:5]] + [10**9],
    ],
    ids=["five", "the same six times", "a stranger"],
)
def test_a_wrong_pick_changes_nothing(
    pick: Callable[[list[PuzzleImage]], list[int]], make_puzzle: Callable[..., Puzzle]
) -> None:
    puzzle = make_puzzle(today() + timedelta(days=1), state=Puzzle.State.REVIEW)
    images = add_candidates(puzzle)
    with pytest.raises(services.CurationError):
        services.select_images(puzzle, pick(images))
    assert list(puzzle.images) == images[:6]


def test_publishing_needs_a_reviewed_puzzle_with_six_images(
    make_puzzle: Callable[..., Puzzle],
) -> None:
    scheduled = make_puzzle(today() + timedelta(days=1))
    with pytest.raises(services.CurationError, match="only a puzzle in review"):
        services.publish(scheduled)
    short = make_puzzle(today() + timedelta(days=2), state=Puzzle.State.REVIEW)
    add_candidates(short, count=5, selected=5)
    with pytest.raises(services.CurationError, match="needs 6 selected images"):
        services.publish(short)
    assert Puzzle.objects.filter(state=Puzzle.State.PUBLISHED).count() == 0


def test_unreviewed_puzzles_are_published_the_day_before_they_are_due(
    make_puzzle: Callable[..., Puzzle],
) -> None:
    due = [
        make_puzzle(today() + timedelta(days=offset), state=Puzzle.State.REVIEW)
        for offset in (0, 1, 2)
    ]
    for puzzle in due:
        add_candidates(puzzle)
    published = services.publish_due_puzzles()
    assert sorted(puzzle.date for puzzle in published) == [today(), today() + timedelta(days=1)]
    due[2].refresh_from_db()
    assert due[2].state == Puzzle.State.REVIEW


def test_players_only_see_published_puzzles_whose_day_has_come(
    make_puzzle: Callable[..., Puzzle],
) -> None:
    live = make_puzzle(today(), state=Puzzle.State.PUBLISHED)
    make_puzzle(today() + timedelta(days=1), state=Puzzle.State.PUBLISHED)
    make_puzzle(today() - timedelta(days=1), state=Puzzle.State.REVIEW)
    assert services.published_puzzle_for_day(today()) == live
    assert services.published_puzzle_for_day(today() + timedelta(days=1)) is None
    assert services.published_puzzle_for_day(today() - timedelta(days=1)) is None
    assert services.published_puzzle_by_number(live.number) == live
    assert services.published_puzzle_by_number(live.number + 1) is None


def test_regenerating_keeps_the_images_until_new_ones_exist(
    make_puzzle: Callable[..., Puzzle],
) -> None:
    puzzle = make_puzzle(today() + timedelta(days=1), state=Puzzle.State.REVIEW, attempts=3)
    add_candidates(puzzle)
    puzzle = services.request_regeneration(puzzle)
    assert (puzzle.state, puzzle.attempts) == (Puzzle.State.SCHEDULED, 0)
    assert puzzle.images.count() == 6
