"""RMSNorm vs LayerNorm, forward + backward time (issue 5, benchmark c).

Four implementations side by side in one process, alternating call by call so that load on a
shared machine hits all alike (median of the calls):

- papercraft's ``LayerNorm`` and ``RMSNorm``, written from their definitions (several tensor ops);
- torch's fused kernels ``F.layer_norm`` and ``F.rms_norm`` (one op each), for reference.

The RMSNorm paper's argument is that dropping the mean saves work: one reduction instead of two,
no subtraction. The ratio RMSNorm / LayerNorm below is that saving, measured.

    .venv/bin/python benchmarks/bench_norm.py [--reps 50]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from _timing import interleaved_medians  # noqa: E402
from papercraft.papers.normalization import LayerNorm, RMSNorm  # noqa: E402

SHAPES = [(2048, 256), (2048, 768), (8192, 1024)]  # (tokens, width): GPT-2 benchmark width, GPT-2 small, larger


def fwd_bwd(fn, x: torch.Tensor, upstream: torch.Tensor):
    def call():
        x.grad = None
        fn(x).backward(upstream)
    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=50)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.1f} "
          f"(shared machine: absolute times are inflated; the interleaved ratios are the result)")
    print(f"{'tokens x width':>15} | {'ours LN µs':>10} {'ours RMS µs':>11} {'RMS/LN':>7} | {'torch LN µs':>11} "
          f"{'torch RMS µs':>12} {'RMS/LN':>7}")
    for n, d in SHAPES:
        x = torch.randn(n, d, requires_grad=True)
        upstream = torch.randn(n, d)
        ln, rms = LayerNorm(d), RMSNorm(d, eps=1e-5)
        w, b = torch.ones(d, requires_grad=True), torch.zeros(d, requires_grad=True)
        fns = {
            "ours_ln": fwd_bwd(ln, x, upstream),
            "ours_rms": fwd_bwd(rms, x, upstream),
            "torch_ln": fwd_bwd(lambda t: F.layer_norm(t, (d,), w, b, 1e-5), x, upstream),
            "torch_rms": fwd_bwd(lambda t: F.rms_norm(t, (d,), w, 1e-5), x, upstream),
        }
        m = {k: 1e6 * v for k, v in interleaved_medians(fns, args.reps).items()}
        print(f"{f'{n} x {d}':>15} | {m['ours_ln']:>10.0f} {m['ours_rms']:>11.0f} {m['ours_rms'] / m['ours_ln']:>6.2f}x | "
              f"{m['torch_ln']:>11.0f} {m['torch_rms']:>12.0f} {m['torch_rms'] / m['torch_ln']:>6.2f}x", flush=True)


if __name__ == "__main__":
    main()
