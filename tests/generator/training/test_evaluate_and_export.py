"""A whole tiny run, evaluated and shipped: the figures, the chosen sampling and the model card."""

import dataclasses
import json
import shutil

import numpy as np
import pytest

from generator.checkpoint import PARAMS_NAME, flatten_params, read_params
from generator.legibility import VOCABULARY_FILE
from generator.pipeline import Generator
from generator.training import configs
from generator.training.adopt import AdoptError, adopt_model
from generator.training.evaluate import CONDITION_SCALES, CONTACT_SHEET_FILE, METRICS_FILE
from generator.training.export import CARD_FILE, ExportError, export_model
from generator.training.paths import claim_run
from generator.training.run import ALL, run_steps
from generator.training.train_decoder import TRAINED_PARTS

PICTURE_SETS = ("real", "reconstructed", "generated_kept", "generated_all", "untrained")


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    config = configs.tiny()
    paths = claim_run(tmp_path_factory.mktemp("tiny-run"), config)
    run_steps(list(ALL), paths, config, stop_after=None)
    return paths, config


def _metrics(paths):
    return json.loads((paths.evaluation / METRICS_FILE).read_text())


def test_evaluation_reports_legibility_of_every_picture_set_as_shares(finished_run):
    paths, config = finished_run
    metrics = _metrics(paths)
    assert metrics["prompts"] == config.evaluation_prompts
    assert set(metrics["pictures"]) == set(PICTURE_SETS)
    for figures in metrics["pictures"].values():
        for key in ("objects", "scenes", "counts", "setting"):
            assert 0 <= figures[key] <= 1
    assert metrics["vqgan_psnr_heldout_db"] > 0
    assert 0 < metrics["codebook"]["codes_used"] <= 1
    assert 0 <= metrics["clip_scene_over_foil"] <= 1
    assert metrics["clip_foil_scenes"] == config.data.psnr_scenes
    trust = metrics["recogniser"]
    assert set(trust) >= {"real", "blurred", "jpeg_q30", "downscaled_2x", "noise_nothing_found"}
    assert (paths.evaluation / CONTACT_SHEET_FILE).stat().st_size > 0


def test_the_sampling_is_the_best_on_validation_and_becomes_the_model_default(finished_run):
    paths, _ = finished_run
    metrics = _metrics(paths)
    tried = metrics["sampling_validation"]
    assert {row["condition_scale"] for row in tried} == set(CONDITION_SCALES)

    def score(row):
        return (row["objects"] + row["counts"] + row["setting"]) / 3

    chosen = metrics["sampling"]
    best = max(score(row) for row in tried)
    chosen_rows = [
        row
        for row in tried
        if (row["condition_scale"], row["top_k"], row["temperature"])
        == (chosen["condition_scale"], chosen["top_k"], chosen["temperature"])
    ]
    assert chosen_rows and score(chosen_rows[0]) == best
    info = json.loads((paths.model / "model.json").read_text())
    assert info["name"] == "sixfold-emoji-tiny"
    assert info["sampling"] == chosen


def test_the_assembled_model_is_stored_in_float16_with_its_vocabulary(finished_run):
    paths, _ = finished_run
    for part in ("dalle_bart", "vqgan", "clip", "recogniser"):
        leaves = flatten_params(read_params(paths.model / part / PARAMS_NAME)).values()
        assert {leaf.dtype.name for leaf in leaves} == {"float16"}
    words = (paths.model / VOCABULARY_FILE).read_text().split()
    assert {"penguin", "penguins", "beach", "above"} <= set(words)


def test_the_exported_model_loads_with_its_card_and_sampling(finished_run, tmp_path):
    paths, config = finished_run
    target = export_model(paths, config, tmp_path / "weights")
    metrics = _metrics(paths)
    card = (target / CARD_FILE).read_text()
    real = f"{100 * metrics['pictures']['real']['objects']:.0f}%"
    assert f"| real held-out scenes | {real} |" in card
    assert "| codec reconstructions ÷ real |" in card
    assert (target / "training" / CONTACT_SHEET_FILE).exists()
    assert (target / VOCABULARY_FILE).exists()
    generator = Generator(target, batch_size=2)
    assert generator.model_name == "sixfold-emoji-tiny"
    result = generator.generate("a cat on the grass", candidates=2, keep=2, seed=0)
    assert result.sampling.condition_scale == metrics["sampling"]["condition_scale"]
    assert result.sampling.top_k == metrics["sampling"]["top_k"]


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


@pytest.fixture(scope="module")
def adopted_run(finished_run, tmp_path_factory):
    """A run that starts from the finished run's shipped model and trains its recogniser (the
    robustness phase), its CLIP (the ranking phase) and its VQGAN's decoder further, as the
    shipped model's CPU steps did."""
    source_paths, config = finished_run
    source = export_model(source_paths, config, tmp_path_factory.mktemp("shipped") / "weights")
    paths = claim_run(tmp_path_factory.mktemp("adopted-run"), config)
    adopt_model(paths, source)
    fewer = dataclasses.replace(config, evaluation_prompts=4)
    steps = ["recogniser", "clip", "decoder", "assemble", "evaluate"]
    run_steps(steps, paths, fewer, stop_after=None)
    return source, paths, config


def _params(directory):
    return flatten_params(read_params(directory / PARAMS_NAME))


def _assert_only_the_decoder_changed(ours, theirs):
    """Encoder and codebook as they were (DalleBart's codes keep their meaning), a new decoder
    (compared as shipped, in float16)."""

    def same(name):
        return np.array_equal(ours[name].astype(np.float16), theirs[name].astype(np.float16))

    decoder = [name for name in theirs if name.split("/")[0] in TRAINED_PARTS]
    frozen = [name for name in theirs if name not in decoder]
    assert frozen and all(same(name) for name in frozen)
    assert not all(same(name) for name in decoder)


