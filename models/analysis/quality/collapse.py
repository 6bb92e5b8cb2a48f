"""Says plainly when a generator is collapsing: one class holds over twice its share of the
samples, or recall (the share of the data the samples cover) has fallen to half its best.

A generator at its start draws noise, which a classifier tends to put in one class; the class
rule therefore waits until the samples look like data (precision of at least FIDELITY), and
the recall rule until recall was once worth falling from (MIN_BEST_RECALL). Each warning is
given when the run enters that state, and again only after it has left it."""

from __future__ import annotations

import math

SHARE_FACTOR = 2.0
RECALL_FALL = 0.5
FIDELITY = 0.3
MIN_BEST_RECALL = 0.2


class CollapseWatch:
    def __init__(self, class_names: tuple[str, ...], best_recall: float | None = None,
                 best_step: int | None = None):  # fmt: skip
        self.class_names = class_names
        self.best_recall = best_recall
        self.best_step = best_step
        self.share_warned = False
        self.recall_warned = False

    def check(self, step: int, figures: dict[str, float], shares: tuple[float, ...]) -> list[str]:
        """The warnings for a new measurement (none when nothing new is wrong)."""
        warnings = []
        fair = 1.0 / max(len(shares), 1)
        largest = max(shares, default=0.0)
        looks_real = figures.get("precision", 0.0) >= FIDELITY
        if len(shares) > 1 and largest > SHARE_FACTOR * fair and looks_real:
            if not self.share_warned:
                name = self.class_names[shares.index(largest)] if self.class_names else "?"
                warnings.append(
                    f"Step {step}: {largest:.0%} of the samples are of class {name!r}, over "
                    f"twice its fair share of {fair:.0%}. The generator may be collapsing onto "
                    "few kinds of image (mode collapse)."
                )
            self.share_warned = True
        else:
            self.share_warned = False
        recall = figures.get("recall", math.nan)
        if not math.isfinite(recall):
            return warnings
        best = self.best_recall
        if best is not None and best >= MIN_BEST_RECALL and recall < RECALL_FALL * best:
            if not self.recall_warned:
                warnings.append(
                    f"Step {step}: recall fell to {recall:.2f} from its best of {best:.2f} "
                    f"(step {self.best_step}): the samples cover less than half as much of the "
                    "data as they did. The generator may be collapsing (mode collapse)."
                )
            self.recall_warned = True
        else:
            self.recall_warned = False
        if best is None or recall > best:
            self.best_recall, self.best_step = recall, step
        return warnings
