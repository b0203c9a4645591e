"""bpe's experiment: does a vocabulary trained on one domain compress it better than GPT-2's?

The catalogue's falsifiable claim: a byte-level BPE vocabulary trained on one domain (five of Jane
Austen's novels) compresses that domain's held-out text (the sixth novel, *Persuasion*) better than
GPT-2's real vocabulary (trained on WebText) of the same or larger size, and compresses another
domain (German sentences) worse. Compression is UTF-8 bytes per token (higher = fewer tokens).

Vocabularies are nested: BPE training to V tokens makes exactly the first V-256 merges of training
to any larger size (the merge loop is deterministic and does not look ahead; a test checks it), and
the same holds for GPT-2's rank file. So "GPT-2's vocabulary of size V" is its first V ranks, and one
training run to the largest size gives every Austen size on the ladder. Austen's training text runs
out of pairs to merge at ~27.7k tokens; a ladder size above that is the whole trained vocabulary,
compared with GPT-2's larger one.

Both texts are cut into blocks of ``block_lines`` lines, each encoded on its own; intervals are
paired bootstraps over blocks of the token-count ratio (the bytes are the same for both
vocabularies, so the bytes/token ratio is GPT-2's tokens over Austen's).

Criteria, fixed before the full run (the margin is a compression difference a vocabulary designer
would act on; it is not fitted to any run):
- (a) primary, in-domain: at the largest ladder size where both vocabularies have the same number
  of tokens, the ratio Austen/GPT-2 of bytes per token on held-out Austen has its 95 % interval
  above ``1 + MARGIN`` (passed), below it (failed), or straddling it (inconclusive).
- (b) primary, out-of-domain: at the same size, GPT-2/Austen on German has its interval above
  ``1 + MARGIN``.
- secondary: the same in-domain comparison at every smaller equal size; Austen's whole vocabulary
  against GPT-2's full 50,257 tokens (interval above 1.0: "or larger size"); no unknown tokens
  (decode(encode(x)) == x for held-out English, German and a code-point sample: true by
  construction of byte-level BPE, so a check of the implementation, not evidence for the claim);
  held-out bytes/token rising at every step of the ladder.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from papercraft.papers.bpe.gpt2 import gpt2_tokenizer
from papercraft.papers.bpe.tokenizer import Tokenizer
from papercraft.papers.bpe.train import train_bpe
from papercraft.results import Criterion, Outcome, Table
from papercraft.statistics import Interval, paired_bootstrap

if TYPE_CHECKING:
    from papercraft.runner import RunContext

HELD_OUT_NOVEL = "Persuasion"
MARGIN = 0.02  # (a), (b): a 2 % difference in bytes per token


def truncate(tok: Tokenizer, size: int) -> Tokenizer:
    """The vocabulary of the first ``size`` ranks of a tokenizer (= training to ``size``)."""
    return Tokenizer({t: r for t, r in tok.ranks.items() if r < size}, pattern=tok.pattern,
                     name=f"{tok.name}-{size}")


def code_point_sample(step: int = 97) -> str:
    """Every ``step``-th Unicode scalar value (no surrogates), space-separated: a stress string."""
    return " ".join(chr(c) for c in range(0, 0x110000, step) if not 0xD800 <= c <= 0xDFFF)


def bytes_per_token(tok: Tokenizer, text: str) -> tuple[float, bool]:
    """(UTF-8 bytes per token, whether decode(encode(text)) == text)."""
    ids = tok.encode(text, disallowed_special=())
    return len(text.encode("utf-8")) / max(len(ids), 1), tok.decode(ids) == text


def blocks(text: str, block_lines: int) -> list[str]:
    """``text`` cut into blocks of ``block_lines`` non-empty lines (the unit of the bootstrap)."""
    lines = [line for line in text.split("\n") if line.strip()]
    return ["\n".join(lines[i:i + block_lines]) for i in range(0, len(lines), block_lines)]


def token_counts(tok: Tokenizer, pieces: list[str]) -> np.ndarray:
    """Tokens per block: int64 [n_blocks]."""
    return np.array([len(tok.encode(p, disallowed_special=())) for p in pieces], dtype=np.int64)


def ratio_interval(numerator: np.ndarray, denominator: np.ndarray, *, samples: int, seed: int) -> Interval:
    """Paired bootstrap over blocks of ``sum(numerator) / sum(denominator)`` (token counts)."""
    return paired_bootstrap(len(numerator), lambda idx: float(numerator[idx].sum() / denominator[idx].sum()),
                            samples=samples, seed=seed)


def run(ctx: RunContext) -> Outcome:
    """Train one Austen vocabulary to the largest size; compare every ladder size with GPT-2's."""
    from papercraft.data import load_austen, load_de_en

    p = ctx.params
    novels = load_austen()
    train_titles = [t for t in novels if t != HELD_OUT_NOVEL]
    train_text = "".join(novels[t] for t in train_titles)[: p["train_chars"]]
    held_out = novels[HELD_OUT_NOVEL][: p["held_out_chars"]]
    german = "\n".join(de for de, _ in load_de_en())[: p["held_out_chars"]]
    stress = code_point_sample()
    sizes = sorted(p["vocab_sizes"])
    if sizes[0] < 256:
        raise ValueError(f"vocab_sizes must be >= 256, got {sizes}")
    ctx.log(f"training to {sizes[-1]} tokens on {len(train_text):,} characters of {len(train_titles)} novels")

    t0 = time.perf_counter()
    trained = train_bpe(train_text, sizes[-1], progress=False)
    train_s = time.perf_counter() - t0
    trained.name = "austen"
    trained.save(ctx.subdir("vocabulary"))
    ctx.log(f"trained {len(trained.merges)} merges in {train_s:.1f} s")
    gpt2 = gpt2_tokenizer()

    domains = {"Austen (held out)": blocks(held_out, p["block_lines"]), "German": blocks(german, p["block_lines"])}
    n_bytes = {d: sum(len(b.encode("utf-8")) for b in bl) for d, bl in domains.items()}

    rows, round_trips, numbers_by_size = [], [], {}
    counts: dict[tuple[str, int, str], np.ndarray] = {}
    for size in sizes:
        ours, theirs = truncate(trained, size), truncate(gpt2, size)
        entry: dict = {"austen_tokens": len(ours.ranks), "gpt2_tokens": len(theirs.ranks)}
        for dom, pieces in domains.items():
            for name, tok in (("austen", ours), ("gpt2", theirs)):
                c = token_counts(tok, pieces)
                counts[(name, size, dom)] = c
                entry[f"{name}_{'english' if dom.startswith('Austen') else 'german'}_bytes_per_token"] = round(
                    n_bytes[dom] / int(c.sum()), 4)
        for tok in (ours, theirs):
            round_trips += [bytes_per_token(tok, t)[1] for t in (held_out, german, stress)]
        numbers_by_size[str(size)] = entry
        ctx.log(f"vocab {size:>6}: Austen {entry['austen_english_bytes_per_token']:.3f} vs GPT-2 "
                f"{entry['gpt2_english_bytes_per_token']:.3f} B/token on held-out Austen; German "
                f"{entry['austen_german_bytes_per_token']:.3f} vs {entry['gpt2_german_bytes_per_token']:.3f}")

    seed, samples = ctx.seed, p["bootstrap_samples"]
    en, de = "Austen (held out)", "German"
    intervals = {}
    for size in sizes:
        intervals[size] = (
            # in-domain: Austen bytes/token over GPT-2's = GPT-2 tokens / Austen tokens
            ratio_interval(counts[("gpt2", size, en)], counts[("austen", size, en)], samples=samples, seed=seed),
            # out-of-domain: GPT-2 bytes/token over Austen's = Austen tokens / GPT-2 tokens
            ratio_interval(counts[("austen", size, de)], counts[("gpt2", size, de)], samples=samples, seed=seed),
        )
        numbers_by_size[str(size)]["in_domain_ratio"] = intervals[size][0].as_dict(4)
        numbers_by_size[str(size)]["german_ratio_gpt2_over_austen"] = intervals[size][1].as_dict(4)
        e = numbers_by_size[str(size)]
        rows.append([size, e["austen_tokens"], e["gpt2_tokens"], e["austen_english_bytes_per_token"],
                     e["gpt2_english_bytes_per_token"], _fmt(intervals[size][0]), e["austen_german_bytes_per_token"],
                     e["gpt2_german_bytes_per_token"], _fmt(intervals[size][1])])

    equal = [s for s in sizes if s >= 512 and numbers_by_size[str(s)]["austen_tokens"] == s]
    if not equal:
        raise ValueError(f"no ladder size >= 512 that the Austen text can fill; got {sizes}")
    top = equal[-1]
    full_austen = len(trained.ranks)
    gpt2_full = truncate(gpt2, len(gpt2.ranks))
    c_full = token_counts(gpt2_full, domains[en])
    larger = ratio_interval(c_full, counts[("austen", sizes[-1], en)], samples=samples, seed=seed)
    english_ladder = [numbers_by_size[str(s)]["austen_english_bytes_per_token"] for s in sizes]
    failures = round_trips.count(False)

    criteria = [
        Criterion.interval_above(
            "in-domain: better than GPT-2's vocabulary of the same size",
            f"at {top:,} tokens each, bytes/token on held-out Austen, Austen vocabulary / GPT-2's first {top:,} "
            f"ranks: 95% bootstrap interval above {1 + MARGIN:g}", intervals[top][0], 1 + MARGIN, part="a"),
        Criterion.interval_above(
            "out-of-domain: worse than GPT-2's vocabulary of the same size",
            f"at {top:,} tokens each, bytes/token on German, GPT-2 / Austen: 95% bootstrap interval above "
            f"{1 + MARGIN:g}", intervals[top][1], 1 + MARGIN, part="b"),
        *[Criterion.interval_above(
            f"in-domain at {s:,} tokens", f"as (a) at {s:,} tokens each", intervals[s][0], 1 + MARGIN,
            part="a", primary=False) for s in equal[:-1]],
        Criterion.interval_above(
            "in-domain: at least as good as GPT-2's larger vocabulary",
            f"Austen's whole vocabulary ({full_austen:,} tokens) / GPT-2's {len(gpt2.ranks):,} tokens, bytes/token "
            "on held-out Austen: interval above 1.0", larger, 1.0, part="a", primary=False),
        Criterion("no unknown tokens (by construction)", "decode(encode(x)) == x for held-out English, German "
                  "and a code-point sample, for every vocabulary", f"{failures} failures of {len(round_trips)}",
                  "0 failures", failures == 0, part="a", primary=False),
        Criterion("compression rises with vocabulary size", f"held-out Austen bytes/token strictly increases at "
                  f"every step of {sizes} (sizes the text can fill)",
                  english_ladder, "strictly increasing",
                  all(b > a for a, b in zip(english_ladder, english_ladder[1:])), part="a", primary=False),
    ]
    numbers = {
        "by_size": numbers_by_size,
        "equal_size_compared": top,
        "in_domain_ratio_at_equal_size": round(intervals[top][0].estimate, 4),
        "german_ratio_at_equal_size": round(intervals[top][1].estimate, 4),
        "austen_whole_vs_gpt2_full": larger.as_dict(4),
        "austen_vocabulary_tokens": full_austen,
        "round_trip_failures": failures,
        "blocks": {d: len(b) for d, b in domains.items()},
    }
    plot_compression(ctx, sizes, numbers_by_size, larger, full_austen, len(gpt2.ranks), c_full, n_bytes[en])
    tables = [Table("Bytes per token (higher = fewer tokens) and the paired-bootstrap ratios (95% intervals)",
                    ["ladder size", "Austen tokens", "GPT-2 tokens", "Austen vocab, held-out Austen",
                     "GPT-2 vocab, held-out Austen", "Austen / GPT-2 (in-domain)", "Austen vocab, German",
                     "GPT-2 vocab, German", "GPT-2 / Austen (German)"], rows)]
    notes = [
        f"Trained on {len(train_text):,} characters of {', '.join(train_titles)}; held out: {HELD_OUT_NOVEL} "
        f"({len(held_out):,} characters, {len(domains[en])} blocks of {p['block_lines']} lines) and "
        f"{len(german):,} characters of German ({len(domains[de])} blocks).",
        f"Training took {train_s:.1f} s (pure Python, incremental pair counts) for {len(trained.merges):,} merges; "
        f"the training text has no pair left to merge beyond {full_austen:,} tokens.",
        "GPT-2's vocabulary of size V is its first V ranks, which is what training it to V tokens on WebText "
        "would have given (BPE vocabularies are nested).",
    ]
    return Outcome(numbers=numbers, criteria=criteria, tables=tables, notes=notes)


