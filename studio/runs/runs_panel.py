"""The run history: every run in the runs folder, and following one that is still growing."""

from __future__ import annotations

import math
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from models.runs.folder import Run, RunError, RunSummary, list_runs
from models.runs.notes import RunDetails, read_details, write_notes
from studio.reveal import reveal
from studio.runs.compare import CompareDialog
from studio.runs.notes_dialog import NotesDialog

COLUMNS = ("Run", "Kind", "Dataset", "Parent", "Steps", "Best", "Status", "Note")
Listing = list[tuple[RunSummary, RunDetails]]
REFRESH_MS = 3000  # runs started from the command line appear without a click
FOLLOW_MS = 500


def steps_per_epoch(run: Run) -> float | None:
    """Not stored as such; the planned steps divided by the planned epochs give it."""
    try:
        epochs = int(run.config["training"]["epochs"])
    except (RunError, KeyError, TypeError, ValueError):
        return None
    total = int(run.status().get("total_steps", 0) or 0)
    return total / epochs if total and epochs else None


def read_listing(runs_dir: Path) -> Listing:
    """Every run with its notes and parent (plain file reads: safe on any thread)."""
    listed = list_runs(runs_dir, include_damaged=True)  # damaged ones say why, last
    return [(summary, read_details(summary.path)) for summary in listed]


def state_text(summary: RunSummary) -> str:
    return f"damaged: {summary.damage}" if summary.damage else summary.state


def describe_best(summary: RunSummary) -> str:
    if summary.best_name is None or summary.best_value is None:
        return ""
    if not math.isfinite(summary.best_value):
        return f"{summary.best_name} {summary.best_value}"
    return f"{summary.best_name} {summary.best_value:.4g}"


class RunFollower(QObject):
    """Reads a run's metrics.jsonl from where it left off, so a run trained elsewhere (the CLI,
    another machine's synced folder) is followed live, and a finished one simply loads."""

    records = Signal(str, list)  # run name, new metric records
    grids_changed = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.run: Run | None = None
        self.offset = 0
        self.grid_count = 0
        self.timer = QTimer(self, interval=FOLLOW_MS)
        self.timer.timeout.connect(self.poll)

    def follow(self, path: str | Path) -> None:
        self.run = Run.open(path)
        self.offset = 0
        self.grid_count = len(self.run.grid_steps()) + len(self.run.grid_steps("reconstructions"))
        self.poll()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self.run = None

    def poll(self) -> None:
        if self.run is None:
            return
        if not self.run.path.is_dir():  # deleted while open
            self.stop()
            return
        new, self.offset = self.run.read_metrics(self.offset)
        if new:
            self.records.emit(self.run.name, new)
        count = len(self.run.grid_steps()) + len(self.run.grid_steps("reconstructions"))
        if count != self.grid_count:
            self.grid_count = count
            self.grids_changed.emit()


