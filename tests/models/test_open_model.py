"""One loading path for the command line and the pages: a run is refused for a job its kind
cannot do before its weights are read, with one sentence that names the kinds that can."""

import shutil

import pytest

from models.kinds.description import CLASSIFIER, ENCODER, IMAGE_TO_IMAGE, LATENT_SPACE
from models.runs import checkpoint
from models.runs.folder import Run, RunError
from models.runs.open_model import RunRefused, open_model
from studio.cli.main import main as cli


@pytest.fixture
def no_weight_reads(monkeypatch):
    """Fails the test if any weights are read."""

    def refuse(*args, **kwargs):
        raise AssertionError("weights were read before the refusal")

    monkeypatch.setattr(checkpoint, "load_model", refuse)


@pytest.mark.parametrize(
    ("kind", "role", "words"),
    [
        ("cnn", LATENT_SPACE, "has no latent space"),
        ("cnn", ENCODER, "has no encoder"),
        ("dcgan", ENCODER, "has no encoder"),
        ("vae", CLASSIFIER, "does not classify images"),
        ("vae", IMAGE_TO_IMAGE, "does not turn one image into another"),
    ],
)
def test_a_run_is_refused_for_a_role_its_kind_lacks_before_weights_are_read(
    trained_runs, no_weight_reads, kind, role, words
):
    run = Run.open(trained_runs[kind])
    with pytest.raises(RunRefused) as refused:
        open_model(run, role)
    message = str(refused.value)
    assert message.startswith(f"{run.name} is a ") and words in message
    assert "\n" not in message


def test_the_refusal_names_the_kinds_that_can(trained_runs):
    with pytest.raises(RunRefused, match=r"choose a VAE, DCGAN.* run or train one"):
        open_model(trained_runs["cnn"], LATENT_SPACE)
    with pytest.raises(RunRefused, match=r"choose a .*classifier.* run or train one"):
        open_model(trained_runs["vae"], CLASSIFIER)


def test_a_run_without_weights_yet_is_told_to_wait(trained_runs, tmp_path):
    young = tmp_path / "young"
    shutil.copytree(trained_runs["vae"], young)
    (young / "weights.safetensors").unlink()
    with pytest.raises(RunError, match="has no saved weights yet; wait for its first checkpoint"):
        open_model(young, ENCODER)


def test_a_capable_run_opens_with_its_weights(trained_runs):
    model = open_model(trained_runs["vae"], ENCODER)
    assert model.kind == "vae" and model.latent_dim > 0


def test_the_command_line_and_the_latent_page_say_the_same_sentence(trained_runs, capsys):
    from studio.latent import jobs

    class Context:
        def __init__(self):
            self.cache = {}

    with pytest.raises(RunRefused) as page:
        jobs.open_run(Context(), 1, str(trained_runs["cnn"]))
    assert cli(["sample", str(trained_runs["cnn"]), "-o", "x.png"]) == 1
    assert capsys.readouterr().err.strip().endswith(str(page.value))
