"""A whole tiny run, evaluated and shipped: the figures, the chosen sampling and the model card."""

import dataclasses
import json

import pytest

from generator.pipeline import Generator
from generator.training import configs
from generator.training.evaluate import CONDITION_SCALES, CONTACT_SHEET_FILE, METRICS_FILE
from generator.training.export import CARD_FILE, ExportError, export_model
from generator.training.paths import claim_run
from generator.training.run import ALL, run_steps


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    config = configs.tiny()
    paths = claim_run(tmp_path_factory.mktemp("tiny-run"), config)
    run_steps(list(ALL), paths, config, stop_after=None)
    return paths, config


def test_evaluation_reports_every_figure_as_a_share_of_the_prompts(finished_run):
    paths, config = finished_run
    metrics = json.loads((paths.evaluation / METRICS_FILE).read_text())
    prompts = config.evaluation_prompts
    assert metrics["prompts"] == prompts
    for key in ("r_precision_real", "r_precision_generated", "r_precision_untrained"):
        # One picture per prompt: every figure is a whole number of prompts out of `prompts`.
        assert 0 <= metrics[key] <= 1
        assert round(metrics[key] * prompts, 6) == round(metrics[key] * prompts)
    assert metrics["vqgan_psnr_heldout_db"] > 0
    assert (paths.evaluation / CONTACT_SHEET_FILE).stat().st_size > 0


def test_the_condition_scale_is_the_best_on_validation_and_becomes_the_model_default(
    finished_run,
):
    paths, _ = finished_run
    metrics = json.loads((paths.evaluation / METRICS_FILE).read_text())
    validation = metrics["condition_scale_validation"]
    assert set(validation) == {f"{scale:g}" for scale in CONDITION_SCALES}
    assert validation[f"{metrics['condition_scale']:g}"] == max(validation.values())
    info = json.loads((paths.model / "model.json").read_text())
    assert info["name"] == "sixfold-emoji-tiny"
    assert info["sampling"] == {"condition_scale": metrics["condition_scale"]}


def test_the_exported_model_loads_with_its_card_and_sampling(finished_run, tmp_path):
    paths, config = finished_run
    target = export_model(paths, config, tmp_path / "weights")
    metrics = json.loads((paths.evaluation / METRICS_FILE).read_text())
    card = (target / CARD_FILE).read_text()
    real = f"{100 * metrics['r_precision_real']:.0f}%"
    assert f"| R-precision@1, real scenes (ceiling) | {real} |" in card
    assert f"{metrics['generated_over_real']:.2f} (goal: at least 0.60)" in card
    assert (target / "training" / CONTACT_SHEET_FILE).exists()
    generator = Generator(target, batch_size=2)
    assert generator.model_name == "sixfold-emoji-tiny"
    result = generator.generate("a cat on the grass", candidates=2, keep=2, seed=0)
    assert result.sampling.condition_scale == metrics["condition_scale"]


def test_a_run_stopped_early_is_not_shipped(finished_run, tmp_path):
    paths, _ = finished_run
    tiny = configs.tiny()
    optimizer = dataclasses.replace(tiny.dalle_bart.optimizer, steps=99)
    longer = dataclasses.replace(
        tiny, dalle_bart=dataclasses.replace(tiny.dalle_bart, optimizer=optimizer)
    )
    target = tmp_path / "weights"
    with pytest.raises(ExportError, match="dalle_bart stopped at step 8 of 99"):
        export_model(paths, longer, target)
    assert not target.exists()
