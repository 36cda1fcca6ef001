"""The admin pages beyond Django's lists and forms: CSV import, the calendar, the review page and
its progress feed. Each view checks the permission it needs, calls a service, and renders.

They are wrapped in `admin_site.admin_view`, which sends anonymous users and non-staff to the
admin login page; a staff member without the permission gets 403.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from puzzles import services
from puzzles.calendar import puzzle_day, upcoming_days
from puzzles.csv_import import MAX_BYTES, ImportFileError, import_prompts_csv
from puzzles.models import IMAGES_PER_PUZZLE, LEGIBILITY_FLAG_BELOW, Prompt, Puzzle, PuzzleImage
from puzzles.permissions import (
    APPROVE_PROMPTS,
    IMPORT_PROMPTS,
    REVIEW_PUZZLES,
    SCHEDULE_PUZZLES,
    VIEW_PUZZLES,
    acting_user,
)
from puzzles.tasks import enqueue_generation

CALENDAR_DAYS = 14


def _require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _context(request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
    return {**admin.site.each_context(request), "title": title, **extra}


# --- CSV import --------------------------------------------------------------------------------


class ImportForm(forms.Form):
    file = forms.FileField(
        help_text="CSV, UTF-8, with a header row: text,tags,difficulty,status,notes"
    )
    default_status = forms.ChoiceField(
        choices=[(Prompt.Status.DRAFT, "draft"), (Prompt.Status.APPROVED, "approved")],
        initial=Prompt.Status.DRAFT,
        help_text="For rows whose status column is empty.",
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_BYTES:,} bytes.")
        return upload


@require_http_methods(["GET", "POST"])
def import_prompts(request: HttpRequest) -> HttpResponse:
    _require(request, IMPORT_PROMPTS)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        may_approve = request.user.has_perm(APPROVE_PROMPTS)
        try:
            report = import_prompts_csv(
                form.cleaned_data["file"].read(),
                default_status=form.cleaned_data["default_status"],
                user=acting_user(request),
                allowed_statuses=None if may_approve else {Prompt.Status.DRAFT},
            )
        except ImportFileError as error:
            form.add_error("file", str(error))
        else:
            level = messages.SUCCESS if report.imported else messages.ERROR
            messages.add_message(request, level, report.summary())
    context = _context(request, "Import prompts", form=form, report=report, opts=Prompt._meta)
    return render(request, "admin/puzzles/prompt/import.html", context)


# --- Calendar ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def calendar(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW_PUZZLES)
    today = puzzle_day()
    if request.method == "POST":
        _require(request, SCHEDULE_PUZZLES)
        _change_calendar(request, today)
        return redirect("admin:puzzles_puzzle_calendar")
    days = upcoming_days(today, CALENDAR_DAYS)
    puzzles = {
        puzzle.date: puzzle
        for puzzle in Puzzle.objects.filter(date__in=days).select_related("prompt")
    }
    queue = list(services.queued_prompts()[:200])
    context = _context(
        request,
        "Puzzle calendar",
        opts=Puzzle._meta,
        # Each day with what stops it from changing (a live or generating puzzle), if anything:
        # the page offers no Assign that would be refused.
        rows=[
            (day, puzzle, services.change_refusal(puzzle) if puzzle else None)
            for day in days
            for puzzle in [puzzles.get(day)]
        ],
        queue=queue,
        queue_size=services.queued_prompts().count(),
        may_schedule=request.user.has_perm(SCHEDULE_PUZZLES),
    )
    return render(request, "admin/puzzles/puzzle/calendar.html", context)


def _change_calendar(request: HttpRequest, today: date) -> None:
    if "autofill" in request.POST:
        created, empty = services.auto_fill(today, CALENDAR_DAYS)
        for puzzle in created:
            enqueue_generation(puzzle.pk)
        message = f"Scheduled {len(created)} day(s) from the queue."
        if empty:
            message += f" {empty} day(s) stay empty: the queue of approved prompts ran out."
        messages.info(request, message)
        return
    try:
        day = date.fromisoformat(request.POST.get("day", ""))
        prompt = Prompt.objects.get(pk=int(request.POST.get("prompt", "")))
    except (ValueError, Prompt.DoesNotExist):
        messages.error(request, "Choose a day and a prompt.")
        return
    try:
        puzzle = services.assign_prompt(day, prompt)
    except services.CurationError as error:
        messages.error(request, str(error))
        return
    enqueue_generation(puzzle.pk)
    messages.success(request, f"{day}: “{prompt}” is scheduled and queued for generation.")


# --- Review ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, puzzle_id: int) -> HttpResponse:
    _require(request, VIEW_PUZZLES)
    puzzle = get_object_or_404(
        Puzzle.objects.select_related("prompt").prefetch_related(
            Prefetch("candidates", queryset=PuzzleImage.objects.order_by("rank"))
        ),
        pk=puzzle_id,
    )
    if request.method == "POST":
        _require(request, REVIEW_PUZZLES)
        _act_on_review(request, puzzle)
        return redirect("admin:puzzles_puzzle_review", puzzle_id=puzzle.pk)
    candidates = list(puzzle.candidates.all())
    refusal = services.change_refusal(puzzle)
    context = _context(
        request,
        f"Review puzzle {puzzle}",
        opts=Puzzle._meta,
        puzzle=puzzle,
        candidates=candidates,
        has_legibility=any(image.legibility is not None for image in candidates),
        legibility_flag=LEGIBILITY_FLAG_BELOW,
        positions=range(1, IMAGES_PER_PUZZLE + 1),
        may_review=request.user.has_perm(REVIEW_PUZZLES),
        # Offer only what would be accepted: nothing changes on a live or generating puzzle.
        locked_reason=refusal,
        hand_picked=refusal is None and services.has_hand_picked_selection(puzzle),
        progress_url=reverse("admin:puzzles_puzzle_progress", args=[puzzle.pk]),
    )
    return render(request, "admin/puzzles/puzzle/review.html", context)


def _act_on_review(request: HttpRequest, puzzle: Puzzle) -> None:
    try:
        if "regenerate" in request.POST:
            services.request_regeneration(puzzle, confirmed="confirm_regenerate" in request.POST)
            enqueue_generation(puzzle.pk)
            messages.success(request, "Queued for a new generation.")
            return
        services.select_images(puzzle, _picked_images(request, puzzle))
        if "publish" in request.POST:
            services.publish(puzzle, acting_user(request))
            messages.success(request, f"Puzzle {puzzle} is published.")
        else:
            messages.success(request, "Selection saved.")
    except services.CurationError as error:
        messages.error(request, str(error))


def _picked_images(request: HttpRequest, puzzle: Puzzle) -> list[int]:
    """Image ids in the order of the positions chosen in the form (fields `position-<id>`)."""
    picked: dict[int, int] = {}
    for image in puzzle.candidates.all():
        value = request.POST.get(f"position-{image.pk}", "")
        if not value:
            continue
        try:
            position = int(value)
        except ValueError:
            raise services.CurationError(f"{value!r} is not a position.") from None
        if not 1 <= position <= IMAGES_PER_PUZZLE or position in picked:
            raise services.CurationError(
                f"Give positions 1 to {IMAGES_PER_PUZZLE}, each to one image."
            )
        picked[position] = image.pk
    return [picked[position] for position in sorted(picked)]


@require_GET
def progress(request: HttpRequest, puzzle_id: int) -> JsonResponse:
    _require(request, VIEW_PUZZLES)
    puzzle = get_object_or_404(Puzzle, pk=puzzle_id)
    return JsonResponse(
        {
            "state": puzzle.state,
            "stage": puzzle.progress_stage,
            "done": puzzle.progress_done,
            "total": puzzle.progress_total,
            "percent": puzzle.progress_percent,
            "attempts": puzzle.attempts,
        }
    )