def test_a_whole_run_ships_the_decoder_stage_decoder_on_the_vqgan_stage_codes(finished_run):
    paths, _ = finished_run
    _assert_only_the_decoder_changed(
        _params(paths.model / "vqgan"), _params(paths.trained(paths.vqgan))
    )


def test_an_adopted_model_keeps_its_parts_and_trains_only_the_asked_ones_further(adopted_run):
    source, paths, _ = adopted_run
    ours, theirs = _params(paths.model / "dalle_bart"), _params(source / "dalle_bart")
    assert all(np.array_equal(ours[name], theirs[name]) for name in theirs)
    _assert_only_the_decoder_changed(_params(paths.model / "vqgan"), _params(source / "vqgan"))
    for part in ("recogniser", "clip"):
        ours, theirs = _params(paths.model / part), _params(source / part)
        assert any(not np.array_equal(ours[name], theirs[name]) for name in theirs)
    clip_log = (paths.clip / "metrics.jsonl").read_text()
    assert "beats_foil" in clip_log  # an adopted CLIP trains the ranking phase from its start


def test_an_adopted_run_ships_with_its_commands_and_every_run_in_one_table(adopted_run, tmp_path):
    source, paths, config = adopted_run
    target = export_model(paths, config, tmp_path / "weights")
    card = (target / CARD_FILE).read_text()
    assert f"python -m generator.training adopt --out DIR --size tiny --from {source}" in card
    assert "python -m generator.training recogniser --out DIR --size tiny" in card
    assert "python -m generator.training clip --out DIR --size tiny" in card
    assert "python -m generator.training decoder --out DIR --size tiny" in card
    assert "python -m generator.training vqgan" not in card
    assert "VQGAN decoder that reads the prompt (encoder and codebook frozen)" in card
    assert "python -m generator.training evaluate --out DIR --size tiny --prompts 4" in card
    # Both runs in one table: the source's from its history, this one's added; no card nested.
    history = json.loads((target / "history.json").read_text())
    assert len(history) == 2 and len(history[0]["commands"]) == 2  # all, export
    assert {step["stage"] for step in history[1]["stages"]} >= {"recogniser", "clip", "decoder"}
    assert "vqgan" not in {step["stage"] for step in history[1]["stages"]}
    assert "| 1 |" in card and "| 2 |" in card and "| recogniser | 8 steps × " in card
    assert "python -m generator.training all --out DIR --size tiny" in card  # run 1's command
    assert "> " not in card
    assert "On 4 held-out prompts" in card
    assert "Hardware: unknown" not in card  # the machine of the stages it trained
    assert "scores a held-out scene above its foil" in card
    assert "each scene with a foil (one object swapped, or the objects smeared)" in card
    assert (target / "training" / "recogniser_loss.png").exists()
    assert (target / "training" / "decoder_loss.png").exists()
    assert Generator(target, batch_size=2).generate("a cat", candidates=2, keep=1, seed=0).kept


def test_an_adopted_run_is_not_shipped_while_a_stage_it_trains_is_unfinished(adopted_run, tmp_path):
    source, evaluated, config = adopted_run
    paths = claim_run(tmp_path / "run", config)
    adopt_model(paths, source)
    run_steps(["recogniser"], paths, config, stop_after=3)
    shutil.copytree(evaluated.evaluation, paths.evaluation)  # figures in place, even so
    with pytest.raises(ExportError, match="recogniser stopped at step 3 of 8"):
        export_model(paths, config, tmp_path / "weights")


def test_adopting_needs_a_whole_model_and_a_run_of_its_own(adopted_run, tmp_path):
    source, _, config = adopted_run
    with pytest.raises(AdoptError, match="has no recogniser, vqgan, dalle_bart, clip"):
        adopt_model(claim_run(tmp_path / "run", config), tmp_path)
    fresh = claim_run(tmp_path / "trained", config)
    (fresh.trained(fresh.vqgan)).mkdir(parents=True)
    with pytest.raises(AdoptError, match="trained in this run"):
        adopt_model(fresh, source)


def _scored_reading(directory, label, main_named):
    directory.mkdir(parents=True)
    (directory / "key.json").write_text(json.dumps({"label": label, "seed": 1, "sheets": []}))
    figures = {
        "sheets": 4,
        "main_named": main_named,
        "all_named": 0.5,
        "count_right": 0.25,
        "countable": 4,
        "setting_right": 1.0,
    }
    (directory / "scores.json").write_text(json.dumps({"kinds": {"generated": figures}}))


def test_the_card_leads_with_the_blind_readings_and_keeps_earlier_models_ones(
    finished_run, tmp_path
):
    paths, config = finished_run
    target = tmp_path / "weights"
    readings = paths.root / "readings"
    try:
        _scored_reading(readings / "r1-before", "the model before", 0.25)
        export_model(paths, config, target)
        shutil.rmtree(readings)
        _scored_reading(readings / "r2-after", "this model", 0.75)
        export_model(paths, config, target)
    finally:
        shutil.rmtree(readings, ignore_errors=True)
    card = (target / CARD_FILE).read_text()
    assert card.index("## Blind reading") < card.index("## Figures of the recogniser")
    assert "| the model before | generated (the six kept of 16) | 4 | 25% (1 of 4) |" in card
    assert "| this model | generated (the six kept of 16) | 4 | 75% (3 of 4) |" in card
    assert sorted(p.name for p in (target / "training" / "readings").iterdir()) == [
        "r1-before",
        "r2-after",
    ]
