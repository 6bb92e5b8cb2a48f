"""Screenshots for the README, made by the studio itself: `make screenshots` (offscreen).

A short real training run is started through the Train panel, in a temporary runs folder and
a temporary settings scope, so neither the person's runs nor their remembered form are touched.

    python -m studio.screenshots docs
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QPointF, QSettings, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from models.kinds.description import CLASSIFIER, ENCODER, LATENT_SPACE

ORGANIZATION = "image-studio-screenshots"  # not app.ORGANIZATION: a scope of its own
APPLICATION = "Image Studio"
SETTINGS_FILE = "settings.ini"
POLL_MS = 50


@dataclass(frozen=True)
class Plan:
    """What to train before the pictures are taken. The defaults finish in about 20 s on two
    CPU cores and still give digits a person recognises; the tests pass a tinier plan."""

    # Each picture's run is of the first registered kind that plays a role: a generator with
    # an encoder (samples, reconstructions and the latent pages), one without (a GAN's grids in
    # the runs table) and a classifier (the Classify page and the accuracy curves).
    encoder_hyperparameters: dict[str, Any] = field(
        default_factory=lambda: {"batch_size": 64, "width": 8, "hidden": 64, "latent_dim": 16}
    )
    encoder_epochs: int = 3
    generator_hyperparameters: dict[str, Any] = field(
        default_factory=lambda: {"batch_size": 64, "width": 8, "latent_dim": 32}
    )
    generator_epochs: int = 1
    classifier_hyperparameters: dict[str, Any] = field(
        default_factory=lambda: {"batch_size": 64, "width": 8, "learning_rate": 0.1}
    )
    classifier_epochs: int = 2
    sample_every: int = 20
    width: int = 1280
    height: int = 720  # a common laptop screen: everything must fit it
    timeout: float = 600.0  # seconds per step of the plan: a safety net, never a budget


# File name -> the part of the window it shows.
SHOTS: dict[str, Callable[[Any], QWidget]] = {
    "studio.png": lambda window: window,
    "train-panel.png": lambda window: window.train_dock,
    "loss-plot.png": lambda window: window.loss_plot,
    "samples.png": lambda window: window.samples_view,
    "runs.png": lambda window: window.runs_dock,
    "latent-space.png": lambda window: window.pages,
    "latent-map.png": lambda window: window.pages,
    "classify.png": lambda window: window.pages,
}
# Shots prepared just before taken: a page shown and its work done, or the classifier's curves.
PAGE_SHOTS = ("loss-plot.png", "latent-space.png", "latent-map.png", "classify.png")
# Digit files for the Classify page: test images as a person might have them on disk.
DIGIT_FILES = (  # file name, digit (None: an empty file), how it looks
    ("scan-3.png", 3, "plain"),
    ("paper-7.png", 7, "inverted"),
    ("photo-2.png", 2, "colour"),
    ("digit-5.png", 5, "plain"),
    ("sketch-8.png", 8, "inverted"),
    ("notes.png", None, "empty"),
)
TEST_ROWS_FROM = 450  # the bundled file's rows of a digit from here on are its test images


class ScreenshotError(RuntimeError):
    """Something a person can act on, said in one line."""


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Let Qt deliver events (worker reports, timers, repaints) until `condition` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise ScreenshotError(f"gave up after {timeout:.0f} s waiting for {what}")
        pause(POLL_MS)


def pause(ms: int) -> None:
    """Run the event loop for `ms`. Not QTest.qWait: PySide6 keeps the GIL through its sleeps,
    which starves the training thread; QEventLoop.exec releases it while waiting."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def render(
    out_dir: str | Path,
    plan: Plan | None = None,
    settings: QSettings | None = None,
) -> list[Path]:
    """Open the main window, train through its panel, and save the screenshots in `out_dir`.

    Needs a QApplication; runs go to the runs folder the settings (or IMAGE_STUDIO_RUNS) name.
    Returns the paths written, in the order of SHOTS.
    """
    from studio.main_window import MainWindow
    from studio.settings import StudioSettings

    plan = plan or Plan()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    window = MainWindow(StudioSettings(settings))
    # The window fits itself to the screen, and the offscreen screen is only 800x800:
    # the pictures are meant at the size of a laptop window.
    window.resize(plan.width, plan.height)
    window.resizeDocks([window.runs_dock], [200], Qt.Orientation.Vertical)
    window.show()
    failures: list[str] = []
    window.catalog_loader.failed.connect(failures.append)
    try:
        window.start_loading()
        wait_until(
            lambda: failures or (window.train_panel.catalog and not window.catalog_loader.busy),
            plan.timeout,
            "the engine to load",
        )
        if failures:
            raise ScreenshotError(f"the engine did not load: {failures[0]}")
        # A generator and a classifier first, so the runs panel lists several kinds and the
        # Classify page has a model; the encoding generator last stays on show, as it draws
        # both samples and reconstructions, and its latent space is the one explored.
        catalog = window.train_panel.catalog
        generator = kind_playing(catalog, LATENT_SPACE, without=ENCODER)
        _train(window, generator, plan.generator_hyperparameters, plan.generator_epochs, plan)
        classifier = kind_playing(catalog, CLASSIFIER)
        _train(window, classifier, plan.classifier_hyperparameters, plan.classifier_epochs, plan)
        encoder = kind_playing(catalog, ENCODER)
        _train(window, encoder, plan.encoder_hyperparameters, plan.encoder_epochs, plan)
        window.runs_panel.refresh()
        window.runs_panel.settle()
        window.loss_plot.redraw()
        pause(200)  # layouts and the plot settle; the grids rescale to their labels
        written = []
        with tempfile.TemporaryDirectory(prefix="image-studio-digits-") as digits:
            for name, part in SHOTS.items():
                if name in PAGE_SHOTS:
                    PREPARE[name](window, plan, Path(digits))
                    pause(200)
                path = out_dir / name
                if not part(window).grab().save(str(path), "PNG"):
                    raise ScreenshotError(f"could not write {path}")
                written.append(path)
        return written
    finally:
        _close(window)


