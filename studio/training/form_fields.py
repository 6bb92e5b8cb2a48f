"""One form field per hyperparameter, built from the config dataclass's description (type,
range, choices, help), with a getter and a setter, so a new hyperparameter needs no studio code."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from models.kinds.hyperparameters import FieldInfo

INT_LIMIT = 2**31 - 1


MAX_DECIMALS = 8


def decimals_for(value: float) -> int:
    """Decimal places that show `value` unrounded (at most MAX_DECIMALS)."""
    for places in range(MAX_DECIMALS):
        if abs(round(value, places) - value) <= 1e-12 * max(1.0, abs(value)):
            return places
    return MAX_DECIMALS


def put_float(box: QDoubleSpinBox, value: float) -> None:
    # A saved or forked run may hold a finer value than the default (weight decay 2.5e-4).
    box.setDecimals(max(box.decimals(), decimals_for(value)))
    box.setValue(value)


def field_widget(info: FieldInfo) -> tuple[QWidget, Any, Any]:
    """A widget for one hyperparameter with its getter and setter; range and help come from
    the config dataclass, so a new hyperparameter needs no studio code."""
    tip = info.help
    if info.low is not None or info.high is not None:
        tip += f" (from {info.low if info.low is not None else '–'} to {info.high or '–'})"
    if info.choices is not None:
        w = QComboBox()
        for choice in info.choices:
            w.addItem(str(choice), choice)
        get, put = w.currentData, lambda v, w=w: w.setCurrentIndex(max(w.findData(v), 0))
    elif info.type is bool:
        w = QCheckBox()
        get, put = w.isChecked, lambda v, w=w: w.setChecked(bool(v))
    elif info.type is int:
        w = QSpinBox()
        low = -INT_LIMIT if info.low is None else int(info.low)
        w.setRange(low, INT_LIMIT if info.high is None else int(info.high))
        get, put = w.value, lambda v, w=w: w.setValue(int(v))
    elif info.type is float:
        w = QDoubleSpinBox()
        low = -1e9 if info.low is None else info.low
        w.setRange(low, 1e9 if info.high is None else info.high)
        # Enough decimals to show the smallest allowed value of a log-scale setting (1e-5),
        # and always the default itself: a spin box rounds what it holds to what it shows.
        decimals = 2 - math.floor(math.log10(info.low)) if info.log_scale and low > 0 else 3
        w.setDecimals(min(max(decimals, 3, decimals_for(info.default)), MAX_DECIMALS))
        w.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        get, put = w.value, lambda v, w=w: put_float(w, float(v))
    else:
        w = QLineEdit()
        get, put = w.text, lambda v, w=w: w.setText(str(v))
    w.setToolTip(tip)
    put(info.default)
    return w, get, put
