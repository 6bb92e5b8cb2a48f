"""The one way a run's model is opened for a job, in the studio's pages and on the command line:
check the run can do what is asked (from its kind's description, before any weights are read),
check it has weights, then load them. A refusal is one sentence a person can act on, the same
wherever it is said."""

from __future__ import annotations

from pathlib import Path

from models.kinds.base import CapabilityError, ImageModel
from models.kinds.description import (
    CLASSIFIER,
    ENCODER,
    IMAGE_TO_IMAGE,
    LATENT_SPACE,
    KindDescription,
    describe_kind,
    describe_registered,
    titles_with,
)
from models.runs.folder import NO_WEIGHTS_YET, Run, RunError

# What a run of a kind without the role cannot do, said after "NAME is a TITLE run, which".
_CANNOT = {
    LATENT_SPACE: "has no latent space to draw images from or explore",
    ENCODER: "has no encoder to turn images into latents",
    CLASSIFIER: "does not classify images",
    IMAGE_TO_IMAGE: "does not turn one image into another",
}


class RunRefused(CapabilityError):
    """A run whose kind cannot do the job asked of it, refused before its weights were read."""


def refusal(run_name: str, kind: KindDescription, role: str) -> str:
    """The sentence that refuses `run_name` (of `kind`) for a job that needs `role`."""
    able = titles_with(describe_registered().values(), role)
    cannot = _CANNOT.get(role, f"cannot act as a {role}")
    choose = f"; choose a {able} run or train one" if able else ""
    return f"{run_name} is a {kind.title} run, which {cannot}{choose}"


def describe_run(run: Run) -> KindDescription:
    from models.kinds.registry import model_class

    return describe_kind(model_class(run.kind))


def check_role(run: Run, role: str | None) -> KindDescription:
    """The run's kind description; RunRefused when the kind lacks `role`. Reads no weights."""
    kind = describe_run(run)
    if role is not None and not kind.has(role):
        raise RunRefused(refusal(run.name, kind, role))
    return kind


def open_model(run: Run | str | Path, role: str | None = None, device: str = "auto") -> ImageModel:
    """The run's model, ready for a job that needs `role` (None: any trained model).

    Refused in this order, each before anything heavier is read: a folder that is not a run
    (RunError), a kind without the role (RunRefused), a run with no saved weights yet
    (RunError), then weights that do not fit or are unsafe (load_model's errors)."""
    from models.runs.checkpoint import load_model

    run = run if isinstance(run, Run) else Run.open(run)
    check_role(run, role)
    if not run.weights_path.exists():
        raise RunError(f"{run.name} {NO_WEIGHTS_YET}")
    return load_model(run, device)