def _classifier_curves(window, plan: Plan, _digits: Path) -> None:
    """The classifier run's curves: loss, accuracy in % and learning rate, each on its own
    plot (the window keeps the last run open for the other shots)."""
    from models.runs.folder import Run
    from studio.runs.runs_panel import steps_per_epoch

    run_dir = window.classify_panel.run_dir()
    if run_dir is None:
        raise ScreenshotError("no classifier run to show the loss plot of")
    run = Run.open(run_dir)
    records, _ = run.read_metrics()
    window.loss_plot.show_run(run.name, steps_per_epoch(run))
    window.loss_plot.add_records(run.name, records)
    window.loss_plot.redraw()


def _latent_space(window, plan: Plan, _digits: Path) -> None:
    """The encoding run just trained, on the Latent space page: an interpolation strip."""
    page = window.latent_explorer
    window.pages.setCurrentWidget(page)
    wait_until(lambda: page.info is not None, plan.timeout, "the latent space page to load")
    page.tabs.setCurrentWidget(page.interpolation)
    wait_until(lambda: page.gallery is not None, plan.timeout, "the test images")
    # From a test image of a 2 to one of a 7: a walk a person reads at a glance.
    labels = [int(label) for label in page.gallery["labels"]]
    page.interpolation.start.set_test_image(labels.index(2))
    page.interpolation.end.set_test_image(labels.index(7))
    wait_until(
        lambda: page.interpolation.frames is not None and not page.tasks.is_pending("strip:strip"),
        plan.timeout,
        "the interpolation strip",
    )


def _latent_map(window, plan: Plan, _digits: Path) -> None:
    """The test split on the map, with one point decoded."""
    page = window.latent_explorer
    page.tabs.setCurrentWidget(page.map)
    wait_until(lambda: page.analysis is not None, plan.timeout, "the latent map")
    points = page.analysis["points"]
    page.map.decode_at(float(points[:, 0].mean()), float(points[:, 1].min() / 2))
    # The pointer rests on the point farthest right, so "Under the pointer" shows an image.
    right = QPointF(*(float(v) for v in points[points[:, 0].argmax()]))
    page.map._hovered(page.map.scatter, page.map.scatter.pointsAt(right), None)
    wait_until(lambda: page.map.decoded.array is not None, plan.timeout, "the decoded point")


def _classify(window, plan: Plan, digits: Path) -> None:
    """A handful of digit files classified by the classifier run, one of them selected."""
    panel = window.classify_panel
    window.pages.setCurrentWidget(panel)
    if panel.run_dir() is None:
        raise ScreenshotError("the Classify page did not choose the classifier run")
    panel.classify_paths([str(p) for p in write_digit_files(digits)])
    wait_until(lambda: not panel._active, plan.timeout, "the files to be classified")
    panel.table.selectRow(1)
    wait_until(
        lambda: (
            panel.details.neighbour_images[0].pixmap() is not None
            and not panel.details.neighbour_images[0].pixmap().isNull()
        ),
        plan.timeout,
        "the nearest training images",
    )


PREPARE = {"loss-plot.png": _classifier_curves, "latent-space.png": _latent_space,
           "latent-map.png": _latent_map, "classify.png": _classify}  # fmt: skip


