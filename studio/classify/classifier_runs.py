"""Which runs can classify, for the Classify page's chooser: from the run history the runs
panel read off the GUI thread (each run's kind) and the engine's kind table (the catalog).
Nothing here reads a run folder or loads a model."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QComboBox

from models.kinds.description import CLASSIFIER

NO_CLASSIFIER = "No classifier runs yet: train a classifier first (Train panel)"


def classifies(catalog, kind: str | None) -> bool:
    if catalog is None or kind not in catalog.kinds:
        return False  # not known to classify: never chosen on its own
    return catalog.kinds[kind].has(CLASSIFIER)


def fill_choices(combo: QComboBox, catalog, listed, current: tuple[str, str | None] | None
                 ) -> list[str]:  # fmt: skip
    """Fill the chooser: the window's current run (path, kind) first, marked when it does not
    classify, then every classifier in `listed` (RunSummary rows, newest first). Returns the
    folders that can classify."""
    combo.clear()
    found = []
    current_path = None
    if current is not None:
        current_path, kind = current
        usable = classifies(catalog, kind)
        note = "" if usable else "  (does not classify)"
        combo.addItem(f"Current run: {Path(current_path).name}{note}", current_path)
        if usable:
            found.append(current_path)
    for summary in listed:
        if classifies(catalog, summary.kind) and str(summary.path) != current_path:
            combo.addItem(f"{summary.name}  ({summary.kind})", str(summary.path))
            found.append(str(summary.path))
    if not found:
        # Say so rather than pick a run that is only listed because it is open elsewhere.
        combo.addItem(NO_CLASSIFIER, None)
    return found
