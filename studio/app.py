"""Opens the studio: the window first, the engine (torch) imported in the background after."""

from __future__ import annotations

import sys

ORGANIZATION = "image-studio"
APPLICATION = "Image Studio"


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
    # Python's GIL switch interval stays at its 5 ms default: 1 ms cost training ~15 % of its
    # speed with the window open, while event-loop delays stayed under 25 ms either way
    # once training leaves a core free (benchmarks/gui_responsiveness.py).
    configure_plots(app)


def configure_plots(app) -> None:
    """Light or dark as the system is (and stays): the palette and the plots' colours follow."""
    from studio.theme import follow_system_scheme

    follow_system_scheme(app)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
