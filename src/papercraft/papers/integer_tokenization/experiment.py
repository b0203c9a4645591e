"""integer-tokenization's experiment: (a) the analysis of GPT-2's integer splits, (b) addition.

(a) Split every integer in [0, 100,000) with GPT-2's real vocabulary, with single digits and with
right-aligned three-digit chunks; count single-token integers, tokens per number and split patterns,
and draw the blog's grid (0-9,999 coloured by GPT-2 token count).

(b) Train the ``gpt`` entry's decoder on the same addition problems under each tokenization, several
seeds, and measure held-out exact-match accuracy by number of digits.

Redesign (issue 12): single digits (14 tokens) against GPT-2 (~900 tokens) confounds consistency with
vocabulary size, so (c) adds an equal-vocabulary control: right-aligned two-digit chunks against
random one-or-two-digit pieces fixed per integer, both over the same 110 tokens. Only consistency
differs between them.

Criteria, fixed before the run:
- (a) primary: GPT-2's splits are inconsistent: for 4- and for 5-digit integers its most common split
  pattern covers less than 90% of them (single digits and 3-digit chunks: 100% by construction).
- (b) primary: single-digit tokenization beats GPT-2's: the 95% Student-t interval of the per-seed
  differences in held-out accuracy (digits minus GPT-2, the same seeds and problems) lies above 0
  (failed if it lies below 0; inconclusive if it contains 0, and always with a single seed).
- (c) primary: with the same vocabulary, consistent beats inconsistent: the same interval for
  two-digit chunks minus random one-or-two-digit pieces lies above 0.
- secondary: right-aligned 3-digit chunks vs GPT-2, the same way; and no trained arm at chance: every
  scheme's mean held-out accuracy is at least 0.02 (exact match of a whole sum has no guessing floor,
  so this only asks that every arm learned something).
"""

from __future__ import annotations

import random
import statistics
import time
from typing import TYPE_CHECKING

import torch

from papercraft.papers.integer_tokenization.addition import (
    AdditionTask,
    Encoded,
    accuracy_by_digits,
    exact_match,
    sample_problems,
)
from papercraft.papers.integer_tokenization.analysis import (
    SCHEMES,
    consistency_by_digits,
    gpt2_splitter,
    integer_statistics,
    splitter,
)
from papercraft.results import Criterion, Outcome, Table
from papercraft.statistics import mean_interval
from papercraft.training import TensorBatches
from papercraft.training.schedules import warmup_cosine

if TYPE_CHECKING:
    from papercraft.runner import RunContext

SCHEME_LABELS = {"gpt2": "GPT-2 BPE", "digits": "single digits", "chunks3": "3-digit chunks (right-aligned)",
                 "chunks2": "2-digit chunks (right-aligned)", "random12": "random 1-2-digit pieces"}
MIN_ACCURACY = 0.02  # secondary: every arm learned something


