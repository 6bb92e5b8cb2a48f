"""Saving and loading a run's model safely: safetensors for weights, tensors-only state.pt.

Nothing here can execute code from a file: safetensors holds raw tensors and JSON, and
state.pt is read with `weights_only=True`, which refuses any pickled object but tensors
and plain containers.
"""

from __future__ import annotations

import io
import json
import pickle
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from models.atomic import atomic_save, atomic_write_bytes
from models.base import DataInfo, ImageModel
from models.devices import resolve_device
from models.hyperparameters import ConfigError, apply_overrides
from models.registry import model_class
from models.runs import Run, RunError


def save_checkpoint(run: Run, model: ImageModel, state: dict[str, Any]) -> None:
    """Weights first, then the resume state; each replaces its predecessor atomically, so a
    crash in between leaves a loadable pair (state.pt is checked against the weights' step)."""
    metadata = {
        "kind": model.kind,
        "step": str(state["step"]),
        "image_shape": json.dumps(list(model.image_shape)),
        "class_names": json.dumps(list(model.class_names)),
        "config": json.dumps(run.config.get("hyperparameters", {})),
    }
    weights = model.weights()
    atomic_save(run.weights_path, lambda p: save_file(weights, p, metadata=metadata))
    buffer = io.BytesIO()
    torch.save({**state, "optimizers": model.optimizer_state()}, buffer)
    atomic_write_bytes(run.state_path, buffer.getvalue())


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


def data_info_from_config(config: dict[str, Any]) -> DataInfo:
    dataset = config["dataset"]
    return DataInfo(
        image_shape=tuple(dataset["image_shape"]),
        class_names=tuple(dataset.get("class_names", ())),
        flips_keep_label=bool(dataset.get("flips_keep_label", False)),
        pixel_mean=float(dataset.get("pixel_mean", 0.5)),
    )


def build_model(config: dict[str, Any], device: torch.device) -> ImageModel:
    cls = model_class(config["kind"])
    try:
        hyper = apply_overrides(
            cls.config_class, cls.saved_settings(config.get("hyperparameters", {}))
        )
    except ConfigError as exc:
        raise RunError(f"the run's settings do not fit a {cls.title}: {exc}") from None
    return cls(hyper, data_info_from_config(config), device)


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
        raise RunError(f"{run.weights_path} does not match the run's settings ({exc})") from None
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
