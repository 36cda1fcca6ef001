"""Writing a puzzle's pictures to media storage, and waiting out storage that cannot take them.

A full disk, a quota, or a storage mounted read-only is the machine's fault, not the prompt's:
the run keeps its drawn pictures, says so once in the log, and tries again every
`RETRY_SECONDS` (each try renews its lease) for up to SIXFOLD_STORAGE_PATIENCE_SECONDS; past
that it gives the puzzle back without spending one of its attempts (`StorageUnavailable`), and
the retry or the recovery job draws it again once storage takes files. A write that fails half
way leaves no file behind: only files written whole are kept, and only those are ever named by
the database, so no half-written picture can be served.
"""

from __future__ import annotations

import errno
import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from puzzles.models import random_image_name
from puzzles.services import delete_files

log = logging.getLogger(__name__)

# The errors that say the storage cannot take a file now, whatever the file.
STORAGE_FAULTS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})
RETRY_SECONDS = 15.0

Report = Callable[[str, int, int], None]


class StorageUnavailable(RuntimeError):
    """Media storage refused the pictures for longer than the run waits."""


def save_pictures(pictures: list[bytes], report: Report) -> list[str]:
    """Store PNG files under new random names; the names, in order. Raises StorageUnavailable
    (nothing left behind) when the storage keeps refusing them past the patience setting."""
    names: list[str] = []
    waited, warned = 0.0, False
    patience = settings.SIXFOLD_STORAGE_PATIENCE_SECONDS
    try:
        for done, png in enumerate(pictures):
            while True:
                report("storing", done, len(pictures))
                try:
                    names.append(_save_whole(png))
                    break
                except OSError as error:
                    if error.errno not in STORAGE_FAULTS:
                        raise
                    if not warned:
                        log.warning(
                            "media storage cannot take the puzzle's pictures (%s); waiting "
                            "for it, up to %d s",
                            error.strerror or error,
                            patience,
                        )
                        warned = True
                    if waited >= patience:
                        raise StorageUnavailable(
                            f"media storage refused the pictures for {waited:.0f} s: {error}"
                        ) from error
                    time.sleep(RETRY_SECONDS)
                    waited += RETRY_SECONDS
        # The last report too may find the claim lost: the files written go with it.
        report("storing", len(names), len(pictures))
    except BaseException:
        delete_files(names)
        raise
    if warned:
        log.warning("media storage takes the puzzle's pictures again (after %.0f s)", waited)
    return names


def _save_whole(png: bytes) -> str:
    """Save one file, removing what a failed write left of it."""
    name = random_image_name(None, "")
    try:
        return default_storage.save(name, ContentFile(png))
    except OSError:
        try:
            if default_storage.exists(name):
                default_storage.delete(name)
        except OSError:
            log.warning("could not remove the partly written %s", name)
        raise