def run(ctx: RunContext) -> Outcome:
    from papercraft.papers.bpe import gpt2_tokenizer

    p = ctx.params
    gpt2 = gpt2_tokenizer()
    splitters = {name: splitter(name, gpt2) for name in SCHEMES}
    trained = list(p["schemes"])
    unknown = [n for n in trained if n not in SCHEMES]
    if unknown or len(set(trained)) != len(trained):
        raise ValueError(f"schemes must be distinct names from {SCHEMES}, got {trained}")

    # ---- (a) the analysis ----------------------------------------------------------------------
    t0 = time.perf_counter()
    stats = {name: integer_statistics(split, p["upper"]) for name, split in splitters.items()}
    spaced = integer_statistics(gpt2_splitter(gpt2, leading_space=True), p["upper"])
    consistency = {name: consistency_by_digits(s) for name, s in stats.items()}
    ctx.log(f"analysed integers below {p['upper']:,} in {time.perf_counter() - t0:.1f} s: GPT-2 has "
            f"{stats['gpt2'].n_single_token} single-token integers, first multi-token {stats['gpt2'].first_multi_token}")
    numbers: dict = {f"analysis_{name}": s.summary() for name, s in stats.items()}
    numbers["analysis_gpt2_leading_space"] = spaced.summary()
    numbers["consistency"] = {name: {str(d): round(v, 4) for d, v in c.items()} for name, c in consistency.items()}
    numbers["gpt2_single_token_integers"] = stats["gpt2"].n_single_token

    criteria = []
    for d in (4, 5):
        if d in consistency["gpt2"]:
            criteria.append(Criterion(
                f"GPT-2 splits {d}-digit integers inconsistently",
                f"share of {d}-digit integers cut by GPT-2's most common split pattern < 0.9 (1.0 for digits and chunks)",
                round(consistency["gpt2"][d], 4), "< 0.9", consistency["gpt2"][d] < 0.9, part="a"))
    _grid_plot(ctx, stats["gpt2"])
    _pattern_plot(ctx, stats)
    tables = [_analysis_table(stats, spaced)]

    # ---- (b) addition ---------------------------------------------------------------------------
    rng = random.Random(ctx.seed)
    train_problems = sample_problems(p["n_train"], p["max_digits"], rng)
    test_problems = sample_problems(p["n_test"], p["max_digits"], rng, exclude=set(train_problems))
    seeds = ctx.seeds(p["seeds"])
    results: dict[str, dict[int, dict]] = {name: {} for name in trained}
    for name in trained:
        task = AdditionTask(splitters[name], p["max_digits"])
        train, test = task.encode(train_problems), task.encode(test_problems)
        for seed in seeds:
            model = _train(ctx, name, seed, task, train, p)
            correct = exact_match(model, test)
            results[name][seed] = {"accuracy": float(correct.float().mean()),
                                   "by_digits": accuracy_by_digits(correct, test.digits),
                                   "train_accuracy": float(exact_match(model, _subset(train, 2000)).float().mean()),
                                   "vocab": len(task.vocab)}
            ctx.log(f"{name} seed {seed}: held-out exact match {results[name][seed]['accuracy']:.3f} "
                    f"(vocab {len(task.vocab)})")

    acc = {name: [r["accuracy"] for r in results[name].values()] for name in trained}
    numbers["addition"] = {
        name: {"mean": round(statistics.mean(acc[name]), 4), "std": round(statistics.pstdev(acc[name]), 4),
               "per_seed": [round(x, 4) for x in acc[name]],
               "by_digits": {str(d): round(statistics.mean(r["by_digits"][d] for r in results[name].values()), 4)
                             for d in sorted(next(iter(results[name].values()))["by_digits"])},
               "train_accuracy": round(statistics.mean(r["train_accuracy"] for r in results[name].values()), 4),
               "vocab": next(iter(results[name].values()))["vocab"]}
        for name in trained}
    comparisons = [("digits", "gpt2", "b", True), ("chunks2", "random12", "c", True), ("chunks3", "gpt2", "b", False)]
    beats = {}
    for better, worse, part, primary in comparisons:
        if better in acc and worse in acc:
            criterion, interval = _beats(acc, better, worse, part=part, primary=primary)
            beats[(better, worse)] = interval
            numbers[f"addition_{better}_minus_{worse}_interval"] = interval.as_dict(4)
            criteria.append(criterion)
    if "digits" in acc and "gpt2" in acc:
        numbers["addition_accuracy_digits_minus_gpt2"] = round(statistics.mean(acc["digits"]) - statistics.mean(acc["gpt2"]), 4)
    lowest = min(trained, key=lambda n: numbers["addition"][n]["mean"])
    criteria.append(Criterion.at_least(
        "no arm at chance", f"the lowest mean held-out accuracy over the trained schemes ({SCHEME_LABELS[lowest]})",
        numbers["addition"][lowest]["mean"], MIN_ACCURACY, part="b", primary=False))
    _accuracy_plot(ctx, results, p["max_digits"])
    tables.append(Table("Addition: held-out exact-match accuracy (mean over seeds)",
                        ["tokenization", "vocabulary", "all", *[f"{d} digits" for d in range(1, p["max_digits"] + 1)],
                         "train (2k sample)", "per seed"],
                        [[SCHEME_LABELS[n], numbers["addition"][n]["vocab"], numbers["addition"][n]["mean"],
                          *[numbers["addition"][n]["by_digits"].get(str(d)) for d in range(1, p["max_digits"] + 1)],
                          numbers["addition"][n]["train_accuracy"], numbers["addition"][n]["per_seed"]]
                         for n in trained]))
    notes = [
        f"Addition: {p['n_train']:,} training and {p['n_test']:,} held-out problems a+b with operands of 1-"
        f"{p['max_digits']} digits (digit count uniform, then value uniform), identical for every tokenization; "
        f"seeds {seeds}; model: the gpt entry's decoder (pre-LN), {p['n_layer']} layers, width {p['d_model']}, "
        f"{p['n_head']} heads, {p['steps']} steps of batch {p['batch_size']}, AdamW lr {p['lr']}.",
        "Accuracy is exact match of the whole sum under teacher forcing, which equals greedy decoding's exact match.",
        "Digit counts in the per-digit columns are those of the longer operand. The 100 problems with two 1-digit "
        "operands all fall in the training set, so the held-out set (disjoint from it) has none.",
        f"With a leading space (as numbers appear mid-sentence) GPT-2 has {spaced.n_single_token} single-token "
        f"integers below {p['upper']:,} instead of {stats['gpt2'].n_single_token}.",
    ]
    if ("chunks2", "random12") in beats:
        notes.append(_consistency_note(numbers["addition"], beats))
    return Outcome(numbers=numbers, criteria=criteria, tables=tables, notes=notes)


