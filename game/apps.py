from __future__ import annotations

from django.apps import AppConfig


class GameConfig(AppConfig):
    name = "game"
    verbose_name = "Game"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from game import answers, conf
        from puzzles.signals import puzzle_published

        # The answer's embeddings are computed when its puzzle is published, not on first guess.
        puzzle_published.connect(answers.on_puzzle_published, dispatch_uid="game.answers")
        if conf.warm_scorer_at_start():
            answers.warm_up()
