"""GPT-2 benchmarks against Hugging Face transformers, side by side (issue 5, benchmarks a and b).

(a) One training step (forward + loss + backward, no optimizer step) of papercraft's GPT-2 and of
    transformers' ``GPT2LMHeadModel`` with the same weights: 4 layers, 4 heads, width 256, batch
    8 x 256 tokens, dropout 0, at GPT-2's 50,257-token vocabulary and at 8,192. Timing runs both
    models in this process, alternating step by step so that load on a shared machine hits both
    alike (median of the steps). Peak memory is measured in a fresh child process per model:
    ``resource.getrusage`` max RSS after the steps (the whole process: Python, torch, the model).
    papercraft uses its fast path: fused attention and LayerNorm kernels and the chunked output
    layer + cross-entropy that never materializes the 2,048 x V logits.
(b) Greedy generation with the KV cache vs ``transformers`` ``generate`` (its own cache), same
    weights, same outputs checked: tokens/s.

    .venv/bin/python benchmarks/bench_gpt.py [--steps 5] [--vocab 50257 8192] [--new-tokens 128]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

LAYERS, HEADS, WIDTH, BATCH, SEQ = 4, 4, 256, 8, 256


def _import_transformers():
    """transformers with the torchvision remedy of tests/conftest.py (see shared/oracles.md)."""
    sys.path.insert(0, str(ROOT / "tests"))
    import conftest  # noqa: F401  (defines the missing torchvision operators before the import)
    import transformers

    transformers.logging.set_verbosity_error()
    return transformers


def build(impl: str, vocab: int, seed: int = 0, hf_weights=None):
    import torch

    from papercraft.papers.gpt import GPT, GPTConfig, from_hf_gpt2_state_dict

    torch.manual_seed(seed)
    if impl == "hf":
        tf = _import_transformers()
        cfg = tf.GPT2Config(vocab_size=vocab, n_positions=1024, n_embd=WIDTH, n_layer=LAYERS, n_head=HEADS,
                            resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
        return tf.GPT2LMHeadModel(cfg)
    cfg = GPTConfig(vocab_size=vocab, max_length=1024, n_layer=LAYERS, n_head=HEADS, d_model=WIDTH, dropout=0.0,
                    fast=True, loss_chunk=512)
    model = GPT(cfg)
    if hf_weights is not None:
        model.load_state_dict(from_hf_gpt2_state_dict(hf_weights, cfg))
    return model


def train_step(impl: str, model, x):
    """Forward + mean next-token loss + backward. Both compute the loss over the same 255 x 8 targets."""
    import torch

    model.zero_grad(set_to_none=True)
    if impl == "hf":
        loss = model(x, labels=x).loss
    else:
        targets = torch.cat([x[:, 1:], torch.full_like(x[:, :1], -100)], dim=1)
        loss = model.lm_loss(x, targets)
    loss.backward()
    return loss.detach()


def _vm_hwm_mb() -> float:
    """Peak resident memory of this process's address space (``VmHWM``), in MB.

    Not ``getrusage``'s ``ru_maxrss``: that survives ``exec``, so a child would inherit the peak
    of the (big) parent that forked it.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: best effort


def child_memory(impl: str, vocab: int, steps: int) -> None:
    """Run in a fresh process: build one model, take ``steps`` training steps, print peak RSS."""
    import torch

    base = _vm_hwm_mb()
    model = build(impl, vocab)
    x = torch.randint(0, vocab, (BATCH, SEQ), generator=torch.Generator().manual_seed(1))
    before = _vm_hwm_mb()
    for _ in range(steps):
        train_step(impl, model, x)
    print(json.dumps({"peak_rss_mb": _vm_hwm_mb(), "before_steps_mb": before, "after_imports_mb": base}))


