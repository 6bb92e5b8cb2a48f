"""Opens the studio: the window first, the engine (torch) imported in the background after."""

from __future__ import annotations

import sys

ORGANIZATION = "image-studio"
APPLICATION = "Image Studio"
GIL_SWITCH_SECONDS = 0.001


def main(argv: list[str] | None = None) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0], *(argv or [])])
    # QSettings() without arguments finds its file from these two names.
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    prepare(app)

    from studio.main_window import MainWindow

    window = MainWindow()
    window.show()
    # After the first paint: importing torch takes seconds and should not keep the window away.
    QTimer.singleShot(0, window.start_loading)
    return app.exec()


def prepare(app) -> None:
    """Process-wide settings of the studio (the benchmark calls this too, to measure the same)."""
    # Training runs Python between torch ops on the worker thread; the GUI thread waits up to
    # the GIL switch interval (5 ms by default) each time it needs Python, and a repaint needs
    # it many times. A shorter interval keeps repaints from queueing behind training.
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    configure_plots(app)


def configure_plots(app) -> None:
    """Plots take their colours from the palette, so dark and light system themes both work."""
    import pyqtgraph as pg

    palette = app.palette()
    pg.setConfigOptions(
        antialias=True,
        background=palette.base().color(),
        foreground=palette.text().color(),
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
