"""Checkpoints, resuming and run directories."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from generator.training import configs
from generator.training.dataset import load_scenes, render_scenes
from generator.training.loop import (
    CURVE_FILE,
    FITTED_FILE,
    METRICS_FILE,
    PROBE_STEPS,
    TrainingStateError,
    TrainState,
    checkpointed_step,
    planned_steps,
    run_loop,
    saved_step,
)
from generator.training.optim import learning_rate_at, make_optimizer
from generator.training.paths import RunMismatchError, claim_run
from generator.training.splits import draw_sample

TOTAL = 6
SETTINGS = configs.OptimizerConfig(0.1, 1, TOTAL, 8, checkpoint_every=4)


def _regression():
    """A small real model: linear regression trained with the project's optimizer."""
    rng = np.random.default_rng(0)
    inputs = jnp.asarray(rng.normal(size=(64, 4)), jnp.float32)
    targets = inputs @ jnp.array([1.0, -2.0, 0.5, 3.0])
    optimizer = make_optimizer(SETTINGS)

    @jax.jit
    def update(params, opt_state, rows):
        def loss_fn(p):
            return jnp.mean((inputs[rows] @ p["w"] - targets[rows]) ** 2)

        loss, grads = jax.value_and_grad(loss_fn)(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    def initial():
        params = {"w": jnp.zeros(4)}
        return TrainState(0, params, optimizer.init(params))

    def step(state, index):
        rows = np.random.default_rng([0, index]).integers(0, 64, 8)  # data is a function of step
        params, opt_state, loss = update(state.params, state.opt_state, rows)
        return TrainState(index, params, opt_state), {"loss": loss}

    return initial, step


def _train(directory, stop_after=None):
    initial, step = _regression()
    return run_loop(directory, "test", initial, step, SETTINGS, log_every=2, stop_after=stop_after)


def test_a_stopped_run_resumes_where_it_stopped_and_ends_the_same(tmp_path):
    straight = _train(tmp_path / "straight")
    assert straight.step == TOTAL

    stopped = _train(tmp_path / "resumed", stop_after=3)
    assert stopped.step == 3 and saved_step(tmp_path / "resumed") == 3
    resumed = _train(tmp_path / "resumed")
    assert resumed.step == TOTAL
    np.testing.assert_allclose(resumed.params["w"], straight.params["w"], rtol=1e-6)

    rows = [
        json.loads(line) for line in (tmp_path / "resumed" / METRICS_FILE).read_text().splitlines()
    ]
    assert [row["step"] for row in rows] == [2, 3, 4, 6]
    assert rows[-1]["loss"] < rows[0]["loss"]
    assert (tmp_path / "resumed" / CURVE_FILE).stat().st_size > 1000


def test_a_finished_run_is_not_trained_again(tmp_path):
    _train(tmp_path)
    before = (tmp_path / METRICS_FILE).read_text()
    assert _train(tmp_path).step == TOTAL
    assert (tmp_path / METRICS_FILE).read_text() == before


def test_a_checkpoint_of_another_shape_is_refused(tmp_path):
    _train(tmp_path, stop_after=2)
    initial, step = _regression()

    def other_initial():
        params = {"w": jnp.zeros(5)}
        return TrainState(0, params, initial().opt_state)

    with pytest.raises(TrainingStateError, match="start over"):
        run_loop(tmp_path, "test", other_initial, step, SETTINGS)


def test_the_learning_rate_warms_up_then_decays_to_a_tenth():
    settings = configs.OptimizerConfig(1.0, 10, 110, 8)
    assert learning_rate_at(0, settings) == 0.0
    assert learning_rate_at(5, settings) == pytest.approx(0.5)
    assert learning_rate_at(10, settings) == pytest.approx(1.0)
    assert learning_rate_at(60, settings) == pytest.approx(0.55)
    assert learning_rate_at(110, settings) == pytest.approx(0.1)
    # A schedule fitted to another length ends at a tenth there instead.
    assert learning_rate_at(50, settings, total=50) == pytest.approx(0.1)


def test_each_step_trains_at_the_scheduled_rate(tmp_path):
    _train(tmp_path)
    rows = [json.loads(line) for line in (tmp_path / METRICS_FILE).read_text().splitlines()]
    # Logged every 2 steps: the mean rate of steps (0, 1) and (2, 3) ...
    expected = [
        (learning_rate_at(s, SETTINGS) + learning_rate_at(s + 1, SETTINGS)) / 2 for s in (0, 2, 4)
    ]
    assert [row["lr"] for row in rows] == pytest.approx(expected, rel=1e-5)


def test_a_time_budget_fixes_the_steps_and_a_resumed_run_keeps_them(tmp_path):
    initial, step = _regression()
    settings = configs.OptimizerConfig(0.1, 1, 1000, 8, checkpoint_every=500)
    state = run_loop(tmp_path, "test", initial, step, settings, budget_seconds=0.5)
    fitted = json.loads((tmp_path / FITTED_FILE).read_text())
    assert state.step == fitted["steps"] == planned_steps(tmp_path, settings)
    assert fitted["steps"] >= PROBE_STEPS + 1 and fitted["steps"] != 1000
    assert checkpointed_step(tmp_path) == fitted["steps"]
    # Resumed without a budget, the fitted run is finished: no more steps.
    assert run_loop(tmp_path, "test", initial, step, settings).step == fitted["steps"]


def test_a_run_directory_belongs_to_one_configuration(tmp_path):
    claim_run(tmp_path, configs.tiny())
    claim_run(tmp_path, configs.tiny())  # the same configuration may resume
    with pytest.raises(RunMismatchError, match="another --out"):
        claim_run(tmp_path, configs.small())


def test_rendering_resumes_with_the_same_scenes(tmp_path):
    render_scenes(tmp_path, count=6, size=16, chunk=2)
    complete = load_scenes(tmp_path, 6, 16)
    assert complete.captions[4] == draw_sample(4, "train", 16).caption
    np.testing.assert_array_equal(complete.images[4], draw_sample(4, "train", 16).image)

    captions = tmp_path / "captions.txt"
    captions.write_text("".join(line + "\n" for line in complete.captions[:2]))
    with pytest.raises(Exception, match="scenes"):
        load_scenes(tmp_path, 6, 16)
    render_scenes(tmp_path, count=6, size=16, chunk=2)
    again = load_scenes(tmp_path, 6, 16)
    assert again.captions == complete.captions
    np.testing.assert_array_equal(np.asarray(again.images), np.asarray(complete.images))
    assert (tmp_path / "preview.png").exists()


def test_an_unevaluated_run_is_not_shipped(tmp_path):
    from generator.training.export import ExportError, export_model

    paths = claim_run(tmp_path / "run", configs.tiny())
    target = tmp_path / "weights"
    with pytest.raises(ExportError, match="evaluate"):
        export_model(paths, configs.tiny(), target)
    assert not target.exists()
