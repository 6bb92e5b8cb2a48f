"""What a run's config.json and status.json must hold, checked when they are read.

Only what Image Studio itself writes is accepted, with the types it writes them in; a folder
that fails is reported as damaged with the first problem found, instead of a TypeError (or a
model of a billion pixels) later. Optional keys are optional because older runs lack them.
Which settings a kind has, and their types, are checked when its model is built (from the
kind's config class): listing runs must not import the engine.
"""

from __future__ import annotations

from typing import Any

from models.runs.json_files import json_type

IMAGE_CHANNELS = (1, 3)  # grayscale or RGB: what models/data/images.py converts every file to
MAX_IMAGE_SIDE = 1024  # pixels; the kinds are built for 28 and 32, so far beyond any of them
MAX_CLASSES = 100_000


class SchemaError(ValueError):
    """A run file that parses but does not hold what a run's file holds; str() says where."""


def _value(where: str, value: Any, kinds: tuple[type, ...], words: str) -> Any:
    if isinstance(value, kinds) and (bool in kinds or not isinstance(value, bool)):
        return value
    if value is None:
        raise SchemaError(f"{where} is missing (it must be {words})")
    shown = repr(value) if isinstance(value, (str, int, float)) else ""
    shown = f" ({shown})" if shown and len(shown) <= 40 else ""
    raise SchemaError(f"{where} must be {words}, not {json_type(value)}{shown}")


def _integer(where: str, value: Any, low: int | None = None, high: int | None = None) -> int:
    _value(where, value, (int,), "a whole number")
    if (low is not None and value < low) or (high is not None and value > high):
        span = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise SchemaError(f"{where} must be {span}, not {value}")
    return value


def _number(where: str, value: Any) -> float:
    return _value(where, value, (int, float), "a number")


def _text(where: str, value: Any) -> str:
    return _value(where, value, (str,), "a string")


def _object(where: str, value: Any, meaning: str = "") -> dict[str, Any]:
    return _value(where, value, (dict,), f"an object{meaning}")


def _optional(section: dict[str, Any], key: str, check, where: str, *args) -> None:
    if section.get(key) is not None:
        check(f"{where}{key}", section[key], *args)


def check_config(config: Any) -> None:
    """Raises SchemaError naming the first field that is missing or of the wrong type."""
    _object("the configuration", config)
    _text("kind", config.get("kind"))
    dataset = _object(
        "dataset", config.get("dataset"), " with the dataset's name, image shape and classes"
    )
    check_dataset(dataset)
    hyperparameters = config.get("hyperparameters")
    if hyperparameters is not None:
        for name, value in _object("hyperparameters", hyperparameters).items():
            _value(f"hyperparameters.{name}", value, (int, float, str, bool),
                   "a number, a string or true/false")  # fmt: skip
    training = config.get("training")
    if training is not None:
        _object("training", training)
        _optional(training, "epochs", _integer, "training.", 1)
        _optional(training, "seed", _integer, "training.")
        _optional(training, "sample_every", _integer, "training.", 1)
        _optional(training, "device", _text, "training.")
    for key in ("name", "created", "device", "parent"):
        _optional(config, key, _text, "")
    _optional(config, "format", _integer, "", 1)


def check_dataset(dataset: dict[str, Any]) -> None:
    _text("dataset.name", dataset.get("name"))
    shape = _value("dataset.image_shape", dataset.get("image_shape"), (list,),
                   "[channels, height, width]")  # fmt: skip
    if len(shape) != 3:
        raise SchemaError(f"dataset.image_shape must be [channels, height, width], not {shape}")
    channels, height, width = (_integer("dataset.image_shape", v) for v in shape)
    if channels not in IMAGE_CHANNELS:
        raise SchemaError(f"dataset.image_shape has {channels} channels; 1 or 3 are possible")
    if not (1 <= height <= MAX_IMAGE_SIDE and 1 <= width <= MAX_IMAGE_SIDE):
        raise SchemaError(
            f"dataset.image_shape {height}x{width} is not a possible image size "
            f"(1 to {MAX_IMAGE_SIDE} pixels a side)"
        )
    names = dataset.get("class_names")
    if names is not None:
        _value("dataset.class_names", names, (list,), "a list of class names")
        if len(names) > MAX_CLASSES:
            raise SchemaError(f"dataset.class_names lists {len(names)} classes")
        for name in names:
            _text("each of dataset.class_names", name)
    _optional(dataset, "flips_keep_label", _value, "dataset.", (bool,), "true or false")
    for key in ("background", "pixel_mean"):
        _optional(dataset, key, _number, "dataset.")
    for key in ("num_train", "num_test"):
        _optional(dataset, key, _integer, "dataset.", 0)
    notes = dataset.get("notes")
    if notes is not None:
        for note in _value("dataset.notes", notes, (list,), "a list of notes"):
            _text("each of dataset.notes", note)


def check_status(status: Any) -> None:
    _object("the status", status)
    _optional(status, "state", _text, "")
    for key in ("step", "epoch", "total_steps"):
        _optional(status, key, _integer, "", 0)
    _optional(status, "pid", _integer, "")
    for key in ("updated", "message"):
        _optional(status, key, _text, "")
    _optional(status, "elapsed", _number, "")
    best = status.get("best")
    if best is not None:
        _object("best", best)
        _optional(best, "name", _text, "best.")
        _optional(best, "value", _number, "best.")
        _optional(best, "step", _integer, "best.", 0)
