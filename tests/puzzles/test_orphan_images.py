"""Pictures left on disk by a worker killed between storing and recording them are found and
removed; pictures a puzzle uses, and files a running generation may still record, are kept."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from puzzles.models import Puzzle, PuzzleImage, random_image_name

pytestmark = pytest.mark.django_db

TWO_HOURS = 2 * 3600


def stored_file(media_root: Path, age_seconds: float) -> str:
    name = default_storage.save(random_image_name(None, ""), ContentFile(b"\x89PNG picture"))
    when = time.time() - age_seconds
    os.utime(media_root / name, (when, when))
    return name


def run(*args: str) -> str:
    out = StringIO()
    call_command("remove_orphan_images", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def files(media_root: Path, make_puzzle: Callable[..., Puzzle]) -> dict[str, str]:
    puzzle = make_puzzle(date(2026, 3, 1))
    used = stored_file(media_root, TWO_HOURS)
    PuzzleImage.objects.create(puzzle=puzzle, position=1, rank=1, file=used, score=0.3, seed=1)
    return {
        "used": used,
        "old_orphan": stored_file(media_root, TWO_HOURS),
        "fresh_orphan": stored_file(media_root, 60),  # a run may still be recording it
    }


def test_listing_names_the_old_orphan_and_deletes_nothing(files: dict[str, str]) -> None:
    output = run()
    assert files["old_orphan"] in output
    assert files["used"] not in output and files["fresh_orphan"] not in output
    assert "1 orphan picture(s)" in output and "--delete" in output
    assert all(default_storage.exists(name) for name in files.values())


def test_delete_removes_only_the_old_orphan(files: dict[str, str]) -> None:
    output = run("--delete")
    assert "Removed 1 of 1 orphan picture(s)" in output
    assert not default_storage.exists(files["old_orphan"])
    assert default_storage.exists(files["used"]) and default_storage.exists(files["fresh_orphan"])
    assert PuzzleImage.objects.get().file.name == files["used"]


def test_an_age_below_the_generation_lease_is_refused(files: dict[str, str]) -> None:
    with pytest.raises(CommandError, match="at least the generation lease"):
        run("--delete", "--older-than-hours", "0.01")
    assert all(default_storage.exists(name) for name in files.values())


def test_with_no_pictures_folder_there_is_nothing_to_do(db: None) -> None:
    assert "0 orphan picture(s)" in run("--delete")
