"""`manage.py tune_scorer`: tunes the scorer model's top layers and writes them for shipping.

    python manage.py tune_scorer                       # into game/scoring/scorer_tuning/ (shipped)
    python manage.py tune_scorer --out DIR --steps 40  # a short run elsewhere

Resumable: a run stopped midway goes on from its last saved state (every 100 steps, in
SIXFOLD_VAR_DIR/scorer/tuning-state/) when started again with the same settings. The scorer loads
the new layers on its next start; benchmarks/scoring_eval.py measures them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from game import conf
from game.scoring.embedder import ScorerConfigError, resolve_model_path
from game.scoring.lexicon import get_lexicon
from game.scoring.tuning import layers
from game.scoring.tuning.train import TuningSettings, tune


class Command(BaseCommand):
    help = "Tune the scorer model's top layers on captions said in other words."

    def add_arguments(self, parser: CommandParser) -> None:
        default = TuningSettings()
        parser.add_argument("--out", type=Path, default=layers.SHIPPED_DIR)
        parser.add_argument("--steps", type=int, default=default.steps)
        parser.add_argument("--batch", type=int, default=default.batch)
        parser.add_argument("--layers", type=int, default=default.layers)
        parser.add_argument("--learning-rate", type=float, default=default.learning_rate)
        parser.add_argument("--seed", type=int, default=default.seed)

    def handle(self, *args: Any, **options: Any) -> None:
        settings = TuningSettings(
            steps=options["steps"],
            batch=options["batch"],
            layers=options["layers"],
            learning_rate=options["learning_rate"],
            seed=options["seed"],
        )
        if settings.steps < 1 or settings.batch < 2 or not 1 <= settings.layers <= 6:
            raise CommandError("--steps must be >= 1, --batch >= 2 and --layers from 1 to 6")
        lexicon = get_lexicon(conf.wordnet_dir())
        if lexicon is None:
            raise CommandError("tuning needs WordNet: apt-get install wordnet-base")
        try:
            base = resolve_model_path(conf.scorer_model_path())
        except ScorerConfigError as error:
            raise CommandError(str(error)) from error
        work = conf.scorer_export_dir() / "tuning-state"
        with tqdm(total=settings.steps, desc="tuning the scorer", unit="step") as bar:

            def show(step: int, total: int, loss: float) -> None:
                bar.n = step
                bar.set_postfix(loss=f"{loss:.3f}")
                bar.refresh()

            note = tune(base, options["out"], work, settings, lexicon, progress=show)
        self.stdout.write(
            f"Tuned layers {note['layers']} of {note['base_model']} in {note['minutes_this_run']} "
            f"min (loss {note['loss_first_50']} -> {note['loss_last_50']}), written to "
            f"{options['out']}."
        )
