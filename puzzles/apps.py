from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PuzzlesConfig(AppConfig):
    name = "puzzles"
    verbose_name = "Puzzles"

    def ready(self) -> None:
        from puzzles.permissions import ensure_curators_group

        post_migrate.connect(ensure_curators_group, sender=self)
