from __future__ import annotations

from django.apps import AppConfig


class GameConfig(AppConfig):
    name = "game"
    verbose_name = "Game"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from game import scoring_service
        from puzzles.signals import puzzle_published

        # The answer's embeddings are computed when its puzzle is published, not on first guess.
        # (The web server warms the scorer up when it starts: config/asgi.py.)
        puzzle_published.connect(
            scoring_service.on_puzzle_published, dispatch_uid="game.scoring_service"
        )
