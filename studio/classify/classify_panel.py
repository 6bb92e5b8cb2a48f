"""The Classify page: drop files or folders (or paste an image), see what a classifier thinks
of each with evidence, export the results, and evaluate the classifier on its test set."""

from __future__ import annotations

import itertools
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from models.inference.file_results import write_csv
from models.runs.folder import NO_WEIGHTS_YET
from studio.classify import classifier_runs, jobs
from studio.classify.confusion_view import ConfusionView
from studio.classify.details import RowDetails
from studio.classify.table import FAILED, ResultsFilter, ResultsModel
from studio.classify.table_view import ResultsTable
from studio.clipboard_images import mime_sources, rgba_pixels
from studio.settings import StudioSettings
from studio.workers.model_tasks import ModelTasks

ALL_LABELS = "All labels"


class ClassifyPanel(QWidget):
    notice = Signal(str, str)  # level, message: for the status bar

    def __init__(self, settings: StudioSettings, runs_dir: Path, parent=None):
        super().__init__(parent)
        self.settings = settings
        self.runs_dir = Path(runs_dir)
        self.catalog = None
        self.current_run: str | None = None
        self.current_kind: str | None = None
        self.listed: list = []  # RunSummary rows of the runs folder, read off the GUI thread
        self.tasks = ModelTasks(self)
        self._names = itertools.count(1)
        self._active: set[str] = set()  # classify jobs queued or running
        self._expected = self._received = 0
        self._cancelled = False
        self._pasted = 0
        self._opened: str | None = None  # the run the worker was last asked to load
        self.setAcceptDrops(True)

        self.classifier = QComboBox()
        self.classifier.setToolTip("The classifier run whose model classifies the files")
        self.classifier.setMinimumContentsLength(28)
        self.top_k = QSpinBox(minimum=1, maximum=10, value=3)
        self.top_k.setToolTip("How many of the most likely labels each row shows")
        self.open_files_button = QPushButton("Open &files...")
        self.open_files_button.setToolTip("Choose image files to classify (or drop them here)")
        self.open_folder_button = QPushButton("Open f&older...")
        self.open_folder_button.setToolTip("Classify every image in a folder and its sub-folders")
        self.paste_button = QPushButton("&Paste")
        self.paste_button.setToolTip("Classify the image (or files) on the clipboard (Ctrl+V)")
        self.export_button = QPushButton("E&xport CSV...")
        self.export_button.setToolTip("Save every row: path, top labels and probabilities, reason")
        self.clear_button = QPushButton("C&lear")
        self.clear_button.setToolTip("Remove every row")
        self.cancel_button = QPushButton("&Cancel")
        self.cancel_button.setToolTip("Stop classifying; the rows so far stay")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setFormat("no files yet")  # "%v / %m files" once files are counted
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.summary = QLabel("Drop image files or folders anywhere on the window.")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.label_filter = QComboBox()
        self.label_filter.setToolTip("Show only rows with this predicted label")
        self.label_filter.addItem(ALL_LABELS, None)

        self.results = ResultsModel()
        self.proxy = ResultsFilter(self)
        self.proxy.setSourceModel(self.results)
        self.table = ResultsTable(self.proxy)
        self.details = RowDetails()
        self.confusion = ConfusionView()

        self._layout()
        self._wire()

    def _layout(self) -> None:
        choose = QHBoxLayout()
        choose.addWidget(QLabel("Classifier:"))
        choose.addWidget(self.classifier, 1)
        choose.addWidget(QLabel("Top"))
        choose.addWidget(self.top_k)
        for button in (self.open_files_button, self.open_folder_button, self.paste_button):
            choose.addWidget(button)
        status = QHBoxLayout()
        status.addWidget(self.progress, 1)
        status.addWidget(self.cancel_button)
        status.addWidget(self.summary, 2)
        tools = QHBoxLayout()
        tools.addWidget(QLabel("Show:"))
        tools.addWidget(self.label_filter)
        tools.addStretch(1)
        tools.addWidget(self.clear_button)
        tools.addWidget(self.export_button)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(self.details)
        split.setSizes([960, 250])
        files = QWidget()
        files_layout = QVBoxLayout(files)
        files_layout.setContentsMargins(0, 0, 0, 0)
        files_layout.addLayout(tools)
        files_layout.addWidget(split, 1)
        self.views = QTabWidget()
        self.views.addTab(files, "Files")
        self.views.addTab(self.confusion, "Test set")
        self.views.setTabToolTip(1, "Accuracy, confusion matrix and per-class precision/recall")
        layout = QVBoxLayout(self)
        layout.addLayout(choose)
        layout.addWidget(self.message)
        layout.addLayout(status)
        layout.addWidget(self.views, 1)

    def _wire(self) -> None:
        self.classifier.currentIndexChanged.connect(self._classifier_chosen)
        self.open_files_button.clicked.connect(self.ask_files)
        self.open_folder_button.clicked.connect(self.ask_folder)
        self.paste_button.clicked.connect(self.paste)
        self.cancel_button.clicked.connect(self.cancel)
        self.export_button.clicked.connect(self.ask_export)
        self.clear_button.clicked.connect(self.clear)
        self.label_filter.currentIndexChanged.connect(
            lambda: self.proxy.set_label(self.label_filter.currentData())
        )
        self.table.selectionModel().currentRowChanged.connect(self._row_selected)
        self.confusion.evaluate_requested.connect(self.evaluate)
        self.tasks.item.connect(self._item)
        self.tasks.result.connect(self._result)
        self.tasks.done.connect(self._done)
        self.tasks.failed.connect(self._failed)

    # --- choosing the classifier --------------------------------------------------------
    def set_catalog(self, catalog) -> None:
        self.catalog = catalog
        self.refresh_runs()

    def set_runs_dir(self, path) -> None:
        self.runs_dir = Path(path)
        self.refresh_runs()

    def set_current_run(self, path: str | None, kind: str | None = None) -> None:
        """The run open in the window (its folder and kind, as the window read them): offered
        first, and chosen when it is a classifier (a generative run opened for its samples
        must not take the place of the classifier)."""
        self.current_run = str(path) if path else None
        if kind is None and self.current_run is not None:
            kind = next((r.kind for r in self.listed if str(r.path) == self.current_run), None)
        self.current_kind = kind
        classifies = classifier_runs.classifies(self.catalog, kind)
        self.refresh_runs(prefer=self.current_run if classifies else None)

    def set_listed_runs(self, listed) -> None:
        """The run history (RunSummary rows) the runs panel read off the GUI thread."""
        self.listed = list(listed)
        self.refresh_runs()

    def refresh_runs(self, prefer: str | None = None) -> None:
        """List the classifier runs again, keeping the choice."""
        if self.catalog is None:
            # Which kinds classify is not known before the engine is loaded: choosing now
            # would load the newest run of any kind and refuse it.
            return
        chosen = prefer or self.classifier.currentData()
        self.classifier.blockSignals(True)
        current = (self.current_run, self.current_kind) if self.current_run else None
        classifiers = classifier_runs.fill_choices(
            self.classifier, self.catalog, self.listed, current
        )
        index = self.classifier.findData(chosen) if chosen in classifiers else -1
        if index < 0 and classifiers:
            index = self.classifier.findData(classifiers[0])
        if index < 0:  # nothing here classifies: the entry that says so, not a run that cannot
            index = self.classifier.count() - 1
        self.classifier.setCurrentIndex(max(index, 0))
        self.classifier.blockSignals(False)
        current = self.classifier.currentData()
        if current != self._opened or current is None:  # None: say what to do about it
            self._classifier_chosen()

    def weights_changed(self, run_dir: str | None) -> None:
        """A run's training ended: if it is the chosen classifier, load its new weights (its
        rows stay: they are the same classifier's answers)."""
        if run_dir is not None and run_dir == self.run_dir():
            self.message.setText("Loading the classifier...")
            self.tasks.submit("open", jobs.open_classifier, run_dir)

    def _classifier_chosen(self) -> None:
        run_dir = self.classifier.currentData()
        self._opened = run_dir
        self.notice.emit("info", "")  # what this page said about the last classifier is past
        if self.results.results:
            self.clear()  # rows of another classifier would mix labels in one export
        if run_dir is None:
            self.message.setText(
                "Train a classifier (Train panel) or open a classifier run to classify files."
            )
            return
        self.message.setText("Loading the classifier...")
        self.tasks.submit("open", jobs.open_classifier, run_dir)

    def run_dir(self) -> str | None:
        return self.classifier.currentData()

    # --- what to classify ---------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        if self.classify_mime(event.mimeData()):
            event.acceptProposedAction()

    def classify_mime(self, mime: QMimeData) -> bool:
        paths, image = mime_sources(mime)
        if paths:
            self.classify_paths(paths)
            return True
        if image is not None and not image.isNull():
            self.classify_image(image)
            return True
        return False

    def paste(self) -> None:
        if not self.classify_mime(QGuiApplication.clipboard().mimeData()):
            self.message.setText("The clipboard holds no image and no files to classify.")

    def ask_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Classify image files", str(self.settings.classify_folder()),
            "Images (*.png *.jpg *.jpeg *.webp *.bmp *.gif *.tif *.tiff);;All files (*)",
        )  # fmt: skip
        if paths:
            self.settings.set_classify_folder(Path(paths[0]).parent)
            self.classify_paths(paths)

    def ask_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Classify a folder of images", str(self.settings.classify_folder())
        )
        if folder:
            self.settings.set_classify_folder(folder)
            self.classify_paths([folder])

    def classify_paths(self, paths: list[str]) -> None:
        self._start(jobs.classify_paths, [str(p) for p in paths])

    def classify_image(self, image: QImage) -> None:
        self._pasted += 1
        name = f"pasted image {self._pasted} ({image.width()}x{image.height()})"
        self._start(jobs.classify_pasted, [(name, rgba_pixels(image))])

    def _start(self, job, sources) -> None:
        run_dir = self.run_dir()
        if run_dir is None:
            self.message.setText("Choose a classifier run first (train one on the Train panel).")
            return
        if not self._active:
            self._expected = self._received = 0
            self._cancelled = False
        name = f"classify-{next(self._names)}"
        self._active.add(name)
        self.tasks.submit(name, job, run_dir, sources, self.top_k.value())
        self.cancel_button.setEnabled(True)
        self.progress.setFormat("%v / %m files")
        self.progress.setMaximum(0)  # busy until the job has counted the files
        self.summary.setText("Looking for images...")

    def cancel(self) -> None:
        self._cancelled = bool(self._active)
        for name in list(self._active):
            self.tasks.cancel(name)

    # --- what comes back ----------------------------------------------------------------
    def _item(self, name: str, value) -> None:
        if name not in self._active:
            return
        if isinstance(value, jobs.FilesFound):
            self._expected += value.count
        else:
            self.results.append(value.rows)
            self._received += len(value.rows)
            self._add_labels(value.rows)
        self.progress.setMaximum(max(self._expected, 1))
        self.progress.setValue(self._received)
        self._summarise()

    def _add_labels(self, batch) -> None:
        for result in batch:
            label = result.label if result.ok else FAILED
            if self.label_filter.findData(label) < 0:
                self.label_filter.addItem(label, label)

    def _done(self, name: str, cancelled: bool) -> None:
        if name in self._active:
            self._active.discard(name)
            self._cancelled = self._cancelled or cancelled
            self._finish_if_idle()

    def _failed(self, name: str, message: str) -> None:
        if name == "nearest":
            self.details.show_neighbour_error(message)
            return
        if name == "explain":
            self.details.explanation.show_error(message)
            return
        if name == "evaluate":
            self.confusion.set_busy(False)
        self.message.setText(message)
        # A classifier still in its first epoch is not an error, nor news for the whole window:
        # the page says so, and loads it again when its training ends (weights_changed).
        if not (name == "open" and NO_WEIGHTS_YET in message):
            self.notice.emit("error", message)
        if name in self._active:
            self._active.discard(name)
            self._finish_if_idle()

    def _finish_if_idle(self) -> None:
        if self._active:
            return
        self.cancel_button.setEnabled(False)
        self.progress.setMaximum(max(self._expected, 1))
        self.progress.setValue(self._received)
        self._summarise()

    def _summarise(self) -> None:
        rows = self.results.results
        failed = sum(1 for r in rows if not r.ok)
        inverted = sum(1 for r in rows if r.inverted)
        text = f"{len(rows) - failed} classified, {failed} could not be classified"
        if inverted:
            text += f", {inverted} inverted"
        if not self._active and self._cancelled:
            text += " (cancelled)"
        self.summary.setText(text)

    def _result(self, name: str, value) -> None:
        if name == "open":
            self.results.set_classifier(value)
            self.details.set_classifier(value)
            self.message.setText(
                f"{value.name}: a {value.title} for {len(value.class_names)} classes "
                f"({', '.join(value.class_names[:10])}), trained on {value.dataset}."
            )
        elif name == "nearest":
            self.details.show_neighbours(value)
        elif name == "explain":
            self.details.show_explanation(value)
        elif name == "evaluate":
            self.confusion.set_busy(False)
            self.confusion.show_result(value)

    # --- rows, export, evaluation -------------------------------------------------------
    def _row_selected(self, current, _previous) -> None:
        if not current.isValid():
            self.details.show_result(None)
            return
        result = self.results.results[self.proxy.mapToSource(current).row()]
        self.details.show_result(result)
        if result.ok and self.run_dir():
            self.tasks.submit(
                "nearest", jobs.nearest_training, self.run_dir(), result.path, result.pixels
            )
            self.tasks.submit(
                "explain", jobs.explain_row, self.run_dir(), result.path, result.pixels
            )

    def clear(self) -> None:
        self.cancel()
        self.results.clear()
        self.details.show_result(None)
        self.label_filter.blockSignals(True)
        self.label_filter.clear()
        self.label_filter.addItem(ALL_LABELS, None)
        self.label_filter.blockSignals(False)
        self.proxy.set_label(None)
        self._summarise()

    def ask_export(self) -> None:
        if not self.results.results:
            self.message.setText("Nothing to export yet: classify some files first.")
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Export results as CSV", str(self.settings.classify_folder() / "classified.csv"),
            "CSV files (*.csv)",
        )  # fmt: skip
        if not path:
            return
        top_k = max(self.top_k.value(), *(len(r.labels) for r in self.results.results))
        try:
            count = write_csv(self.results.results, path, top_k)
        except OSError as exc:
            self.message.setText(f"Could not write {path}: {exc.strerror or exc}")
            return
        self.settings.set_classify_folder(Path(path).parent)
        self.message.setText(f"Wrote {count} rows to {path}")

    def evaluate(self) -> None:
        if self.run_dir() is None:
            self.message.setText("Choose a classifier run first (train one on the Train panel).")
            return
        self.confusion.set_busy(True)
        self.views.setCurrentWidget(self.confusion)
        self.tasks.submit("evaluate", jobs.evaluate_test_split, self.run_dir())

    def shutdown(self) -> None:
        self.tasks.shutdown()
