"""Training one run in two processes with torchrun (gloo on the CPU): each process's share of
the data, one run folder written once, weights that load and resume in one process, a failing
process ending the run with the checkpoint kept, and Ctrl-C stopping all with a checkpoint."""

import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from models.data.datasets import rank_share
from models.runs.checkpoint import load_model, weights_step
from models.runs.folder import Run
from models.training.distributed import FAIL_AT, Plan, World, scaled_config
from tests.models.test_crash_resume import small_digits

# The command line under torchrun, with a checkpoint at each epoch's end (short epochs skip
# it by default) and only there.
CHILD = """
import sys
import models.training.loop as loop
loop.MIN_CHECKPOINT_GAP = 0.0
loop.CHECKPOINT_INTERVAL = 1e9
from studio.cli.main import main
sys.exit(main(sys.argv[1:]))
"""
TINY_CNN = ["--kind", "cnn", "--set", "width=4", "--set", "batch_size=64", "--sample-every",
            "1000", "--quality-every", "off"]  # fmt: skip


def environment(**extra: str) -> dict[str, str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "IMAGE_STUDIO_SHARE_CORES": "0",
           "PYTHONUNBUFFERED": "1", **extra}  # fmt: skip
    env.pop(FAIL_AT, None)
    env.update(extra)
    return env


def torchrun(*program: str, env=None, **options) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
               "--standalone", *program]  # fmt: skip
    return subprocess.run(command, env=env or environment(), capture_output=True, text=True,
                          cwd=os.getcwd(), **options)  # fmt: skip


def studio(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "studio", *args], env=environment(),
                          capture_output=True, text=True, cwd=os.getcwd())  # fmt: skip


def train_records(run: Run) -> list[dict]:
    return [r for r in run.read_metrics()[0] if r.get("split") != "test"]


def test_the_shares_of_an_epoch_are_disjoint_equal_and_complete():
    order = torch.randperm(103, generator=torch.Generator().manual_seed(3))
    shares = [rank_share(order, rank, 4) for rank in range(4)]
    assert {len(s) for s in shares} == {25}  # equal steps in every process
    together = torch.cat(shares)
    assert len(set(together.tolist())) == 100  # disjoint
    assert set(together.tolist()) == set(order[:100].tolist())  # all but the ragged tail
    with pytest.raises(ValueError):
        rank_share(order, 4, 4)


def test_a_step_of_all_processes_is_the_step_of_one_process_with_the_whole_batch(tmp_path):
    from models.data.datasets import load_dataset

    data = load_dataset(small_digits(tmp_path / "digits.npz"))
    one = list(data.train_batches(64, seed=5, epoch=2))
    halves = [list(data.train_batches(32, 5, 2, 0, rank, 2)) for rank in range(2)]
    assert len(halves[0]) == len(halves[1]) == len(one) == data.steps_per_epoch(32, 2)
    for step, whole in enumerate(one):
        parts = torch.cat([halves[0][step].labels, halves[1][step].labels])
        assert sorted(parts.tolist()) == sorted(whole.labels.tolist())


def test_the_batch_is_split_and_the_learning_rate_follows_the_setting():
    world = World(rank=1, size=4)
    split = Plan(world, {}, 64)
    assert (split.rank_batch, split.global_batch, split.lr_factor) == (16, 64, 1.0)
    linear = Plan(world, {"distributed": {"per_process_batch": True, "lr_scaling": "linear"}},
                  64)  # fmt: skip
    assert (linear.rank_batch, linear.global_batch, linear.lr_factor) == (64, 256, 4.0)
    root = Plan(world, {"distributed": {"per_process_batch": True, "lr_scaling": "sqrt"}}, 64)
    assert root.lr_factor == 2.0
    with pytest.raises(ValueError, match="multiple of 4"):
        Plan(world, {}, 66)
    config = {"hyperparameters": {"learning_rate": 0.1, "batch_size": 64}}
    assert scaled_config(config, 4.0)["hyperparameters"] == {"learning_rate": 0.4,
                                                             "batch_size": 64}  # fmt: skip
    assert config["hyperparameters"]["learning_rate"] == 0.1  # the run's own is kept


