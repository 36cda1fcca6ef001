"""Who reaches the curation pages: curators yes; staff without the permissions get 403; players
and anonymous visitors are sent to the admin login and never see a curation page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from puzzles.calendar import puzzle_day
from puzzles.models import Prompt, Puzzle

pytestmark = pytest.mark.django_db


@pytest.fixture
def puzzle(make_puzzle: Callable[..., Puzzle]) -> Puzzle:
    return make_puzzle(puzzle_day() + timedelta(days=1))


def pages(puzzle: Puzzle) -> list[str]:
    return [
        reverse("admin:puzzles_prompt_changelist"),
        reverse("admin:puzzles_prompt_import"),
        reverse("admin:puzzles_puzzle_changelist"),
        reverse("admin:puzzles_puzzle_calendar"),
        reverse("admin:puzzles_puzzle_review", args=[puzzle.pk]),
        reverse("admin:puzzles_puzzle_progress", args=[puzzle.pk]),
    ]


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_shows_every_curation_page_to_a_curator(curator: User, puzzle: Puzzle) -> None:
    client = logged_in(curator)
    for url in pages(puzzle):
        assert client.get(url).status_code == 200, url


def test_each_curation_page_shows_the_way_back(curator: User, puzzle: Puzzle) -> None:
    client = logged_in(curator)
    prompts, puzzles = (
        reverse("admin:puzzles_prompt_changelist"),
        reverse("admin:puzzles_puzzle_changelist"),
    )
    calendar = reverse("admin:puzzles_puzzle_calendar")
    for url, back, here in (
        (reverse("admin:puzzles_prompt_import"), [prompts], "Import"),
        (calendar, [puzzles], "Calendar"),
        (
            reverse("admin:puzzles_puzzle_review", args=[puzzle.pk]),
            [puzzles, calendar],
            f"Review {puzzle}",
        ),
    ):
        page = client.get(url).content.decode()
        trail = page[page.index('<div class="breadcrumbs">') :]
        trail = trail[: trail.index("</div>")]
        links = [part.split('"')[0] for part in trail.split('href="')[1:]]
        assert links == [reverse("admin:index"), reverse("admin:app_list", args=["puzzles"]), *back]
        assert trail.rstrip().endswith(here), url


def test_it_forbids_staff_without_curation_permissions(
    staff_without_permissions: User, puzzle: Puzzle
) -> None:
    client = logged_in(staff_without_permissions)
    for url in pages(puzzle):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("who", ["player", "anonymous"])
def test_it_sends_players_and_anonymous_visitors_to_the_login_page(
    who: str, player: User, puzzle: Puzzle
) -> None:
    client = logged_in(player) if who == "player" else Client()
    for url in pages(puzzle):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url


def test_it_refuses_changes_from_staff_who_may_only_look(
    staff_without_permissions: User, puzzle: Puzzle, make_prompt: Callable[..., Prompt]
) -> None:
    staff_without_permissions.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_puzzle", "view_prompt", "change_prompt"])
    )
    client = logged_in(staff_without_permissions)
    prompt = make_prompt("a fox in the snow", status=Prompt.Status.DRAFT)
    calendar = reverse("admin:puzzles_puzzle_calendar")
    assert client.get(calendar).status_code == 200
    assert client.post(calendar, {"autofill": "1"}).status_code == 403
    review = reverse("admin:puzzles_puzzle_review", args=[puzzle.pk])
    assert client.post(review, {"regenerate": "1"}).status_code == 403
    # Without the approve permission the approve action is not even offered.
    changelist = client.get(reverse("admin:puzzles_prompt_changelist"))
    assert b'value="approve"' not in changelist.content
    client.post(
        reverse("admin:puzzles_prompt_changelist"),
        {"action": "approve", "_selected_action": [prompt.pk]},
    )
    prompt.refresh_from_db()
    assert prompt.status == Prompt.Status.DRAFT
    assert Puzzle.objects.get(pk=puzzle.pk).state == Puzzle.State.SCHEDULED


def test_a_curator_approves_and_retires_prompts(
    curator: User, make_prompt: Callable[..., Prompt]
) -> None:
    drafts = [make_prompt(f"draft {index}", status=Prompt.Status.DRAFT) for index in range(2)]
    client = logged_in(curator)
    url = reverse("admin:puzzles_prompt_changelist")
    assert b'value="approve"' in client.get(url).content
    client.post(url, {"action": "approve", "_selected_action": [drafts[0].pk]})
    client.post(url, {"action": "retire", "_selected_action": [drafts[1].pk]})
    drafts[0].refresh_from_db()
    drafts[1].refresh_from_db()
    assert (drafts[0].status, drafts[0].status_changed_by) == (Prompt.Status.APPROVED, curator)
    assert drafts[1].status == Prompt.Status.RETIRED


def test_a_curator_searches_and_filters_prompts(
    curator: User, make_prompt: Callable[..., Prompt]
) -> None:
    make_prompt("a whale underwater", tags="animal, underwater", difficulty="easy")
    make_prompt("a rocket in outer space", tags="vehicle, space", difficulty="hard")
    client = logged_in(curator)
    url = reverse("admin:puzzles_prompt_changelist")
    assert b"a rocket" not in client.get(url, {"q": "whale"}).content
    by_tag = client.get(url, {"tag": "space"}).content
    assert b"a rocket in outer space" in by_tag and b"a whale" not in by_tag
    by_difficulty = client.get(url, {"difficulty__exact": "easy"}).content
    assert b"a whale underwater" in by_difficulty and b"a rocket" not in by_difficulty


def test_a_curator_imports_a_csv_and_sees_a_report_per_row(curator: User) -> None:
    client = logged_in(curator)
    upload = SimpleUploadedFile(
        "prompts.csv", b"text,difficulty\na cat on the grass,easy\na dog on a beach,wild\n"
    )
    response = client.post(
        reverse("admin:puzzles_prompt_import"), {"file": upload, "default_status": "draft"}
    )
    assert response.status_code == 200
    assert b"difficulty &#x27;wild&#x27; is not one of" in response.content
    assert b"Nothing imported" in response.content
    assert not Prompt.objects.exists()


def test_a_curator_fills_the_calendar_from_the_queue(
    curator: User, make_prompt: Callable[..., Prompt], django_capture_on_commit_callbacks: Any
) -> None:
    for index in range(3):
        make_prompt(f"queued {index}")
    client = logged_in(curator)
    url = reverse("admin:puzzles_puzzle_calendar")
    response = client.post(url, {"autofill": "1"}, follow=True)
    assert b"Scheduled 3 day(s) from the queue" in response.content
    assert b"stay empty" in response.content
    assert Puzzle.objects.count() == 3


def test_a_curator_assigns_a_prompt_to_a_day(
    curator: User, make_prompt: Callable[..., Prompt]
) -> None:
    prompt = make_prompt("a penguin in the snow")
    day = puzzle_day() + timedelta(days=5)
    client = logged_in(curator)
    url = reverse("admin:puzzles_puzzle_calendar")
    response = client.post(url, {"day": day.isoformat(), "prompt": prompt.pk}, follow=True)
    assert b"is scheduled and queued for generation" in response.content
    assert Puzzle.objects.get(date=day).prompt == prompt
    refused = client.post(url, {"day": "not a day", "prompt": prompt.pk}, follow=True)
    assert b"Choose a day and a prompt" in refused.content


def test_the_progress_feed_reports_a_running_generation(curator: User, puzzle: Puzzle) -> None:
    Puzzle.objects.filter(pk=puzzle.pk).update(
        state=Puzzle.State.GENERATING, progress_stage="sample", progress_done=4, progress_total=16
    )
    client = logged_in(curator)
    feed = client.get(reverse("admin:puzzles_puzzle_progress", args=[puzzle.pk])).json()
    assert feed == {
        "state": "generating",
        "stage": "sample",
        "done": 4,
        "total": 16,
        "percent": 25,
        "attempts": 0,
    }
    page = client.get(reverse("admin:puzzles_puzzle_review", args=[puzzle.pk]))
    assert b'<progress id="progress" max="100" value="25">' in page.content
