"""Optimizer step time: papercraft's SGD, AdamW and Schedule-Free AdamW against torch's foreach
implementations and the ``schedulefree`` package, on a ~10M-parameter model, side by side in one
process. Goal: papercraft's (foreach) step no slower than 1.2× the reference's.

papercraft's optimizers are timed with their default path (multi-tensor ``foreach`` on CUDA, the
per-tensor loop on CPU, where it measured faster) and with the other path, for information.
Only ``optimizer.step()`` is timed (gradients are fixed random tensors, restored before every step
outside the timed region because the schedulefree package overwrites them in place). The optimizers
are timed round-robin, so that load from other processes affects them alike; the median of
``--steps`` steps is reported.

    python benchmarks/bench_optimizers.py [--steps 30] [--threads 1] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

from papercraft.papers.optimizers import SGD, AdamW, ScheduleFreeAdamW


def model_10m(device: str) -> nn.Module:
    """Ten 1000×1000 linear layers with biases: 10.01M parameters in 20 tensors, plus small extras
    so that the tensor count (42) resembles a real network's."""
    layers: list[nn.Module] = []
    for _ in range(10):
        layers += [nn.Linear(1000, 1000), nn.LayerNorm(1000)]
    layers.append(nn.Linear(1000, 10))
    return nn.Sequential(*layers).to(device)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    import schedulefree

    pairs = {  # name: (papercraft factory with its default path, reference factory)
        "SGD momentum 0.9, wd": (lambda ps: SGD(ps, lr=0.01, momentum=0.9, weight_decay=1e-4),
                                 lambda ps: torch.optim.SGD(ps, lr=0.01, momentum=0.9, weight_decay=1e-4, foreach=True)),
        "AdamW": (lambda ps: AdamW(ps, lr=1e-3, weight_decay=0.01),
                  lambda ps: torch.optim.AdamW(ps, lr=1e-3, weight_decay=0.01, foreach=True)),
        "Schedule-Free AdamW": (lambda ps: ScheduleFreeAdamW(ps, lr=1e-3, weight_decay=0.01, warmup_steps=10),
                                lambda ps: schedulefree.AdamWScheduleFree(ps, lr=1e-3, weight_decay=0.01,
                                                                          warmup_steps=10, foreach=True)),
    }
    forced = {  # papercraft's other path: multi-tensor on CPU (the default picks it on CUDA only), or per-tensor on CUDA
        "SGD momentum 0.9, wd": lambda ps, fe: SGD(ps, lr=0.01, momentum=0.9, weight_decay=1e-4, foreach=fe),
        "AdamW": lambda ps, fe: AdamW(ps, lr=1e-3, weight_decay=0.01, foreach=fe),
        "Schedule-Free AdamW": lambda ps, fe: ScheduleFreeAdamW(ps, lr=1e-3, weight_decay=0.01, warmup_steps=10, foreach=fe),
    }
    other = not args.device.startswith("cuda")  # the path the default does not take on this device
    runners = []
    for name, (ours, theirs) in pairs.items():
        for label, factory in (("papercraft", ours), ("reference", theirs),
                               ("papercraft other path", lambda ps, f=forced[name]: f(ps, other))):
            torch.manual_seed(0)
            model = model_10m(args.device)
            params = list(model.parameters())
            grads = [torch.randn_like(p) * 1e-2 for p in params]
            opt = factory(params)
            if hasattr(opt, "train"):
                opt.train()
            runners.append((name, label, opt, params, grads, []))
    n_params = sum(p.numel() for p in runners[0][3])
    sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)
    for i in range(args.warmup + args.steps):
        for name, label, opt, params, grads, times in runners:
            for p, g in zip(params, grads):
                p.grad = g.clone()
            sync()
            start = time.perf_counter()
            opt.step()
            sync()
            if i >= args.warmup:
                times.append(time.perf_counter() - start)
    print(f"model: {n_params / 1e6:.2f}M parameters in {len(runners[0][3])} tensors; device {args.device}; "
          f"{args.threads} thread(s); median of {args.steps} steps (round-robin)\n")
    other_label = "foreach ms" if other else "per-tensor ms"
    print(f"{'optimizer':<24}{'papercraft ms':>15}{'reference ms':>14}{'ratio':>8}{other_label:>15}{'ratio':>8}")
    medians = {(n, l): statistics.median(t) * 1e3 for n, l, _, _, _, t in runners}
    worst = 0.0
    for name in pairs:
        ours, ref, alt = medians[(name, "papercraft")], medians[(name, "reference")], medians[(name, "papercraft other path")]
        worst = max(worst, ours / ref)
        print(f"{name:<24}{ours:>15.2f}{ref:>14.2f}{ours / ref:>8.2f}{alt:>15.2f}{alt / ref:>8.2f}")
    print("\npapercraft: default path (per-tensor loop on CPU, multi-tensor on CUDA); reference: torch.optim "
          "(foreach=True) for SGD and AdamW, schedulefree.AdamWScheduleFree (foreach=True)")
    print(f"worst papercraft/reference ratio: {worst:.2f} (goal <= 1.2): {'met' if worst <= 1.2 else 'NOT met'}")


if __name__ == "__main__":
    main()