class RunsPanel(QWidget):
    open_requested = Signal(str)
    overlay_requested = Signal(str)
    resume_requested = Signal(str)
    fork_requested = Signal(str)
    deleted = Signal(str)
    listed = Signal()  # a run appeared in the runs folder or left it: other run lists follow
    listing_read = Signal(str, list)  # runs folder, Listing (from the polling thread)

    def __init__(self, runs_dir: str | Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.runs_dir = Path(runs_dir)
        self.active_path: str | None = None  # the run this window is training: not deletable
        self.summaries: list[RunSummary] = []
        self.listing: Listing = []
        self.dialog = None  # the notes, comparison or path dialog open now
        self._polling: threading.Thread | None = None
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        # The best metric's name ("test_d_accuracy 0.53") is the column people read; never cut it.
        best = COLUMNS.index("Best")
        self.tree.header().setSectionResizeMode(best, QHeaderView.ResizeMode.ResizeToContents)
        self.folder_label = QLabel()
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = {}
        row = QHBoxLayout()
        for key, text, tip in (
            ("open", "Open", "Show its curves and grids (follows a run still training)"),
            ("overlay", "Overlay", "Add its curves to the plot to compare runs"),
            (
                "resume",
                "Resume",
                "Continue from its last checkpoint (a finished run: for the "
                "epochs set in the Train panel)",
            ),
            ("fork", "Fork...", "A new run that starts from its weights, with changed settings"),
            ("notes", "Rename...", "Give the run a name of your own and a note"),
            ("compare", "Compare...", "The settings of the selected runs side by side"),
            ("delete", "Delete", "Delete the run folder"),
            ("reveal", "Reveal", "Show the run folder in the file manager"),
            ("refresh", "Refresh", "Read the runs folder again"),
        ):
            button = QPushButton(text)
            button.setToolTip(tip)
            row.addWidget(button)
            self.buttons[key] = button
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.folder_label)
        layout.addWidget(self.tree, 1)
        layout.addLayout(row)

        self.buttons["open"].clicked.connect(lambda: self._emit(self.open_requested))
        self.buttons["overlay"].clicked.connect(self._overlay)
        self.buttons["resume"].clicked.connect(lambda: self._emit(self.resume_requested))
        self.buttons["fork"].clicked.connect(lambda: self._emit(self.fork_requested))
        self.buttons["delete"].clicked.connect(self.delete_selected)
        self.buttons["reveal"].clicked.connect(self.reveal_selected)
        self.buttons["refresh"].clicked.connect(self.refresh)
        self.buttons["notes"].clicked.connect(self.edit_notes)
        self.buttons["compare"].clicked.connect(self.compare_selected)
        self.tree.itemDoubleClicked.connect(lambda *_: self._emit(self.open_requested))
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        self.listing_read.connect(self._listing_read)
        # The timer's reads happen on a thread of their own; a click's refresh() reads at once.
        self.timer = QTimer(self, interval=REFRESH_MS)
        self.timer.timeout.connect(self.poll)
        self.timer.start()
        self.set_runs_dir(self.runs_dir)

    def set_runs_dir(self, path: str | Path) -> None:
        self.runs_dir = Path(path)
        self.folder_label.setText(f"Runs folder: {self.runs_dir}")
        self.refresh()

    def set_active(self, path: str | None) -> None:
        self.active_path = str(path) if path else None
        self.refresh()

    def refresh(self) -> None:
        self._show(read_listing(self.runs_dir))

    def poll(self) -> None:
        """What the timer does: read the folder on a short-lived thread, show it when read."""
        if self._polling is not None and self._polling.is_alive():
            return  # a slow disk: one read at a time
        folder = str(self.runs_dir)
        self._polling = threading.Thread(
            target=lambda: self.listing_read.emit(folder, read_listing(Path(folder))),
            name="runs-listing", daemon=True,
        )  # fmt: skip
        self._polling.start()

    def shutdown(self) -> None:
        self.timer.stop()
        if self._polling is not None:
            self._polling.join(5.0)

    def _listing_read(self, folder: str, listing: Listing) -> None:
        if folder == str(self.runs_dir):  # not a folder left since
            self._show(listing)

    def _show(self, listing: Listing) -> None:
        selected = set(self.selected_paths())
        summaries = [summary for summary, _ in listing]
        if listing == self.listing and self.tree.topLevelItemCount() == len(listing):
            return  # nothing changed: do not disturb the selection or the scroll position
        paths_changed = {r.path for r in summaries} != {r.path for r in self.summaries}
        self.summaries, self.listing = summaries, listing
        labels = {s.name: d.notes.label for s, d in listing if d.notes.label}
        self.tree.clear()
        for summary, details in listing:  # list_runs gives newest first
            steps = (
                f"{summary.step}/{summary.total_steps}"
                if summary.total_steps
                else str(summary.step)
            )
            parent = labels.get(details.parent, details.parent) or ""
            note = details.notes.note
            first_line = note.splitlines()[0] if note else ""
            item = QTreeWidgetItem([details.notes.label or summary.name, summary.kind,
                                    summary.dataset, parent, steps, describe_best(summary),
                                    state_text(summary), first_line])  # fmt: skip
            item.setData(0, Qt.ItemDataRole.UserRole, str(summary.path))
            item.setToolTip(0, f"{summary.name}\n{summary.path}" + (f"\n\n{note}" if note else ""))
            if details.parent:
                item.setToolTip(3, f"Forked from {details.parent}")
            item.setToolTip(COLUMNS.index("Note"), note)
            item.setToolTip(COLUMNS.index("Status"), state_text(summary))
            self.tree.addTopLevelItem(item)
            item.setSelected(str(summary.path) in selected)
        self._update_buttons()
        if paths_changed:
            self.listed.emit()

    def selected_paths(self) -> list[str]:
        return [item.data(0, Qt.ItemDataRole.UserRole) for item in self.tree.selectedItems()]

    def select(self, path: str | Path) -> None:
        self.tree.clearSelection()
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, Qt.ItemDataRole.UserRole) == str(path):
                item.setSelected(True)
                self.tree.setCurrentItem(item)

    def _update_buttons(self) -> None:
        count = len(self.selected_paths())
        for key in ("open", "resume", "fork", "reveal", "notes"):
            self.buttons[key].setEnabled(count == 1)
        self.buttons["compare"].setEnabled(count >= 2)
        self.buttons["overlay"].setEnabled(count >= 1)
        self.buttons["delete"].setEnabled(count >= 1)

    def _emit(self, signal) -> None:
        paths = self.selected_paths()
        if len(paths) == 1:
            signal.emit(paths[0])

    def _overlay(self) -> None:
        for path in self.selected_paths():
            self.overlay_requested.emit(path)

    def delete_selected(self) -> None:
        paths = [p for p in self.selected_paths() if p != self.active_path]
        if not paths:
            return
        names = "\n".join(Path(p).name for p in paths)
        answer = QMessageBox.question(
            self, "Delete runs", f"Delete these runs and all their files?\n\n{names}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )  # fmt: skip
        if answer != QMessageBox.StandardButton.Yes:
            return
        for path in paths:
            try:
                Run(Path(path)).delete()
            except (RunError, OSError) as exc:
                QMessageBox.warning(self, "Delete runs", str(exc))
                continue
            self.deleted.emit(path)
        self.refresh()

    def reveal_selected(self) -> None:
        for path in self.selected_paths()[:1]:
            dialog = reveal(self, path)
            if dialog is not None:
                self._show_dialog(dialog)

    def _show_dialog(self, dialog) -> None:
        if self.dialog is not None:
            self.dialog.close()
        self.dialog = dialog
        dialog.show()

    def details_of(self, path: str) -> RunDetails | None:
        return next((d for s, d in self.listing if str(s.path) == path), None)

    def edit_notes(self) -> None:
        paths = self.selected_paths()
        if len(paths) != 1:
            return
        path = paths[0]
        details = self.details_of(path)
        dialog = NotesDialog(self, Path(path).name, details.notes if details else None)
        dialog.accepted.connect(lambda: self._save_notes(path, dialog))
        self._show_dialog(dialog)

    def _save_notes(self, path: str, dialog: NotesDialog) -> None:
        try:
            write_notes(Path(path), dialog.label(), dialog.note())
        except OSError as exc:
            QMessageBox.warning(self, "Rename run", f"Could not save the note: {exc}")
            return
        self.refresh()

    def compare_selected(self) -> None:
        paths = self.selected_paths()
        if len(paths) >= 2:
            details = {p: self.details_of(p) for p in paths}
            labels = {p: d.notes.label for p, d in details.items() if d is not None}
            self._show_dialog(CompareDialog(self, paths, labels))
