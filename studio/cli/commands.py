"""What each command-line sub-command does. Heavy imports happen here, after parsing, so
`image-studio --help` answers at once."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path


def is_user_error(exc: BaseException) -> bool:
    """Errors that mean bad input, not a bug: shown as one line, never a traceback."""
    from models.data.datasets import DatasetError
    from models.data.images import ImageLoadError
    from models.kinds.base import CapabilityError
    from models.kinds.hyperparameters import ConfigError
    from models.kinds.registry import UnknownKind
    from models.runs.folder import RunError

    expected = (CapabilityError, DatasetError, ConfigError, ImageLoadError, UnknownKind,
                RunError, ValueError, OSError)  # fmt: skip
    return isinstance(exc, expected)


def runs_dir(args: argparse.Namespace) -> Path:
    from models.runs.paths import default_runs_dir

    return getattr(args, "runs_dir", None) or default_runs_dir()


def find_run(args: argparse.Namespace):
    """A run folder given as a path, as a name in the runs folder, or as `latest`."""
    from models.runs.folder import Run, RunError, list_runs

    text = args.run
    if text == "latest":
        found = list_runs(runs_dir(args))
        if not found:
            raise RunError(f"no runs in {runs_dir(args)}")
        return Run.open(found[0].path)
    candidate = Path(text).expanduser()
    if candidate.is_dir():
        return Run.open(candidate)
    named = runs_dir(args) / text
    if named.is_dir():
        return Run.open(named)
    raise RunError(f"no run {text!r} (not a folder, and not a run in {runs_dir(args)})")


def parse_settings(kind: str, pairs: list[str]) -> dict:
    from models.kinds.hyperparameters import ConfigError, describe, parse_value
    from models.kinds.registry import config_class

    fields = {info.name: info for info in describe(config_class(kind))}
    values = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep:
            raise ConfigError(f"--set needs FIELD=VALUE, not {pair!r}")
        name = name.strip().replace("-", "_")
        if name not in fields:
            raise ConfigError(f"a {kind} has no setting {name!r}; it has: {', '.join(fields)}")
        values[name] = parse_value(fields[name], text.strip())
    return values


def command_train(args: argparse.Namespace) -> int:
    from models.analysis.quality.schedule import parse_interval
    from models.kinds.registry import model_class
    from models.training.trainer import Trainer, TrainRequest

    cls = model_class(args.kind)
    if args.epochs is not None and args.epochs < 1:
        raise ValueError("--epochs must be at least 1")
    request = TrainRequest(
        kind=args.kind,
        dataset=args.dataset,
        hyperparameters=parse_settings(args.kind, args.set),
        epochs=args.epochs or cls.default_epochs,
        seed=args.seed,
        device=args.device,
        runs_dir=runs_dir(args),
        sample_every=args.sample_every,
        quality_every=args.quality_every,
        per_process_batch=args.per_process_batch,
        lr_scaling=args.lr_scaling,
    )
    parse_interval(args.quality_every)  # a mistyped interval fails before the data loads
    if args.nproc is not None:  # torchrun's agent starts the processes, each trains its share
        from studio.cli.distributed import launch

        return launch(args, runs_dir(args))
    return follow(Trainer(request))


def command_resume(args: argparse.Namespace) -> int:
    """Go on from the run's last checkpoint (or from step 0 if it was stopped before its
    first); refused while another process trains the run."""
    from models.training.trainer import Trainer

    if args.epochs is not None and args.epochs < 1:
        raise ValueError(f"--epochs must be at least 1, not {args.epochs}")
    run = find_run(args)
    return follow(Trainer(resume=run.path, epochs=args.epochs))


def follow(trainer) -> int:
    """Drive a Trainer with a progress bar; the first Ctrl-C stops it with a checkpoint."""
    from studio.cli.progress import TrainingProgress

    if trainer.world.distributed:  # started by torchrun: one of several processes
        from studio.cli.distributed import follow_distributed

        return follow_distributed(trainer)

    def request_stop(signum, frame):
        if trainer.stopping:
            raise KeyboardInterrupt
        print("\nstopping after this step and writing a checkpoint (Ctrl-C again to abort)",
              file=sys.stderr)  # fmt: skip
        trainer.stop()

    previous = signal.signal(signal.SIGINT, request_stop)
    try:
        return TrainingProgress().show(trainer)
    finally:
        signal.signal(signal.SIGINT, previous)


def load_capable(args: argparse.Namespace, role: str, run=None):
    """The run's model, or the one-line refusal (models/runs/open_model.py) when its kind
    cannot play `role`, said before any weights are read."""
    from models.runs.open_model import open_model

    return open_model(run or find_run(args), role)


def class_index(model, label: str) -> int:
    if not model.conditional:
        raise ValueError(f"this {model.title} was trained without classes, so none can be chosen")
    if label not in model.class_names:
        raise ValueError(f"no class {label!r}; the run knows {', '.join(model.class_names)}")
    return model.class_names.index(label)


def command_sample(args: argparse.Namespace) -> int:
    import torch

    from models.inference.export import save_images
    from models.kinds.description import LATENT_SPACE
    from studio.cli.sampling import draw, sampling_options, stopped_message

    model = load_capable(args, LATENT_SPACE)
    if not 1 <= args.n <= 10_000:
        raise ValueError("-n must be between 1 and 10000")
    label = None if args.label is None else class_index(model, args.label)
    options = sampling_options(model, args, Path(args.run).name)
    images = draw(model, args.n, torch.Generator().manual_seed(args.seed), label, options)
    if images is None:
        print(stopped_message(args.output), file=sys.stderr)
        return 130
    save_images(args.output, images)
    print(f"wrote {args.n} samples to {args.output}")
    return 0


def command_interpolate(args: argparse.Namespace) -> int:
    import torch

    from models.analysis.latent_map import seed_latent
    from models.analysis.latent_paths import path
    from models.inference.export import save_strip
    from models.kinds.description import LATENT_SPACE

    model = load_capable(args, LATENT_SPACE)
    if not 2 <= args.steps <= 256:
        raise ValueError("--steps must be between 2 and 256")
    ends = torch.stack([seed_latent(model, s) for s in args.seeds])
    labels = None
    if args.labels:
        pair = torch.tensor([class_index(model, n) for n in args.labels])
        if model.latent_classes(ends) is None:
            # The class is not part of the latent (image-shaped noise): blend it along the path.
            one_hot = torch.nn.functional.one_hot(pair, len(model.class_names)).float()
            labels = path(one_hot[0], one_hot[1], args.steps, "lerp")
        else:
            ends = model.relabel(ends, pair)
    images = model.decode(path(ends[0], ends[1], args.steps, args.path), labels).cpu()
    save_strip(args.output, images)
    print(f"wrote a {args.steps}-step {args.path} strip to {args.output}")
    return 0


def command_denoise(args: argparse.Namespace) -> int:
    from studio.cli.sampling import command_denoise as write_denoising

    return write_denoising(args)


def command_classify(args: argparse.Namespace) -> int:
    import csv

    from models.inference.classify import classify_files, expand_paths, write_csv
    from models.inference.file_results import display_path
    from models.kinds.description import CLASSIFIER

    run = find_run(args)
    model = load_capable(args, CLASSIFIER, run)
    paths = expand_paths(args.paths)
    background = run.config["dataset"].get("background")
    results = []
    to_stdout = args.csv == "-"  # the CSV is the output: no readable lines mixed into it
    for result in classify_files(model, paths, top_k=args.top_k, background=background):
        results.append(result)
        if to_stdout:
            continue
        if result.reason:
            print(f"{display_path(result.path)}\tcannot classify: {result.reason}")
        else:
            guesses = "  ".join(
                f"{label} {p:.1%}"
                for label, p in zip(result.labels, result.probabilities, strict=True)
            )
            note = "  (inverted)" if result.inverted else ""
            print(f"{display_path(result.path)}\t{guesses}{note}")
    failed = sum(1 for r in results if r.reason)
    print(f"{len(results) - failed} classified, {failed} could not be read", file=sys.stderr)
    if to_stdout:
        from models.inference.file_results import csv_header, csv_row

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(csv_header(args.top_k))
        writer.writerows(csv_row(result, args.top_k) for result in results)
    elif args.csv:
        write_csv(results, Path(args.csv), args.top_k)
        print(f"wrote {args.csv}", file=sys.stderr)
    if getattr(args, "explain", None) is not None:
        from models.inference.explain import method, write_explanations

        written = write_explanations(model, results, args.explain)
        print(f"wrote {len(written)} {method(model)} overlays to {args.explain}", file=sys.stderr)
    return 0 if results and failed < len(results) else 1


def command_reconstruct(args: argparse.Namespace) -> int:
    """Each readable file through the encoder and back, written in input order to an .npz;
    a file that cannot be read gets a line saying why and is left out of it."""
    import numpy as np

    from models.inference.classify import expand_paths
    from models.kinds.description import ENCODER
    from models.runs.atomic import atomic_file
    from studio.cli.sampling import reconstruct_all, reconstruct_options, stopped_message

    if args.output.suffix.lower() != ".npz":
        raise ValueError(f"{args.output.name}: choose a file ending in .npz")
    run = find_run(args)
    model = load_capable(args, ENCODER, run)
    options = reconstruct_options(model, args, run.name)
    results = reconstruct_all(model, expand_paths(args.paths), options)
    if results is None:
        print(stopped_message(args.output), file=sys.stderr)
        return 130
    kept, paths, failed = [], [], 0
    for result in results:
        if result.pixels is None:
            failed += 1
            print(f"{result.path}\tcannot reconstruct: {result.reason}")
        else:
            kept.append(result.pixels)
            paths.append(result.path)
    print(f"{len(kept)} reconstructed, {failed} could not be read", file=sys.stderr)
    if not kept:
        return 1
    images = np.stack(kept)
    images = images[..., 0] if images.shape[-1] == 1 else images
    with atomic_file(args.output) as handle:
        np.savez_compressed(handle, images=images, paths=np.array(paths, dtype=str))
    print(f"wrote {len(kept)} reconstructions to {args.output}", file=sys.stderr)
    return 0


def command_apply(args: argparse.Namespace) -> int:
    from studio.cli.apply import command_apply as apply_run

    return apply_run(args)


def command_stylize(args: argparse.Namespace) -> int:
    from studio.cli.stylize import command_stylize as stylize

    return stylize(args)


def command_export(args: argparse.Namespace) -> int:
    from studio.cli.export import command_export as export

    return export(args)


def command_serve(args: argparse.Namespace) -> int:
    from studio.cli.serve import command_serve as serve

    return serve(args)


def command_quality(args: argparse.Namespace) -> int:
    from studio.cli.quality import command_quality as measure_quality

    return measure_quality(args)


def command_runs(args: argparse.Namespace) -> int:
    from models.inference.file_results import display_path
    from models.runs.folder import list_runs

    found = list_runs(runs_dir(args), include_damaged=True)
    if not found:
        print(f"no runs yet in {runs_dir(args)}; start one with: image-studio train")
        return 0
    print(f"{'run':44} {'kind':6} {'dataset':14} {'state':10} {'step':>13}  best")
    for s in found:
        name = display_path(s.name)
        if s.damage:
            print(f"{name:44} damaged: {display_path(s.damage)}")
            continue
        best = f"{s.best_name} {s.best_value:.4g}" if s.best_value is not None else "-"
        steps = f"{s.step}/{s.total_steps}" if s.total_steps else str(s.step)
        dataset = display_path(s.dataset)[:14]
        print(f"{name:44} {s.kind:6} {dataset:14} {s.state:10} {steps:>13}  {best}")
    damaged = sum(1 for s in found if s.damage)
    note = f" ({damaged} damaged)" if damaged else ""
    print(f"\n{len(found)} runs{note} in {runs_dir(args)}")
    return 0


def command_kinds(args: argparse.Namespace) -> int:
    from models.kinds.hyperparameters import describe
    from models.kinds.registry import KINDS

    for name, cls in KINDS.items():
        print(f"{name}: {cls.summary}")
        for info in describe(cls.config_class):
            span = f" [{info.low:g}..{info.high:g}]" if info.low is not None else ""
            if info.choices:
                span = f" [{' | '.join(map(str, info.choices))}]"
            print(f"    {info.name} = {info.default}{span}  {info.help}")
    return 0
