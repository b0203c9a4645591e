"""bpe's experiment: compression (bytes per token) on held-out text vs vocabulary size.

The claim (GPT-2 §2.2): byte-level BPE encodes *any* string with no unknown token, and a larger
vocabulary compresses text into fewer tokens. We train one vocabulary on five of Jane Austen's
novels and measure it on the sixth (Persuasion, held out), on German sentences (another language)
and on a string of code points from every Unicode plane, for a ladder of vocabulary sizes, and
put GPT-2's real vocabulary (50,257 tokens, trained on WebText) beside it.

BPE vocabularies are nested: training to V tokens makes exactly the first V-256 merges of training
to any larger size (the merge loop is deterministic and does not look ahead; a test checks it). So
one training run to the largest size gives every size on the ladder: vocabulary V is the tokens of
rank < V.

Criteria, fixed before the first run:
- (a) primary: no unknown tokens: decode(encode(x)) == x for every held-out text and every size.
- (b) primary: held-out English bytes/token rises strictly at every step of the ladder.
- secondary: the gain per doubling shrinks (diminishing returns), and papercraft's largest Austen
  vocabulary compresses held-out Austen at least as well as GPT-2's 3× larger general vocabulary.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from papercraft.papers.bpe.gpt2 import gpt2_tokenizer
from papercraft.papers.bpe.tokenizer import Tokenizer
from papercraft.papers.bpe.train import train_bpe
from papercraft.results import Criterion, Outcome, Table

if TYPE_CHECKING:
    from papercraft.runner import RunContext

HELD_OUT_NOVEL = "Persuasion"


def truncate(tok: Tokenizer, size: int) -> Tokenizer:
    """The vocabulary of the first ``size`` ranks of a trained tokenizer (= training to ``size``)."""
    return Tokenizer({t: r for t, r in tok.ranks.items() if r < size}, pattern=tok.pattern, name=f"austen-{size}")


def code_point_sample(step: int = 97) -> str:
    """Every ``step``-th Unicode scalar value (no surrogates), space-separated: a stress string."""
    return " ".join(chr(c) for c in range(0, 0x110000, step) if not 0xD800 <= c <= 0xDFFF)


def bytes_per_token(tok: Tokenizer, text: str) -> tuple[float, bool]:
    """(UTF-8 bytes per token, whether decode(encode(text)) == text)."""
    ids = tok.encode(text, disallowed_special=())
    return len(text.encode("utf-8")) / max(len(ids), 1), tok.decode(ids) == text


def run(ctx: RunContext) -> Outcome:
    """Train one vocabulary to the largest size, measure every size of the ladder and GPT-2's."""
    from papercraft.data import load_austen, load_de_en

    p = ctx.params
    novels = load_austen()
    train_titles = [t for t in novels if t != HELD_OUT_NOVEL]
    train_text = "".join(novels[t] for t in train_titles)[: p["train_chars"]]
    held_out = novels[HELD_OUT_NOVEL][: p["held_out_chars"]]
    german = "\n".join(de for de, _ in load_de_en())[: p["held_out_chars"]]
    stress = code_point_sample()
    sizes = sorted(p["vocab_sizes"])
    ctx.log(f"training to {sizes[-1]} tokens on {len(train_text):,} characters of {len(train_titles)} novels")

    t0 = time.perf_counter()
    trained = train_bpe(train_text, sizes[-1], progress=False)
    train_s = time.perf_counter() - t0
    trained.save(ctx.subdir("vocabulary"))
    ctx.log(f"trained {len(trained.merges)} merges in {train_s:.1f} s")

    texts = {"Austen (held out)": held_out, "German": german, "code points": stress}
    rows, round_trips = [], []
    english, german_bpt = [], []
    for size in sizes:
        tok = truncate(trained, size)
        measured = {name: bytes_per_token(tok, text) for name, text in texts.items()}
        round_trips += [ok for _, ok in measured.values()]
        english.append(measured["Austen (held out)"][0])
        german_bpt.append(measured["German"][0])
        rows.append([size] + [round(measured[n][0], 4) for n in texts] + [all(ok for _, ok in measured.values())])
        ctx.log(f"vocab {size:>6}: held-out Austen {english[-1]:.3f} B/token, German {german_bpt[-1]:.3f}")

    gpt2 = gpt2_tokenizer()
    gpt2_measured = {name: bytes_per_token(gpt2, text) for name, text in texts.items()}
    round_trips += [ok for _, ok in gpt2_measured.values()]
    rows.append(["GPT-2 (50257)"] + [round(gpt2_measured[n][0], 4) for n in texts]
                + [all(ok for _, ok in gpt2_measured.values())])
    # The ceiling: a token never spans two pre-tokens, so bytes/pre-token bounds bytes/token.
    pre_tokens = len(trained.pre_tokenize(held_out))
    ceiling = len(held_out.encode("utf-8")) / pre_tokens

    gains = [b / a for a, b in zip(english, english[1:])]
    failures = round_trips.count(False)
    criteria = [
        Criterion("no unknown tokens", "decode(encode(x)) == x for held-out English, German and a code-point "
                  "sample, at every vocabulary size and for GPT-2's vocabulary",
                  f"{failures} failures of {len(round_trips)}", "0 failures", failures == 0, part="a"),
        Criterion("compression rises with vocabulary size", "held-out Austen bytes/token strictly increases at "
                  f"every step of {sizes}", [round(x, 4) for x in english], "strictly increasing",
                  all(b > a for a, b in zip(english, english[1:])), part="b"),
        Criterion("diminishing returns", "the bytes/token gain factor per doubling shrinks after 1024 tokens",
                  [round(g, 4) for g in gains], "non-increasing gains beyond 1024",
                  _non_increasing([g for s, g in zip(sizes, gains) if s >= 1024]),
                  part="b", primary=False),
        Criterion.at_least("in-domain beats general", f"Austen vocabulary of {sizes[-1]} tokens vs GPT-2's 50,257 on "
                           "held-out Austen (bytes/token ratio)", round(english[-1] / gpt2_measured["Austen (held out)"][0], 4),
                           1.0, part="b", primary=False),
    ]
    numbers = {
        "held_out_bytes_per_token": dict(zip(map(str, sizes), [round(x, 4) for x in english])),
        "german_bytes_per_token": dict(zip(map(str, sizes), [round(x, 4) for x in german_bpt])),
        "gpt2_bytes_per_token": {n: round(v[0], 4) for n, v in gpt2_measured.items()},
        "bytes_per_token_at_largest": round(english[-1], 4),
        "bytes_per_pre_token_ceiling": round(ceiling, 4),
        "round_trip_failures": failures,
    }
    plot_compression(ctx, sizes, english, german_bpt, gpt2_measured, ceiling)
    tables = [Table("Bytes per token (higher = fewer tokens)", ["vocabulary", *texts, "round trip exact"], rows)]
    notes = [
        f"Trained on {len(train_text):,} characters of {', '.join(train_titles)}; held out: {HELD_OUT_NOVEL} "
        f"({len(held_out):,} characters). One training run to {sizes[-1]} tokens gives every smaller size "
        "(nested vocabularies).",
        f"Training took {train_s:.1f} s (pure Python, incremental pair counts) for {len(trained.merges)} merges.",
        "GPT-2's vocabulary was trained on WebText (web pages), not on Austen: the comparison shows what a "
        "domain-specific vocabulary buys, not which tokenizer is better.",
    ]
    return Outcome(numbers=numbers, criteria=criteria, tables=tables, notes=notes)


