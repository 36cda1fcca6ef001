"""Tuning the top layers of the scorer's model on game.scoring.tuning.triples (torch, CPU).

Each step embeds a batch of captions, their paraphrases and their other pictures, and asks
every caption to find its own paraphrase among all the batch's paraphrases and other pictures
(a softmax over cosines times SCALE: in-batch negatives plus one hard negative each). Only the
top `layers` transformer layers learn, so the result ships small (game.scoring.tuning.layers). A
state
file in `work_dir` is written every `save_every` steps; a run started again with the same
settings goes on from it.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from game.scoring.tuning import layers as tuned_layers
from game.scoring.tuning.triples import Triple, triples

log = logging.getLogger(__name__)

SCALE = 20.0  # the softmax temperature's inverse: cosines are in [-1, 1]
STATE_FILE = "state.pt"


@dataclass(frozen=True)
class TuningSettings:
    steps: int = 800
    batch: int = 32
    layers: int = 6  # the top layers that learn (all six; the word embeddings stay)
    learning_rate: float = 5e-5
    warmup: float = 0.1  # share of the steps the rate climbs for, then it falls to zero
    seed: int = 0
    save_every: int = 100


def tune(
    base_dir: Path,
    out_dir: Path,
    work_dir: Path,
    settings: TuningSettings,
    lexicon: Any,
    progress: Callable[[int, int, float], None] | None = None,
) -> dict[str, Any]:
    """Tunes the model in `base_dir` and writes its tuned layers and note into `out_dir`."""
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(settings.seed)
    model = SentenceTransformer(str(base_dir), device="cpu", local_files_only=True)
    encoder: Any = model[0].auto_model  # the transformers BertModel
    count = encoder.config.num_hidden_layers
    tuned = list(range(count - settings.layers, count))
    prefixes = tuned_layers.layer_prefixes(tuned)
    for name, parameter in encoder.named_parameters():
        parameter.requires_grad = name.startswith(prefixes)
    trainable = [p for p in encoder.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(trainable, lr=settings.learning_rate, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, _rate_factor(settings))

    state_path = work_dir / STATE_FILE
    start, losses = _resume(state_path, settings, encoder, optimiser, schedule)
    data = triples(lexicon, settings.seed)
    batches = iter(lambda: list(itertools.islice(data, settings.batch)), None)
    for _ in range(start):  # the same batches as an uninterrupted run
        next(batches)

    def embed(texts: list[str]) -> torch.Tensor:
        features = model.tokenize(texts)
        return torch.nn.functional.normalize(model(features)["sentence_embedding"], dim=-1)

    model.train()
    began = time.monotonic()
    for step in range(start, settings.steps):
        batch: list[Triple] = next(batches)
        captions = embed([t[0] for t in batch])
        candidates = embed([t[1] for t in batch] + [t[2] for t in batch])
        logits = SCALE * captions @ candidates.T
        loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(batch)))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        losses.append(loss.item())
        if progress:
            progress(step + 1, settings.steps, losses[-1])
        if (step + 1) % settings.save_every == 0 and step + 1 < settings.steps:
            _save_state(state_path, step + 1, settings, encoder, optimiser, schedule, losses)

    weights = {
        name: tensor.detach().numpy()
        for name, tensor in encoder.state_dict().items()
        if name.startswith(prefixes)
    }
    note = {
        "base_fingerprint": tuned_layers.model_fingerprint(base_dir),
        "base_model": base_dir.name if base_dir.name != "model" else base_dir.parent.name,
        "layers": tuned,
        "settings": asdict(settings),
        "loss_first_50": _mean(losses[:50]),
        "loss_last_50": _mean(losses[-50:]),
        "minutes_this_run": round((time.monotonic() - began) / 60, 1),
        "torch_threads": torch.get_num_threads(),
    }
    tuned_layers.save(out_dir, weights, note)
    state_path.unlink(missing_ok=True)
    return note


def _rate_factor(settings: TuningSettings) -> Callable[[int], float]:
    warm = max(1, int(settings.warmup * settings.steps))

    def factor(step: int) -> float:
        return min(1.0, (step + 1) / warm) * max(0.0, (settings.steps - step) / settings.steps)

    return factor


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _save_state(
    path: Path,
    step: int,
    settings: TuningSettings,
    encoder: Any,
    optimiser: Any,
    schedule: Any,
    losses: list[float],
) -> None:
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    torch.save(
        {
            "step": step,
            "settings": json.dumps(asdict(settings), sort_keys=True),
            "encoder": {k: v for k, v in encoder.state_dict().items()},
            "optimiser": optimiser.state_dict(),
            "schedule": schedule.state_dict(),
            "losses": losses,
        },
        temporary,
    )
    os.replace(temporary, path)


def _resume(
    path: Path, settings: TuningSettings, encoder: Any, optimiser: Any, schedule: Any
) -> tuple[int, list[float]]:
    """The step to start from: a saved state's, when it was made with the same settings."""
    import torch

    if not path.is_file():
        return 0, []
    state = torch.load(path, weights_only=False)
    if state.get("settings") != json.dumps(asdict(settings), sort_keys=True):
        log.warning("%s was saved with other settings: starting again from step 0", path)
        return 0, []
    encoder.load_state_dict(state["encoder"])
    optimiser.load_state_dict(state["optimiser"])
    schedule.load_state_dict(state["schedule"])
    log.info("going on from step %d (%s)", state["step"], path)
    return int(state["step"]), list(state["losses"])
