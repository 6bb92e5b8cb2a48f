"""A terminal progress bar for a Trainer: steps, images/s, ETA, the latest losses, and one line
per quality measurement."""

from __future__ import annotations

import sys

from tqdm import tqdm


def short(values: dict[str, float]) -> str:
    return " ".join(f"{k}={v:.4g}" for k, v in values.items())


def quality_line(report) -> str:
    """A reports.Quality as one line of name=value pairs, like `image-studio quality` ends."""
    return (f"quality at step {report.step} (epoch {report.epoch}): {short(report.figures)} "
            f"samples={report.samples} seconds={report.seconds:.2f}")  # fmt: skip


class TrainingProgress:
    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.bar: tqdm | None = None
        self.loading: tqdm | None = None

    def write(self, text: str) -> None:
        (self.bar or tqdm).write(text, file=self.stream)

    def show(self, trainer) -> int:
        """Consume the trainer's reports; returns the process exit code."""
        from models.training import reports

        outcome = "failed"
        try:
            for report in trainer.run():
                if isinstance(report, reports.Loading):
                    self.on_loading(report)
                elif isinstance(report, reports.Started):
                    self.on_started(report)
                elif isinstance(report, reports.Losses):
                    self.on_losses(report)
                elif isinstance(report, reports.Evaluation):
                    self.write(
                        f"epoch {report.epoch} (step {report.step}): {short(report.metrics)}"
                    )
                elif isinstance(report, reports.Quality):
                    self.write(quality_line(report))  # its warnings follow as Notices
                elif isinstance(report, reports.Notice):
                    self.write(f"{report.level}: {report.message}")
                elif isinstance(report, reports.StateChanged):
                    outcome = report.state
                    if report.state == "paused":
                        # Only a non-finite loss pauses a headless run: nobody is there to
                        # press Resume, so stop cleanly and keep the last good checkpoint.
                        trainer.stop()
        finally:
            for bar in (self.loading, self.bar):
                if bar is not None:
                    bar.close()
        if trainer.run_folder is not None:
            print(f"run {outcome}: {trainer.run_folder.path}", file=self.stream)
        return 0 if outcome in ("completed", "stopped") else 1

    def on_loading(self, report) -> None:
        if report.total <= 0:
            print(report.what, file=self.stream)
            return
        if self.loading is None:
            self.loading = tqdm(total=report.total, desc=report.what, unit="file", file=self.stream)
        self.loading.n = report.done
        self.loading.refresh()

    def on_started(self, report) -> None:
        if self.loading is not None:
            self.loading.close()
            self.loading = None
        print(f"training {report.config['kind']} on {report.config['dataset']['name']} "
              f"({report.device}); run folder: {report.run_dir}", file=self.stream)  # fmt: skip
        self.bar = tqdm(total=report.total_steps, initial=report.start_step, unit="step",
                        file=self.stream, dynamic_ncols=True)  # fmt: skip

    def on_losses(self, report) -> None:
        if self.bar is None:
            return
        self.bar.update(report.step - self.bar.n)
        latest = {k: v[-1] for k, v in report.values.items() if k != "lr"}
        self.bar.set_postfix_str(f"{report.images_per_second:.0f} img/s {short(latest)}")
