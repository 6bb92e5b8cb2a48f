"""Training one run in several processes with PyTorch's own engine (torch.distributed and
DistributedDataParallel), launched by torchrun: `torchrun --nproc-per-node N -m studio train`.

torchrun gives each process its RANK, WORLD_SIZE and LOCAL_RANK and the rendezvous address;
this module joins the process group from them (NCCL on CUDA, gloo on the CPU), wraps the
networks a kind trains in DistributedDataParallel, plans each process's share of the batch and
the learning rate, and exchanges each step's losses and the stop flag. Process 0 alone writes
the run folder; the others train their share and write nothing (models/training/quiet_run.py).
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import gc
import math
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from models.kinds.base import ImageModel
from models.runs.folder import RunError

LR_SCALING = ("none", "linear", "sqrt")
# Test hook, for failure tests only: "RANK:STEP" makes that process raise after that step.
FAIL_AT = "IMAGE_STUDIO_TEST_FAIL_AT"
# Process 0 evaluates, draws grids and measures quality while the others wait at the next
# exchange; a quality measurement can take minutes on the CPU, so the wait is long.
COLLECTIVE_TIMEOUT = datetime.timedelta(hours=2)


class RankFailed(RunError):
    """Another process of the run stopped; this one cannot go on without it."""


@dataclass(frozen=True)
class World:
    """Where this process stands among those training the run (one process: rank 0 of 1)."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def distributed(self) -> bool:
        return self.size > 1

    @property
    def writes(self) -> bool:
        """Only process 0 writes the run folder."""
        return self.rank == 0

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier()


def launched_world() -> World:
    """The world torchrun describes in the environment; one process without it."""
    try:
        size = int(os.environ.get("WORLD_SIZE", "1"))
        rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", "0"))
    except ValueError:
        raise RunError("WORLD_SIZE, RANK and LOCAL_RANK must be whole numbers") from None
    return World(rank, size, local)


def process_device(world: World, device: torch.device) -> torch.device:
    """Each process of a node takes its own GPU; CPU processes share the CPU."""
    if world.distributed and device.type == "cuda":
        return torch.device("cuda", world.local_rank % torch.cuda.device_count())
    return device


def join(world: World, device: torch.device) -> None:
    """Join the run's process group: NCCL between GPUs, gloo on the CPU."""
    if not world.distributed or dist.is_initialized():
        return
    if device.type == "cuda":
        torch.cuda.set_device(device)
    backend = "nccl" if device.type == "cuda" else "gloo"
    dist.init_process_group(backend, timeout=COLLECTIVE_TIMEOUT)


def leave(world: World, cleanly: bool) -> None:
    """Leave the process group at the end of a run that ended as planned. After a failure
    (here or in another process) a polite goodbye could wait forever for a lost peer, so the
    group goes down with the process."""
    if cleanly and world.distributed and dist.is_initialized():
        # A DistributedDataParallel still alive (kept by a reference cycle) makes the group's
        # destruction wait for it: collect it first.
        gc.collect()
        with contextlib.suppress(Exception):
            dist.destroy_process_group()


def settings(training: dict[str, Any]) -> dict[str, Any]:
    """The run's `training.distributed` section with its defaults filled in."""
    found = dict(training.get("distributed") or {})
    scaling = found.get("lr_scaling", "none")
    if scaling not in LR_SCALING:
        raise ValueError(f"lr_scaling must be one of {', '.join(LR_SCALING)}, not {scaling!r}")
    return {"per_process_batch": bool(found.get("per_process_batch", False)),
            "lr_scaling": scaling}  # fmt: skip


