"""BERT benchmarks against Hugging Face, side by side in one process (issue 10, benchmarks a and b).

(a) MiniLM (all-MiniLM-L6-v2) sentence-embedding throughput: papercraft's ``SentenceEncoder``
    vs transformers' ``BertModel`` loaded from the same directory (the same weights).
    Timed region: after tokenization (both get the same padded ``input_ids``/``attention_mask``
    batches of 32 from papercraft's WordPiece, truncated to 256 tokens), the encoder forward pass
    and the pooling (masked mean + L2 normalization) of every batch, under ``torch.inference_mode``.
    Same threads for both (``torch.set_num_threads``, printed). The two sides alternate run by run
    so that load on a shared machine hits both alike; statistic: median over ``--runs`` (>= 10)
    runs of one pass over all sentences, after one warm-up pass. Goal: >= 0.95x transformers'
    sentences/s. The embeddings are checked to agree (max abs difference printed).
(b) WordPiece encoding: papercraft's ``WordPieceTokenizer.encode`` vs HF tokenizers'
    ``BertWordPieceTokenizer(vocab, lowercase=True).encode_batch`` on the same lines, from the same
    MiniLM ``vocab.txt``: each line of Austen's six novels, and the German side of the de-en pairs.
    Timed region: encoding all lines to ids (``[CLS] ... [SEP]``, nothing truncated); papercraft
    cold (a fresh tokenizer each run, read outside the timing, with empty word and character-class
    caches) and warm (the same tokenizer again). HF is timed single-threaded
    (``TOKENIZERS_PARALLELISM=false``: the same one thread as papercraft; the goal is judged on it)
    and, for information, with its Rayon thread pool over all cores. Statistic: median of
    ``--runs`` runs. The ids are checked to be identical. Goal: <= 3x HF's time.
(c) ``--sweep``: the exhaustive code-point parity sweep of the basic tokenizer (normalizer and
    pre-tokenizer) against HF's Rust ``BertNormalizer``/``BertPreTokenizer`` over every Unicode
    scalar value, which lists the code points where Python's ``unicodedata`` (Unicode 14) and the
    Rust crates' tables disagree, and compares them with the set pinned in
    ``tests/papers/test_bert_wordpiece.py``.

    .venv/bin/python benchmarks/bench_bert.py [--small] [--runs 10] [--threads N] [--sweep]

(a) embeds the first 512 sentences of *Persuasion* (4-60 words,
:func:`papercraft.testbeds.acceptability.split_sentences`) in text order. ``--small`` is a smoke run
(64 sentences, one novel and 5,000 German lines, 3 runs): its numbers are not the benchmark. The full
run took 167 s on this 2-core machine (results/bert/benchmark.txt).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import statistics
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ["TOKENIZERS_PARALLELISM"] = "false"  # read by tokenizers at every call; switched on for (b)'s info row

BATCH, MAX_LENGTH = 32, 256


def _import_transformers():
    """transformers with the torchvision remedy of tests/conftest.py (see shared/oracles.md)."""
    sys.path.insert(0, str(ROOT / "tests"))
    import conftest  # noqa: F401  (defines the missing torchvision operators before the import)
    import transformers

    transformers.logging.set_verbosity_error()
    return transformers


def median_of(fn, runs: int) -> tuple[float, object]:
    """Median wall time of ``fn()`` over ``runs`` calls after one warm-up call, and the last result."""
    out = fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


# ------------------------------------------------------------------------------------------------
# (a) sentence embeddings
# ------------------------------------------------------------------------------------------------

def bench_embeddings(minilm: Path, n_sentences: int, runs: int, threads: int) -> None:
    import torch

    from papercraft.data import load_austen
    from papercraft.papers.bert.sentence import SentenceEncoder
    from papercraft.papers.bert.wordpiece import WordPieceTokenizer
    from papercraft.testbeds.acceptability import split_sentences

    transformers = _import_transformers()
    torch.set_num_threads(threads)
    sentences = split_sentences(load_austen()["Persuasion"], min_words=4, max_words=60)[:n_sentences]
    tokenizer = WordPieceTokenizer.from_file(minilm / "vocab.txt")
    batches = [tokenizer.encode_batch(sentences[i:i + BATCH], max_length=MAX_LENGTH)
               for i in range(0, len(sentences), BATCH)]
    ours = SentenceEncoder.from_pretrained(minilm)  # its model is in eval mode
    theirs = transformers.BertModel.from_pretrained(str(minilm), add_pooling_layer=False).eval()

    def papercraft_pass():
        with torch.inference_mode():
            return torch.cat([ours.embed_ids(ids, mask) for ids, mask in batches])

    def transformers_pass():
        with torch.inference_mode():
            out = []
            for ids, mask in batches:
                hidden = theirs(input_ids=ids, attention_mask=mask).last_hidden_state  # [B, L, H]
                m = mask.unsqueeze(-1).to(hidden.dtype)
                mean = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)  # sentence-transformers' mean pooling
                out.append(torch.nn.functional.normalize(mean, p=2, dim=1))
            return torch.cat(out)

    a, b = papercraft_pass(), transformers_pass()  # warm-up, and the agreement check
    diff = (a - b).abs().max().item()
    times: dict[str, list[float]] = {"papercraft": [], "transformers": []}
    for _ in range(runs):  # alternate, so that load on a shared machine hits both alike
        for name, fn in (("papercraft", papercraft_pass), ("transformers", transformers_pass)):
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    rate = {k: len(sentences) / v for k, v in med.items()}
    tokens = sum(int(mask.sum()) for _, mask in batches)
    print(f"\n(a) MiniLM sentence embeddings: {len(sentences)} Austen sentences ({tokens:,} tokens) in "
          f"{len(batches)} padded batches of {BATCH}, max {MAX_LENGTH} tokens; {threads} thread(s); median of {runs} "
          f"runs; timed: forward + mean pooling + L2 normalization, after tokenization")
    print(f"    max |papercraft - transformers| over the embeddings: {diff:.2e}")
    print(f"{'encoder':<16}{'median s':>10}{'sentences/s':>14}")
    for name in ("papercraft", "transformers"):
        print(f"{name:<16}{med[name]:>10.3f}{rate[name]:>14.1f}")
    ratio = rate["papercraft"] / rate["transformers"]
    print(f"goal: papercraft >= 0.95x transformers' sentences/s -> {ratio:.3f}x "
          f"({'met' if ratio >= 0.95 else 'NOT met'})")


# ------------------------------------------------------------------------------------------------
# (b) WordPiece encoding
# ------------------------------------------------------------------------------------------------

def bench_wordpiece(vocab: Path, corpora: dict[str, list[str]], runs: int) -> None:
    import tokenizers as hf

    from papercraft.papers.bert import wordpiece
    from papercraft.papers.bert.wordpiece import WordPieceTokenizer

    print(f"\n(b) WordPiece encoding, MiniLM vocab.txt, lowercase; median of {runs} runs after a warm-up; timed: "
          f"all lines -> ids with [CLS]/[SEP]; papercraft single-threaded Python")
    print(f"{'text':<28}{'lines':>8}{'tokens':>11}{'pc cold s':>11}{'pc warm s':>11}{'HF 1 thr s':>12}"
          f"{'HF pool s':>11}{'cold/HF':>9}{'warm/HF':>9}")
    worst = 0.0
    for name, lines in corpora.items():
        theirs = hf.BertWordPieceTokenizer(str(vocab), lowercase=True)
        warm = WordPieceTokenizer.from_file(vocab)

        def papercraft_cold():
            tokenizer = cold.pop()  # a fresh tokenizer (empty word cache), read from the file outside the timing
            for cached in (wordpiece.is_dropped, wordpiece.is_punctuation, wordpiece.is_cjk):
                cached.cache_clear()  # and empty per-character caches
            return [tokenizer.encode(line) for line in lines]

        def papercraft_warm():
            return [warm.encode(line) for line in lines]

        def hf_batch():
            return [e.ids for e in theirs.encode_batch(lines)]

        cold = [WordPieceTokenizer.from_file(vocab) for _ in range(runs + 1)]
        t_cold, ids_cold = median_of(papercraft_cold, runs)
        t_warm, ids_warm = median_of(papercraft_warm, runs)
        os.environ["TOKENIZERS_PARALLELISM"] = "false"
        t_hf, ids_hf = median_of(hf_batch, runs)
        os.environ["TOKENIZERS_PARALLELISM"] = "true"
        t_pool, _ = median_of(hf_batch, runs)
        os.environ["TOKENIZERS_PARALLELISM"] = "false"
        if not ids_cold == ids_warm == ids_hf:
            raise SystemExit(f"papercraft and HF tokenizers disagree on {name}")
        tokens = sum(map(len, ids_hf))
        worst = max(worst, t_cold / t_hf)
        print(f"{name:<28}{len(lines):>8,}{tokens:>11,}{t_cold:>11.3f}{t_warm:>11.3f}{t_hf:>12.3f}{t_pool:>11.3f}"
              f"{t_cold / t_hf:>9.2f}{t_warm / t_hf:>9.2f}")
    print(f"    (HF pool: its Rayon thread pool over {os.cpu_count()} cores, for information; ids identical everywhere)")
    print(f"goal: papercraft (cold) <= 3x HF's single-thread time -> worst {worst:.2f}x ({'met' if worst <= 3 else 'NOT met'})")


# ------------------------------------------------------------------------------------------------
# (c) the exhaustive code-point sweep
# ------------------------------------------------------------------------------------------------

def probe(cp: int) -> str:
    """The context a code point is checked in: inside a word, after an upper-case letter (so case,
    accents and joining show), and alone."""
    c = chr(cp)
    return f"X{c}y {c} "


def code_point_disagreements(ours, theirs, chunk: int = 1024) -> list[int]:
    """Every Unicode scalar value whose probe normalizes or pre-tokenizes differently.

    Probes are checked many at a time (they cannot interact: each starts after a space with a
    letter of combining class 0), and a block that differs is halved until single code points.
    """
    normalize, pre_tokenize = theirs.normalizer.normalize_str, theirs.pre_tokenizer.pre_tokenize_str

    def agree(text: str) -> bool:
        mine = ours.normalize(text)
        return mine == normalize(text) and ours.pre_tokenize(mine) == [w for w, _ in pre_tokenize(mine)]

    def differing(block: list[int]) -> list[int]:
        if agree("".join(map(probe, block))):
            return []
        if len(block) == 1:
            return block
        half = len(block) // 2
        return differing(block[:half]) + differing(block[half:])

    points = [cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF]
    return [cp for i in range(0, len(points), chunk) for cp in differing(points[i:i + chunk])]


def ranges(points: list[int]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for cp in sorted(points):
        if out and out[-1][1] == cp - 1:
            out[-1][1] = cp
        else:
            out.append([cp, cp])
    return [tuple(r) for r in out]


def sweep(vocab: Path) -> None:
    from collections import Counter

    import tokenizers as hf

    from papercraft.papers.bert.wordpiece import WordPieceTokenizer

    ours, theirs = WordPieceTokenizer.from_file(vocab), hf.BertWordPieceTokenizer(str(vocab), lowercase=True)
    t0 = time.perf_counter()
    differ = code_point_disagreements(ours, theirs)
    print(f"\n(c) sweep: {0x110000 - 2048:,} code points, each in the probe 'X c y c ' through both normalizers and "
          f"pre-tokenizers, {time.perf_counter() - t0:.0f} s: {len(differ):,} differ "
          f"(Python's unicodedata {unicodedata.unidata_version})")
    print("    by Python category:", dict(Counter(unicodedata.category(chr(c)) for c in differ).most_common()))
    spec = importlib.util.spec_from_file_location("test_bert_wordpiece", ROOT / "tests/papers/test_bert_wordpiece.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(ROOT / "tests"))
    spec.loader.exec_module(module)
    pinned = set(module.UNICODE_VERSION_DISAGREEMENTS)
    print(f"    pinned in tests/papers/test_bert_wordpiece.py: {len(pinned):,}; "
          f"{'identical' if pinned == set(differ) else 'DIFFERENT: update the pinned ranges to'}")
    if pinned != set(differ):
        print("DISAGREEMENT_RANGES = (")
        for a, b in ranges(differ):
            print(f"    (0x{a:04X}, 0x{b:04X}),")
        print(")")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="a smoke run: 64 sentences, one novel and 5,000 German lines, 3 runs")
    parser.add_argument("--runs", type=int, default=None, help="timed runs per measurement (default 10; 3 with --small)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads for (a) (default: torch's default)")
    parser.add_argument("--sweep", action="store_true", help="also run the exhaustive code-point sweep (c)")
    parser.add_argument("--skip-embeddings", action="store_true", help="only (b) (and (c) with --sweep)")
    args = parser.parse_args()
    runs = args.runs or (3 if args.small else 10)
    if not args.small and runs < 10:
        parser.error("--runs must be >= 10 for the benchmark (use --small for a smoke run)")

    import torch

    from papercraft.data import load_austen, load_de_en, minilm_dir

    minilm = minilm_dir()
    threads = args.threads or torch.get_num_threads()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f}; torch {torch.__version__}; {'SMOKE RUN (--small)' if args.small else 'full run'}")
    if not args.skip_embeddings:
        bench_embeddings(minilm, 64 if args.small else 512, runs, threads)
    novels = load_austen()
    german = [de for de, _ in load_de_en()]
    if args.small:
        corpora = {"Persuasion (lines)": novels["Persuasion"].split("\n"), "de-en German (first 5,000)": german[:5000]}
    else:
        corpora = {"Austen, six novels (lines)": [l for text in novels.values() for l in text.split("\n")],
                   "de-en German side": german}
    bench_wordpiece(minilm / "vocab.txt", corpora, runs)
    if args.sweep:
        sweep(minilm / "vocab.txt")


if __name__ == "__main__":
    main()
