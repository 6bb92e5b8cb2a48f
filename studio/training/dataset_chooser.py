"""The Train panel's dataset chooser: the bundled and downloadable datasets, a folder of
images (sub-folders are classes) and a NumPy archive, each added as an entry once chosen."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFileDialog

FOLDER_ITEM = "__folder__"
ARCHIVE_ITEM = "__npz__"


def dropped_folder(event) -> str | None:
    """The first local folder among a drag's URLs, if any."""
    for url in event.mimeData().urls():
        if url.isLocalFile() and Path(url.toLocalFile()).is_dir():
            return url.toLocalFile()
    return None


class DatasetChooser(QComboBox):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._last_index = 0  # what to go back to when a folder or file dialog is cancelled
        self.currentIndexChanged.connect(self._chosen)

    def set_datasets(self, datasets) -> None:
        """`datasets`: the catalog's DatasetInfo entries."""
        self.blockSignals(True)
        for info in datasets:
            self.addItem(info.title, info.name)
            self.setItemData(self.count() - 1, info.description, Qt.ToolTipRole)
        self.addItem("Folder of images...", FOLDER_ITEM)
        self.addItem("NumPy archive (.npz)...", ARCHIVE_ITEM)
        self.setItemData(
            self.count() - 1,
            "One .npz file with x_train, y_train, x_test, y_test (uint8 images, integer "
            "labels) and optionally classes, as Keras saves its datasets",
            Qt.ToolTipRole,
        )
        self.blockSignals(False)

    def select(self, name: str) -> None:
        if name.startswith("folder:"):
            self.add_folder(name.removeprefix("folder:"))
        elif name.startswith("npz:"):
            self.add_archive(name.removeprefix("npz:"))
        else:
            index = self.findData(name)
            if index >= 0:
                self.setCurrentIndex(index)
        self._last_index = self.currentIndex()

    def add_folder(self, folder: str | Path) -> None:
        self._add(f"folder:{folder}", f"Folder: {Path(folder).name}", str(folder))

    def add_archive(self, path: str | Path) -> None:
        self._add(f"npz:{path}", f"Archive: {Path(path).name}", str(path))

    def _add(self, name: str, title: str, tip: str) -> None:
        index = self.findData(name)
        if index < 0:
            index = max(self.findData(FOLDER_ITEM), 0)
            self.insertItem(index, title, name)
            self.setItemData(index, tip, Qt.ToolTipRole)
        self.setCurrentIndex(index)

    def _chosen(self, index: int) -> None:
        if self.itemData(index) == ARCHIVE_ITEM:
            path, _ = QFileDialog.getOpenFileName(
                self, "NumPy archive (x_train, y_train, x_test, y_test)", "",
                "NumPy archives (*.npz)",
            )  # fmt: skip
            if path:
                self.add_archive(path)
            else:
                self.setCurrentIndex(self._last_index)
            return
        if self.itemData(index) != FOLDER_ITEM:
            self._last_index = index
            return
        folder = QFileDialog.getExistingDirectory(self, "Folder of images (sub-folders = classes)")
        if folder:
            self.add_folder(folder)
        else:
            self.setCurrentIndex(self._last_index)
