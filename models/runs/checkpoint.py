"""Saving and loading a run's model safely: safetensors for weights, tensors-only state.pt.

Nothing here can execute code from a file: safetensors holds raw tensors and JSON, and
state.pt is read with `weights_only=True`, which refuses any pickled object but tensors
and plain containers.

A checkpoint is the pair weights.safetensors + state.pt, and it is committed as one: both
files are first written (and synced) into the folder `.checkpoint.new`, then `commit.json`
is renamed into that folder (the commit), and only then are the two files renamed into place.
A process killed before the commit leaves the previous pair untouched, and the unfinished
folder is discarded when the run is next opened for training; one killed after it leaves a
committed pair that `finish_committed_checkpoint` moves into place at that moment. So the
pair a resume reads is always from one step. The weights' metadata and state.pt both carry
that step, and `load_state_for` refuses a pair whose steps differ (left by older versions).
"""

from __future__ import annotations

import errno
import io
import json
import os
import pickle
import shutil
import signal
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from models.kinds.base import DataInfo, ImageModel
from models.kinds.hyperparameters import ConfigError, apply_overrides
from models.kinds.registry import model_class
from models.runs.atomic import atomic_save, atomic_write_bytes, atomic_write_json, fsync_folder
from models.runs.folder import Run, RunError
from models.training.devices import resolve_device

STAGING = ".checkpoint.new"
COMMIT = "commit.json"
# Test hook, for crash tests only: the process kills itself (SIGKILL) at the named point of
# its first checkpoint: "weights-staged" (new weights written, not committed) or
# "weights-replaced" (committed, weights.safetensors replaced, state.pt not yet).
KILL_AT = "IMAGE_STUDIO_TEST_KILL_AT"


class NonFiniteWeights(RunError):
    """Weights holding NaN or infinity, which are never written over a good checkpoint."""


def _test_kill(point: str) -> None:
    if os.environ.get(KILL_AT) == point:
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


def is_disk_full(exc: BaseException) -> bool:
    """An OSError for a full disk (or quota), also as safetensors reports it."""
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))
    if isinstance(exc, SafetensorError):
        text = str(exc)
        return "No space left" in text or "os error 28" in text or "quota" in text.lower()
    return False


def save_checkpoint(run: Run, model: ImageModel, state: dict[str, Any]) -> None:
    """Write the weights and the resume state as one checkpoint (see the module's text).
    Refuses non-finite weights with NonFiniteWeights, leaving the last checkpoint as it was."""
    weights = model.weights()
    for name, tensor in weights.items():
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise NonFiniteWeights(
                f"the weights at step {state['step']} are not finite numbers ({name}); "
                "they were not saved"
            )
    metadata = {
        "kind": model.kind,
        "step": str(state["step"]),
        "image_shape": json.dumps(list(model.image_shape)),
        "class_names": json.dumps(list(model.class_names)),
        "config": json.dumps(run.config.get("hyperparameters", {})),
    }
    buffer = io.BytesIO()
    torch.save({**state, "optimizers": model.optimizer_state()}, buffer)
    staging = run.path / STAGING
    shutil.rmtree(staging, ignore_errors=True)  # an unfinished checkpoint of a killed process
    staging.mkdir()  # not its parents: a deleted run folder stays deleted
    try:
        weights_file = staging / run.weights_path.name
        atomic_save(weights_file, lambda p: save_file(weights, p, metadata=metadata), False)
        _test_kill("weights-staged")
        atomic_write_bytes(staging / run.state_path.name, buffer.getvalue(), True, False)
        atomic_write_json(staging / COMMIT, {"step": int(state["step"])}, True, False)
        fsync_folder(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finish_committed_checkpoint(run)


def finish_committed_checkpoint(run: Run) -> None:
    """Move a committed checkpoint into place, or discard one that was never committed.
    Only the process holding the run's training lock may call this."""
    staging = run.path / STAGING
    if not staging.is_dir():
        return
    if not (staging / COMMIT).is_file():
        shutil.rmtree(staging, ignore_errors=True)
        return
    for target in (run.weights_path, run.state_path):
        if (staging / target.name).is_file():
            os.replace(staging / target.name, target)
            if target == run.weights_path:
                _test_kill("weights-replaced")
    fsync_folder(run.path)
    shutil.rmtree(staging, ignore_errors=True)


def read_weights(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
        return load_file(str(path)), metadata
    except FileNotFoundError:
        raise RunError(f"{path.parent.name} has no saved weights yet") from None
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise RunError(f"{path} is damaged or not a safetensors file ({exc})") from None


def weights_step(run: Run) -> int | None:
    """The step the run's weights were saved at, from their metadata (None if not told)."""
    from safetensors import safe_open

    try:
        with safe_open(str(run.weights_path), framework="pt") as handle:
            return int((handle.metadata() or {})["step"])
    except (KeyError, ValueError):
        return None
    except (SafetensorError, OSError, RuntimeError) as exc:
        raise RunError(f"{run.weights_path} is damaged or not a safetensors file ({exc})") from None


def data_info_from_config(config: dict[str, Any]) -> DataInfo:
    dataset = config["dataset"]
    return DataInfo(
        image_shape=tuple(dataset["image_shape"]),
        class_names=tuple(dataset.get("class_names", ())),
        flips_keep_label=bool(dataset.get("flips_keep_label", False)),
        pixel_mean=float(dataset.get("pixel_mean", 0.5)),
    )


def checked_settings(config: dict[str, Any]) -> Any:
    """The run's hyperparameters as its kind's config, each checked (RunError if one is not
    usable, such as a NaN learning rate written into config.json by hand)."""
    cls = model_class(config["kind"])
    try:
        return apply_overrides(
            cls.config_class, cls.saved_settings(config.get("hyperparameters", {}))
        )
    except ConfigError as exc:
        raise RunError(f"the run's settings do not fit a {cls.title}: {exc}") from None


def build_model(config: dict[str, Any], device: torch.device) -> ImageModel:
    hyper = checked_settings(config)
    return model_class(config["kind"])(hyper, data_info_from_config(config), device)


def load_model(run: Run, device: str | torch.device = "auto") -> ImageModel:
    """The run's model with its saved weights, in evaluation mode."""
    config = run.config
    weights, metadata = read_weights(run.weights_path)
    saved_kind = metadata.get("kind")
    if saved_kind != config["kind"]:
        raise RunError(
            f"{run.weights_path} holds a {saved_kind or 'foreign'} model, "
            f"but the run is a {config['kind']} run; refusing to load it"
        )
    device = resolve_device(device) if isinstance(device, str) else device
    model = build_model(config, device)
    try:
        model.load_weights(weights)
    except (RuntimeError, KeyError) as exc:
        from models.runs.weight_shapes import describe_mismatch

        detail = describe_mismatch(model, weights) or str(exc).splitlines()[0]
        raise RunError(f"{run.weights_path} does not match the run's settings ({detail})") from None
    model.train_mode(False)
    return model


def load_state(run: Run, device: torch.device) -> dict[str, Any]:
    """The resume state. Refuses (unread) anything but tensors and plain containers."""
    try:
        return torch.load(run.state_path, map_location=device, weights_only=True)
    except FileNotFoundError:
        raise RunError(f"{run.name} has no resume state (state.pt) yet") from None
    except pickle.UnpicklingError as exc:
        raise RunError(
            f"{run.state_path} contains objects other than tensors and was refused unread "
            f"(it could run code): {str(exc).splitlines()[0]}"
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError) as exc:
        raise RunError(f"{run.state_path} is damaged ({str(exc).splitlines()[0]})") from None
