"""Export a run's model to a file another program runs (ONNX, optionally int8, or TorchScript),
as `image-studio export` does: the export and its check against PyTorch run on a thread of
their own, never the GUI thread, and their lines appear as they are said."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

# Format shown -> (format, file suffix). Kept here, not read from models/deploy: importing
# that would bring torch onto the GUI thread.
FORMATS = {"ONNX": ("onnx", ".onnx"), "TorchScript": ("torchscript", ".pt")}


class ExportJob(QObject):
    """One export on a plain thread; its lines and its end are delivered on the GUI thread."""

    said = Signal(str)
    finished = Signal(str, str)  # (summary, error): one of them is empty

    def __init__(self, run: str, fmt: str, output: str, quantize: str | None):
        super().__init__()
        self.arguments = (run, fmt, output, quantize)
        self.thread = threading.Thread(target=self._work, name="export-run", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _work(self) -> None:
        run, fmt, output, quantize = self.arguments
        try:
            from models.deploy.export import export_run

            result = export_run(run, fmt, output, quantize=quantize, say=self.said.emit)
        except ImportError as exc:  # the optional packages are not installed
            self.finished.emit("", f"exporting needs the {exc.name or 'onnx'} package, which is "
                               "not installed: pip install 'image-studio[serve]'")  # fmt: skip
            return
        except Exception as exc:  # every failure is one line in the dialog, never a crash
            self.finished.emit("", " ".join(str(exc).split()) or type(exc).__name__)
            return
        summary = f"{result.parity.line()}; wrote {result.output}"
        self.finished.emit(summary, "")


class ExportDialog(QDialog):
    def __init__(self, parent: QWidget | None, run_path: str):
        super().__init__(parent)
        self.run_path = str(run_path)
        self.job: ExportJob | None = None
        self.summary = ""
        self.error = ""
        name = Path(run_path).name
        self.setWindowTitle(f"Export {name}")
        self.format = QComboBox()
        self.format.addItems(list(FORMATS))
        self.format.setToolTip("ONNX runs in onnxruntime and many other programs; TorchScript "
                               "in PyTorch without the studio's code")  # fmt: skip
        self.int8 = QCheckBox("8-bit weights and activations (classifiers)")
        self.int8.setToolTip(
            "Smaller and often faster; calibrated on the run's training images, refused if it "
            "loses more than 0.5 points of accuracy"
        )
        self.output = QLineEdit(str(Path(run_path) / f"{name}.onnx"))
        choose = QPushButton("Choose...")
        choose.clicked.connect(self.choose_output)
        where = QHBoxLayout()
        where.addWidget(self.output, 1)
        where.addWidget(choose)
        form = QFormLayout()
        form.addRow("Format", self.format)
        form.addRow("", self.int8)
        form.addRow("File", where)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.log = QPlainTextEdit(readOnly=True)
        self.log.setPlaceholderText("What the export says appears here: the check against "
                                    "PyTorch, and for int8 the accuracy, size and speed "
                                    "before and after.")  # fmt: skip
        self.result = QLabel(wordWrap=True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton(
            "Export", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.export_button.clicked.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Run: {name}"))
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.log, 1)
        layout.addWidget(self.result)
        layout.addWidget(self.buttons)
        self.format.currentTextChanged.connect(self._format_changed)
        self.resize(560, 380)

    def _format_changed(self, text: str) -> None:
        fmt, suffix = FORMATS[text]
        self.int8.setEnabled(fmt == "onnx")
        if fmt != "onnx":
            self.int8.setChecked(False)
        self.output.setText(str(Path(self.output.text()).with_suffix(suffix)))

    def choose_output(self) -> None:
        suffix = FORMATS[self.format.currentText()][1]
        kinds = f"{self.format.currentText()} (*{suffix})"
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.output.text(), kinds)
        if path:
            self.output.setText(path)

    @property
    def busy(self) -> bool:
        return self.job is not None and self.job.thread.is_alive()

    def start(self) -> None:
        if self.busy:
            return
        fmt = FORMATS[self.format.currentText()][0]
        quantize = "int8" if self.int8.isChecked() and self.int8.isEnabled() else None
        self.summary = self.error = ""
        self.log.clear()
        self.result.clear()
        self.progress.setRange(0, 0)  # busy: the export cannot tell how far it is
        self.export_button.setEnabled(False)
        self.job = ExportJob(self.run_path, fmt, self.output.text().strip(), quantize)
        self.job.said.connect(self.log.appendPlainText)
        self.job.finished.connect(self._finished)
        self.job.start()

    def _finished(self, summary: str, error: str) -> None:
        self.summary, self.error = summary, error
        self.progress.setRange(0, 1)
        self.progress.setValue(1 if summary else 0)
        self.export_button.setEnabled(True)
        self.result.setText(f"Done: {summary}" if summary else f"Not exported: {error}")

    def wait(self, timeout: float = 60.0) -> None:
        """Let a running export end (tests, and the window closing)."""
        if self.job is not None:
            self.job.thread.join(timeout)
