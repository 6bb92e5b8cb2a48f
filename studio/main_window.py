"""The main window only assembles: panels, docks, menus and the wires between them."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from models.runs.folder import Run
from models.training.eta import past_speeds
from studio.classify.classify_panel import ClassifyPanel
from studio.help_menu import HelpMenu
from studio.image2image.page import Image2ImagePage
from studio.latent.explorer import LatentExplorer
from studio.page_tabs import PageTabs, scrolled
from studio.runs.folder_reads import FolderReads
from studio.runs.follower import RunFollower, steps_per_epoch
from studio.runs.open_run import OpenedRun, OpenRun
from studio.runs.runs_panel import RunsPanel
from studio.settings import StudioSettings
from studio.status_bar import StudioStatusBar
from studio.theme import restyle_plots
from studio.training.actions import RunActions
from studio.training.loss_plot import LossPlot
from studio.training.samples_view import SamplesView
from studio.training.session import CatalogLoader, TrainingSession
from studio.training.train_panel import TrainPanel

STOP_TIMEOUT = 10.0  # seconds; a stop takes one step plus a checkpoint, well under 2 s here


class MainWindow(QMainWindow):
    def __init__(self, settings: StudioSettings | None = None):
        super().__init__()
        self.setWindowTitle("Image Studio")
        self._fit_to_screen(1280, 820)
        self.settings = settings or StudioSettings()
        self.session = TrainingSession(self)
        self.catalog_loader = CatalogLoader(self)
        self.follower = RunFollower(self)
        # Run folders are read off the GUI thread; the open run is what the pages show.
        self.reads = FolderReads(self)
        self.open_run_state = OpenRun(self.reads, self)

        self.train_panel = TrainPanel()
        self.loss_plot = LossPlot()
        self.samples_view = SamplesView()
        self.runs_panel = RunsPanel(self.settings.runs_dir())
        self.latent_explorer = LatentExplorer(self.settings.runs_dir())
        self.status = StudioStatusBar()
        self.setStatusBar(self.status)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.loss_plot)
        splitter.addWidget(self.samples_view)
        splitter.setSizes([620, 480])
        # The centre holds one page per activity; later pages (latent space, classify) are
        # added with add_page so each panel module stays the only one that knows its widget.
        self.pages = PageTabs()
        self.pages.setDocumentMode(True)
        self.add_page(splitter, "&Training", "Loss curves and sample grids of the open run")
        self.add_page(
            self.latent_explorer, "&Latent space",
            "Interpolate, walk, map and do arithmetic in what a generative run learned",
        )  # fmt: skip
        self.classify_panel = ClassifyPanel(self.settings, self.runs_panel.runs_dir)
        self.add_page(
            self.classify_panel, "&Classify", "Classify your image files with a trained classifier"
        )
        self.image_page = Image2ImagePage(self.runs_panel.runs_dir)
        self.add_page(
            self.image_page, "&Image to image",
            "Enlarge a picture with a trained run, or paint it in another picture's style",
        )  # fmt: skip
        self.setCentralWidget(self.pages)
        # Files dropped anywhere are classified; the Train panel keeps folder drops for itself.
        self.setAcceptDrops(True)
        self.train_dock = self._dock("Train", "train", self._train_area(), Qt.LeftDockWidgetArea)
        self.runs_dock = self._dock("Runs", "runs", self.runs_panel, Qt.BottomDockWidgetArea)
        # A short screen keeps most of its height for the plots and pages.
        runs_height = min(200, self.height() // 4)
        self.resizeDocks([self.runs_dock], [runs_height], Qt.Orientation.Vertical)
        self.run_actions = RunActions(self.train_panel, self)
        self._menus()
        self.help_menu = HelpMenu(self)
        self._wire()
        restyle_plots(root=self)
        geometry, state = self.settings.window_geometry(), self.settings.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    def _fit_to_screen(self, width: int, height: int) -> None:
        # A first start on a small (or virtual) screen must not hide the status bar below it.
        screen = self.screen().availableGeometry() if self.screen() else None
        if screen is not None:
            width, height = min(width, screen.width()), min(height, screen.height())
        self.resize(width, height)

    def add_page(self, widget, title: str, tip: str) -> None:
        index = self.pages.add_page(widget, title)
        self.pages.setTabToolTip(index, tip)
        # Ctrl+1, Ctrl+2, ... switch pages, as in a browser.
        action = QAction(f"Show the {title.replace('&', '')} page", self)
        action.setShortcut(QKeySequence(f"Ctrl+{index + 1}"))
        action.triggered.connect(lambda: self.pages.setCurrentWidget(widget))
        self.addAction(action)

    def _train_area(self) -> QWidget:
        """The form scrolls on a short screen rather than make the window taller than it; its
        Train, Pause and Stop stay in view below it."""
        panel = self.train_panel
        form = scrolled(panel)
        form.setMinimumWidth(panel.minimumSizeHint().width() + 16)
        area = QWidget()
        layout = QVBoxLayout(area)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(form, 1)
        bar = panel.button_bar
        bar.setContentsMargins(9, 4, 9, 6)
        layout.addWidget(bar)  # moved out of the scrolled panel into the dock
        return area

    def _dock(self, title: str, name: str, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{name}")  # saveState needs stable names
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction("&Open run folder...", self._ask_open_run)
        file_menu.addAction("Choose &runs folder...", self._ask_runs_dir)
        file_menu.addSeparator()
        file_menu.addAction(
            "&Classify files...",
            QKeySequence.StandardKey.Open,
            self._show_classify(self.classify_panel.ask_files),
        )
        file_menu.addAction(
            "Classify a f&older...", self._show_classify(self.classify_panel.ask_folder)
        )
        file_menu.addSeparator()
        file_menu.addAction("&Quit", QKeySequence.StandardKey.Quit, self.close)
        edit_menu = self.menuBar().addMenu("&Edit")
        edit_menu.addAction(
            "&Paste image to classify", QKeySequence.StandardKey.Paste,
            self._show_classify(self.classify_panel.paste),
        )  # fmt: skip
        training_menu = self.menuBar().addMenu("&Training")
        training_menu.addActions(self.run_actions.actions())
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.train_dock.toggleViewAction())
        view_menu.addAction(self.runs_dock.toggleViewAction())

    def _wire(self) -> None:
        session, panel, plot, status = self.session, self.train_panel, self.loss_plot, self.status
        self.catalog_loader.ready.connect(
            lambda catalog: panel.set_catalog(catalog, self.settings.training_choices())
        )
        self.catalog_loader.failed.connect(lambda message: status.notify("error", message))
        self.catalog_loader.ready.connect(self.classify_panel.set_catalog)
        self.catalog_loader.ready.connect(self.latent_explorer.set_catalog)
        self.catalog_loader.ready.connect(self.image_page.set_catalog)
        self.catalog_loader.ready.connect(status.show_devices)
        self.catalog_loader.ready.connect(lambda _: self._read_speeds())
        # A page's messages are its own: shown while it is, taken back when it goes. A page
        # working out of sight keeps its message on the page (its own message line) rather
        # than put it in front of the page a person is looking at.
        for source, page in (("classify", self.classify_panel), ("latent", self.latent_explorer),
                             ("image2image", self.image_page)):  # fmt: skip
            page.notice.connect(self._page_notice(source, page))
        self.pages.currentChanged.connect(self._page_changed)
        panel.train_requested.connect(self.train)
        panel.pause_requested.connect(session.pause)
        panel.resume_requested.connect(session.resume)
        panel.stop_requested.connect(session.stop)
        session.started.connect(self._started)
        session.loading.connect(status.show_loading)
        session.losses.connect(lambda report: plot.add_losses(self._name, report))
        session.losses.connect(status.show_losses)
        session.samples.connect(self.samples_view.add_samples)
        session.evaluation.connect(lambda report: plot.add_evaluation(self._name, report))
        session.quality.connect(lambda report: plot.add_quality(self._name, report))
        session.notice.connect(status.notify)
        session.device_changed.connect(status.device_label.setText)
        session.state_changed.connect(panel.set_state)
        session.state_changed.connect(status.show_state)
        session.busy_changed.connect(panel.set_busy)
        session.busy_changed.connect(lambda busy: busy or self.runs_panel.set_active(None))
        session.busy_changed.connect(lambda busy: busy or self._read_speeds())
        self.open_run_state.changed.connect(self._run_opened)
        self.open_run_state.failed.connect(lambda message: status.notify("error", message))
        self.runs_panel.open_requested.connect(self.open_run)
        self.runs_panel.overlay_requested.connect(self.overlay_run)
        self.runs_panel.resume_requested.connect(self.resume_run)
        self.runs_panel.fork_requested.connect(self.fork_run)
        self.runs_panel.deleted.connect(self._deleted)
        # A run trained from the command line appears in the pages' run choosers by itself.
        self.runs_panel.listed.connect(
            lambda: self.classify_panel.set_listed_runs(self.runs_panel.summaries)
        )
        self.runs_panel.listed.connect(
            lambda: self.latent_explorer.set_listed_runs(self.runs_panel.summaries)
        )
        self.latent_explorer.refresh_button.clicked.connect(self.runs_panel.refresh)
        self.runs_panel.listed.connect(
            lambda: self.image_page.set_listed_runs(self.runs_panel.summaries)
        )
        self.runs_panel.listed.connect(self._read_speeds)
        self.follower.records.connect(plot.add_records)
        self.follower.grids_changed.connect(self.samples_view.refresh)
        # A finished (or stopped) training run has new weights: explore them.
        session.busy_changed.connect(
            lambda busy: busy or self.latent_explorer.show_run(self.opened, reload=True)
        )
        session.busy_changed.connect(
            lambda busy: busy or self.classify_panel.weights_changed(self.session.run_dir)
        )

    def _page_notice(self, source: str, page):
        def show(level: str, message: str) -> None:
            if not message or self.pages.currentWidget() is page:
                self.status.page_notice(source, level, message)

        return show

    def _page_changed(self, _index: int) -> None:
        shown = self.pages.currentWidget()
        for source, page in (("classify", self.classify_panel), ("latent", self.latent_explorer),
                             ("image2image", self.image_page)):  # fmt: skip
            if page is not shown:
                self.status.withdraw(source)

    @property
    def opened(self) -> str | None:
        """The run folder shown in the plot and the grids."""
        return self.open_run_state.path

    @property
    def _name(self) -> str:
        return Path(self.opened).name if self.opened else "run"

    def _show_classify(self, then):
        def act() -> None:
            self.pages.setCurrentWidget(self.classify_panel)
            then()

        return act

    def dragEnterEvent(self, event) -> None:
        self.classify_panel.dragEnterEvent(event)

    def dropEvent(self, event) -> None:
        if self.classify_panel.classify_mime(event.mimeData()):
            self.pages.setCurrentWidget(self.classify_panel)
            event.acceptProposedAction()

    def start_loading(self) -> None:
        """Import the engine in the background; the window is already on screen."""
        self.catalog_loader.start()

    # --- training -----------------------------------------------------------------------
    def train(self, request: dict) -> None:
        self.settings.set_training_choices(self.train_panel.choices())
        self.follower.stop()
        self.session.start({**request, "runs_dir": self.runs_panel.runs_dir})

    def resume_run(self, path: str) -> None:
        if self.session.busy:
            self.status.notify("warning", "Stop the current run before resuming another.")
            return
        more = self.train_panel.epochs.value()

        def read() -> tuple[int | None, str, list, float | None]:
            run = Run.open(path)
            # A finished run has nothing left to do: resuming it adds the epochs in the form.
            epochs = None
            if run.status().get("state") == "completed":
                epochs = int(run.config["training"]["epochs"]) + more
            records, _ = run.read_metrics()  # its curves so far; live reports go on from them
            return epochs, run.name, records, steps_per_epoch(run)

        def resume(read: tuple[int | None, str, list, float | None]) -> None:
            if self.session.busy:
                self.status.notify("warning", "Stop the current run before resuming another.")
                return
            epochs, name, records, per_epoch = read
            self.follower.stop()  # the live reports take over from the file
            self.loss_plot.remove_series(name)
            self.loss_plot.show_run(name, per_epoch)
            self.loss_plot.add_records(name, records)
            self.session.resume_run(path, epochs)

        self.reads.read("resume", read, resume, self._read_failed)

    def _read_speeds(self) -> None:
        """How fast earlier runs trained, for the Train panel's "how long" line."""
        runs_dir = self.runs_panel.runs_dir
        self.reads.read(
            "speeds", lambda: past_speeds(runs_dir), self.train_panel.set_speeds, lambda _: None
        )

    def _read_failed(self, message: str) -> None:
        self.status.notify("error", message)

    def _started(self, report) -> None:
        if report.run_dir != self.opened:
            self.samples_view.show_run(report.run_dir)
        self.follower.stop()
        self.open_run_state.set_live(report.run_dir, report.config["kind"], report.steps_per_epoch)
        self.loss_plot.show_run(self._name, report.steps_per_epoch)
        self._expect_images_of(report.config["kind"])
        self.train_panel.show_running(report.config)
        self.status.show_started(report)
        self.classify_panel.set_current_run(report.run_dir, report.config["kind"])
        self.runs_panel.set_active(report.run_dir)
        self.runs_panel.select(report.run_dir)

    # --- runs ---------------------------------------------------------------------------
    def open_run(self, path: str) -> None:
        """Show a run folder: read off the GUI thread, then shown by _run_opened."""
        if self.session.busy and path == self.session.run_dir:
            return  # already shown live
        self.open_run_state.open(path)

    def _run_opened(self, opened: OpenedRun | None) -> None:
        if opened is None:
            self.follower.stop()
            self.samples_view.show_run(None)
            self.latent_explorer.show_run(None)
            return
        if opened.live:
            return  # _started shows a run training here from its live reports
        self.latent_explorer.show_run(opened.path, kind=opened.kind)
        self.loss_plot.remove_series(opened.name)  # reloaded from the start of its metrics
        self.loss_plot.show_run(opened.name, opened.steps_per_epoch)
        self.samples_view.show_run(opened.path)
        self._expect_images_of(opened.kind)
        self.follower.follow(opened.path)
        self.classify_panel.set_current_run(opened.path, opened.kind)

    def _expect_images_of(self, kind_name: str) -> None:
        """The Samples pane waits for grids only from kinds that draw them (live or opened)."""
        catalog = self.train_panel.catalog
        kind = catalog.kinds.get(kind_name) if catalog else None
        self.samples_view.set_makes_images(kind is None or kind.draws_images)

    def overlay_run(self, path: str) -> None:
        def curves() -> tuple[str, str, list, float | None]:
            run = Run.open(path)
            records, _ = run.read_metrics()
            return str(run.path), run.name, records, steps_per_epoch(run)

        def draw(read: tuple[str, str, list, float | None]) -> None:
            run_path, name, records, per_epoch = read
            if run_path != self.opened:
                self.loss_plot.add_overlay(name, records, per_epoch)

        # Each overlaid run is its own request: several chosen at once are all drawn.
        self.reads.read(f"overlay:{path}", curves, draw, self._read_failed)

    def fork_run(self, path: str) -> None:
        def fork(config: dict) -> None:
            self.train_panel.prepare_fork(path, config)
            self.train_dock.show()

        self.reads.read("fork", lambda: Run.open(path).config, fork, self._read_failed)

    def _deleted(self, path: str) -> None:
        self.loss_plot.remove_series(Path(path).name)
        if path == self.opened:
            self.open_run_state.close()
        self.latent_explorer.refresh()

    def _ask_open_run(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, "Open run folder", str(self.runs_panel.runs_dir)
        )
        if path:
            self.open_run(path)

    def _ask_runs_dir(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Runs folder", str(self.runs_panel.runs_dir))
        if path:
            self.settings.set_runs_dir(path)
            self.runs_panel.set_runs_dir(path)
            self.classify_panel.set_runs_dir(path)
            self.latent_explorer.set_runs_dir(path)
            self.image_page.set_runs_dir(path)

    # --- closing ------------------------------------------------------------------------
    def closeEvent(self, event) -> None:
        if self.session.busy:
            answer = QMessageBox.question(
                self, "Training is running",
                "Stop training and close? The run is checkpointed first and can be resumed.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.Yes,
            )  # fmt: skip
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
            self.session.stop()
            if not self.session.wait(STOP_TIMEOUT):
                self.status.notify("error", "Training did not stop; try closing again.")
                event.ignore()
                return
        self.catalog_loader.wait()  # an import cannot be interrupted; it ends in seconds
        self.follower.stop()
        self.follower.wait()
        self.reads.wait()
        self.runs_panel.shutdown()
        self.classify_panel.shutdown()
        self.latent_explorer.shutdown()
        self.image_page.shutdown()
        if self.train_panel.catalog is not None:
            self.settings.set_training_choices(self.train_panel.choices())
        self.settings.save_window(self.saveGeometry(), self.saveState())
        self.settings.sync()
        event.accept()
