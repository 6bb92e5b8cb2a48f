"""The quality figures as plain data: name, what it says and which way is better. Imports no
torch, so the window can label its quality curves and tables from it on the GUI thread."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    name: str
    title: str
    higher_is_better: bool
    help: str


FIGURES: tuple[Figure, ...] = (
    Figure("fid", "FID (classifier)", False,
           "Fréchet distance between the features of generated and real images; lower is "
           "better, 0 means the same distribution"),
    Figure("kid", "KID", False,
           "Kernel distance between generated and real features (unbiased, fair for small "
           "sample counts); lower is better, about 0 for the same distribution"),
    Figure("kid_std", "KID spread", False,
           "Standard deviation of KID over subsets of the samples: how far to trust it"),
    Figure("precision", "Precision", True,
           "Share of generated images that fall among real ones (fidelity); higher is better"),
    Figure("recall", "Recall", True,
           "Share of real images that the generated ones come near (coverage); higher is better"),
    Figure("class_min", "Smallest class share", True,
           "Share of the samples in their rarest class; 1 / classes when balanced"),
    Figure("class_max", "Largest class share", False,
           "Share of the samples in their commonest class; over twice 1 / classes means "
           "the generator favours one class"),
    Figure("class_entropy", "Class entropy", True,
           "Entropy of the samples' class histogram over its largest possible value: 1 when "
           "every class is as common, 0 when all samples are one class"),
    Figure("spread", "Spread within a class", True,
           "Mean distance between samples of one class over that of real images; near 0 "
           "means copies of one image, about 1 as varied as the data"),
)  # fmt: skip

BY_NAME = {figure.name: figure for figure in FIGURES}
NAMES = tuple(figure.name for figure in FIGURES)