class Plan:
    """The batch each process takes, the learning rate that follows the global batch, and the
    per-step exchange of losses and the stop flag.

    By default the config's batch_size is the global batch, split between the processes, so
    the steps, the learning rate and the result match one process (and a run resumes on any
    number of processes without a change of recipe). With per_process_batch each process
    takes batch_size (global batch = N x batch_size) and lr_scaling says how the learning
    rate follows: none, linear (x N) or sqrt (x sqrt N)."""

    def __init__(self, world: World, training: dict[str, Any], batch_size: int):
        self.world = world
        chosen = settings(training)
        self.per_process = chosen["per_process_batch"]
        self.scaling = chosen["lr_scaling"]
        if self.per_process:
            self.rank_batch = batch_size
        else:
            if batch_size % world.size:
                raise ValueError(
                    f"batch_size {batch_size} cannot be split evenly between {world.size} "
                    f"processes; choose a multiple of {world.size}"
                )
            self.rank_batch = batch_size // world.size
        self.global_batch = self.rank_batch * world.size
        ratio = self.global_batch / batch_size
        self.lr_factor = {"none": 1.0, "linear": ratio, "sqrt": math.sqrt(ratio)}[self.scaling]
        self.fail_at = _failure_hook(world)
        self.requested = threading.Event()  # a stop asked of this process, not yet agreed

    def request_stop(self) -> None:
        """Stop all processes after the next exchange (a stop that only this process honoured
        would leave the others waiting for it)."""
        self.requested.set()

    def exchange(self, losses: dict[str, float], stopping: bool, step: int,
                 kept: str) -> tuple[dict[str, float], bool]:  # fmt: skip
        """The step's losses averaged over the processes, and whether any process was asked
        to stop (all then stop at the same step, and process 0 writes the checkpoint)."""
        if step == self.fail_at:
            raise RuntimeError(f"failure asked for by {FAIL_AT} at step {step}")
        stopping = stopping or self.requested.is_set()
        if not self.world.distributed:
            return losses, stopping
        names = list(losses)
        values = torch.tensor([*(float(losses[n]) for n in names), float(stopping)],
                              dtype=torch.float64)  # fmt: skip
        try:
            dist.all_reduce(values)
        except Exception:  # gloo and NCCL say a peer was lost in words of their own
            raise RankFailed(
                f"another process of this run stopped at step {step} (its own message says "
                f"why); training ended and {kept}"
            ) from None
        averaged = (values[:-1] / self.world.size).tolist()
        return dict(zip(names, averaged, strict=True)), bool(values[-1] > 0)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:200]


def _failure_hook(world: World) -> int | None:
    rank, _, step = os.environ.get(FAIL_AT, "").partition(":")
    if rank.strip().isdigit() and step.strip().isdigit() and int(rank) == world.rank:
        return int(step)
    return None


def scaled_config(config: dict[str, Any], factor: float) -> dict[str, Any]:
    """The config a model is built from when the learning rate follows the global batch: the
    run's config.json keeps the setting as chosen, plus the rule (training.distributed)."""
    if factor == 1.0:
        return config
    scaled = copy.deepcopy(config)
    hyper = scaled["hyperparameters"]
    for name, value in hyper.items():
        if name.endswith("learning_rate") and isinstance(value, int | float):
            hyper[name] = value * factor
    return scaled


class SharedNetwork(nn.parallel.DistributedDataParallel):
    """A kind's network under DistributedDataParallel that still answers to the kind's own
    calls: attributes fall through to the network, and a method of it called while gradients
    are recorded (a VAE's encode and decode_logits) runs through DDP's forward, so its
    gradients are averaged like those of a plain forward."""

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            pass
        value = getattr(self.module, name)
        if not callable(value) or isinstance(value, nn.Module):
            return value

        def through_ddp(*args: Any, **kwargs: Any) -> Any:
            if not torch.is_grad_enabled():
                return value(*args, **kwargs)
            self.module.forward = value  # DDP calls module(...), which calls this method
            try:
                return self(*args, **kwargs)
            finally:
                del self.module.forward

        return through_ddp


def share_networks(model: ImageModel, world: World) -> Callable[[], None]:
    """Wrap the networks the kind's optimisers train in DistributedDataParallel, in place.

    The model keeps naming its unwrapped networks (weights() and checkpoints hold plain
    weights that load in one process); its attributes hold the wrapped ones, so the kind's
    train_step goes through DDP unchanged. Moving-average copies are not trained and stay as
    they are. DDP broadcasts process 0's weights as it wraps, so every process starts equal.

    Batch norm: on CUDA the networks' BatchNorm layers become SyncBatchNorm (statistics over
    the global batch); PyTorch's SyncBatchNorm runs on GPUs only, so on the CPU each process
    normalises by its own share, and process 0's running statistics are the ones saved.

    Returns what puts the plain networks back (before the process group is left).
    """
    if not world.distributed:
        return lambda: None
    networks = model.networks()
    trained = {id(p) for opt in model.optimizers().values() if hasattr(opt, "param_groups")
               for group in opt.param_groups for p in group["params"]}  # fmt: skip
    wrapped = []
    for net in networks.values():
        if not any(id(p) in trained for p in net.parameters()):
            continue
        for attribute, value in list(vars(model).items()):
            if value is not net:
                continue
            module = net
            if model.device.type == "cuda":
                module = nn.SyncBatchNorm.convert_sync_batchnorm(net)
            # No buffer broadcast each forward: process 0 alone evaluates and samples, and a
            # broadcast there would wait for processes that are not evaluating.
            shared = SharedNetwork(module, forward_sync_buffers=False,
                                   device_ids=[model.device] if model.device.type == "cuda"
                                   else None)  # fmt: skip
            setattr(model, attribute, shared)
            wrapped.append((attribute, net))
    plain = dict(networks)
    model.networks = lambda: dict(plain)  # checkpoints name the unwrapped networks

    def restore() -> None:
        for attribute, net in wrapped:
            setattr(model, attribute, net)
        del model.networks

    return restore
