"""The latent-space page: a run chooser, the tools (interpolation, four corners, sliders, map,
arithmetic, and for kinds whose decode is a many-step sampling run the denoising view and the
step/guidance comparison), and the one background worker that does all their decoding.

What the tools offer follows the opened model's description (its latent layout, what a decode
costs), never its kind's name. A job's result comes back as a typed Outcome (routes.py).

A run is loaded only when the page is on screen: opening a run elsewhere in the window must
not cost a model load nobody looks at.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from models.kinds.description import LATENT_SPACE
from studio.denoise.compare import CompareTool
from studio.denoise.view import DenoiseTool
from studio.latent import jobs as latent_jobs
from studio.latent.arithmetic import ArithmeticTool
from studio.latent.interpolation import CornerGridTool, InterpolationTool
from studio.latent.job_progress import JobProgress
from studio.latent.map_view import LatentMapTool
from studio.latent.routes import Outcome, PageJob, Route, ToolJob, routed
from studio.latent.sliders import SlidersTool
from studio.latent.tool_tabs import ToolTabs
from studio.theme import notice_colour
from studio.workers.model_tasks import ModelTasks


def explorable_titles(catalog) -> str:
    """The titles of the kinds that have a latent space, from the catalog's descriptions."""
    return catalog.titles_with(LATENT_SPACE)


def no_run_text(catalog) -> str:
    if catalog is None:
        return "Choose a run with a latent space above (or open one) to explore what it learned."
    kinds = explorable_titles(catalog)
    return f"Choose a {kinds} run above (or open one) to explore what it learned."


