"""Who may curate: the permissions the admin checks, and a ready-made "Curators" group."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.http import HttpRequest

CURATORS_GROUP = "Curators"

# app_label.codename, as checked with user.has_perm().
APPROVE_PROMPTS = "puzzles.approve_prompt"
IMPORT_PROMPTS = "puzzles.add_prompt"
VIEW_PUZZLES = "puzzles.view_puzzle"
SCHEDULE_PUZZLES = "puzzles.change_puzzle"
REVIEW_PUZZLES = "puzzles.review_puzzle"

CURATOR_CODENAMES = (
    "view_prompt",
    "add_prompt",
    "change_prompt",
    "approve_prompt",
    "view_puzzle",
    "change_puzzle",
    "review_puzzle",
    "view_puzzleimage",
)


def acting_user(request: HttpRequest) -> User:
    """The signed-in user behind an admin request (the admin lets nobody else in)."""
    from django.contrib.auth.models import User
    from django.core.exceptions import PermissionDenied

    if not isinstance(request.user, User):
        raise PermissionDenied("sign in to curate")
    return request.user


def ensure_curators_group(**_: Any) -> None:
    """Create the Curators group with every curation permission (runs after each migrate)."""
    from django.contrib.auth.models import Group, Permission

    group, _created = Group.objects.get_or_create(name=CURATORS_GROUP)
    permissions = Permission.objects.filter(
        content_type__app_label="puzzles", codename__in=CURATOR_CODENAMES
    )
    group.permissions.add(*permissions)
