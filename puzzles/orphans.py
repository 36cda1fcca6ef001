"""Stored pictures that no puzzle refers to, and their removal.

A generation run stores its pictures before it records them; a worker killed in between (power
cut, `kill -9`) leaves files that no row names. They are harmless but take disk space, so the
`remove_orphan_images` command finds and deletes them. Only files older than the generation
lease are touched: a younger file may belong to a run that is still storing its pictures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.files.storage import default_storage

from puzzles.models import PuzzleImage

IMAGE_FOLDER = "puzzles"


@dataclass(frozen=True)
class Orphan:
    name: str
    size: int
    modified: datetime


def find_orphans(older_than: timedelta, now: datetime | None = None) -> list[Orphan]:
    """Files in the pictures folder that no PuzzleImage names, written before now - older_than."""
    if not default_storage.exists(IMAGE_FOLDER):
        return []
    cutoff = (now or datetime.now(UTC)) - older_than
    _, files = default_storage.listdir(IMAGE_FOLDER)
    stored = {f"{IMAGE_FOLDER}/{name}" for name in files}
    referenced = set(PuzzleImage.objects.filter(file__in=stored).values_list("file", flat=True))
    orphans = []
    for name in sorted(stored - referenced):
        modified = default_storage.get_modified_time(name)
        if modified.tzinfo is None:  # storages answer in UTC when USE_TZ is on, naive otherwise
            modified = modified.replace(tzinfo=UTC)
        if modified < cutoff:
            orphans.append(Orphan(name, default_storage.size(name), modified))
    return orphans


def remove(orphans: list[Orphan]) -> int:
    """Deletes the files, skipping any that a puzzle has come to name meanwhile; how many went."""
    names = [orphan.name for orphan in orphans]
    claimed = set(PuzzleImage.objects.filter(file__in=names).values_list("file", flat=True))
    removed = 0
    for name in names:
        if name not in claimed:
            default_storage.delete(name)
            removed += 1
    return removed
