"""The reference classifier: trained once on first need, reused, rebuilt when damaged."""

import pytest
import torch

from models.analysis.quality.reference import (
    cache_name,
    ensure_reference,
    open_classifier,
    reference_path,
)
from models.kinds.base import Capability
from models.runs.folder import Run, RunError
from models.training import reports
from tests.models.quality_fixtures import drive, quick_quality  # noqa: F401 - a fixture

CPU = torch.device("cpu")


@pytest.mark.usefixtures("quick_quality")
def test_the_reference_is_trained_once_reused_and_rebuilt_when_damaged(tmp_path):
    seen, model = drive(ensure_reference(tmp_path, "mnist-5k", CPU))
    assert model is not None and model.can(Capability.CLASSIFY)
    progress = [r for r in seen if isinstance(r, reports.Loading)]
    assert progress and progress[-1].done == progress[-1].total > 0
    assert any(isinstance(r, reports.Notice) and "ready" in r.message for r in seen)
    path = reference_path(tmp_path, "mnist-5k")
    assert Run(path).status()["state"] == "completed"
    # Built beside it and renamed into place: nothing else is left in the folder.
    assert [p.name for p in path.parent.iterdir()] == ["mnist-5k"]
    weights = path / "weights.safetensors"
    stamp = weights.stat().st_mtime_ns

    seen, again = drive(ensure_reference(tmp_path, "mnist-5k", CPU))
    assert seen == [] and weights.stat().st_mtime_ns == stamp  # reused, not trained again
    images = torch.rand(4, 1, 28, 28)
    assert torch.equal(again.classify(images), model.classify(images))

    weights.write_bytes(b"not a safetensors file")
    seen, rebuilt = drive(ensure_reference(tmp_path, "mnist-5k", CPU))
    assert any(isinstance(r, reports.Notice) and r.level == "warning" and "cannot be used"
               in r.message for r in seen)  # fmt: skip
    assert any(isinstance(r, reports.Loading) for r in seen)
    assert rebuilt is not None and open_classifier(path, "mnist-5k", CPU) is not None
    assert [p.name for p in path.parent.iterdir()] == ["mnist-5k"]


@pytest.mark.usefixtures("quick_quality")
def test_a_stop_while_the_reference_trains_leaves_no_reference(tmp_path):
    asked = []

    def should_stop():
        return bool(asked)

    building = ensure_reference(tmp_path, "mnist-5k", CPU, should_stop)
    seen = []
    for report in building:
        seen.append(report)
        if isinstance(report, reports.Loading):
            asked.append(True)
    steps = [r.done for r in seen if isinstance(r, reports.Loading)]
    assert max(steps) < 17  # stopped long before the end of its one epoch
    path = reference_path(tmp_path, "mnist-5k")
    assert not path.exists() and list(path.parent.iterdir()) == []


def test_a_named_reference_must_classify_the_same_data(trained_runs):
    model = open_classifier(trained_runs["cnn"], "mnist-5k", CPU)
    assert model.can(Capability.CLASSIFY)
    with pytest.raises(RunError, match="does not classify"):
        open_classifier(trained_runs["vae"], "mnist-5k", CPU)
    with pytest.raises(RunError, match="trained on mnist-5k, not on fashion-mnist"):
        open_classifier(trained_runs["cnn"], "fashion-mnist", CPU)


def test_each_dataset_has_a_folder_of_its_own():
    assert cache_name("mnist-5k") == "mnist-5k"
    one, two = cache_name("folder:/a/faces"), cache_name("folder:/b/faces")
    assert one.startswith("faces-") and two.startswith("faces-") and one != two
    assert "/" not in cache_name("folder:/x/../../etc")