class LatentExplorer(QWidget):
    notice = Signal(str, str)  # level, one line for a person (the window's status bar)
    model_ready = Signal(dict)  # the opened model's description
    analysis_ready = Signal(dict)

    def __init__(self, runs_dir: str | Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.runs_dir = Path(runs_dir)
        self.tasks = ModelTasks(self)
        self.token = 0
        self.wanted: str | None = None  # the run asked for
        self.loaded: str | None = None  # the run asked of the worker (under self.token)
        self.info: dict[str, Any] | None = None
        self.analysis: dict[str, Any] | None = None
        self.gallery: dict[str, Any] | None = None
        self.catalog = None
        self.kinds: dict[str, str] = {}  # run folder -> kind, from the listing or the window
        self.listed: list = []  # RunSummary rows of the runs folder, read off the GUI thread
        self.routes: dict[str, Route] = {}  # the worker's key of each job asked -> its route
        self.stopping: set[str] = set()  # jobs a person pressed Cancel for
        self.said_stopped = False  # "Stopped" is on the page until the next job shows work

        self.chooser = QComboBox()
        self.chooser.setToolTip("The run whose latent space is explored")
        self.chooser.setMinimumContentsLength(30)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("List the runs in the runs folder again")
        self.message = QLabel()
        self.message.setWordWrap(True)
        # One line is always kept for it: a message coming and going must not move the tools
        # (and their buttons) under the pointer.
        self.message.setMinimumHeight(self.message.fontMetrics().lineSpacing())
        self.empty = QLabel(no_run_text(None))
        self.empty.setWordWrap(True)
        self.empty.setMargin(24)

        self.interpolation = InterpolationTool(self)
        self.corners = CornerGridTool(self)
        self.sliders = SlidersTool(self)
        self.map = LatentMapTool(self)
        self.arithmetic = ArithmeticTool(self)
        self.denoise = DenoiseTool(self)
        self.compare = CompareTool(self)
        pages = (
            (self.interpolation, "Interpolation", "A path between two end points, decoded"),
            (self.corners, "Four corners", "An N x N grid of blends between four end points"),
            (self.denoise, "Denoising", "One sample step by step: the noisy image and the "
             "clean image predicted from it"),
            (self.compare, "Steps and guidance", "The same seed drawn at several step counts "
             "or guidance scales, side by side"),
            (self.sliders, "Sliders", "One slider per latent dimension, decoded live"),
            (self.map, "Map", "The test split projected onto a plane; click to decode"),
            (self.arithmetic, "Arithmetic", "Add and subtract class mean vectors"),
        )  # fmt: skip
        self.tools = {tool.key: tool for tool, _, _ in pages}
        self.titles = {tool.key: title for tool, title, _ in pages}
        self.tabs = ToolTabs()
        for tool, title, tip in pages:
            self.tabs.add_tool(tool, title, tip)
            self.tabs.set_offered(tool, tool.offered(None))
        self.progress = JobProgress()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.tabs)

        top = QHBoxLayout()
        top.addWidget(QLabel("Run"))
        top.addWidget(self.chooser, 1)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        # The message and a long job's progress share one line: at 1280 x 720 every line
        # given to them is taken from the images.
        news = QHBoxLayout()
        news.addWidget(self.message, 1)
        news.addWidget(self.progress)
        layout.addLayout(news)
        layout.addWidget(self.stack, 1)

        self.tasks.result.connect(self._result)
        self.tasks.failed.connect(self._failed)
        self.tasks.progress.connect(self._progress)
        self.tasks.done.connect(self._done)
        self.progress.cancel_requested.connect(self.cancel_key)
        self.chooser.activated.connect(self._chosen)
        self.refresh_button.clicked.connect(self.refresh)
        self.refresh()

    # --- which run -----------------------------------------------------------------------
    def set_runs_dir(self, path: str | Path) -> None:
        self.runs_dir = Path(path)
        self.refresh()

    def set_catalog(self, catalog) -> None:
        """Once the engine is loaded: only runs with a latent space are offered."""
        self.catalog = catalog
        self.refresh()
        if self.wanted is not None and not self._explorable(self.wanted):
            self.show_run(self.wanted)  # a run chosen before the catalog came: choose again

    def _explorable(self, path: str) -> bool:
        kind = self.kinds.get(path)
        if self.catalog is None or kind is None:
            # Not known (yet): the worker refuses it with the one-line reason if it must.
            return True
        info = self.catalog.kinds.get(kind)
        return info is not None and info.has(LATENT_SPACE)

    def set_listed_runs(self, listed) -> None:
        """The run history (RunSummary rows) the runs panel read off the GUI thread: this
        page reads no run folder on the GUI thread to fill its chooser."""
        self.listed = list(listed)
        self.refresh()

    def refresh(self) -> None:
        """List the runs that have a latent space (every run until the catalog is known)."""
        self.chooser.blockSignals(True)
        self.chooser.clear()
        summaries = self.listed
        self.kinds.update({str(s.path): s.kind for s in summaries})
        for summary in summaries:
            if self._explorable(str(summary.path)):
                self.chooser.addItem(f"{summary.name}  ({summary.kind})", str(summary.path))
        self._select(self.wanted)
        self.chooser.blockSignals(False)
        if self.wanted is None and self.catalog is not None and self.chooser.count():
            # Nothing asked for yet: the newest run it can explore (loaded once shown).
            self.show_run(self.chooser.itemData(0))
        elif self.wanted is None and self.loaded is None:
            self.empty.setText(self._none_text())

    def _none_text(self) -> str:
        if self.chooser.count() or self.catalog is None:
            return no_run_text(self.catalog)
        return (
            f"No run in the runs folder has a latent space to explore: train a "
            f"{explorable_titles(self.catalog)} (Train panel) first."
        )

    def _select(self, path: str | None) -> None:
        index = self.chooser.findData(path) if path else -1
        if path and index < 0:
            self.chooser.addItem(Path(path).name, path)
            index = self.chooser.count() - 1
        self.chooser.setCurrentIndex(index)

    def _chosen(self, index: int) -> None:
        self.show_run(self.chooser.itemData(index))

    def show_run(self, path: str | Path | None, reload: bool = False,
                 kind: str | None = None) -> None:  # fmt: skip
        """Explore this run (loaded now if the page is on screen, else when it is shown). A run
        without a latent space (a classifier opened for its curves) leaves the page on the run
        it shows, or on the newest run it can explore: a refusal nobody asked for helps no one."""
        path = None if path is None else str(path)
        if path is not None and kind is not None:
            self.kinds[path] = kind  # as the window read it, off the GUI thread
        if path is not None and not self._explorable(path):
            keep = self.wanted if self.wanted and self._explorable(self.wanted) else None
            path = keep or (self.chooser.itemData(0) if self.chooser.count() else None)
        self.wanted = path
        self.chooser.blockSignals(True)
        self._select(self.wanted)
        self.chooser.blockSignals(False)
        if reload:
            self.loaded = None
        if self.isVisible():
            self._load_wanted()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._load_wanted()

    def _load_wanted(self) -> None:
        if self.wanted == self.loaded:
            return
        self.loaded = self.wanted
        self.token += 1
        self.info = self.analysis = self.gallery = None
        for key in self.routes:
            self.tasks.cancel(key)  # a long decode for the last run stops at its next step
        for tool in self.tools.values():
            tool.set_model(None)
        self.stack.setCurrentWidget(self.empty)
        self.notify("")  # what was said about the run before is no longer true
        if self.wanted is None:
            self.empty.setText(self._none_text())
            return
        self.empty.setText(f"Loading {Path(self.wanted).name}...")
        self._submit(PageJob.OPEN, latent_jobs.open_run, self.wanted)

    # --- the worker ----------------------------------------------------------------------
    def _submit(self, route: Route, job, *args) -> None:
        self.routes[route.key] = route
        self.tasks.submit(route.key, routed, route, self.token, job, *args)

    def run_job(self, route: ToolJob, job, *args) -> None:
        """Used by the tools: every job is tied to the run open now."""
        if self.info is not None:
            self._submit(route, job, *args)

    def cancel_key(self, key: str) -> None:
        """Cancel pressed: the job stops at its next step and the page says so."""
        self.stopping.add(key)
        self.tasks.cancel(key)

    def _result(self, key: str, outcome: Any) -> None:
        self.progress.finish(key)
        self.stopping.discard(key)  # it finished before it could stop
        if not isinstance(outcome, Outcome) or outcome.token != self.token:
            return  # meant for a run that has since been replaced
        route, value = outcome.route, outcome.value
        if route is PageJob.OPEN:
            self._opened(value)
        elif route is PageJob.GALLERY:
            self.gallery = {**value, "class_names": self.info["class_names"]}
            for tool in self.tools.values():
                tool.set_gallery(self.gallery)
        elif route is PageJob.ANALYSE:
            self.analysis = value
            for tool in self.tools.values():
                if self.tabs.slot(tool) is None or not self.tabs.slot(tool).showing_note:
                    tool.set_analysis(value)
            self.analysis_ready.emit(value)
        elif isinstance(route, ToolJob) and route.tool in self.tools:
            self._take_back_stopped()
            self.tools[route.tool].on_result(route.job, value)

    def _take_back_stopped(self) -> None:
        """Work goes on again: a "Stopped" said about an earlier job is no longer news."""
        if self.said_stopped:
            self.said_stopped = False
            self.say("")

    def _opened(self, info: dict[str, Any]) -> None:
        self.info = info
        self.stack.setCurrentWidget(self.tabs)
        wants_analysis = False
        for tool in self.tools.values():
            offered = tool.offered(info)
            self.tabs.set_offered(tool, offered)
            fits = offered and self.tabs.slot(tool).fit(info)
            tool.set_model(info if fits else None)
            wants_analysis |= fits and tool.needs_analysis
        if not self.tabs.isTabVisible(self.tabs.currentIndex()):
            self.tabs.setCurrentIndex(0)
        if info["can_encode"]:
            self._submit(PageJob.GALLERY, latent_jobs.test_thumbnails)
        if wants_analysis:  # no tool that needs it, no minutes spent encoding the test split
            self._submit(PageJob.ANALYSE, latent_jobs.analyse)
        self.model_ready.emit(info)

    def _failed(self, key: str, message: str) -> None:
        self.progress.finish(key)
        self.stopping.discard(key)
        route = self.routes.get(key)
        if route is PageJob.OPEN:
            # Said once, where the tools would be; the status bar is for news, not this.
            self.empty.setText(html.escape(message))
            self.stack.setCurrentWidget(self.empty)
            return
        if isinstance(route, ToolJob) and route.tool in self.tools:
            self.tools[route.tool].on_failed(route.job, message)
        else:
            self.notify(message, "error")

    def _progress(self, key: str, done: int, total: int) -> None:
        self._take_back_stopped()
        route = self.routes.get(key)
        if isinstance(route, ToolJob):
            what = self.titles.get(route.tool, route.tool)
        else:
            what = "Loading" if route is PageJob.OPEN else "Preparing the tools"
        self.progress.show_progress(key, what, done, total)

    def _done(self, key: str, cancelled: bool) -> None:
        """A job stopped by a cancel (or a generator job that finished)."""
        if cancelled and key in self.stopping:  # not a job dropped for another run
            self.say("Stopped before it finished.", "info")
            self.said_stopped = True
        self.stopping.discard(key)
        self.progress.finish(key)
        route = self.routes.get(key)
        if cancelled and isinstance(route, ToolJob) and route.tool in self.tools:
            self.tools[route.tool].on_cancelled(route.job)

    def notify(self, message: str, level: str = "warning") -> None:
        """Say it on the page and in the status bar; an empty message takes both back."""
        self.say(message, level)
        self.notice.emit("info" if message.startswith("Saved") else level, message)

    def say(self, message: str, level: str = "warning") -> None:
        self.said_stopped = False  # only a "Stopped" still on show is taken back later
        colour = notice_colour(level)
        style = f" style='color:{colour}'" if colour and not message.startswith("Saved") else ""
        self.message.setText(f"<span{style}>{html.escape(message)}</span>" if message else "")

    def shutdown(self) -> bool:
        return self.tasks.shutdown()
