"""Config dataclass fields that describe themselves, so a form or a CLI can be built from them."""

from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldInfo:
    """What a person needs to set one hyperparameter: its type, default, range and meaning."""

    name: str
    type: type
    default: Any
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] | None = None
    advanced: bool = False
    log_scale: bool = False


def hyperparameter(
    default: Any,
    help: str,
    *,
    low: float | None = None,
    high: float | None = None,
    choices: tuple[Any, ...] | None = None,
    advanced: bool = False,
    log_scale: bool = False,
) -> Any:
    """A dataclass field carrying the metadata that `describe` reads back."""
    meta = {
        "help": help,
        "low": low,
        "high": high,
        "choices": choices,
        "advanced": advanced,
        "log_scale": log_scale,
    }
    return dataclasses.field(default=default, metadata=meta)


def describe(config_class: type) -> list[FieldInfo]:
    """The fields of a config dataclass, in declaration order."""
    hints = typing.get_type_hints(config_class)
    infos = []
    for f in dataclasses.fields(config_class):
        meta = f.metadata
        infos.append(
            FieldInfo(
                name=f.name,
                type=hints[f.name],
                default=f.default,
                help=meta.get("help", ""),
                low=meta.get("low"),
                high=meta.get("high"),
                choices=meta.get("choices"),
                advanced=meta.get("advanced", False),
                log_scale=meta.get("log_scale", False),
            )
        )
    return infos


class ConfigError(ValueError):
    """A hyperparameter value a person gave that cannot be used; the message says why."""


def parse_value(info: FieldInfo, text: str) -> Any:
    """Turn a person's text (a CLI `--set` value) into a checked value of the field's type."""
    try:
        if info.type is bool:
            lowered = text.strip().lower()
            if lowered not in {"true", "false", "1", "0", "yes", "no", "on", "off"}:
                raise ValueError
            value: Any = lowered in {"true", "1", "yes", "on"}
        elif info.type is int:
            value = int(text)
        elif info.type is float:
            value = float(text)
        else:
            value = text
    except ValueError:
        raise ConfigError(
            f"{info.name} must be a {info.type.__name__}, not {text!r} ({info.help})"
        ) from None
    return check_value(info, value)


TYPE_WORDS = {int: "a whole number", float: "a number", bool: "true or false", str: "text"}


def _of_type(kind: type, value: Any) -> bool:
    if kind is bool or isinstance(value, bool):
        return kind is bool and isinstance(value, bool)
    if kind is float:
        return isinstance(value, (int, float))
    return isinstance(value, kind) if kind in (int, str) else True


def check_value(info: FieldInfo, value: Any) -> Any:
    """Refuse a value outside the field's range or choices with a message naming them."""
    if not _of_type(info.type, value):  # a hand-edited config.json can hold anything
        words = TYPE_WORDS.get(info.type, info.type.__name__)
        raise ConfigError(f"{info.name} must be {words}, not {value!r}")
    if info.choices is not None and value not in info.choices:
        options = ", ".join(str(c) for c in info.choices)
        raise ConfigError(f"{info.name} must be one of {options}, not {value!r}")
    if info.type in (int, float) and not isinstance(value, bool):
        # NaN passes every comparison, so a range alone would let it through into training.
        if not math.isfinite(value):
            raise ConfigError(f"{info.name} must be a finite number, not {value}")
        if info.low is not None and value < info.low:
            raise ConfigError(f"{info.name} must be at least {info.low}, not {value}")
        if info.high is not None and value > info.high:
            raise ConfigError(f"{info.name} must be at most {info.high}, not {value}")
    return value


def apply_overrides(config_class: type, values: dict[str, Any]) -> Any:
    """Build a config from a dict of (already typed) values, checking each one."""
    infos = {info.name: info for info in describe(config_class)}
    unknown = sorted(set(values) - set(infos))
    if unknown:
        known = ", ".join(infos)
        raise ConfigError(f"unknown setting {unknown[0]!r}; this kind has: {known}")
    checked = {}
    for name, value in values.items():
        info = infos[name]
        if info.type is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        checked[name] = check_value(info, value)
    return config_class(**checked)


def config_to_dict(config: Any) -> dict[str, Any]:
    return dataclasses.asdict(config)
