"""`manage.py remove_orphan_images [--delete]`: stored pictures that no puzzle refers to.

Lists them by default; deletes them with --delete. Files younger than the generation lease are
left alone, since a run may still be storing them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from puzzles import orphans, runs


class Command(BaseCommand):
    help = "List (or with --delete, remove) stored pictures that no puzzle refers to."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--delete", action="store_true", help="remove them (default: list)")
        parser.add_argument(
            "--older-than-hours",
            type=float,
            default=None,
            help="only files last written this long ago (default and minimum: the generation "
            "lease)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        lease = runs.lease()
        hours: float | None = options["older_than_hours"]
        age = lease if hours is None else timedelta(hours=hours)
        if age < lease:
            raise CommandError(
                f"--older-than-hours must be at least the generation lease "
                f"({lease.total_seconds() / 3600:g} h): a younger file may belong to a run "
                "that is still storing its pictures."
            )
        found = orphans.find_orphans(age)
        total = sum(orphan.size for orphan in found)
        for orphan in found:
            self.stdout.write(
                f"{orphan.name}  {orphan.size} bytes  written {orphan.modified:%Y-%m-%d %H:%M %Z}"
            )
        summary = f"{len(found)} orphan picture(s), {total / 1e6:.1f} MB"
        if not options["delete"]:
            self.stdout.write(
                summary + (": run again with --delete to remove them." if found else ".")
            )
            return
        removed = orphans.remove(found)
        self.stdout.write(self.style.SUCCESS(f"Removed {removed} of {summary}."))
