"""Light or dark, as the system is: the palette, the plots and the few coloured texts follow
the system's colour scheme (Qt 6.5+ QStyleHints.colorScheme), also when it changes while the
studio is open."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette

# Message colours readable on each background (about 4.5:1 contrast or better).
NOTICE_COLOURS = {
    False: {"warning": "#8a5a00", "error": "#b00020"},
    True: {"warning": "#f0c050", "error": "#ff7b7b"},
}


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def notice_colour(level: str, palette: QPalette | None = None) -> str:
    """The colour of a warning or error text on this palette (the application's unless given;
    "" for plain information)."""
    palette = palette if palette is not None else QGuiApplication.palette()
    return NOTICE_COLOURS[is_dark(palette)].get(level, "")


def dark_palette() -> QPalette:
    """Fusion's palette in dark colours, for platforms whose theme does not supply one."""
    palette = QPalette()
    role = QPalette.ColorRole
    colours = {
        role.Window: "#2b2b2b", role.WindowText: "#e6e6e6", role.Base: "#1f1f1f",
        role.AlternateBase: "#2a2a2a", role.ToolTipBase: "#2b2b2b", role.ToolTipText: "#e6e6e6",
        role.PlaceholderText: "#8c8c8c", role.Text: "#e6e6e6", role.Button: "#353535",
        role.ButtonText: "#e6e6e6", role.BrightText: "#ff5555", role.Link: "#6cb4ff",
        role.Highlight: "#3d7edb", role.HighlightedText: "#ffffff", role.Light: "#4a4a4a",
        role.Midlight: "#3c3c3c", role.Mid: "#303030", role.Dark: "#191919",
        role.Shadow: "#000000",
    }  # fmt: skip
    for which, colour in colours.items():
        palette.setColor(which, QColor(colour))
    disabled = QPalette.ColorGroup.Disabled
    for which in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(disabled, which, QColor("#7a7a7a"))
    return palette


class SchemeFollower:
    """Applies the system's scheme now and whenever it changes."""

    def __init__(self, app):
        self.app = app
        self.own_palette = False  # True while the dark palette is ours, not the platform's
        app.styleHints().colorSchemeChanged.connect(self.apply)
        self.apply(app.styleHints().colorScheme())

    def apply(self, scheme: Qt.ColorScheme) -> None:
        app = self.app
        if scheme == Qt.ColorScheme.Dark and not is_dark(app.palette()):
            # The platform theme said "dark" but left the palette light (Fusion on many Linux
            # desktops): supply the dark palette ourselves.
            app.setStyle("Fusion")
            app.setPalette(dark_palette())
            self.own_palette = True
        elif scheme != Qt.ColorScheme.Dark and self.own_palette:
            app.setPalette(app.style().standardPalette())
            self.own_palette = False
        restyle_plots(app)


def follow_system_scheme(app) -> SchemeFollower:
    follower = SchemeFollower(app)
    # Kept on the application so it lives as long as the connection does.
    app._image_studio_scheme = follower
    return follower


def restyle_plots(app=None, root=None) -> None:
    """Plots take their background and axis colours from the palette. Axes a plot coloured on
    purpose (a metric's own axis) keep their colour: only the default-coloured ones change."""
    import pyqtgraph as pg

    app = app or QGuiApplication.instance()
    palette = app.palette()
    old = pg.getConfigOption("foreground")
    old_colour = pg.mkColor(old).name() if old is not None else None
    background, foreground = palette.base().color(), palette.text().color()
    pg.setConfigOptions(antialias=True, background=background, foreground=foreground)
    widgets = root.findChildren(pg.GraphicsView) if root is not None else app.allWidgets()
    for view in widgets:
        if not isinstance(view, pg.GraphicsView):
            continue
        if view.backgroundBrush().style() != Qt.BrushStyle.NoBrush:
            view.setBackground(background)  # a transparent one shows the palette already
        for item in view.scene().items():
            if isinstance(item, pg.AxisItem) and item.pen().color().name() in (
                old_colour,
                foreground.name(),
                pg.mkColor(foreground).name(),
            ):
                item.setPen(foreground)
                item.setTextPen(foreground)
