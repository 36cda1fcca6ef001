"""Where each step of a training run keeps its files, under the run's --out directory."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from generator.pipeline import MODEL_INFO_FILE
from generator.training.configs import TrainingConfig

RUN_FILE = "run.json"


class RunMismatchError(RuntimeError):
    """The --out directory belongs to a run of another configuration."""


@dataclass(frozen=True)
class RunPaths:
    root: Path

    @property
    def scenes(self) -> Path:
        return self.root / "scenes"

    @property
    def bart_tokenizer(self) -> Path:
        return self.root / "tokenizers" / "bart"

    @property
    def clip_tokenizer(self) -> Path:
        return self.root / "tokenizers" / "clip"

    @property
    def vqgan(self) -> Path:
        return self.root / "vqgan"

    @property
    def decoder(self) -> Path:
        """The decoder stage: the VQGAN with its decoder trained further (codes unchanged)."""
        return self.root / "decoder"

    @property
    def codes(self) -> Path:
        return self.root / "codes"

    @property
    def dalle_bart(self) -> Path:
        return self.root / "dalle_bart"

    @property
    def clip(self) -> Path:
        return self.root / "clip"

    @property
    def recogniser(self) -> Path:
        return self.root / "recogniser"

    @property
    def evaluation(self) -> Path:
        return self.root / "evaluation"

    @property
    def model(self) -> Path:
        """The finished model, in the layout `Generator` loads (dalle_bart/, vqgan/, clip/)."""
        return self.root / "model"

    @staticmethod
    def trained(stage: Path) -> Path:
        """A stage's trained model in the published layout (updated at every checkpoint)."""
        return stage / "model"


def claim_run(root: Path, config: TrainingConfig) -> RunPaths:
    """Create the run directory, or check that an existing one was made with this config."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / RUN_FILE
    described = config.describe()
    if path.exists():
        recorded = json.loads(path.read_text("utf-8"))
        if _with_fitted_steps(root, recorded) != _with_fitted_steps(root, described):
            raise RunMismatchError(
                f"{root} holds a run of configuration {recorded.get('name')!r} with other "
                f"settings than {config.name!r} has now; use another --out directory"
            )
    else:
        path.write_text(json.dumps(described, indent=2) + "\n", "utf-8")
    return RunPaths(root)


# The parts of a finished model (its subfolders of DIR/model/ and of
# generator/weights/default/), each trained by the stage of the same name.
PARTS = ("recogniser", "vqgan", "dalle_bart", "clip")
# The stages a run trains, in the pipeline's order: the parts' stages, then the decoder stage,
# which trains the VQGAN's decoder further.
TRAINED_STAGES = (*PARTS, "decoder")


def _with_fitted_steps(root: Path, described: dict) -> dict:
    """A described configuration with each stage's steps as fitted to a time budget, if it was
    (`--minutes`): such a run's steps come from its `fitted.json`, not from the configuration."""
    result = json.loads(json.dumps(described))
    for stage in TRAINED_STAGES:
        fitted = root / stage / "fitted.json"
        if fitted.exists() and stage in result:
            steps = json.loads(fitted.read_text("utf-8"))["steps"]
            result[stage]["optimizer"]["steps"] = steps
    return result


def update_model_info(paths: RunPaths, **fields: object) -> None:
    """Set fields of the assembled model's model.json, keeping the others.

    `assemble` writes the name and `evaluate` the sampling defaults; either may run again
    without undoing the other.
    """
    path = paths.model / MODEL_INFO_FILE
    info = json.loads(path.read_text("utf-8")) if path.exists() else {}
    info.update(fields)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(info, indent=2) + "\n", "utf-8")
