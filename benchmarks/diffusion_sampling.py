"""How fast a diffusion run samples, and how good its samples are at each step count.

1. Throughput: `-n` images at 50 DDIM steps through the model's own sampling (guidance,
   class choice, progress and cancel checks included), against a bare loop that calls the
   same network on the same batches and does the same DDIM arithmetic inline. The ratio
   bare / model is the share of the network's speed the sampler keeps (target >= 0.95).
2. Quality at 10, 20, 50 and 250 steps: `--quality-n` samples (classes in turn) read by a
   digit classifier run (`image-studio train --kind cnn` makes one), with gan_quality's
   reading: class shares and mean confidence against the classifier's on real test digits.

Ends with one line of name=value pairs.

    python benchmarks/diffusion_sampling.py DIFFUSION_RUN CLASSIFIER_RUN [-n 1000]
"""

from __future__ import annotations

import argparse
import time

import torch
from gan_quality import sample_quality

from models.kinds import diffusion_sampling as sampling
from models.runs.checkpoint import load_model
from models.runs.folder import Run

THROUGHPUT_STEPS = 50
QUALITY_STEPS = (10, 20, 50, 250)
CHUNK = 500  # as `image-studio sample` draws


class AtSteps:
    """A diffusion model seen as a generator that samples with a fixed step count, for
    gan_quality's reading."""

    def __init__(self, model, steps: int):
        self.model, self.steps = model, steps

    def make_noise(self, n, generator=None):
        return self.model.make_noise(n, generator)

    def sample(self, n, *, noise=None, labels=None):
        return self.model.sample(n, noise=noise, labels=labels, steps=self.steps)


def model_sampling(model, noise: torch.Tensor) -> float:
    """Seconds for the model's own sampling of `noise`, in chunks, with progress and cancel
    hooks as the command line and the studio pass them."""
    began = time.perf_counter()
    for begin in range(0, len(noise), CHUNK):
        model.sample(len(noise[begin : begin + CHUNK]), noise=noise[begin : begin + CHUNK],
                     steps=THROUGHPUT_STEPS, cancel=lambda: False,
                     progress=lambda done, total: None)  # fmt: skip
    return time.perf_counter() - began


@torch.inference_mode()
def bare_loop(model, noise: torch.Tensor) -> float:
    """Seconds for the same network passes and DDIM (eta 0) updates written out by hand."""
    net, alphas, classes = model.net_ema, model.alphas, model.classes
    guidance = model.config.guidance
    sampler = sampling.DDIMSampler(alphas, model.prediction)
    sampler.set_timesteps(THROUGHPUT_STEPS)
    pairs = list(zip(sampler.timesteps, [*sampler.timesteps[1:], -1], strict=True))
    began = time.perf_counter()
    for begin in range(0, len(noise), CHUNK):
        x = noise[begin : begin + CHUNK].reshape(-1, *model.image_shape)
        n = len(x)
        weights = None
        if classes:
            asked = torch.nn.functional.one_hot(torch.arange(n) % classes, classes + 1).float()
            none = torch.nn.functional.one_hot(torch.full((n,), classes), classes + 1).float()
            weights = torch.cat([asked, none]) if guidance not in (0, 1) else asked
        for t, prev in pairs:
            a = alphas[t]
            a_prev = alphas[prev] if prev >= 0 else torch.tensor(1.0)
            if weights is not None and len(weights) == 2 * n:
                out_c, out_u = net(torch.cat([x, x]), torch.full((2 * n,), t), weights).chunk(2)
                out = out_u + guidance * (out_c - out_u)
            else:
                out = net(x, torch.full((n,), t), weights)
            if model.prediction.kind == "noise":
                clean = ((x - (1 - a).sqrt() * out) / a.sqrt()).clamp(-1, 1)
            else:
                clean = (a.sqrt() * x - (1 - a).sqrt() * out).clamp(-1, 1)
            eps = (x - a.sqrt() * clean) / (1 - a).sqrt()
            x = a_prev.sqrt() * clean + (1 - a_prev).sqrt() * eps
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("diffusion")
    parser.add_argument("classifier")
    parser.add_argument("-n", type=int, default=1000, help="images for the throughput")
    parser.add_argument("--quality-n", type=int, default=1000, help="images per step count")
    parser.add_argument("--steps", type=int, nargs="+", default=list(QUALITY_STEPS))
    parser.add_argument("--seed", type=int, default=123)
    args = parser.parse_args()
    model = load_model(Run.open(args.diffusion), "cpu")
    judge_run = Run.open(args.classifier)
    judge = load_model(judge_run, "cpu")
    print(f"torch threads: {torch.get_num_threads()}")

    noise = model.make_noise(args.n, torch.Generator().manual_seed(args.seed))
    bare_loop(model, noise[:8])  # warm-up of both paths
    model_sampling(model, noise[:8])
    # Halves in opposite order (bare first, then the model first), so a machine whose load
    # changes during the run charges both alike.
    half = max(1, args.n // 2)
    bare = bare_loop(model, noise[:half])
    own = model_sampling(model, noise[:half])
    if args.n > half:
        own += model_sampling(model, noise[half:])
        bare += bare_loop(model, noise[half:])
    figures = {
        "images_per_second": round(args.n / own, 2),
        "bare_images_per_second": round(args.n / bare, 2),
        "throughput_ratio": round(bare / own, 4),
    }
    print(f"{args.n} images at {THROUGHPUT_STEPS} steps: {own:.1f} s "
          f"({figures['images_per_second']} images/s); bare loop {bare:.1f} s; "
          f"ratio {figures['throughput_ratio']}")  # fmt: skip
    for steps in args.steps:
        print(f"--- {steps} steps")
        began = time.perf_counter()
        read = sample_quality(AtSteps(model, steps), judge, judge_run, args.quality_n, args.seed)
        figures[f"confidence_ratio_{steps}"] = read["confidence_ratio"]
        figures[f"min_share_{steps}"] = read["min_share"]
        figures[f"max_share_{steps}"] = read["max_share"]
        figures[f"seconds_{steps}"] = round(time.perf_counter() - began, 1)
    # The step trade-off at a glance: what more steps buy in recognisable classes and time.
    print(f"{'steps':>5}  {'confidence ratio':>16}  {'class shares':>13}  {'seconds':>7}")
    for steps in args.steps:
        shares = f"{figures[f'min_share_{steps}']:.0%}-{figures[f'max_share_{steps}']:.0%}"
        print(f"{steps:>5}  {figures[f'confidence_ratio_{steps}']:>16}  {shares:>13}  "
              f"{figures[f'seconds_{steps}']:>7}")  # fmt: skip
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
