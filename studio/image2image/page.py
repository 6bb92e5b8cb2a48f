"""The Image to image page: drop or open a picture, then enlarge it with a run that turns images
into images (the bicubic enlargement beside it), or paint it in a style picture's style and
watch the result form with its losses plotted; the input and the output share a before/after
view with a split line to drag; the output can be saved.

Which runs are offered comes from the catalog's descriptions (the image-to-image role), never
from kind names. Pictures are read and written, and models run, off the GUI thread.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from models.kinds.description import IMAGE_TO_IMAGE
from studio.image2image import jobs
from studio.image2image.compare_view import BeforeAfterView, ZoomPan
from studio.image2image.loss_chart import StyleLossChart
from studio.image2image.style_controls import StyleControls
from studio.workers.model_tasks import ModelTasks

STYLE_JOB = "Style transfer: paint the picture in another's style"
PICTURES = "Pictures (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff)"
STYLE_DATA = "<style transfer>"  # the chooser's data for the style job; runs have their folder
SAVE_AS = "PNG (*.png);;JPEG (*.jpg *.jpeg);;WebP (*.webp);;TIFF (*.tif *.tiff);;BMP (*.bmp)"


def applies(catalog, kind: str) -> bool:
    info = catalog.kinds.get(kind) if catalog is not None else None
    return info is not None and info.has(IMAGE_TO_IMAGE)


class Image2ImagePage(QWidget):
    notice = Signal(str, str)  # level, one line for a person
    output_changed = Signal()

    def __init__(self, runs_dir: str | Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.runs_dir = Path(runs_dir)
        self.catalog = None
        self.tasks = ModelTasks(self)
        self.runner = jobs.StyleRunner(self)
        self.input_pixels = None
        self.input_name = ""
        self.style_pixels = None
        self.output = None
        self.network_title = ""
        self.style_content = None  # the content as the style job sized it
        self.job_picked = False  # a person chose the job: a new listing keeps it
        self.listed: list = []  # the runs folder's RunSummary rows, newest first

        self.open_button = QPushButton("Open picture...")
        self.open_button.setToolTip("The picture to enlarge or to paint (or drop one on the page)")
        self.input_label = QLabel("No picture yet: open or drop one")
        # A long file name is cut rather than widening the page past the window.
        self.input_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.job = QComboBox()
        self.job.setMinimumContentsLength(20)
        self.job.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.job.setToolTip("Enlarge with a trained run, or transfer a style")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("List the runs in the runs folder again")
        self.apply_button = QPushButton("Apply run")
        self.apply_button.setToolTip("Run the chosen run on the picture")
        self.apply_note = QLabel()
        self.apply_note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        apply_row = QWidget()
        row = QHBoxLayout(apply_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.apply_button)
        row.addWidget(self.apply_note, 1)
        self.style_controls = StyleControls()
        self.controls = QStackedWidget()
        self.controls.addWidget(apply_row)
        self.controls.addWidget(self.style_controls)

        self.zoom_pan = ZoomPan(self)
        self.view = BeforeAfterView(self.zoom_pan)
        self.view.empty_text = "Open or drop a picture"
        self.bicubic_view = BeforeAfterView(self.zoom_pan)
        self.bicubic_view.set_labels("", "Bicubic")
        self.bicubic_view.empty_text = "The bicubic enlargement appears here"
        self.chart = StyleLossChart()
        self.side = QStackedWidget()
        self.side.addWidget(self.bicubic_view)
        self.side.addWidget(self.chart)
        views = QSplitter()
        views.addWidget(self.view)
        views.addWidget(self.side)
        views.setSizes([600, 400])
        self.save_button = QPushButton("Save result...")
        self.save_button.setEnabled(False)
        self.fit_button = QPushButton("Fit")
        self.fit_button.setToolTip("Show the whole picture (the wheel zooms, a drag pans)")
        self.last_message = ""  # shown in the window's status bar (the notice signal)

        top = QHBoxLayout()
        top.addWidget(self.open_button)
        top.addWidget(self.input_label, 1)
        top.addWidget(QLabel("Job"))
        top.addWidget(self.job, 2)
        top.addWidget(self.refresh_button)
        top.addSpacing(12)
        top.addWidget(self.save_button)
        top.addWidget(self.fit_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.controls)
        layout.addWidget(views, 1)
        self.setAcceptDrops(True)

        self.open_button.clicked.connect(self.ask_input)
        self.refresh_button.clicked.connect(self.refresh_runs)
        self.job.currentIndexChanged.connect(self._job_chosen)
        self.job.activated.connect(lambda _index: setattr(self, "job_picked", True))
        self.apply_button.clicked.connect(self.apply_run)
        self.save_button.clicked.connect(self.ask_save)
        self.fit_button.clicked.connect(self.zoom_pan.fit)
        controls = self.style_controls
        controls.style_file_requested.connect(self.ask_style)
        controls.start_requested.connect(self.start_style)
        controls.pause_requested.connect(self.pause_style)
        controls.resume_requested.connect(self.resume_style)
        controls.stop_requested.connect(self.runner.stop)
        self.tasks.result.connect(self._result)
        self.tasks.failed.connect(self._failed)
        self.runner.started.connect(self._style_started)
        self.runner.step.connect(self._style_step)
        self.runner.finished.connect(self._style_finished)
        self.runner.failed.connect(lambda message: self.say("error", message))
        self.runner.busy_changed.connect(lambda busy: controls.set_running(busy))
        self._fill_jobs()

    # --- runs ------------------------------------------------------------------------------
    def set_catalog(self, catalog) -> None:
        self.catalog = catalog
        self._fill_jobs()

    def set_runs_dir(self, path: str | Path) -> None:
        self.runs_dir = Path(path)
        self.refresh_runs()

    def refresh_runs(self) -> None:
        """List the runs folder again, off the GUI thread."""
        self.tasks.submit("list-runs", jobs.list_job, str(self.runs_dir))

    def set_listed_runs(self, summaries) -> None:
        """The run history (RunSummary rows), read off the GUI thread by whoever listed it."""
        self.listed = list(summaries)
        self._fill_jobs()

    def _fill_jobs(self) -> None:
        chosen = self.job.currentData() if self.job_picked else None
        self.job.blockSignals(True)
        self.job.clear()
        for summary in self.listed:
            if applies(self.catalog, summary.kind):
                title = self.catalog.kinds[summary.kind].title
                self.job.addItem(f"{summary.name}  ({title})", str(summary.path))
        self.job.addItem(STYLE_JOB, STYLE_DATA)
        index = self.job.findData(chosen) if chosen is not None else -1
        self.job.setCurrentIndex(max(0, index))
        self.job.blockSignals(False)
        self._job_chosen()

    def choose_run(self, path: str | Path) -> bool:
        index = self.job.findData(str(path))
        if index >= 0:
            self.job_picked = True
            self.job.setCurrentIndex(index)
        return index >= 0

    def choose_style_job(self) -> None:
        self.job_picked = True
        self.job.setCurrentIndex(self.job.findData(STYLE_DATA))

    @property
    def style_mode(self) -> bool:
        return self.job.currentData() == STYLE_DATA

    def _job_chosen(self) -> None:
        style = self.style_mode
        self.controls.setCurrentIndex(1 if style else 0)
        # The stack is as tall as its shown page only, not its tallest one.
        for index in range(self.controls.count()):
            shown = index == self.controls.currentIndex()
            policy = QSizePolicy.Policy.Preferred if shown else QSizePolicy.Policy.Ignored
            self.controls.widget(index).setSizePolicy(policy, policy)
        self.controls.adjustSize()
        self.side.setCurrentIndex(1 if style else 0)
        has_runs = self.job.count() > 1
        self.apply_button.setEnabled(not style and has_runs)
        titles = self.catalog.titles_with(IMAGE_TO_IMAGE) if self.catalog is not None else ""
        hint = f"; train a {titles} run to enlarge pictures here" if titles and not has_runs else ""
        self.job.setToolTip(f"Enlarge with a trained run, or transfer a style{hint}")

    # --- pictures --------------------------------------------------------------------------
    def ask_input(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open picture", "", PICTURES)
        if path:
            self.open_input(path)

    def ask_style(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Style picture", "", PICTURES)
        if path:
            self.open_style(path)

    def open_input(self, path: str | Path) -> None:
        self.tasks.submit("load-input", jobs.load_job, str(path))

    def open_style(self, path: str | Path) -> None:
        self.tasks.submit("load-style", jobs.load_job, str(path))

    def dragEnterEvent(self, event) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if not paths:
            return
        thumbnail = self.style_controls.style_thumbnail
        on_style = self.style_mode and thumbnail.rect().contains(
            thumbnail.mapFrom(self, event.position().toPoint())
        )
        if on_style:
            self.open_style(paths[0])
        else:
            self.open_input(paths[0])
            if len(paths) > 1:  # a photo and a painting dropped together
                self.choose_style_job()
                self.open_style(paths[1])
        event.acceptProposedAction()

    def _result(self, name: str, value) -> None:
        if name == "load-input":
            self.input_pixels = value["pixels"]
            self.input_name = Path(value["path"]).name
            height, width = self.input_pixels.shape[:2]
            self.input_label.setText(f"{self.input_name}  ({width} x {height})")
            self._set_output(None)
            self.view.set_pictures(self.input_pixels, None)
            self.view.set_labels("Input", "Output")
            self.bicubic_view.set_pictures(None, None)
        elif name == "load-style":
            self.style_pixels = value["pixels"]
            self.style_controls.show_style(self.style_pixels)
        elif name == "apply":
            self._set_output(value["output"])
            self.view.set_labels("Input", "Model")
            self.view.set_pictures(self.input_pixels, value["output"])
            self.bicubic_view.set_pictures(None, value["bicubic"])
            height, width = value["output"].shape[:2]
            self.say("info", f"Enlarged {value['factor']} times to {width} x {height}.")
        elif name == "list-runs":
            self.set_listed_runs(value)
        elif name == "save":
            self.say("info", f"Saved {Path(value).name}.")

    def _failed(self, name: str, message: str) -> None:
        what = {"load-input": "Cannot open the picture", "load-style": "Cannot open the style "
                "picture", "apply": "Cannot apply the run", "save": "Cannot save",
                "list-runs": "Cannot list the runs"}  # fmt: skip
        self.say("error", f"{what.get(name, 'Failed')}: {message}")

    def say(self, level: str, text: str) -> None:
        self.last_message = text
        self.apply_note.setText(text if not self.style_mode else "")
        self.notice.emit(level, text)

    def _set_output(self, pixels) -> None:
        self.output = pixels
        self.save_button.setEnabled(pixels is not None)
        self.output_changed.emit()

    # --- jobs ------------------------------------------------------------------------------
    def apply_run(self) -> None:
        data = self.job.currentData()
        if self.input_pixels is None:
            self.say("warning", "Open or drop a picture first.")
            return
        if data is None or data == STYLE_DATA:
            self.say("warning", "Choose a run to apply.")
            return
        self.say("info", "Applying the run...")
        self.tasks.submit("apply", jobs.apply_job, data, self.input_pixels)

    def start_style(self) -> None:
        if self.input_pixels is None or self.style_pixels is None:
            self.say("warning", "Open a picture and a style picture first.")
            return
        self.chart.clear()
        self._set_output(None)
        if self.runner.start(self.input_pixels, self.style_pixels, self.style_controls.settings()):
            self.say("info", "Loading the feature network...")

    def pause_style(self) -> None:
        self.runner.pause()
        self.style_controls.set_running(True, paused=True)

    def resume_style(self) -> None:
        self.runner.resume()
        self.style_controls.set_running(True, paused=False)

    def _style_started(self, report) -> None:
        self.network_title = report.network_title
        self.style_content = report.content
        label = self.style_controls.network_label
        label.setText(f"In use: {report.network_title}")
        label.setToolTip(f"The feature network in use: {report.network_title}")
        self.view.set_labels("Content", "Result")
        self.view.set_pictures(report.content, report.content)
        self.say("info", f"Painting {report.width} x {report.height} in {report.steps} steps.")

    def _style_step(self, report) -> None:
        self.chart.add(report.step, report.content_loss, report.style_loss, report.total_loss)
        if report.image is not None:
            self.view.set_pictures(self.style_content, report.image)
            self._set_output(report.image)

    def _style_finished(self, report) -> None:
        self._set_output(report.image)
        self.view.set_pictures(self.style_content, report.image)
        fall = report.first_style_loss / max(report.style_loss, 1e-12)
        self.say("info", f"Style transfer {report.state} after {report.steps_done} steps: the "
                 f"style loss fell {fall:.1f} times ({report.network_title}).")  # fmt: skip

    # --- saving and closing ----------------------------------------------------------------
    def ask_save(self) -> None:
        if self.output is None:
            return
        stem = Path(self.input_name).stem or "result"
        suffix = "styled" if self.style_mode else "enlarged"
        path, _ = QFileDialog.getSaveFileName(self, "Save result", f"{stem}-{suffix}.png", SAVE_AS)
        if path:
            self.save_to(path)

    def save_to(self, path: str | Path) -> None:
        if self.output is not None:
            self.tasks.submit("save", jobs.save_job, str(path), self.output)

    def shutdown(self) -> None:
        self.runner.wait()
        self.tasks.shutdown()