def test_two_processes_write_one_run_that_resumes_in_one(tmp_path):
    dataset = small_digits(tmp_path / "digits.npz")  # 640 digits: 10 steps of 64 an epoch
    runs = tmp_path / "runs"
    done = torchrun("-m", "studio", "--runs-dir", str(runs), "train", "--dataset", dataset,
                    "--epochs", "1", *TINY_CNN)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    (folder,) = runs.iterdir()  # one run folder, written by process 0 only
    run = Run.open(folder)
    assert run.config["training"]["distributed"] == {
        "processes": 2, "per_process_batch": False, "lr_scaling": "none"}  # fmt: skip
    assert [r["step"] for r in train_records(run)] == list(range(1, 11))  # once per step
    assert [r["step"] for r in run.read_metrics()[0] if r.get("split") == "test"] == [10]
    assert run.status()["state"] == "completed"
    assert weights_step(run) == 10
    model = load_model(run, "cpu")  # plain weights, one process
    assert not any(".module." in name for name in model.weights())

    resumed = studio("--runs-dir", str(runs), "resume", folder.name, "--epochs", "2")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert [r["step"] for r in train_records(run)] == list(range(1, 21))
    assert run.status()["state"] == "completed" and weights_step(run) == 20


def test_a_failing_process_ends_the_run_with_its_last_checkpoint_kept(tmp_path):
    dataset = small_digits(tmp_path / "digits.npz")
    runs = tmp_path / "runs"
    child = tmp_path / "child.py"
    child.write_text(CHILD)
    done = torchrun(str(child), "--runs-dir", str(runs), "train", "--dataset", dataset,
                    "--epochs", "2", *TINY_CNN, env=environment(**{FAIL_AT: "1:15"}))  # fmt: skip
    assert done.returncode != 0
    assert "training process 1 of 2 failed" in done.stderr
    assert "another process of this run stopped at step 15" in done.stderr
    (folder,) = runs.iterdir()
    run = Run.open(folder)
    status = run.status()
    assert status["state"] == "failed"
    assert "the checkpoint of step 10 is kept" in status["message"]
    assert weights_step(run) == 10
    load_model(run, "cpu")


def test_ctrl_c_stops_every_process_with_a_checkpoint(tmp_path):
    """Through `image-studio train --nproc 2`, which starts torchrun's agent itself."""
    dataset = small_digits(tmp_path / "digits.npz")
    runs = tmp_path / "runs"
    command = [sys.executable, "-m", "studio", "--runs-dir", str(runs), "train", "--nproc", "2",
               "--dataset", dataset, "--epochs", "200", *TINY_CNN]  # fmt: skip
    process = subprocess.Popen(command, env=environment(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               start_new_session=True)  # fmt: skip
    try:
        # Ctrl-C once training is under way: the terminal signals the whole process group.
        while not list(runs.glob("*/metrics.jsonl")):
            assert process.poll() is None, process.communicate()[1][-3000:]
            time.sleep(0.2)
        os.killpg(process.pid, signal.SIGINT)
        _, stderr = process.communicate()
        assert process.returncode == 130, stderr[-3000:]
        assert "Traceback" not in stderr
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    (folder,) = runs.iterdir()
    run = Run.open(folder)
    status = run.status()
    assert status["state"] == "stopped", stderr[-3000:]
    assert 0 < status["step"] < 200 * 10
    assert weights_step(run) == status["step"]  # the checkpoint of the step all stopped at
    assert [r["step"] for r in train_records(run)] == list(range(1, status["step"] + 1))
    assert run.state_path.exists()


@pytest.fixture
def process_group():
    """A one-process gloo group, enough for DistributedDataParallel to wrap networks."""
    import torch.distributed as dist

    dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    yield
    dist.destroy_process_group()


def test_a_kind_trains_through_ddp_and_saves_plain_weights(process_group):
    from torch import nn

    from models.kinds.base import DataInfo
    from models.kinds.hyperparameters import apply_overrides
    from models.kinds.vae import VAE
    from models.training.distributed import SharedNetwork, share_networks

    settings = apply_overrides(VAE.config_class, {"width": 4, "hidden": 16})
    model = VAE(settings, DataInfo((1, 28, 28)), torch.device("cpu"))
    plain = model.networks()
    before = set(model.weights())
    restore = share_networks(model, World(rank=0, size=2))
    assert isinstance(model.net, SharedNetwork)
    assert model.networks() == plain and set(model.weights()) == before  # no "module."
    # The VAE trains through net.encode and net.decode_logits, not forward: both must go
    # through DDP's forward (which averages the gradients) while gradients are recorded.
    through = []
    model.net.module.register_forward_hook(lambda *_: through.append(1))
    images = torch.rand(4, *model.image_shape)
    model.net.encode(images)
    assert through == [1]
    with torch.no_grad():
        model.net.encode(images)  # sampling and evaluation call the network directly
    assert through == [1]
    assert "forward" not in vars(model.net.module)  # the method borrowed is given back
    restore()
    assert isinstance(model.net, nn.Module) and not isinstance(model.net, SharedNetwork)
