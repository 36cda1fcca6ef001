"""Stored pictures that no puzzle refers to, and their removal.

A generation run stores its pictures before it records them; a worker killed in between (power
cut, `kill -9`) leaves files that no row names. They are harmless but take disk space, so the
`remove_orphan_images` command finds and deletes them. Only files older than the generation
lease are touched: a younger file may belong to a run that is still storing its pictures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.files.storage import default_storage
from django.utils import timezone

from puzzles.models import IMAGE_FOLDER, PuzzleImage


@dataclass(frozen=True)
class Orphan:
    name: str
    size: int
    modified: datetime


def find_orphans(older_than: timedelta) -> list[Orphan]:
    """Files in the pictures folder that no PuzzleImage names, written before now - older_than."""
    if not default_storage.exists(IMAGE_FOLDER):
        return []
    cutoff = timezone.now() - older_than
    _, files = default_storage.listdir(IMAGE_FOLDER)
    stored = {f"{IMAGE_FOLDER}/{name}" for name in files}
    orphans = []
    for name in sorted(stored - _referenced()):
        modified = default_storage.get_modified_time(name)
        if timezone.is_naive(modified):  # storages answer in local time when USE_TZ is off
            modified = timezone.make_aware(modified)
        if modified < cutoff:
            orphans.append(Orphan(name, default_storage.size(name), modified))
    return orphans


def remove(orphans: list[Orphan]) -> int:
    """Deletes the files, skipping any that a puzzle has come to name meanwhile; how many went."""
    claimed = _referenced()
    removed = 0
    for orphan in orphans:
        if orphan.name not in claimed:
            default_storage.delete(orphan.name)
            removed += 1
    return removed


def _referenced() -> set[str]:
    # Every name at once: a few thousand short strings a year, and no `IN (...)` list that could
    # outgrow a database's limit on query parameters.
    return set(PuzzleImage.objects.values_list("file", flat=True))
