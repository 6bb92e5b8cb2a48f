"""The denoising view: one sample, step by step. A slider runs over its sampling steps and
shows the noisy sample x_t the network was given beside the clean image it predicted from
it; Play walks the steps; the steps export as a GIF or a PNG strip.

The trajectory is computed in the latent page's worker (progress and Cancel on the page);
this widget only shows the uint8 frames it gets back.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from studio.denoise import jobs as denoise_jobs
from studio.denoise.sample_settings import SampleSettings
from studio.latent.tool import DecodedImage, ExplorerTool

FRAME_MS = 150  # a step every 150 ms: 50 steps play in under 8 s


def offered_for(info: dict[str, Any] | None) -> bool:
    """The denoising tools are for kinds whose decode is a many-pass sampling run."""
    return info is not None and info.get("decode_passes") == "many"


class DenoiseTool(ExplorerTool):
    key = "denoise"

    def __init__(self, host, parent: QWidget | None = None):
        super().__init__(host, parent)
        self.trajectory = None  # the DenoisingTrajectory shown
        self.frames: list = []  # side-by-side frames, for exports
        self.settings = SampleSettings()
        self.noisy = DecodedImage("Open a run whose decode takes many steps")
        self.noisy.setToolTip("x_t: the noisy sample the network is shown at this step")
        self.clean = DecodedImage("")
        self.clean.setToolTip("The clean image the network predicts from x_t at this step")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("The sampling step shown; the last position is the finished image")
        self.slider.setEnabled(False)
        self.play_button = QPushButton("Play")
        self.play_button.setToolTip("Walk through the steps from pure noise to the image")
        self.step_text = QLabel()
        self.save_gif = QPushButton("Save GIF...")
        self.save_gif.setToolTip("Every step as a frame of an animated GIF (noisy | predicted)")
        self.save_png = QPushButton("Save strip PNG...")
        self.save_png.setToolTip("Every step side by side in one row (noisy | predicted)")
        self.timer = QTimer(self)
        self.timer.setInterval(FRAME_MS)

        side = QVBoxLayout()
        side.addWidget(self.settings)
        side.addWidget(self.save_gif)
        side.addWidget(self.save_png)
        side.addStretch(1)
        holder = QWidget()
        holder.setLayout(side)
        holder.setMaximumWidth(300)
        pictures = QGridLayout()
        pictures.addWidget(QLabel("<b>Noisy sample x<sub>t</sub></b>"), 0, 0,
                           Qt.AlignmentFlag.AlignHCenter)  # fmt: skip
        pictures.addWidget(QLabel("<b>Predicted clean image</b>"), 0, 1,
                           Qt.AlignmentFlag.AlignHCenter)  # fmt: skip
        pictures.addWidget(self.noisy, 1, 0)
        pictures.addWidget(self.clean, 1, 1)
        pictures.setRowStretch(1, 1)
        player = QHBoxLayout()
        player.addWidget(self.play_button)
        player.addWidget(self.slider, 1)
        player.addWidget(self.step_text)
        right = QVBoxLayout()
        right.addLayout(pictures, 1)
        right.addLayout(player)
        layout = QHBoxLayout(self)
        layout.addWidget(holder)
        layout.addLayout(right, 1)

        self.settings.changed.connect(self.request)
        self.slider.valueChanged.connect(self.show_step)
        self.play_button.clicked.connect(self.toggle_play)
        self.timer.timeout.connect(self._tick)
        self.save_gif.clicked.connect(lambda: self.ask_export(".gif"))
        self.save_png.clicked.connect(lambda: self.ask_export(".png"))
        self.clean.drawn.connect(self.report_redraw)
        self._enable()

    # --- what the page tells it ----------------------------------------------------------
    def offered(self, info: dict[str, Any] | None) -> bool:
        return offered_for(info)

    def set_model(self, info: dict[str, Any] | None) -> None:
        self.pause()
        self.trajectory, self.frames = None, []
        self.noisy.show_array(None)
        self.clean.show_array(None)
        self.step_text.clear()
        self.settings.set_model(info)
        self._enable()
        super().set_model(info)

    def request(self) -> None:
        if self.info is None or self.deferred():
            return
        self.mark_change()
        self.step_text.setText("Denoising...")
        self.run_job("trajectory", denoise_jobs.trajectory, self.settings.spec())

    def on_result(self, name: str, value: Any) -> None:
        if name == "trajectory":
            self.show_trajectory(value)
        else:
            super().on_result(name, value)

    def on_failed(self, name: str, message: str) -> None:
        if name == "trajectory":
            self.step_text.clear()
        super().on_failed(name, message)

    def on_cancelled(self, name: str) -> None:
        if name == "trajectory":
            self.step_text.setText("Stopped" if self.trajectory is None else self._step_label())

    # --- showing the steps -----------------------------------------------------------------
    def show_trajectory(self, steps: denoise_jobs.Steps) -> None:
        self.pause()
        trajectory = self.trajectory = steps.trajectory
        self.frames = list(steps.frames)
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(trajectory.timesteps))  # every step, then the finished image
        self.slider.setValue(len(trajectory.timesteps))
        self.slider.blockSignals(False)
        self._enable()
        self.show_step(self.slider.value())

    def show_step(self, index: int) -> None:
        if self.trajectory is None:
            return
        steps = len(self.trajectory.timesteps)
        if index >= steps:
            noisy = clean = self.trajectory.final[0]
        else:
            noisy, clean = self.trajectory.noisy[index][0], self.trajectory.predicted[index][0]
        self.noisy.show_array(noisy)
        self.clean.show_array(clean)
        self.step_text.setText(self._step_label())

    def _step_label(self) -> str:
        if self.trajectory is None:
            return ""
        index, steps = self.slider.value(), len(self.trajectory.timesteps)
        if index >= steps:
            return f"Finished ({steps} steps)"
        return f"Step {index + 1} of {steps}  (t = {self.trajectory.timesteps[index]})"

    # --- playing ---------------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return self.timer.isActive()

    def toggle_play(self) -> None:
        if self.playing:
            self.pause()
        elif self.trajectory is not None:
            if self.slider.value() >= self.slider.maximum():
                self.slider.setValue(0)  # from pure noise again
            self.timer.start()
            self.play_button.setText("Pause")

    def pause(self) -> None:
        self.timer.stop()
        self.play_button.setText("Play")

    def _tick(self) -> None:
        if self.slider.value() >= self.slider.maximum():
            self.pause()
        else:
            self.slider.setValue(self.slider.value() + 1)

    # --- exports ---------------------------------------------------------------------------
    def _enable(self) -> None:
        ready = self.trajectory is not None
        for widget in (self.slider, self.play_button, self.save_gif, self.save_png):
            widget.setEnabled(ready)

    def ask_export(self, suffix: str) -> None:
        kind = "Animated GIF (*.gif)" if suffix == ".gif" else "PNG strip (*.png)"
        path = self.ask_save_path("Save the denoising steps", f"denoising{suffix}", kind)
        if path:
            self.export(path)

    def export(self, path: str) -> None:
        """Written by the worker: a GIF or a PNG strip, by the file's suffix."""
        if not path.lower().endswith((".png", ".gif")):
            path += ".png"
        self.run_job("export", denoise_jobs.export_trajectory, path, list(self.frames))
