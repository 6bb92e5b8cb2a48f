"""`image-studio quality`: how good a run's samples, or any set of images, are, measured in
the features of the dataset's reference classifier (models/analysis/quality/). Ends with one line of
name=value pairs, for scripts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

MAX_SAMPLES = 50_000


def command_quality(args: argparse.Namespace) -> int:
    import torch

    from models.analysis.quality.measure import MIN_SAMPLES, describe_real, format_figures, measure
    from models.training.devices import resolve_device
    from studio.cli.commands import runs_dir

    if (args.run is None) == (args.images is None):
        raise ValueError("give a run to measure its samples, or --images FILE.npz --dataset NAME")
    if args.images is not None and not args.dataset:
        raise ValueError("--images needs --dataset NAME: the data the images are compared with")
    if args.run is not None and args.dataset:
        raise ValueError("a run is measured against the data it was trained on; --dataset is "
                         "for --images")  # fmt: skip
    if not MIN_SAMPLES <= args.n <= MAX_SAMPLES:
        raise ValueError(f"-n must be between {MIN_SAMPLES} and {MAX_SAMPLES}")
    if args.steps is not None and args.run is None:
        raise ValueError("--steps is the number of sampling steps of a run; not for --images")
    device = resolve_device(args.device)
    if args.steps is not None and args.steps < 1:
        raise ValueError("--steps must be at least 1")
    if args.run is not None:
        model, run = _generator(args)
        _check_steps(model, args.steps)
        dataset_name = run.config["dataset"]["name"]
        references_dir = run.path.parent
    else:
        model = None
        dataset_name = args.dataset
        references_dir = runs_dir(args)
    dataset = _load_dataset(dataset_name)
    if model is None:
        from models.analysis.quality.images_file import images_for_dataset, read_images_npz

        images = images_for_dataset(read_images_npz(args.images), dataset.info.image_shape,
                                    args.images.name)  # fmt: skip
    reference = _reference(args, references_dir, dataset_name, dataset, device)
    print("describing the real images", file=sys.stderr)
    real = describe_real(reference, dataset.train_images)
    if model is not None:
        from models.analysis.quality.features import draw_samples

        print(f"drawing {args.n} samples", file=sys.stderr)
        generator = torch.Generator().manual_seed(args.seed)
        images = draw_samples(model, args.n, generator, steps=args.steps)
    from models.analysis.quality.features import describe_images

    result = measure(real, describe_images(reference, images), seed=args.seed)
    for name, share in zip(real.class_names, result.class_shares, strict=True):
        print(f"class {name}: {share:.1%}")
    print(f"{result.samples} images against {dataset.num_train} real ones of {dataset_name}")
    print(format_figures(result.figures))
    return 0


def _generator(args: argparse.Namespace):
    from models.kinds.description import LATENT_SPACE
    from studio.cli.commands import find_run, load_capable

    run = find_run(args)
    return load_capable(args, LATENT_SPACE, run), run


def _check_steps(model, steps: int | None) -> None:
    """Refused before any work: a one-pass kind has no sampling steps to choose."""
    from models.analysis.quality.features import sampling_steps_supported
    from models.kinds.base import CapabilityError

    if steps is not None and not sampling_steps_supported(model):
        raise CapabilityError(f"a {model.title} draws a sample in one pass; --steps is for "
                              "kinds that take many sampling steps")  # fmt: skip


def _load_dataset(name: str):
    from models.data.datasets import DatasetError, load_dataset

    dataset = load_dataset(name)
    if dataset.train_labels is None:
        raise DatasetError(f"{name} has no classes, so no reference classifier can be trained "
                           "on it; name one with --reference")  # fmt: skip
    return dataset


def _reference(args, references_dir: Path, dataset_name: str, dataset, device):
    """The named classifier run, or the dataset's cached reference (trained first if need be,
    with a progress bar)."""
    from tqdm import tqdm

    from models.analysis.quality.reference import ensure_reference, open_classifier
    from models.runs.folder import RunError
    from models.training import reports

    if args.reference:
        from studio.cli.commands import find_run

        named = find_run(argparse.Namespace(**{**vars(args), "run": args.reference}))
        reference = open_classifier(named.path, dataset_name, device)
    else:
        bar = None
        building = ensure_reference(references_dir, dataset_name, device)
        try:
            while True:
                report = next(building)
                if isinstance(report, reports.Loading):
                    if bar is None:
                        bar = tqdm(total=report.total, desc=report.what, unit="step",
                                   file=sys.stderr)  # fmt: skip
                    bar.n = report.done
                    bar.refresh()
                elif isinstance(report, reports.Notice):
                    (bar or tqdm).write(f"{report.level}: {report.message}", file=sys.stderr)
        except StopIteration as finished:
            reference = finished.value
        finally:
            if bar is not None:
                bar.close()
    if tuple(reference.class_names) != tuple(dataset.info.class_names):
        raise RunError("the reference classifier knows other classes than the dataset")
    return reference
