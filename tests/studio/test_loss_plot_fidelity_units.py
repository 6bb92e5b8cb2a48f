"""An upscaler's fidelity figures on plots of their own, decided by the metric's name: PSNR and
its gain over bicubic in decibels, SSIM on a 0..1 axis, neither sharing FID's axis."""

from __future__ import annotations

from studio.training.loss_plot import LossPlot
from studio.training.metric_style import DECIBELS, LOSS, QUALITY, SSIM, unit_of

TRAIN = [{"step": s, "time": s / 10, "loss": 1.0 / s, "train_psnr": 20.0 + s / 10}
         for s in range(1, 41)]  # fmt: skip
TEST = [{"step": s, "time": s / 10, "split": "test", "test_psnr": 24.0 + s / 20,
         "test_psnr_bicubic": 23.0, "test_psnr_gain_db": 1.0 + s / 20, "test_ssim": 0.8,
         "test_ssim_bicubic": 0.7, "test_fid": 30.0 - s / 4} for s in (20, 40)]  # fmt: skip
# A quality monitor's measurement, as metrics.jsonl holds it.
FIGURES = {"fid": 12.0, "precision": 0.5, "recall": 0.4, "class_shares": [0.1] * 10,
           "samples": 1000, "seconds": 0.5}  # fmt: skip
MEASURED = [{"step": 40, "epoch": 0, "time": 4.0, "quality": FIGURES}]


def shown(qtbot) -> LossPlot:
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(600, 800)
    plot.show()
    plot.show_run("upscaler", steps_per_epoch=20)
    plot.add_records("upscaler", TRAIN + TEST + MEASURED)
    plot.redraw()
    return plot


def test_psnr_and_ssim_have_axes_of_their_own_apart_from_fid(qtbot):
    plot = shown(qtbot)
    items, panes = plot.series["upscaler"].items, plot.panes
    decibels, ssim, quality = (panes[u.key] for u in (DECIBELS, SSIM, QUALITY))
    for key in (("train", "train_psnr"), ("test", "test_psnr"), ("test", "test_psnr_bicubic"),
                ("test", "test_psnr_gain_db")):  # fmt: skip
        assert items[key].getViewBox() is decibels.plot.getViewBox(), key
    for key in (("test", "test_ssim"), ("test", "test_ssim_bicubic")):
        assert items[key].getViewBox() is ssim.plot.getViewBox(), key
    assert items[("test", "test_fid")].getViewBox() is quality.plot.getViewBox()
    assert items[("quality", "fid")].getViewBox() is quality.plot.getViewBox()
    assert len({decibels.plot, ssim.plot, quality.plot, panes[LOSS.key].plot}) == 4
    for pane in (decibels, ssim, quality):
        assert pane.widget.isVisibleTo(plot)
    # Each axis says what its numbers are; FID's says FID, not a shared "quality".
    assert decibels.plot.getAxis("left").labelText == "dB (higher is better)"
    assert ssim.plot.getAxis("left").labelText.startswith("SSIM")
    assert quality.plot.getAxis("left").labelText == "FID"
    # SSIM is drawn as it is reported, on a scale from 0 to 1.
    assert list(items[("test", "test_ssim")].yData) == [0.8, 0.8]
    low, high = ssim.plot.getViewBox().state["limits"]["yLimits"]
    assert -0.05 < low <= 0.0 and 1.0 <= high < 1.05
    # The gain over bicubic may be negative: its axis is never a logarithmic one.
    assert not DECIBELS.log_scale


def test_fidelity_units_come_from_the_name_not_the_kind():
    assert unit_of("psnr") is DECIBELS and unit_of("test_psnr_gain_db") is DECIBELS
    assert unit_of("train_psnr") is DECIBELS and unit_of("psnr_bicubic") is DECIBELS
    assert unit_of("ssim") is SSIM and unit_of("test_ssim_bicubic") is SSIM
    assert unit_of("fid") is QUALITY and unit_of("test_kid") is QUALITY