def measure_memory(impl: str, vocab: int, steps: int = 2) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child-memory", impl, str(vocab), str(steps)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_training(vocab: int, steps: int) -> dict:
    import torch

    hf = build("hf", vocab)
    ours = build("ours", vocab, hf_weights=hf.state_dict())
    x = torch.randint(0, vocab, (BATCH, SEQ), generator=torch.Generator().manual_seed(1))
    loss_hf, loss_ours = train_step("hf", hf, x), train_step("ours", ours, x)  # warm-up, and a correctness check
    assert torch.allclose(loss_hf, loss_ours, rtol=1e-4), (loss_hf, loss_ours)
    times = {"hf": [], "ours": []}
    for _ in range(steps):
        for impl, model in (("hf", hf), ("ours", ours)):
            t = time.perf_counter()
            train_step(impl, model, x)
            times[impl].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    del hf, ours
    mem = {impl: measure_memory(impl, vocab) for impl in ("hf", "ours")}
    return {"vocab": vocab, "step_s": med, "tokens_per_s": {k: BATCH * SEQ / v for k, v in med.items()},
            "memory": mem, "loss": float(loss_hf)}


def bench_generation(vocab: int, new_tokens: int, repeats: int) -> dict:
    import torch

    hf = build("hf", vocab).eval()
    ours = build("ours", vocab, hf_weights=hf.state_dict()).eval()
    prompt = torch.randint(0, vocab, (1, 16), generator=torch.Generator().manual_seed(2))
    hf_out = hf.generate(prompt, max_new_tokens=new_tokens, do_sample=False, pad_token_id=0,
                         attention_mask=torch.ones_like(prompt))
    ours_out = ours.generate(prompt, new_tokens, greedy=True)
    same = torch.equal(hf_out, ours_out)
    times = {"hf": [], "ours": []}
    with torch.no_grad():
        for _ in range(repeats):
            t = time.perf_counter()
            hf.generate(prompt, max_new_tokens=new_tokens, do_sample=False, pad_token_id=0,
                        attention_mask=torch.ones_like(prompt))
            times["hf"].append(time.perf_counter() - t)
            t = time.perf_counter()
            ours.generate(prompt, new_tokens, greedy=True)
            times["ours"].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    return {"vocab": vocab, "identical_outputs": same, "tokens_per_s": {k: new_tokens / v for k, v in med.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=5, help="timed training steps per model")
    parser.add_argument("--vocab", type=int, nargs="+", default=[50257, 8192])
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3, help="timed generations per model")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--child-memory", nargs=3, metavar=("IMPL", "VOCAB", "STEPS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_memory:
        child_memory(args.child_memory[0], int(args.child_memory[1]), int(args.child_memory[2]))
        return
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.1f} "
          f"(timings on a shared machine are inflated by contention; ratios are interleaved)")
    results = {"training": [], "generation": None}
    print(f"\n(a) training step, {LAYERS} layers, {HEADS} heads, width {WIDTH}, batch {BATCH} x {SEQ}, dropout 0")
    print(f"{'vocab':>7} | {'HF tok/s':>9} {'ours tok/s':>10} {'ratio':>6} | {'HF peak MB':>10} {'ours peak MB':>12} "
          f"{'ratio':>6} | {'HF +MB':>7} {'ours +MB':>8}")
    for vocab in args.vocab:
        r = bench_training(vocab, args.steps)
        results["training"].append(r)
        t, m = r["tokens_per_s"], r["memory"]
        grow = {k: m[k]["peak_rss_mb"] - m[k]["before_steps_mb"] for k in m}
        print(f"{vocab:>7} | {t['hf']:>9.0f} {t['ours']:>10.0f} {t['ours'] / t['hf']:>5.2f}x | "
              f"{m['hf']['peak_rss_mb']:>10.0f} {m['ours']['peak_rss_mb']:>12.0f} "
              f"{m['ours']['peak_rss_mb'] / m['hf']['peak_rss_mb']:>5.2f}x | {grow['hf']:>7.0f} {grow['ours']:>8.0f}",
              flush=True)
    g = bench_generation(args.vocab[0], args.new_tokens, args.repeats)
    results["generation"] = g
    t = g["tokens_per_s"]
    print(f"\n(b) greedy generation, batch 1, prompt 16, {args.new_tokens} new tokens, vocab {g['vocab']}: "
          f"HF {t['hf']:.0f} tok/s, ours (KV cache) {t['ours']:.0f} tok/s, ratio {t['ours'] / t['hf']:.2f}x; "
          f"identical outputs: {g['identical_outputs']}")
    print("goals: training >= 1.5x tokens/s and <= 0.6x peak memory at 50,257; generation >= 1x")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
