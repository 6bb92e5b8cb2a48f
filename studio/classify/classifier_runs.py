"""Which runs can classify, for the Classify page's chooser: read from each run's config and
the engine's kind table (the catalog), never by loading a model on the GUI thread."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QComboBox

from models.kinds.description import CLASSIFIER
from models.runs.folder import Run, RunError, list_runs

NO_CLASSIFIER = "No classifier runs yet: train a classifier first (Train panel)"


def classifies(catalog, kind: str) -> bool:
    if catalog is None or kind not in catalog.kinds:
        return True  # unknown yet: the worker refuses it with a reason if it must
    return catalog.kinds[kind].has(CLASSIFIER)


def is_classifier(catalog, run_dir: str | None) -> bool:
    try:
        return classifies(catalog, Run(Path(run_dir)).kind)
    except (RunError, KeyError, OSError, ValueError, TypeError):
        return False


def awaits_weights(catalog, run_dir: str | None) -> bool:
    """A classifier still in its first epoch: its weights are waited for, not an error."""
    try:
        run = Run(Path(run_dir))
        return classifies(catalog, run.kind) and not run.has_checkpoint()
    except (RunError, KeyError, OSError, ValueError, TypeError):
        return False


def fill_choices(combo: QComboBox, catalog, runs_dir: Path, current_run: str | None) -> list[str]:
    """Fill the chooser: the window's current run first (marked when it does not classify),
    then every classifier in the runs folder. Returns the folders that can classify."""
    combo.clear()
    found = []
    if current_run:
        usable = is_classifier(catalog, current_run)
        note = "" if usable else "  (does not classify)"
        combo.addItem(f"Current run: {Path(current_run).name}{note}", current_run)
        if usable:
            found.append(current_run)
    for summary in list_runs(runs_dir):
        if classifies(catalog, summary.kind) and str(summary.path) != current_run:
            combo.addItem(f"{summary.name}  ({summary.kind})", str(summary.path))
            found.append(str(summary.path))
    if not found:
        # Say so rather than pick a run that is only listed because it is open elsewhere.
        combo.addItem(NO_CLASSIFIER, None)
    return found
