"""papercraft's vectorized NMS vs the naive greedy loop (issue 11, benchmark b).

Both are papercraft's, side by side in one process, on the same boxes:

- ``nms``: greedy NMS resolved block by block with whole-matrix operations (the Cluster-NMS
  fixed-point iteration; :mod:`papercraft.papers.localization.nms`);
- ``nms_reference``: the direct loop, one box at a time in plain Python, comparing each box with
  every kept box (O(n·k) IoUs, O(n²) when most boxes survive).

torchvision's compiled ``nms`` does not load with the pinned CPU torch, so there is no torchvision
column (the issue says so).

Data: detector-like candidates, i.e. ``n`` boxes jittered around ``n / 20`` objects in a 512-px
image (many overlaps, so suppression matters), scores rounded to 2 decimals (ties), float32.
Each size also runs with boxes spread uniformly (few overlaps, most boxes kept: the naive loop's
worst case).

Timed region: one call ``f(boxes, scores, 0.5)`` on ready tensors, returning the kept indices
(input validation and the score sort included). Both functions are called alternately, call by
call, so that load on a shared machine hits both alike; statistic: the median over ``--reps``
calls (default 11) after one warm-up call each. Threads: ``--threads`` (default 1) torch intra-op
threads; the reference is single-threaded Python either way. The kept indices of the two are
checked to be identical before timing.

    .venv/bin/python benchmarks/bench_nms.py [--reps 11] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import torch  # noqa: E402

from papercraft.papers.localization.nms import nms, nms_reference  # noqa: E402

SIZES = (100, 1000, 3000)
GOAL = "identical kept boxes; the vectorized NMS faster than the naive loop (ratio > 1) from n = 1000"


def clustered_boxes(n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` boxes jittered around ``max(1, n // 20)`` objects, and scores with ties."""
    objects = max(1, n // 20)
    centre = torch.rand(objects, 2, generator=generator) * 448 + 32
    size = torch.rand(objects, 2, generator=generator) * 80 + 16
    which = torch.randint(0, objects, (n,), generator=generator)
    c = centre[which] + torch.randn(n, 2, generator=generator) * size[which] * 0.15
    s = size[which] * torch.exp(torch.randn(n, 2, generator=generator) * 0.15)
    boxes = torch.cat([c - s / 2, c + s / 2], dim=1)
    return boxes, torch.rand(n, generator=generator).mul(100).round().div(100)


def spread_boxes(n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` boxes spread uniformly over the image (few overlaps), and scores with ties."""
    xy = torch.rand(n, 2, generator=generator) * 480
    wh = torch.rand(n, 2, generator=generator) * 30 + 2
    return torch.cat([xy, xy + wh], dim=1), torch.rand(n, generator=generator).mul(100).round().div(100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=11)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if args.reps < 10:
        parser.error("--reps must be >= 10 (the statistic is a median of at least 10 runs)")
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), load average {os.getloadavg()[0]:.1f}; "
          f"median of {args.reps} alternating calls; IoU threshold 0.5")
    print(f"goal: {GOAL}")
    print(f"{'boxes':>10} {'n':>6} {'kept':>6} | {'naive ms':>9} {'papercraft ms':>13} | {'speed-up':>8}")
    generator = torch.Generator().manual_seed(0)
    for layout, make in (("clustered", clustered_boxes), ("spread", spread_boxes)):
        for n in SIZES:
            boxes, scores = make(n, generator)
            kept = nms(boxes, scores, 0.5)
            if not torch.equal(kept, nms_reference(boxes, scores, 0.5)):
                raise SystemExit(f"nms and nms_reference disagree on {layout} n={n}")
            times: dict[str, list[float]] = {"naive": [], "ours": []}
            for _ in range(args.reps):
                for name, fn in (("naive", nms_reference), ("ours", nms)):
                    t0 = time.perf_counter()
                    fn(boxes, scores, 0.5)
                    times[name].append(time.perf_counter() - t0)
            naive, ours = (1e3 * statistics.median(times[k]) for k in ("naive", "ours"))
            print(f"{layout:>10} {n:>6} {len(kept):>6} | {naive:>9.2f} {ours:>13.2f} | {naive / ours:>7.1f}x", flush=True)


if __name__ == "__main__":
    main()