def _consistency_note(addition: dict[str, dict], intervals: dict) -> str:
    """What the equal-vocabulary control says, from this run's numbers."""
    decided = intervals[("chunks2", "random12")].decide(0.0)
    word = {True: "better than", False: "worse than", None: "not distinguishable from"}[decided]
    return (f"Consistency at equal vocabulary: 2-digit chunks ({addition['chunks2']['vocab']} tokens) reach "
            f"{addition['chunks2']['mean']:.3f} held-out accuracy, random 1-2-digit pieces "
            f"({addition['random12']['vocab']} tokens, the same set) {addition['random12']['mean']:.3f}: consistent "
            f"splits are {word} inconsistent ones (95% interval over seeds).")


def _subset(data: Encoded, n: int) -> Encoded:
    return Encoded(data.x[:n], data.y[:n], data.digits[:n])


def _train(ctx: RunContext, name: str, seed: int, task: AdditionTask, train: Encoded, p: dict) -> torch.nn.Module:
    """The gpt entry's decoder trained on the answer tokens of ``train`` (one sub-run per scheme and seed)."""
    from papercraft.papers.gpt import GPT, GPTConfig

    torch.manual_seed(seed)
    cfg = GPTConfig(vocab_size=len(task.vocab), max_length=train.x.shape[1], n_layer=p["n_layer"], n_head=p["n_head"],
                    d_model=p["d_model"], dropout=0.0, variant="gpt2")
    model = GPT(cfg)
    optimizer = torch.optim.AdamW(model.parameters(), lr=p["lr"], weight_decay=p["weight_decay"], betas=(0.9, 0.98))
    # Linear warm-up, then cosine annealing to 10% of the peak rate.
    scheduler = warmup_cosine(optimizer, p["steps"], warmup_steps=p["warmup"], floor=0.1)

    def loss_fn(model: GPT, batch: tuple[torch.Tensor, ...]):
        x, y = batch
        return model.lm_loss(x, y), {}

    ctx.train(f"addition-{name}-seed{seed}", model, optimizer, loss_fn,
              TensorBatches(train.x, train.y, batch_size=p["batch_size"], seed=seed), steps=p["steps"], seed=seed,
              scheduler=scheduler, log_every=50, grad_clip=1.0, identity={"config": cfg.to_dict()})
    return model


def _beats(acc: dict[str, list[float]], better: str, worse: str, *, part: str, primary: bool):
    """(criterion, interval): the per-seed differences ``better - worse`` (same seeds) are above 0."""
    interval = mean_interval([a - b for a, b in zip(acc[better], acc[worse], strict=True)])
    criterion = Criterion.interval_above(
        f"{SCHEME_LABELS[better]} beat {SCHEME_LABELS[worse]}",
        f"held-out addition accuracy with {better} minus with {worse}, per seed: the 95% t-interval of the mean "
        f"difference lies above 0", interval, 0.0, part=part, primary=primary)
    return criterion, interval


