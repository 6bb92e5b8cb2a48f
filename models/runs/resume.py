"""Opening a run for training: its lock, what a killed process left behind, and the point to
go on from (the last complete checkpoint, or step 0 when there is none yet)."""

from __future__ import annotations

from typing import Any

import torch

from models.kinds.base import ImageModel
from models.runs.atomic import remove_stale_temporaries
from models.runs.checkpoint import (
    build_model,
    checked_settings,
    finish_committed_checkpoint,
    load_model,
    load_state,
    weights_step,
)
from models.runs.folder import Run, RunError
from models.runs.lock import RunLock

# Folders of a run that atomic writes put temporary files in.
WRITTEN_FOLDERS = ("", "samples", "reconstructions")


def hold_for_training(run: Run) -> RunLock:
    """Take the run's training lock (RunError naming the holder if another process has it),
    then tidy what a killed writer left: its committed checkpoint is moved into place, an
    uncommitted one and half-written temporary files are deleted."""
    lock = RunLock(run.path)
    lock.acquire()
    try:
        finish_committed_checkpoint(run)
        for folder in WRITTEN_FOLDERS:
            remove_stale_temporaries(run.path / folder)
    except BaseException:
        lock.release()
        raise
    return lock


def saved_state(run: Run, device: torch.device) -> dict[str, Any] | None:
    """The resume state of the run's last checkpoint, checked against its weights; None when
    the run has no checkpoint yet (it starts again from step 0). Its settings are checked
    first, so a run that cannot go on fails before any data is loaded."""
    checked_settings(run.config)
    if not run.weights_path.exists():
        return None
    if not run.state_path.exists():
        raise RunError(
            f"{run.name} has saved weights but no resume state (state.pt); fork it to train "
            "on from these weights"
        )
    state = load_state(run, device)
    step = weights_step(run)
    if step != int(state.get("step", -1)):
        raise RunError(
            f"{run.name}: weights.safetensors (step {step}) and state.pt (step "
            f"{state.get('step')}) are not from the same checkpoint; fork the run to train on "
            "from these weights"
        )
    state["fresh"] = False
    return state


def restored_model(run: Run, state: dict[str, Any] | None, device: torch.device) -> ImageModel:
    """The model to go on training: the checkpoint's, or, for a run that was stopped before
    its first checkpoint, the model it started as (same seed, same parent weights)."""
    if state is not None:
        return load_model(run, device)
    config = run.config
    torch.manual_seed(int(config["training"]["seed"]))
    model = build_model(config, device)
    parent_name = config.get("parent")
    if parent_name is not None:
        parent = run.path.parent / str(parent_name)
        if not parent.is_dir():
            raise RunError(
                f"{run.name} has no checkpoint of its own yet and was forked from "
                f"{parent_name}, which is not beside it in {run.path.parent}"
            )
        model.load_weights(load_model(Run.open(parent), device).weights())
    return model


def fresh_state(run: Run) -> dict[str, Any]:
    """Step 0 of a run that starts (again) from the beginning: what a killed process logged
    before its first checkpoint is dropped, as the run will redo it."""
    run.truncate_metrics_after(0)
    return {"step": 0, "elapsed": 0.0, "fresh": True}
