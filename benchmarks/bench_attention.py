"""Attention benchmark: papercraft's readable attention against torch's, side by side in one process.

    .venv/bin/python benchmarks/bench_attention.py [--threads N] [--repeats R]

Rows: scaled dot-product attention (papercraft's eq. 1 vs ``F.scaled_dot_product_attention``) and
multi-head self-attention (papercraft's ``MultiHeadAttention`` vs ``nn.MultiheadAttention`` with
the same weights), causal, forward + backward, float32 on CPU, at a few sequence lengths. Prints
the median time of each and the ratio (papercraft / torch; < 1 means papercraft is faster).
"""

from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F
from torch import nn

from papercraft.papers.transformer.attention import MultiHeadAttention, causal_mask, scaled_dot_product_attention
from _timing import median_time




def bench_sdpa(batch: int, heads: int, length: int, dim: int, repeats: int) -> tuple[float, float]:
    q, k, v = (torch.randn(batch, heads, length, dim, requires_grad=True) for _ in range(3))
    up = torch.randn(batch, heads, length, dim)

    def ours():
        out = scaled_dot_product_attention(q, k, v, causal=True)
        torch.autograd.grad(out, (q, k, v), up)

    def theirs():
        out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        torch.autograd.grad(out, (q, k, v), up)

    return median_time(ours, repeats), median_time(theirs, repeats)


def bench_mha(batch: int, length: int, d_model: int, heads: int, repeats: int) -> tuple[float, float]:
    ours = MultiHeadAttention(d_model, heads)
    ref = nn.MultiheadAttention(d_model, heads, batch_first=True)
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.cat([ours.q_proj.weight, ours.k_proj.weight, ours.v_proj.weight]))
        ref.in_proj_bias.copy_(torch.cat([ours.q_proj.bias, ours.k_proj.bias, ours.v_proj.bias]))
        ref.out_proj.load_state_dict(ours.out_proj.state_dict())
    x = torch.randn(batch, length, d_model, requires_grad=True)
    mask = ~causal_mask(length, length)
    up = torch.randn(batch, length, d_model)
    # same function (checked here, and with tight tolerances in the tests)
    torch.testing.assert_close(ours(x, causal=True), ref(x, x, x, attn_mask=mask, need_weights=False)[0],
                               rtol=1e-4, atol=1e-5)

    def run_ours():
        torch.autograd.grad(ours(x, causal=True), [x, *ours.parameters()], up)

    def run_ref():
        torch.autograd.grad(ref(x, x, x, attn_mask=mask, need_weights=False)[0], [x, *ref.parameters()], up)

    return median_time(run_ours, repeats), median_time(run_ref, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: leave torch's default)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, float32, forward + backward, causal, "
          f"median of {args.repeats}")
    print(f"{'case':<42} {'papercraft ms':>14} {'torch ms':>10} {'ratio':>7}")
    for length in (64, 256, 512):
        a, b = bench_sdpa(8, 8, length, 64, args.repeats)
        print(f"{f'SDPA B=8 H=8 T={length} D=64 vs F.sdpa':<42} {a * 1e3:>14.2f} {b * 1e3:>10.2f} {a / b:>7.2f}")
    for length in (64, 256):
        a, b = bench_mha(8, length, 256, 4, args.repeats)
        print(f"{f'MHA B=8 T={length} d=256 h=4 vs nn.MHA':<42} {a * 1e3:>14.2f} {b * 1e3:>10.2f} {a / b:>7.2f}")


if __name__ == "__main__":
    main()
