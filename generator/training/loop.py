"""The training loop every model shares: resumable checkpoints, progress bar, loss curves.

A run directory holds `state.msgpack` (step, parameters and optimizer state, written to a temp
file and renamed, so a killed run never leaves half a checkpoint) and `metrics.jsonl` (one line
per logged step). Restarting the same command resumes from the last checkpoint: the step
counter, the learning-rate schedule (it lives in the optimizer state) and the data order (batches
are a pure function of the step) all carry on where they stopped. Lines logged after the last
checkpoint are dropped on resume, so the curve has no duplicated steps.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import numpy as np
from flax import serialization
from tqdm.auto import tqdm

from generator.training.configs import OptimizerConfig
from generator.training.optim import learning_rate_at, set_learning_rate

STATE_FILE = "state.msgpack"
METRICS_FILE = "metrics.jsonl"
CURVE_FILE = "loss.png"


class TrainingStateError(RuntimeError):
    """A checkpoint cannot be resumed (corrupt, or written by a different configuration)."""


@dataclass
class TrainState:
    step: int
    params: Any
    opt_state: Any
    extra: Any = None  # anything else a trainer carries between steps (e.g. code usage)


def save_state(directory: Path, state: TrainState) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    payload = serialization.to_bytes(
        {
            "step": np.int64(state.step),
            "params": state.params,
            "opt_state": state.opt_state,
            "extra": state.extra,
        }
    )
    temporary = directory / (STATE_FILE + ".tmp")
    temporary.write_bytes(payload)
    os.replace(temporary, directory / STATE_FILE)


def restore_state(directory: Path, template: TrainState) -> TrainState | None:
    """The saved state shaped like `template`, or None when there is no checkpoint yet."""
    path = directory / STATE_FILE
    if not path.exists():
        return None
    target = {
        "step": np.int64(0),
        "params": template.params,
        "opt_state": template.opt_state,
        "extra": template.extra,
    }
    try:
        restored = serialization.from_bytes(target, path.read_bytes())
    except (ValueError, KeyError, TypeError) as error:
        raise TrainingStateError(
            f"{path}: cannot resume from this checkpoint ({error}); it was written by a "
            "different configuration or is damaged. Delete it to start over."
        ) from None
    _check_shapes(path, template.params, restored["params"])
    return TrainState(
        int(restored["step"]), restored["params"], restored["opt_state"], restored["extra"]
    )


def saved_step(directory: Path) -> int:
    """The step of the checkpoint in `directory` (-1 when there is none)."""
    path = directory / STATE_FILE
    if not path.exists():
        return -1
    try:
        return int(serialization.msgpack_restore(path.read_bytes())["step"])
    except (ValueError, KeyError, TypeError) as error:
        raise TrainingStateError(f"{path}: cannot read the checkpoint ({error})") from None


def _check_shapes(path: Path, expected: Any, found: Any) -> None:
    expected_shapes = jax.tree_util.tree_map(np.shape, expected)
    found_shapes = jax.tree_util.tree_map(np.shape, found)
    if expected_shapes != found_shapes:
        raise TrainingStateError(
            f"{path}: the checkpoint's parameter shapes differ from this configuration's; "
            "delete it to start over"
        )


class MetricLog:
    """Append-only JSON lines of {"step": n, name: value, ...}."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> list[dict[str, float]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text("utf-8").splitlines() if line]

    def keep_until(self, step: int) -> None:
        """Drop lines logged after `step` (they belong to work a resume repeats)."""
        rows = [row for row in self.read() if row["step"] <= step]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("".join(json.dumps(row) + "\n" for row in rows), "utf-8")

    def append(self, step: int, values: Mapping[str, float]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            row = {"step": step, **{k: round(float(v), 6) for k, v in values.items()}}
            handle.write(json.dumps(row) + "\n")


def plot_curves(rows: list[dict[str, float]], path: Path, title: str) -> None:
    """One panel per logged quantity, raw values faint and a moving average on top."""
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    names = [key for key in rows[0] if key != "step"] if rows else []
    figure, axes = plt.subplots(1, max(1, len(names)), figsize=(4.5 * max(1, len(names)), 3.4))
    axes = np.atleast_1d(axes)
    steps = np.array([row["step"] for row in rows])
    for axis, name in zip(axes, names, strict=False):
        values = np.array([row.get(name, np.nan) for row in rows], dtype=float)
        window = max(1, len(values) // 30)
        axis.plot(steps, values, alpha=0.3 if window > 1 else 1.0, linewidth=0.8)
        if window > 1:
            smooth = np.convolve(values, np.ones(window) / window, mode="valid")
            axis.plot(steps[window - 1 :], smooth, linewidth=1.6)
        axis.set_title(name)
        axis.set_xlabel("step")
        axis.grid(alpha=0.3)
    figure.suptitle(title)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    plt.close(figure)


# (state, step) -> (state, metrics); the step function owns jit and data.
StepFunction = Callable[[TrainState, int], tuple[TrainState, Mapping[str, Any]]]

FITTED_FILE = "fitted.json"
PROBE_STEPS = 30  # steps timed (after the first, which compiles) to fit a time budget
BUDGET_SHARE_FOR_STEPS = 0.85  # the rest of a budget is left for checkpoints and exports
OVERRUN_LIMIT = 1.25  # a stage that passes its budget by this factor ends at once


def planned_steps(directory: Path, settings: OptimizerConfig) -> int:
    """The steps a stage trains for: fitted to a time budget when it was, else configured."""
    path = directory / FITTED_FILE
    if path.exists():
        return int(json.loads(path.read_text("utf-8"))["steps"])
    return settings.steps


def _write_fitted(directory: Path, steps: int, **details: float) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    record = {"steps": steps, **{key: round(value, 4) for key, value in details.items()}}
    (directory / FITTED_FILE).write_text(json.dumps(record) + "\n", "utf-8")


def run_loop(
    directory: Path,
    name: str,
    initial: Callable[[], TrainState],
    train_step: StepFunction,
    settings: OptimizerConfig,
    log_every: int = 10,
    stop_after: int | None = None,
    on_checkpoint: Callable[[TrainState], None] | None = None,
    budget_seconds: float | None = None,
) -> TrainState:
    """Train from the last checkpoint in `directory` up to the planned steps (or `stop_after`).

    `initial()` builds a fresh state; it is also the template a checkpoint is restored into.
    `on_checkpoint(state)` runs after every checkpoint (e.g. to export the published layout).
    With `budget_seconds`, a fresh run times its first PROBE_STEPS steps and fixes the number of
    steps (and so the learning-rate schedule) to fill the budget; the number is kept in
    `fitted.json`, so a resumed run goes on with the same schedule.
    """
    state = initial()
    restored = restore_state(directory, state)
    log = MetricLog(directory / METRICS_FILE)
    if restored is not None:
        state = restored
    log.keep_until(state.step)
    total = planned_steps(directory, settings)
    fitting = budget_seconds is not None and not (directory / FITTED_FILE).exists()
    started = recorded = time.monotonic()
    probe_started = started
    pending: list[Mapping[str, Any]] = []
    with tqdm(total=total, initial=state.step, desc=name, unit="step", dynamic_ncols=True) as bar:
        while state.step < (total if stop_after is None else min(total, stop_after)):
            rate = learning_rate_at(state.step, settings, total)
            set_learning_rate(state.opt_state, rate)
            state, metrics = train_step(state, state.step)
            state.step += 1
            pending.append({**metrics, "lr": rate})
            if fitting and budget_seconds is not None:
                jax.block_until_ready(metrics)
                if state.step == 1:
                    probe_started = time.monotonic()  # the first step compiled
                elif state.step == PROBE_STEPS:
                    per_step = (time.monotonic() - probe_started) / (PROBE_STEPS - 1)
                    left = budget_seconds * BUDGET_SHARE_FOR_STEPS - (time.monotonic() - started)
                    total = max(PROBE_STEPS + 1, PROBE_STEPS + int(left / per_step))
                    _write_fitted(
                        directory, total, seconds_per_step=per_step, budget_seconds=budget_seconds
                    )
                    fitting = False
                    bar.total = total
            elif (
                budget_seconds is not None
                and time.monotonic() - started > OVERRUN_LIMIT * budget_seconds
                and state.step < total
            ):
                total = state.step  # over budget: end here, with this as the schedule's end
                _write_fitted(directory, total, budget_seconds=budget_seconds, overran=1.0)
            end = total if stop_after is None else min(total, stop_after)
            if state.step % log_every == 0 or state.step == end:
                averaged = _average(pending)
                pending.clear()
                log.append(state.step, averaged)
                bar.set_postfix({k: f"{v:.4g}" for k, v in averaged.items()}, refresh=False)
            if state.step % settings.checkpoint_every == 0 or state.step == end:
                save_state(directory, state)
                plot_curves(log.read(), directory / CURVE_FILE, f"{name} training")
                if on_checkpoint is not None:
                    on_checkpoint(state)
                # Counted per checkpoint, so a killed session still adds the time it kept.
                _record_time(directory, time.monotonic() - recorded, state.step)
                recorded = time.monotonic()
            bar.update(1)
    return state


def _average(rows: list[Mapping[str, Any]]) -> dict[str, float]:
    return {key: float(np.mean([float(row[key]) for row in rows])) for key in rows[0]}


def describe_hardware() -> str:
    """The CPU model, core count and JAX devices, for the model card."""
    cpu = platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    devices = jax.devices()
    where = f"{len(devices)} {devices[0].platform} device(s)"
    if devices[0].platform != "cpu":
        where += f" ({devices[0].device_kind})"
    return f"{cpu}, {os.cpu_count()} cores; JAX on {where}"


def _record_time(directory: Path, seconds: float, step: int) -> None:
    """Add this session's wall time to the run's total, with the step reached (for the card).

    Small beside the checkpoint, so a run's figures can travel without its optimizer state.
    """
    path = directory / "wall_time.json"
    total = json.loads(path.read_text("utf-8"))["seconds"] if path.exists() else 0.0
    record = {"seconds": round(total + seconds, 1), "hardware": describe_hardware(), "step": step}
    path.write_text(json.dumps(record) + "\n", "utf-8")


def checkpointed_step(directory: Path) -> int:
    """The step of a stage's last checkpoint, from its small record (-1 when there is none)."""
    path = directory / "wall_time.json"
    if not path.exists():
        return -1
    return int(json.loads(path.read_text("utf-8")).get("step", -1))


def wall_time(directory: Path) -> tuple[float, str]:
    """Total training seconds of a stage and the hardware it last ran on."""
    path = directory / "wall_time.json"
    if not path.exists():
        return 0.0, "unknown"
    record = json.loads(path.read_text("utf-8"))
    return record["seconds"], record.get("hardware", "unknown")
