"""The review page of a generated puzzle: every candidate with its score, pick six, publish."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from puzzles import runs, services
from puzzles.calendar import puzzle_day
from puzzles.models import Prompt, Puzzle

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("use_tiny_model")]


@pytest.fixture
def reviewed(make_prompt: Callable[..., Prompt], settings: Any) -> Puzzle:
    settings.SIXFOLD_AUTO_PUBLISH = False
    make_prompt("a tiger in the desert")
    [puzzle] = services.ensure_puzzles(puzzle_day() + timedelta(days=1), 1)
    runs.attempt_puzzle(puzzle.pk)
    return Puzzle.objects.get(pk=puzzle.pk)


def test_it_shows_every_candidate_with_its_score_and_serves_the_images(
    curator: User, reviewed: Puzzle
) -> None:
    client = Client()
    client.force_login(curator)
    page = client.get(reverse("admin:puzzles_puzzle_review", args=[reviewed.pk])).content.decode()
    for image in reviewed.candidates.all():
        assert f'src="{image.file.url}"' in page
        assert f"score {image.score:.2f}" in page
        response = client.get(image.file.url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_a_curator_reorders_picks_an_unselected_candidate_and_publishes(
    curator: User, reviewed: Puzzle, django_capture_on_commit_callbacks: Any
) -> None:
    candidates = list(reviewed.candidates.order_by("rank"))
    order = [candidates[6], *candidates[:5]]  # the seventh, unselected one goes first
    form = {f"position-{image.pk}": str(position) for position, image in enumerate(order, 1)}
    client = Client()
    client.force_login(curator)
    url = reverse("admin:puzzles_puzzle_review", args=[reviewed.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**form, "publish": "1"}, follow=True)
    assert b"is published" in response.content
    puzzle = Puzzle.objects.get(pk=reviewed.pk)
    assert puzzle.state == Puzzle.State.PUBLISHED and puzzle.published_by == curator
    assert list(puzzle.images) == order


def test_a_bad_pick_is_refused_with_a_message(curator: User, reviewed: Puzzle) -> None:
    first = reviewed.candidates.order_by("rank").first()
    client = Client()
    client.force_login(curator)
    url = reverse("admin:puzzles_puzzle_review", args=[reviewed.pk])
    response = client.post(url, {f"position-{first.pk}": "9", "publish": "1"}, follow=True)
    assert b"Give positions 1 to 6, each to one image" in response.content
    assert Puzzle.objects.get(pk=reviewed.pk).state == Puzzle.State.REVIEW


def test_regenerating_from_the_review_page_queues_a_new_run(
    curator: User, reviewed: Puzzle
) -> None:
    client = Client()
    client.force_login(curator)
    url = reverse("admin:puzzles_puzzle_review", args=[reviewed.pk])
    response = client.post(url, {"regenerate": "1"}, follow=True)
    assert b"Queued for a new generation" in response.content
    puzzle = Puzzle.objects.get(pk=reviewed.pk)
    assert (puzzle.state, puzzle.attempts) == (Puzzle.State.SCHEDULED, 0)
    assert puzzle.images.count() == 6  # kept until the new pictures exist


def test_each_candidate_shows_its_legibility_and_a_hard_to_read_puzzle_is_flagged(
    curator: User, reviewed: Puzzle
) -> None:
    candidates = list(reviewed.candidates.all())
    assert all(0.0 <= image.legibility <= 1.0 for image in candidates)  # the tiny model judges
    client = Client()
    client.force_login(curator)
    page = client.get(reverse("admin:puzzles_puzzle_review", args=[reviewed.pk])).content.decode()
    for image in candidates:
        assert f"legible {round(100 * image.legibility)}%" in page

    listing = reverse("admin:puzzles_puzzle_changelist")
    reviewed.candidates.filter(position__isnull=False).update(legibility=0.9)
    assert "⚠" not in client.get(listing).content.decode()
    reviewed.candidates.filter(position__isnull=False).update(legibility=0.2)
    page = client.get(listing).content.decode()
    assert "⚠ 20%" in page and "barely show the prompt" in page


def test_regenerate_asks_before_it_throws_away_a_hand_picked_selection(
    curator: User, reviewed: Puzzle
) -> None:
    candidates = list(reviewed.candidates.order_by("rank"))
    services.select_images(reviewed, [c.pk for c in [candidates[6], *candidates[:5]]])
    client = Client()
    client.force_login(curator)
    url = reverse("admin:puzzles_puzzle_review", args=[reviewed.pk])
    assert b'name="confirm_regenerate"' in client.get(url).content
    refused = client.post(url, {"regenerate": "1"}, follow=True)
    assert "has a hand-picked selection" in refused.content.decode()
    assert Puzzle.objects.get(pk=reviewed.pk).state == Puzzle.State.REVIEW
    confirmed = client.post(url, {"regenerate": "1", "confirm_regenerate": "on"}, follow=True)
    assert b"Queued for a new generation" in confirmed.content


def test_a_live_puzzle_offers_no_change_that_would_be_refused(
    curator: User, reviewed: Puzzle
) -> None:
    Puzzle.objects.filter(pk=reviewed.pk).update(date=puzzle_day(), state=Puzzle.State.PUBLISHED)
    client = Client()
    client.force_login(curator)
    review = client.get(reverse("admin:puzzles_puzzle_review", args=[reviewed.pk])).content
    assert b"is live; it can no longer change" in review
    for offer in (b'name="save"', b'name="regenerate"', b'name="publish"', b"<select"):
        assert offer not in review
    calendar = client.get(reverse("admin:puzzles_puzzle_calendar")).content.decode()
    today_row = calendar.split(f"#{reviewed.number}</td>")[1].split("</tr>")[0]
    assert "live: no change" in today_row and 'value="Assign"' not in today_row
    assert calendar.count('value="Assign"') == 13  # the other days of the fortnight


def test_the_puzzle_list_shows_durations_rounded_and_the_review_link_first(
    curator: User, reviewed: Puzzle
) -> None:
    Puzzle.objects.filter(pk=reviewed.pk).update(duration=67.146324625000005)
    client = Client()
    client.force_login(curator)
    page = client.get(reverse("admin:puzzles_puzzle_changelist")).content.decode()
    assert "1 min 07 s" in page and "67.146" not in page
    row = page.split(f">{reviewed.number}<")[1]
    assert row.index(">review<") < row.index("tiger")
