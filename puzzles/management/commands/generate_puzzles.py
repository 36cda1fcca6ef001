"""`manage.py generate_puzzles --days N`: the nightly job, run by hand.

Makes sure today's and the next N-1 days' puzzles exist, then generates those that need it in
this process (with a progress bar), or queues them for the Celery worker with --enqueue.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from puzzles import generation, runs
from puzzles.calendar import puzzle_day, upcoming_days
from puzzles.models import Puzzle
from puzzles.tasks import enqueue_generation


class Command(BaseCommand):
    help = "Make sure the puzzles of today and the next days exist and are generated."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=settings.SIXFOLD_DAYS_AHEAD,
            help=f"how many days from today (default {settings.SIXFOLD_DAYS_AHEAD})",
        )
        parser.add_argument(
            "--enqueue", action="store_true", help="send the work to the Celery worker"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days: int = options["days"]
        if days < 1:
            raise CommandError(f"--days must be at least 1, got {days}")
        puzzle_ids = runs.prepare_upcoming(days)
        if not puzzle_ids:
            self.stdout.write("Nothing to generate.")
        elif options["enqueue"]:
            for puzzle_id in puzzle_ids:
                enqueue_generation(puzzle_id)
            self.stdout.write(f"Queued {len(puzzle_ids)} puzzle(s) for the generation worker.")
        elif missing := generation.missing_model_parts():
            self.stdout.write(
                self.style.WARNING(
                    f"No model at {generation.model_dir()} (missing {', '.join(missing)}): "
                    f"{len(puzzle_ids)} puzzle(s) stay scheduled until the weights exist."
                )
            )
        else:
            for puzzle_id in puzzle_ids:
                self._generate(puzzle_id)
        self._print_days(days)

    def _generate(self, puzzle_id: int) -> None:
        puzzle = Puzzle.objects.get(pk=puzzle_id)
        with tqdm(desc=f"puzzle {puzzle}", unit="step", leave=True) as bar:

            def show(stage: str, done: int, total: int) -> None:
                bar.set_postfix_str(stage)
                bar.total = total
                bar.n = done
                bar.refresh()

            runs.generate_with_retries(puzzle_id, observer=show)

    def _print_days(self, days: int) -> None:
        for day in upcoming_days(puzzle_day(), days):
            puzzle = Puzzle.objects.filter(date=day).first()
            if puzzle is None:
                self.stdout.write(f"{day}: no puzzle")
                continue
            line = f"{day}: puzzle #{puzzle.number} is {puzzle.state}"
            if puzzle.fallback:
                line += f" ({puzzle.get_fallback_display()})"
            if puzzle.state == Puzzle.State.FAILED:
                line += f": {puzzle.error.splitlines()[-1] if puzzle.error else ''}"
            self.stdout.write(line)
