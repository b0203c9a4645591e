"""Benchmark: papercraft's BPE vs tiktoken vs Hugging Face ``tokenizers``, in one process.

1. Encode throughput (MB/s) with GPT-2's real vocabulary on the same ~4 MB of English (Austen's six
   novels): papercraft cold (empty pre-token cache) and warm, tiktoken, HF ``tokenizers``. All three
   must produce the same ids (checked).
2. Training time to an 8,192-token vocabulary on the same text: papercraft vs HF's BPE trainer (and
   whether the merges are equal).
3. ``--sweep``: the exhaustive pre-tokenization parity sweep over every Unicode scalar value (each
   code point c in the probe ``.c's``), counting where papercraft and tiktoken differ and why.

Goals from the issue: encoding within 3× of tiktoken's time, training within 5× of HF's trainer.

    PAPERCRAFT_DATA=... python benchmarks/bench_bpe.py [--repeat 3] [--vocab-size 8192] [--sweep]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
import unicodedata

os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")


def best_of(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--vocab-size", type=int, default=8192)
    parser.add_argument("--sweep", action="store_true", help="also run the exhaustive code-point parity sweep")
    args = parser.parse_args()

    import tiktoken
    import tokenizers as hf
    from tiktoken_ext.openai_public import r50k_pat_str

    from papercraft.data import load_austen
    from papercraft.papers.bpe import Tokenizer, gpt2_tokenizer, train_bpe
    from papercraft.papers.bpe.tokenizer import str_to_token

    text = "\n".join(load_austen().values())
    mb = len(text.encode("utf-8")) / 1e6
    print(f"text: Austen's six novels, {mb:.2f} MB; machine: {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores (shared: timings include contention); best of {args.repeat}")

    # ---- 1. encoding ------------------------------------------------------------------------------
    gpt2 = gpt2_tokenizer()
    oracle = tiktoken.Encoding("gpt2", pat_str=r50k_pat_str, mergeable_ranks=gpt2.ranks, special_tokens={})
    with tempfile.TemporaryDirectory() as tmp:
        gpt2.save_vocab_merges(f"{tmp}/vocab.json", f"{tmp}/merges.txt")
        hf_tok = hf.Tokenizer(hf.models.BPE.from_file(f"{tmp}/vocab.json", f"{tmp}/merges.txt"))
    hf_tok.pre_tokenizer = hf.pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)

    def papercraft_cold():
        gpt2._cache.clear()
        return gpt2.encode_ordinary(text)

    rows = []
    t_cold, ids_cold = best_of(papercraft_cold, args.repeat)
    t_warm, ids_warm = best_of(lambda: gpt2.encode_ordinary(text), args.repeat)
    t_tik, ids_tik = best_of(lambda: oracle.encode_ordinary(text), args.repeat)
    t_hf, enc_hf = best_of(lambda: hf_tok.encode(text).ids, args.repeat)
    assert ids_cold == ids_warm == ids_tik, "papercraft and tiktoken disagree"
    hf_equal = enc_hf == ids_tik
    for name, t in [("papercraft (cold cache)", t_cold), ("papercraft (warm cache)", t_warm), ("tiktoken", t_tik),
                    ("HF tokenizers", t_hf)]:
        rows.append((name, t, mb / t, t / t_tik))
    print(f"\nencode, GPT-2 vocabulary, {len(ids_tik):,} tokens (HF ids equal: {hf_equal})")
    print(f"{'encoder':<26}{'time s':>9}{'MB/s':>9}{'× tiktoken time':>18}")
    for name, t, speed, ratio in rows:
        print(f"{name:<26}{t:>9.3f}{speed:>9.2f}{ratio:>18.2f}")
    print(f"goal: papercraft within 3× of tiktoken's time -> cold {t_cold / t_tik:.2f}×, warm {t_warm / t_tik:.2f}×")

    # ---- 2. training ------------------------------------------------------------------------------
    def train_hf():
        tok = hf.Tokenizer(hf.models.BPE())
        tok.pre_tokenizer = hf.pre_tokenizers.ByteLevel(add_prefix_space=False)
        trainer = hf.trainers.BpeTrainer(vocab_size=args.vocab_size, show_progress=False, special_tokens=[],
                                         initial_alphabet=hf.pre_tokenizers.ByteLevel.alphabet())
        tok.train_from_iterator([text], trainer)
        return tok

    t_ours, ours = best_of(lambda: train_bpe(text, args.vocab_size), max(1, args.repeat - 1))
    t_hft, hf_trained = best_of(train_hf, max(1, args.repeat - 1))
    import json

    hf_merges = [tuple(str_to_token(p) for p in (m if isinstance(m, list) else m.split(" ")))
                 for m in json.loads(hf_trained.to_str())["model"]["merges"]]
    print(f"\ntrain to {args.vocab_size} tokens on the same {mb:.2f} MB (merges equal: {ours.merges == hf_merges})")
    print(f"{'trainer':<26}{'time s':>9}{'× HF time':>12}")
    print(f"{'papercraft':<26}{t_ours:>9.2f}{t_ours / t_hft:>12.2f}")
    print(f"{'HF tokenizers':<26}{t_hft:>9.2f}{1.0:>12.2f}")
    print(f"goal: within 5× of HF -> {t_ours / t_hft:.2f}×")

    if args.sweep:
        sweep(gpt2, oracle)


def sweep(gpt2, oracle) -> None:
    """Every Unicode scalar value c in the probe '.c's\\n' (one encode per code point on both sides)."""
    import regex

    letter_or_number = regex.compile(r"[\p{L}\p{N}]")
    points = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    t0 = time.perf_counter()
    differ = [c for c in points if gpt2.encode(f".{chr(c)}'s\n") != oracle.encode(f".{chr(c)}'s\n")]
    kinds = {"unassigned in Python's Unicode 14 and a letter/number to regex": 0, "other": 0}
    for c in differ:
        new = unicodedata.category(chr(c)) == "Cn" and letter_or_number.match(chr(c))
        kinds["unassigned in Python's Unicode 14 and a letter/number to regex" if new else "other"] += 1
    print(f"\nsweep: {len(points):,} code points c, each encoded as '.c's\\n' by both, {time.perf_counter() - t0:.0f} s: "
          f"{len(differ):,} differ; {kinds}")
    if differ:
        print(f"  first differing code points: {[hex(c) for c in differ[:8]]}")


if __name__ == "__main__":
    main()
