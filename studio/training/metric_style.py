"""How a metric is drawn, from its name alone: its unit (which plot it goes on), its colour and
its test marker. Derived from the name, so a run looks the same live and reopened, and beside
any other run; never from a model kind."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from models.analysis.quality.figures import BY_NAME as FIGURE_INFO
from studio.palette import TAB10

# Names the engine reports today, each given its own colour and marker so no two of them ever
# share one; any other name gets both from a hash of itself, the same in every session.
KNOWN_METRICS = (
    "loss", "accuracy", "reconstruction", "kl", "lr",
    "loss_d", "loss_g", "d_real", "d_fake", "d_accuracy",
)  # fmt: skip
# pyqtgraph symbol names, with the character a text legend shows for each.
SYMBOLS = (("o", "●"), ("s", "■"), ("t1", "▲"), ("d", "◆"), ("t", "▼"), ("p", "⬟"),
           ("h", "⬢"), ("star", "★"), ("+", "✚"), ("x", "✖"))  # fmt: skip
TEST_PREFIX = "test_"


@dataclass(frozen=True)
class Unit:
    """What a metric's numbers mean; metrics of one unit share a plot and its axis."""

    key: str
    axis: str  # the axis label
    scale: float = 1.0  # drawn value = reported value x scale
    stretch: int = 1  # share of the height its plot gets beside the others
    log_scale: bool = False  # the "Log scale" box applies to it
    y_limits: tuple[float, float] | None = None  # drawn values never leave this range


LOSS = Unit("loss", "loss", stretch=4, log_scale=True)
PERCENT = Unit("percent", "accuracy (%)", scale=100.0, stretch=3)
RATE = Unit("rate", "rate", stretch=2)  # short: its plot is the lowest; the legend says more
QUALITY = Unit("quality", "quality", stretch=3, log_scale=True)
# An upscaler's fidelity to the originals: PSNR and its gain over bicubic in decibels (the gain
# may be below 0, so never on a log axis), SSIM between 0 and 1.
DECIBELS = Unit("decibels", "dB (higher is better)", stretch=3)
SSIM = Unit("ssim", "SSIM (higher is better)", stretch=2, y_limits=(-0.02, 1.02))
# Precision and recall; a run measured at 0 % would otherwise be zoomed to a flat line at 0.
COVERAGE = Unit("coverage", "%", scale=100.0, stretch=2, y_limits=(-2.0, 102.0))
UNITS = (LOSS, QUALITY, DECIBELS, SSIM, COVERAGE, PERCENT, RATE)  # top to bottom

# The quality monitor's figures (metrics.jsonl records of their own, models/analysis/quality/)
# that are drawn as curves, with the plot each goes on and its colour; the others (KID, the
# class histogram, the spread) are in the runs' comparison and the CSV export.
QUALITY_CURVES = {"fid": (QUALITY, TAB10[3]), "precision": (COVERAGE, TAB10[2]),
                  "recall": (COVERAGE, TAB10[4])}  # fmt: skip
QUALITY_LABELS = {"fid": "FID", "precision": "precision", "recall": "recall"}
FID_AXIS = "FID"  # the legend above says which way is better: an axis label has no room

# Words in a metric's name that say its unit (matched against the name's "_"-separated parts).
SHARE_WORDS = {"accuracy", "acc", "precision", "recall", "real", "fake"}  # 0..1, shown in %
RATE_WORDS = {"lr"}
DECIBEL_WORDS = {"psnr", "db"}
SSIM_WORDS = {"ssim"}
QUALITY_WORDS = {"fid", "kid", "inception"}


def base_name(metric: str) -> str:
    """ "test_accuracy" and "accuracy" are one metric, measured on two splits."""
    return metric.removeprefix(TEST_PREFIX)


def unit_of(metric: str) -> Unit:
    words = set(base_name(metric).lower().split("_"))
    if words & RATE_WORDS or {"learning", "rate"} <= words:
        return RATE
    if words & SHARE_WORDS:
        return PERCENT
    if words & DECIBEL_WORDS:
        return DECIBELS
    if words & SSIM_WORDS:
        return SSIM
    if words & QUALITY_WORDS:
        return QUALITY
    return LOSS  # what most reported values are


def _index(metric: str, count: int) -> int:
    name = base_name(metric)
    if name in KNOWN_METRICS:
        return KNOWN_METRICS.index(name) % count
    return zlib.crc32(name.encode("utf-8")) % count  # stable across sessions, unlike hash()


# Abbreviations a legend spells out.
SPELLED_OUT = {"lr": "learning rate"}


def legend_name(metric: str) -> str:
    prefix = TEST_PREFIX if metric.startswith(TEST_PREFIX) else ""
    return prefix + SPELLED_OUT.get(base_name(metric), base_name(metric))


def colour_of(metric: str) -> str:
    """A "#rrggbb" colour; a test metric has its training curve's colour."""
    return TAB10[_index(metric, len(TAB10))]


def symbol_of(metric: str) -> tuple[str, str]:
    """The test marker's pyqtgraph symbol and the character that stands for it in a legend."""
    return SYMBOLS[_index(metric, len(SYMBOLS))]


def quality_unit(figure: str) -> Unit | None:
    """The plot a quality figure is drawn on; None for the figures not drawn."""
    return QUALITY_CURVES[figure][0] if figure in QUALITY_CURVES else None


def quality_colour(figure: str) -> str:
    return QUALITY_CURVES[figure][1]


def quality_legend(figure: str) -> str:
    """ "FID (lower is better)": which way a quality curve should go is not obvious from it."""
    figure_info = FIGURE_INFO.get(figure)
    label = QUALITY_LABELS.get(figure, figure)
    if figure_info is None:
        return label
    return f"{label} ({'higher' if figure_info.higher_is_better else 'lower'} is better)"


def axis_label(unit: Unit, metrics: list[str]) -> str:
    """A percent axis holding more than accuracies (a discriminator's outputs) says only %;
    the quality axis holding FID alone says so."""
    if unit is PERCENT and not all("acc" in base_name(m) for m in metrics):
        return "%"
    if unit is QUALITY and metrics and all(base_name(m) == "fid" for m in metrics):
        return FID_AXIS
    return unit.axis