def write_digit_files(folder: Path) -> list[Path]:
    """Bundled test digits saved as PNG files: plain, dark on white paper, and in colour at an
    odd size, plus an empty file that cannot be read (its row says why)."""
    import numpy as np
    from PIL import Image

    from models.runs.paths import resources_dir

    with np.load(resources_dir() / "datasets" / "mnist-5k.npz") as data:
        images, labels = data["images"], data["labels"]
    paths = []
    for name, digit, style in DIGIT_FILES:
        path = folder / name
        paths.append(path)
        if digit is None:
            path.write_bytes(b"")
            continue
        # A test image: the classifier never trained on it.
        image = images[np.flatnonzero(labels == digit)[TEST_ROWS_FROM + 1]]
        if style == "inverted":
            picture = Image.fromarray(255 - image)
        elif style == "colour":  # a blue pen on cream paper, larger than the training images
            ink = image.astype(np.int32)  # uint8 arithmetic would wrap around
            rgb = np.stack([250 - ink * 200 // 255, 245 - ink * 170 // 255,
                            225 - ink * 60 // 255], -1)  # fmt: skip
            picture = Image.fromarray(rgb.astype(np.uint8)).resize((96, 80))
        else:
            picture = Image.fromarray(image)
        picture.save(path)
    return paths


def kind_playing(catalog, role: str, without: str | None = None) -> str:
    """The first registered kind that plays `role` (and not `without`), from the catalog."""
    for name, info in catalog.kinds.items():
        if info.has(role) and not (without and info.has(without)):
            return name
    raise ScreenshotError(f"no model kind plays the role {role!r}")


def _train(window, kind: str, hyperparameters: dict[str, Any], epochs: int, plan: Plan) -> None:
    """Fill the Train panel as a person would and press Train; back when the run has ended."""
    panel = window.train_panel
    panel.select_dataset("mnist-5k")
    panel.kind.setCurrentIndex(panel.kind.findData(kind))
    if panel.kind.currentData() != kind:
        raise ScreenshotError(f"the engine offers no model kind {kind!r}")
    panel.set_hyperparameters(hyperparameters)
    panel.epochs.setValue(epochs)
    panel.sample_every.setValue(plan.sample_every)
    QTest.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    if not window.session.busy:
        raise ScreenshotError(f"pressing Train did not start the {kind} run")
    wait_until(lambda: not window.session.busy, plan.timeout, f"the {kind} run to finish")
    if window.session.state != "completed":
        errors = [message for _, level, message in window.status.notices if level == "error"]
        detail = errors[-1] if errors else f"it ended {window.session.state}"
        raise ScreenshotError(f"the {kind} run did not complete: {detail}")


def _close(window) -> None:
    if window.session.busy:  # only after a failure; closing would ask whether to stop
        window.session.stop()
        window.session.wait(60)
    window.catalog_loader.wait()
    window.close()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m studio.screenshots",
        description="Train briefly in an offscreen studio window and save its screenshots.",
    )
    parser.add_argument("out_dir", nargs="?", default="docs", help="where the PNGs go")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    from studio.app import prepare

    app = QApplication.instance() or QApplication([sys.argv[0]])
    names = app.organizationName(), app.applicationName()
    saved_runs = os.environ.get("IMAGE_STUDIO_RUNS")
    try:
        with tempfile.TemporaryDirectory(prefix="image-studio-screenshots-") as scratch:
            scratch = Path(scratch)
            os.environ["IMAGE_STUDIO_RUNS"] = str(scratch / "runs")
            # A settings scope of its own: QSettings() anywhere in the studio lands here too.
            QSettings.setDefaultFormat(QSettings.Format.IniFormat)
            QSettings.setPath(
                QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(scratch / "settings")
            )
            app.setOrganizationName(ORGANIZATION)
            app.setApplicationName(APPLICATION)
            prepare(app)  # the palette-coloured plots of a real start
            settings = QSettings(str(scratch / SETTINGS_FILE), QSettings.Format.IniFormat)
            written = render(args.out_dir, settings=settings)
            settings.sync()
            del settings
    except Exception as exc:  # one line for the person, not a traceback
        message = str(exc) if isinstance(exc, ScreenshotError) else f"{type(exc).__name__}: {exc}"
        print(f"screenshots failed: {message}", file=sys.stderr)
        return 1
    finally:
        app.setOrganizationName(names[0])
        app.setApplicationName(names[1])
        if saved_runs is None:
            os.environ.pop("IMAGE_STUDIO_RUNS", None)
        else:
            os.environ["IMAGE_STUDIO_RUNS"] = saved_runs
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    code = main()
    # PySide6 can abort while the interpreter tears its wrappers down after a run like this
    # ("none_dealloc" during the final garbage collection); the work is done and flushed.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
