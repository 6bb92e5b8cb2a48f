"""How often the quality monitor measures a generating run while it trains: the Train panel's
form of the `quality_every` setting, the same text the command line's --quality-every takes
(models/analysis/quality/schedule.py)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QSpinBox, QWidget

from models.analysis.quality.schedule import DEFAULT, parse_interval
from models.kinds.description import LATENT_SPACE

# (what the chooser says, the schedule's mode)
MODES = (
    ("auto (at most 4 % of training time)", "auto"),
    ("off", "off"),
    ("every N steps", "steps"),
    ("every N seconds", "seconds"),
)
# What N starts at when a person first picks a counted mode, and the box's suffix.
COUNTS = {"steps": (500, " steps"), "seconds": (30, " s")}
TOOLTIP = (
    "How often the quality monitor measures generated images while training (FID, "
    "precision and recall against the dataset, drawn beside the losses).\n"
    "auto: as often as costs at most 4 % of the training time; off: never; "
    "or every N steps or N seconds of training"
)


def measures_quality(info) -> bool:
    """The monitor measures the kinds that make images from noise (a studio KindInfo)."""
    return info.has(LATENT_SPACE)


class QualityInterval(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.mode = QComboBox()
        for label, mode in MODES:
            self.mode.addItem(label, mode)
        # The long "auto" item may be cut short rather than widen the Train panel.
        self.mode.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.mode.setMinimumContentsLength(2)
        self.count = QSpinBox()
        self.count.setRange(1, 1_000_000)
        self.counts = {mode: first for mode, (first, _suffix) in COUNTS.items()}
        for widget in (self, self.mode, self.count):
            widget.setToolTip(TOOLTIP)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.mode, 1)
        layout.addWidget(self.count)
        self._shown_mode = "auto"
        self.mode.currentIndexChanged.connect(self._mode_chosen)
        self._mode_chosen()

    def _mode_chosen(self, *_: object) -> None:
        # Steps and seconds each keep their own N: 500 steps is no sensible number of seconds.
        if self._shown_mode in COUNTS:
            self.counts[self._shown_mode] = self.count.value()
        mode = self._shown_mode = self.mode.currentData()
        self.count.setVisible(mode in COUNTS)
        if mode in COUNTS:
            self.count.setSuffix(COUNTS[mode][1])
            self.count.setValue(self.counts[mode])

    def text(self) -> str:
        """The setting as the command line spells it: auto, off, 500 or 30s."""
        mode = self.mode.currentData()
        if mode == "steps":
            return str(self.count.value())
        if mode == "seconds":
            return f"{self.count.value()}s"
        return mode

    def set_text(self, value: object) -> None:
        """Show a remembered or a run's setting; one the schedule cannot read shows auto, as
        the monitor then measures automatically."""
        try:
            interval = parse_interval(None if value is None else str(value))
        except ValueError:
            interval = parse_interval(DEFAULT)
        if interval.mode in COUNTS:
            self.counts[interval.mode] = max(1, round(interval.every))
        self._shown_mode = ""  # the counts just set are not to be overwritten by the box
        index = self.mode.findData(interval.mode)
        if index == self.mode.currentIndex():
            self._mode_chosen()
        else:
            self.mode.setCurrentIndex(index)
