"""`image-studio train` in several processes: the options, torchrun's elastic agent started
for the person (`--nproc N`), and how each process started by torchrun follows its trainer
(process 0 shows the progress bar; a stop asked of any process stops all of them)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path


def add_distributed_options(train: argparse.ArgumentParser) -> None:
    train.add_argument("--nproc", type=int, metavar="N", help="train in N processes on this "
                       "computer (starts torchrun's agent; see the README for several "
                       "computers)")  # fmt: skip
    train.add_argument("--per-process-batch", action="store_true", help="under torchrun, "
                       "each process takes a whole batch_size (default: batch_size is split "
                       "between the processes, so the result matches one process)")  # fmt: skip
    train.add_argument("--lr-scaling", choices=("none", "linear", "sqrt"), default="none",
                       help="with --per-process-batch, how the learning rate follows the "
                       "global batch (x N, x sqrt N or unchanged)")  # fmt: skip


def child_arguments(args: argparse.Namespace, runs_dir: Path) -> list[str]:
    """The `train` command each process runs: the same choices, without --nproc."""
    argv = ["--runs-dir", str(runs_dir), "train", "--kind", args.kind, "--dataset", args.dataset,
            "--device", args.device, "--seed", str(args.seed), "--sample-every",
            str(args.sample_every), "--quality-every", args.quality_every,
            "--lr-scaling", args.lr_scaling]  # fmt: skip
    if args.epochs is not None:
        argv += ["--epochs", str(args.epochs)]
    if args.per_process_batch:
        argv.append("--per-process-batch")
    for pair in args.set:
        argv += ["--set", pair]
    return argv


def launch(args: argparse.Namespace, runs_dir: Path) -> int:
    """Start `args.nproc` training processes on this computer through torchrun's elastic
    agent (PyTorch's own launcher), and wait for them."""
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    if args.nproc < 1:
        raise ValueError("--nproc must be at least 1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # as torchrun does: the cores are shared
    config = LaunchConfig(
        min_nodes=1, max_nodes=1, nproc_per_node=args.nproc, run_id=f"image-studio-{os.getpid()}",
        rdzv_backend="c10d", rdzv_endpoint="localhost:0", max_restarts=0, monitor_interval=0.1,
    )  # fmt: skip
    command = elastic_launch(config, sys.executable)
    try:
        command("-m", "studio", *child_arguments(args, runs_dir))
    except ChildFailedError as exc:
        rank, failure = exc.get_first_failure()
        print(f"image-studio: error: training process {rank} of {args.nproc} failed (exit "
              f"code {failure.exitcode}); the run's last checkpoint is kept",
              file=sys.stderr)  # fmt: skip
        return 1
    except SignalException:
        # Ctrl-C reached the processes too: they stopped after the same step, with a
        # checkpoint, before the agent returned.
        print("training stopped", file=sys.stderr)
        return 130
    return 0


def follow_distributed(trainer) -> int:
    """Drive one process's trainer under torchrun. Ctrl-C reaches every process (and torchrun
    passes it on once more), so each signal only asks for a stop: the processes agree on it
    at the next step and process 0 writes the checkpoint."""
    from studio.cli.progress import TrainingProgress

    world = trainer.world

    def request_stop(signum, frame):
        if not trainer.stopping and world.writes:
            print("\nstopping all processes after this step and writing a checkpoint",
                  file=sys.stderr)  # fmt: skip
        trainer.stop()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if world.writes:
            return TrainingProgress().show(trainer)
        return follow_quietly(trainer)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def follow_quietly(trainer) -> int:
    """A process other than 0: no progress bar (process 0 shows it); a failure is one line."""
    from models.training import reports

    outcome = "failed"
    rank, size = trainer.world.rank, trainer.world.size
    try:
        for report in trainer.run():
            if isinstance(report, reports.Notice) and report.level == "error":
                print(f"image-studio: process {rank} of {size}: {report.message}", file=sys.stderr)
            elif isinstance(report, reports.StateChanged):
                outcome = report.state
                if report.state == "paused":  # as process 0 does (a non-finite loss)
                    trainer.stop()
    except Exception as exc:
        from models.training.distributed import first_line

        print(f"image-studio: error: training process {rank} of {size} failed: "
              f"{first_line(exc)}", file=sys.stderr)  # fmt: skip
        return 1
    return 0 if outcome in ("completed", "stopped") else 1