def _non_increasing(values: list[float]) -> bool:
    return all(b <= a for a, b in zip(values, values[1:]))


def plot_compression(ctx: RunContext, sizes: list[int], english: list[float], german: list[float],
                     gpt2_measured: dict[str, tuple[float, bool]], ceiling: float) -> None:
    """Bytes per token against vocabulary size, with GPT-2's vocabulary and the pre-token ceiling."""
    with ctx.figure("compression.png", "Bytes per token on held-out text vs vocabulary size (log scale), "
                    "papercraft-trained on five Austen novels; stars: GPT-2's real vocabulary; dotted: bytes per "
                    "pre-token, the ceiling.", size=(6.4, 4.2)) as (_, ax):
        ax.plot(sizes, english, "o-", label="papercraft BPE, held-out Austen")
        ax.plot(sizes, german, "s-", label="papercraft BPE, German")
        ax.plot([50257], [gpt2_measured["Austen (held out)"][0]], "*", ms=14, color="C0",
                label="GPT-2 vocabulary, Austen")
        ax.plot([50257], [gpt2_measured["German"][0]], "*", ms=14, color="C1", label="GPT-2 vocabulary, German")
        ax.axhline(ceiling, ls=":", color="gray", label="bytes per pre-token (ceiling)")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("vocabulary size (tokens)")
        ax.set_ylabel("UTF-8 bytes per token")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
