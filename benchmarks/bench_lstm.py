"""The seq2seq entry's LSTM: readable loop vs fused path vs ``nn.LSTM``, forward + backward time.

Three implementations side by side in one process, alternating call by call so that load on a
shared machine hits all alike (median of the calls), on the shapes of the translation
experiments' training steps (batch 64, 2 layers), with and without right padding:

- papercraft's ``LSTM`` with ``fused=False``: the gate equations, one time step at a time;
- papercraft's ``LSTM`` with ``fused=True`` (the default): torch's fused LSTM kernel per layer,
  right padding packed away, tested equal to the readable path;
- ``torch.nn.LSTM`` on the same weights doing the same work: the plain sequence, or the same
  right-padded batch as a ``PackedSequence`` (that is how ``nn.LSTM`` carries padding).

Goal: the fused path within 1.25x of ``nn.LSTM`` (it runs the same kernels, plus per-layer calls
and dropout). The readable path has no goal: it is the one to read; its ratio is printed so that
a reader knows what the fast path buys.

    .venv/bin/python benchmarks/bench_lstm.py [--reps 30] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence  # noqa: E402

from _timing import interleaved_medians  # noqa: E402
from papercraft.papers.seq2seq.lstm import LSTM  # noqa: E402

SHAPES = [(64, 20, 64, 128), (64, 20, 128, 256), (64, 40, 128, 256)]  # (batch, length, input, hidden)
GOAL = 1.25


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.1f}; "
          f"forward + backward, 2 layers, median of {args.reps} interleaved calls")
    print(f"{'B x T x I -> H':>20} {'padding':>8} | {'readable ms':>11} {'fused ms':>9} {'nn.LSTM ms':>10} | "
          f"{'readable/nn':>11} {'fused/nn':>9} (goal <= {GOAL}x)")
    for batch, length, inp, hidden in SHAPES:
        torch.manual_seed(0)
        ours = LSTM(inp, hidden, 2)
        ref = nn.LSTM(inp, hidden, 2, batch_first=True)
        with torch.no_grad():
            for k, cell in enumerate(ours.cells):
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    getattr(ref, f"{name}_l{k}").copy_(getattr(cell, name))
        x = torch.randn(batch, length, inp, requires_grad=True)
        lengths = torch.randint(length // 3, length + 1, (batch,))
        lengths[0] = length
        for padded in (False, True):
            mask = (torch.arange(length)[None, :] < lengths[:, None]) if padded else None

            def ours_call(fused: bool):
                def call():
                    ours.fused = fused
                    out, (h, c) = ours(x, mask=mask)
                    (out.sum() + h.sum() + c.sum()).backward()
                return call

            def ref_call():
                if padded:
                    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
                    out, (h, c) = ref(packed)
                    out = pad_packed_sequence(out, batch_first=True, total_length=length)[0]
                else:
                    out, (h, c) = ref(x)
                (out.sum() + h.sum() + c.sum()).backward()

            fns = {"readable": ours_call(False), "fused": ours_call(True), "nn": ref_call}
            m = {k: 1e3 * v for k, v in interleaved_medians(fns, args.reps).items()}
            shape = f"{batch} x {length} x {inp} -> {hidden}"
            print(f"{shape:>20} {'right' if padded else 'none':>8} | {m['readable']:>11.1f} {m['fused']:>9.1f} "
                  f"{m['nn']:>10.1f} | {m['readable'] / m['nn']:>10.2f}x {m['fused'] / m['nn']:>8.2f}x "
                  f"{'met' if m['fused'] / m['nn'] <= GOAL else 'NOT met'}", flush=True)


if __name__ == "__main__":
    main()