def _fmt(i: Interval) -> str:
    return f"{i.estimate:.3f} [{i.low:.3f}, {i.high:.3f}]"


def plot_compression(ctx: RunContext, sizes: list[int], by_size: dict, larger: Interval, full_austen: int,
                     full_gpt2: int, c_full: np.ndarray, n_bytes_en: int) -> None:
    """Bytes per token against vocabulary size for both vocabularies on both domains."""
    with ctx.figure("compression.png", "Bytes per token on held-out text vs vocabulary size (log scale): "
                    "papercraft's vocabulary trained on five Austen novels vs GPT-2's first V ranks (WebText). "
                    "Austen's points stop where its training text runs out of merges; stars: GPT-2's full "
                    "vocabulary.", size=(6.4, 4.2)) as (_, ax):
        xs = [by_size[str(s)]["austen_tokens"] for s in sizes]
        gx = [by_size[str(s)]["gpt2_tokens"] for s in sizes]
        ax.plot(xs, [by_size[str(s)]["austen_english_bytes_per_token"] for s in sizes], "o-", color="C0",
                label="Austen vocabulary, held-out Austen")
        ax.plot(gx, [by_size[str(s)]["gpt2_english_bytes_per_token"] for s in sizes], "o--", color="C0", mfc="none",
                label="GPT-2 vocabulary, held-out Austen")
        ax.plot(xs, [by_size[str(s)]["austen_german_bytes_per_token"] for s in sizes], "s-", color="C1",
                label="Austen vocabulary, German")
        ax.plot(gx, [by_size[str(s)]["gpt2_german_bytes_per_token"] for s in sizes], "s--", color="C1", mfc="none",
                label="GPT-2 vocabulary, German")
        ax.plot([full_gpt2], [n_bytes_en / int(c_full.sum())], "*", ms=13, color="C0")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("vocabulary size (tokens)")
        ax.set_ylabel("UTF-8 bytes per token")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
