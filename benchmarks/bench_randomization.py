"""Randomization-test benchmark (rethinking-generalization): what one training step costs, by thread count.

    .venv/bin/python benchmarks/bench_randomization.py [--repeats R]

Rows: one Adam training step (forward + backward + update, batch 128, float32, CPU) of the paper's
MLP 1×512 and of the small CNN, with and without dropout; a full evaluation pass over the 10,000
digits; and the data randomizations over 8,000 images (they run once per sub-run). Each is timed
with torch using 1 and 2 intra-op threads in this one process; the ratio is 2 threads / 1 thread
(< 1 means the second thread helps). The experiment uses 1 thread (its presets set ``Preset.threads = 1``) because on a
busy 2-core machine the second OpenMP thread mostly waits at barriers.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import torch
import torch.nn.functional as F

from papercraft.papers.rethinking_generalization import (
    build_model,
    corrupt_labels,
    random_pixels,
    random_shift,
    randomize_inputs,
)

from _timing import median_time




def _train_step(name: str, dropout: float) -> Callable[[], object]:
    torch.manual_seed(0)
    model = build_model(name, dropout=dropout)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = torch.rand(128, 28, 28), torch.randint(0, 10, (128,))

    def step() -> None:
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return step


def _evaluate(name: str) -> Callable[[], object]:
    model = build_model(name).eval()
    x = torch.rand(10_000, 28, 28)

    def run() -> None:
        with torch.no_grad():
            for i in range(0, 10_000, 2000):
                model(x[i:i + 2000])

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    g = torch.Generator().manual_seed(0)
    images, test = torch.rand(8000, 28, 28), torch.rand(2000, 28, 28)
    labels = torch.randint(0, 10, (8000,))
    rows: list[tuple[str, Callable[[], object], int]] = [
        ("MLP 1×512 train step", _train_step("mlp", 0.0), args.repeats),
        ("MLP 1×512 train step, dropout 0.5", _train_step("mlp", 0.5), args.repeats),
        ("small CNN train step", _train_step("cnn", 0.0), max(3, args.repeats // 4)),
        ("MLP eval, 10,000 digits", _evaluate("mlp"), max(3, args.repeats // 4)),
        ("small CNN eval, 10,000 digits", _evaluate("cnn"), 3),
        ("corrupt_labels p=1, 8,000", lambda: corrupt_labels(labels, 1.0, 10, g), args.repeats),
        ("random_pixels, 8,000", lambda: random_pixels(images, g), max(3, args.repeats // 4)),
        ("gaussian inputs, 8,000 + 2,000", lambda: randomize_inputs(images, test, "gaussian", g), max(3, args.repeats // 4)),
        ("random_shift ±1 px, batch 128", lambda: random_shift(images[:128], 1, g), args.repeats),
    ]
    before = torch.get_num_threads()
    print(f"{'operation':38s} {'1 thread (ms)':>14s} {'2 threads (ms)':>15s} {'2t / 1t':>8s}")
    try:
        for label, fn, repeats in rows:
            times = []
            for threads in (1, 2):
                torch.set_num_threads(threads)
                times.append(median_time(fn, repeats) * 1e3)
            print(f"{label:38s} {times[0]:14.2f} {times[1]:15.2f} {times[1] / times[0]:8.2f}")
    finally:
        torch.set_num_threads(before)


if __name__ == "__main__":
    main()
