"""`manage.py import_prompts FILE` (or `--demo` for the shipped demo prompts): idempotent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from puzzles.csv_import import ImportFileError, import_prompts_csv
from puzzles.models import Prompt

DEMO_PROMPTS = Path(__file__).resolve().parents[2] / "data" / "demo_prompts.csv"


class Command(BaseCommand):
    help = "Import prompts from a CSV file (columns: text, tags, difficulty, status, notes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="the CSV file to import")
        parser.add_argument("--demo", action="store_true", help="import the demo prompts")
        parser.add_argument(
            "--status",
            choices=Prompt.Status.values,
            default=Prompt.Status.DRAFT,
            help="status of rows that give none (default: draft)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if bool(options["file"]) == options["demo"]:
            raise CommandError("Give either a FILE or --demo.")
        path = DEMO_PROMPTS if options["demo"] else Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from None
        try:
            report = import_prompts_csv(data, default_status=options["status"])
        except ImportFileError as error:
            raise CommandError(f"{path}: {error}") from None
        for row in report.rows:
            if row.outcome == "error" or options["verbosity"] > 1:
                detail = f": {row.message}" if row.message else ""
                self.stdout.write(f"line {row.line}: {row.outcome}{detail} ({row.text!r})")
            for warning in row.warnings:
                self.stdout.write(self.style.WARNING(f"line {row.line}: {warning} ({row.text!r})"))
        if report.errors:
            raise CommandError(f"{path}: {report.summary()}")
        self.stdout.write(self.style.SUCCESS(f"{path.name}: {report.summary()}"))