def _analysis_table(stats, spaced) -> Table:
    rows = []
    for name, s in [*stats.items(), ("gpt2 (leading space)", spaced)]:
        label = SCHEME_LABELS.get(name, "GPT-2 BPE, after a space")
        rows.append([label, s.n_single_token, s.first_multi_token, s.largest_single_token, s.distinct_tokens,
                     *[round(s.mean_tokens_by_digits.get(d, float("nan")), 3) for d in range(1, 6)],
                     ", ".join(f"{k} ({v})" for k, v in list(s.patterns_by_digits.get(4, {}).items())[:4])])
    return Table(f"Integers 0-{stats['gpt2'].upper - 1:,}: single-token integers and tokens per number",
                 ["tokenization", "single-token", "first multi-token", "largest single-token", "distinct tokens",
                  *[f"tokens/number, {d} digits" for d in range(1, 6)], "4-digit split patterns (count)"], rows)


def _grid_plot(ctx: RunContext, s) -> None:
    """The blog's grid: integers 0-9,999 as a 100×100 grid (row = hundreds), coloured by GPT-2 token count."""
    import matplotlib.pyplot as plt
    import numpy as np

    grid = np.array(s.tokens[:10_000]).reshape(100, 100)
    with ctx.figure("gpt2_integer_grid.png", "The blog's plot: each cell is one integer (row = n // 100, column = "
                    "n % 100), coloured by how many GPT-2 tokens it takes. Everything below 521 is one token; above, "
                    "single-token integers are scattered irregularly.", size=(6.4, 6.0), dpi=120) as (fig, ax):
        cmap = plt.get_cmap("viridis", int(grid.max()))
        im = ax.imshow(grid, cmap=cmap, vmin=0.5, vmax=grid.max() + 0.5, interpolation="nearest")
        ax.set_xlabel("last two digits")
        ax.set_ylabel("leading digits (hundreds)")
        ax.set_title("GPT-2 tokens per integer, 0-9,999")
        fig.colorbar(im, ax=ax, ticks=range(1, grid.max() + 1), label="tokens", shrink=0.8)


def _pattern_plot(ctx: RunContext, stats) -> None:
    with ctx.figure("split_patterns.png", "How 4- and 5-digit integers are cut (digits per token, e.g. 2+2 = "
                    "'12'+'34'). GPT-2 uses several patterns for the same number of digits; the alternatives use one.",
                    ncols=2, size=(9, 3.8), dpi=120) as (_, axes):
        for ax, d in zip(axes, (4, 5)):
            patterns = stats["gpt2"].patterns_by_digits.get(d, {})
            total = sum(patterns.values()) or 1
            top = list(patterns.items())[:8]
            ax.bar([k for k, _ in top], [v / total for _, v in top], color="C0", label="GPT-2 BPE")
            for name, color in (("digits", "C1"), ("chunks3", "C2")):
                pat, count = next(iter(stats[name].patterns_by_digits.get(d, {"": 0}).items()))
                ax.bar([pat + f"\n({name})"], [count / total], color=color, label=SCHEME_LABELS[name])
            ax.set_title(f"{d}-digit integers: split patterns")
            ax.set_ylabel("share of integers")
            ax.tick_params(axis="x", labelsize=7, rotation=45)
        axes[0].legend(fontsize=7)


def _accuracy_plot(ctx: RunContext, results, max_digits: int) -> None:
    with ctx.figure("addition_accuracy.png", "Addition learned by a tiny GPT under each tokenization: held-out "
                    "exact-match accuracy by number of digits (mean ± std over seeds).", size=(6.4, 4.2),
                    dpi=120) as (_, ax):
        # Only digit counts present in the held-out set (two 1-digit operands never are: see the notes).
        digits = [d for d in range(1, max_digits + 1)
                  if all(d in r["by_digits"] for rs in results.values() for r in rs.values())]
        for i, name in enumerate(results):
            per_seed = [[r["by_digits"][d] for d in digits] for r in results[name].values()]
            mean = [statistics.mean(col) for col in zip(*per_seed)]
            spread = [statistics.pstdev(col) for col in zip(*per_seed)]
            ax.errorbar([d + (i - len(results) / 2) * 0.05 for d in digits], mean, yerr=spread, marker="o", capsize=3,
                        label=SCHEME_LABELS[name])
        ax.set_xticks(digits)
        ax.set_xlabel("digits of the longer operand")
        ax.set_ylabel("held-out exact-match accuracy")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
