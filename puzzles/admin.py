"""The curation admin: prompts (search, filter, import, approve, retire) and puzzles (calendar,
review, progress). The extra pages are in admin_views.py; every change goes through services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Avg, Q, QuerySet
from django.http import HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from puzzles import admin_views
from puzzles.generation import prompt_warnings
from puzzles.models import LEGIBILITY_FLAG_BELOW, Prompt, Puzzle
from puzzles.permissions import APPROVE_PROMPTS, acting_user


class TagFilter(admin.SimpleListFilter):
    title = "tag"
    parameter_name = "tag"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        tags: set[str] = set()
        for value in Prompt.objects.values_list("tags", flat=True).distinct():
            tags.update(tag.strip() for tag in value.split(",") if tag.strip())
        return [(tag, tag) for tag in sorted(tags)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Prompt]) -> QuerySet[Prompt]:
        tag = self.value()
        if not tag:
            return queryset
        return queryset.filter(
            Q(tags=tag)
            | Q(tags__startswith=f"{tag},")
            | Q(tags__endswith=f", {tag}")
            | Q(tags__contains=f", {tag},")
        )


@admin.register(Prompt)
class PromptAdmin(admin.ModelAdmin):
    list_display = ("text", "difficulty", "status", "tags", "played_on", "created_at")
    list_filter = ("status", "difficulty", TagFilter)
    search_fields = ("text", "tags", "notes")
    actions = ("approve", "retire")
    readonly_fields = (
        "created_at",
        "created_by",
        "updated_at",
        "status_changed_at",
        "status_changed_by",
    )
    change_list_template = "admin/puzzles/prompt/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "import/",
                self.admin_site.admin_view(admin_views.import_prompts),
                name="puzzles_prompt_import",
            ),
        ]
        return own + super().get_urls()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Prompt]:
        return super().get_queryset(request).prefetch_related("puzzles")

    @admin.display(description="played on")
    def played_on(self, prompt: Prompt) -> str:
        return ", ".join(str(puzzle.date) for puzzle in prompt.puzzles.all()) or "—"

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(APPROVE_PROMPTS)

    def get_readonly_fields(self, request: HttpRequest, obj: Prompt | None = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if not self.has_approve_permission(request):
            fields.append("status")  # approving is a permission of its own
        return fields

    def save_model(self, request: HttpRequest, obj: Prompt, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = acting_user(request)
        if "status" in form.changed_data or (not change and obj.status != Prompt.Status.DRAFT):
            obj.status_changed_at, obj.status_changed_by = timezone.now(), acting_user(request)
        super().save_model(request, obj, form, change)
        for warning in prompt_warnings(obj.text):
            self.message_user(request, f"“{obj.text}”: {warning}.", messages.WARNING)

    @admin.action(description="Approve the selected prompts", permissions=["approve"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Prompt]) -> None:
        self._set_status(request, queryset, Prompt.Status.APPROVED)

    @admin.action(description="Retire the selected prompts", permissions=["approve"])
    def retire(self, request: HttpRequest, queryset: QuerySet[Prompt]) -> None:
        self._set_status(request, queryset, Prompt.Status.RETIRED)

    def _set_status(self, request: HttpRequest, queryset: QuerySet[Prompt], status: str) -> None:
        changed = queryset.exclude(status=status).update(
            status=status,
            status_changed_at=timezone.now(),
            status_changed_by=acting_user(request),
            updated_at=timezone.now(),
        )
        self.message_user(request, f"{changed} prompt(s) are now {status}.", messages.SUCCESS)


@admin.register(Puzzle)
class PuzzleAdmin(admin.ModelAdmin):
    # Fits 1280 px: the review link comes first, the model's name is on the review page.
    list_display = (
        "number",
        "review_link",
        "date",
        "prompt",
        "state_and_progress",
        "fallback",
        "attempts",
        "legibility",
        "duration_shown",
        "short_error",
    )
    list_filter = ("state", "fallback")
    search_fields = ("prompt__text",)
    date_hierarchy = "date"
    list_select_related = ("prompt",)
    change_list_template = "admin/puzzles/puzzle/change_list.html"
    readonly_fields = [field.name for field in Puzzle._meta.fields if field.name != "id"]

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        own = [
            path("calendar/", view(admin_views.calendar), name="puzzles_puzzle_calendar"),
            path("<int:puzzle_id>/review/", view(admin_views.review), name="puzzles_puzzle_review"),
            path(
                "<int:puzzle_id>/progress/",
                view(admin_views.progress),
                name="puzzles_puzzle_progress",
            ),
        ]
        return own + super().get_urls()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # puzzles are made on the calendar page or by the nightly job

    @admin.display(description="state", ordering="state")
    def state_and_progress(self, puzzle: Puzzle) -> str:
        if puzzle.state == Puzzle.State.GENERATING:
            return f"generating: {puzzle.progress_stage} {puzzle.progress_percent}%"
        return puzzle.get_state_display()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Puzzle]:
        shown = Avg("candidates__legibility", filter=Q(candidates__position__isnull=False))
        return super().get_queryset(request).annotate(shown_legibility=shown)

    @admin.display(description="legibility", ordering="shown_legibility")
    def legibility(self, puzzle: Puzzle) -> str:
        """The six shown pictures' mean legibility; flagged when players could not read them."""
        value = getattr(puzzle, "shown_legibility", None)
        if value is None:
            return "—"
        if value < LEGIBILITY_FLAG_BELOW:
            return format_html(
                '<strong class="illegible" title="the six pictures barely show the prompt\'s '
                'objects: review them or regenerate">⚠ {}%</strong>',
                round(100 * value),
            )
        return f"{round(100 * value)}%"

    @admin.display(description="duration", ordering="duration")
    def duration_shown(self, puzzle: Puzzle) -> str:
        if puzzle.duration is None:
            return "—"
        minutes, seconds = divmod(round(puzzle.duration), 60)
        return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"

    @admin.display(description="last error")
    def short_error(self, puzzle: Puzzle) -> str:
        return puzzle.error.splitlines()[-1][:80] if puzzle.error else ""

    @admin.display(description="")
    def review_link(self, puzzle: Puzzle) -> str:
        url = reverse("admin:puzzles_puzzle_review", args=[puzzle.pk])
        return format_html('<a href="{}">review</a>', url)
