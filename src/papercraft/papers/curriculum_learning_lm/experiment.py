"""Campos (2021)'s negative result at toy scale: no competence-based curriculum beats plain shuffled
training of a language model on validation perplexity beyond seed noise.

Setup. Examples are the sentences of five of Jane Austen's novels (``papercraft.testbeds.
acceptability.split_sentences``), BPE-tokenized with a vocabulary learned on those novels (the
``bpe`` entry); each example is ``<eot> sentence <eot>`` and the model predicts every token after
the first. Sentences of more than ``max_tokens`` tokens are left out (of training and validation
alike), and a fixed random subset of ``max_train_sentences`` is kept for training, so that the
step budget covers more than one pass over it. Validation is the same kind of example from the
held-out novel (*Persuasion*, as in ``papercraft.papers.gpt.corpus``); validation perplexity is
``exp`` of the token-weighted mean next-token loss over all its sentences. The model is a small
GPT-2 (the ``gpt`` entry), trained as in GPT-1 §4.1 (AdamW, linear warm-up over the first 10% of
the steps, cosine annealing to 0, gradients clipped to 1), for the same number of steps of the same
number of sentences in every arm:

- **no curriculum** (the baseline): shuffled epochs over all training sentences;
- **random difficulty** (Campos' control): the competence schedule over a random order;
- **curricula**: the competence schedule over difficulty = sequence length, unigram / bigram /
  trigram surprise (:mod:`.difficulty`; mean joint n-gram surprise).

Competence (Platanios eq. 5, square root): ``c(t) = min(1, sqrt(t (1 - c0^2) / T + c0^2))`` with
``c0 = initial_competence`` and ``T = curriculum_steps``; batch ``t`` is drawn uniformly from the
sentences whose difficulty CDF is at most ``c(t)`` (:class:`.curriculum.CompetenceBatches`), and
from step ``T`` on uniformly from all of them (Platanios Algorithm 1: independent batches, not
epochs). Every arm is trained with the same seeds, and a seed fixes the initial weights, so each
curriculum is compared with the baseline seed by seed. The random-difficulty control shares the
curricula's schedule and sampler, so a curriculum against it measures the ordering alone.

Criteria, fixed before the first full run:

- **Per curriculum (primary), a non-superiority margin of 2% relative perplexity.** For seed s let
  ``r_s = ppl(curriculum, s) / ppl(baseline, s) - 1`` (negative = the curriculum is better). The
  95% Student-t interval of the mean of ``r_s`` over seeds decides: *passed* (no gain beyond the
  margin) if its lower end is above ``-MARGIN``; *failed* (a real gain larger than the margin, which
  contradicts the claim) if its upper end is below ``-MARGIN``; *undecided* otherwise (the seeds
  cannot tell a gain of 2% from none). The verdict is ``reproduced`` when every curriculum passes,
  ``not reproduced`` when any fails, ``inconclusive`` otherwise.

  Why one-sided: the claim is that no curriculum *beats* the baseline. A curriculum that is worse
  (e.g. the length curriculum, which spends its early steps on short sentences and so sees fewer
  tokens at equal steps) does not contradict it, so a two-sided equivalence test, which a worse
  curriculum fails, would judge the wrong claim. The two-sided test (``Criterion.equivalence``,
  inside +-MARGIN) is reported beside it as a secondary criterion, as is the random-difficulty
  control's one-sided test.

  Why 2%: 2% of perplexity is 0.02 nats per token; in pilot runs at this scale, about what the
  last 10% of the baseline's steps bought, a gain a practitioner would want (Platanios et al. report
  curriculum gains of up to 2.2 BLEU and up to 70% less training time for translation; Campos finds
  no consistent gain). It is also reachable: with 4 seeds the t-interval's half-width is 1.6 x the standard
  deviation of ``r_s``, so a true difference of 0 passes when the per-seed differences scatter by
  less than ~1.2%, and a curriculum that is truly worse passes more easily.
- **Validity (primary)**: every arm's mean validation perplexity is below that of the unigram model
  of the training tokens (add-one smoothed): no arm is at the level of word frequencies, i.e. every
  arm learned something a curriculum could speed up. If not, the experiment cannot decide: the
  criterion is undecided (``inconclusive``), not failed.
- **Ordering alone (secondary)**: each curriculum against the random-difficulty control, the same
  one-sided rule with the same margin.
- **Budget checks (secondary)**: the baseline makes at least one pass over the training sentences,
  and its validation perplexity falls by less than ``MARGIN`` over the last quarter of training, so
  that a curriculum that only converged faster (by up to a quarter of the budget) could not reach
  the margin: the comparison is then about the final level, not about who converges first.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from papercraft.data import load_austen
from papercraft.papers.bpe import Tokenizer, train_bpe
from papercraft.errors import UsageError, unknown_choice
from papercraft.papers.curriculum_learning_lm.curriculum import SCHEDULES, CompetenceBatches, competence
from papercraft.papers.curriculum_learning_lm.difficulty import SCORERS, score_difficulty
from papercraft.papers.gpt import GPT, GPTConfig
from papercraft.results import Criterion, Outcome, Table
from papercraft.statistics import Interval, mean_interval, seed_spread
from papercraft.testbeds.acceptability import split_sentences
from papercraft.training import TensorBatches
from papercraft.training.schedules import warmup_cosine

if TYPE_CHECKING:
    from papercraft.runner import RunContext

MARGIN = 0.02
"""The equivalence margin: a relative change of validation perplexity of 2%."""
BASELINE, RANDOM = "no curriculum", "random difficulty"
EOT = "<|endoftext|>"


# ---------------------------------------------------------------------------- data


@dataclass
class SentenceData:
    """Tokenized sentences as padded examples.

    ``*_rows`` are int64 ``[N, max_tokens + 2]``: ``<eot>``, the sentence's tokens, ``<eot>``, then
    zeros; ``*_lengths`` ``[N]`` count the real tokens of a row (sentence length + 2);
    ``train_tokens`` holds the training sentences' token ids (what the difficulty is scored on).
    """

    tokenizer: Tokenizer
    train_tokens: list[list[int]]
    train_rows: Tensor
    train_lengths: Tensor
    val_rows: Tensor
    val_lengths: Tensor
    heldout: str
    dropped_long: int  # sentences (training + validation) longer than max_tokens, left out


def pad_sentences(sentences: list[list[int]], eot: int, max_tokens: int) -> tuple[Tensor, Tensor]:
    """``N`` token lists (each of 1..``max_tokens`` tokens) -> rows ``[N, max_tokens + 2]`` and lengths ``[N]``."""
    rows = torch.zeros(len(sentences), max_tokens + 2, dtype=torch.long)
    lengths = torch.empty(len(sentences), dtype=torch.long)
    for i, ids in enumerate(sentences):
        if not 1 <= len(ids) <= max_tokens:
            raise ValueError(f"sentence {i} has {len(ids)} tokens; expected 1..{max_tokens}")
        rows[i, : len(ids) + 2] = torch.tensor([eot, *ids, eot])
        lengths[i] = len(ids) + 2
    return rows, lengths


def load_sentences(vocab_size: int, heldout: str, max_tokens: int, max_chars: int = 0,
                   max_train_sentences: int = 0) -> SentenceData:
    """Austen's sentences, BPE-tokenized: the five training novels' sentences (a fixed random subset
    of ``max_train_sentences`` if > 0) and the held-out novel's, each of 1..``max_tokens`` tokens.
    ``max_chars`` > 0 truncates every novel (quick presets)."""
    books = load_austen()
    if heldout not in books:
        raise ValueError(f"held-out novel must be one of {sorted(books)}, got {heldout!r}")
    if max_chars > 0:
        books = {k: v[:max_chars] for k, v in books.items()}
    training = [t for t in books if t != heldout]
    tokenizer = train_bpe([books[t] for t in training], vocab_size, special_tokens=[EOT])
    eot = tokenizer.encode(EOT, allowed_special="all")[0]

    def encode(text: str) -> tuple[list[list[int]], int]:
        ids = [tokenizer.encode_ordinary(s) for s in split_sentences(text, min_words=1, max_words=10**6)]
        kept = [x for x in ids if 1 <= len(x) <= max_tokens]
        return kept, len(ids) - len(kept)

    train, dropped = [], 0
    for title in training:
        kept, n = encode(books[title])
        train += kept
        dropped += n
    if max_train_sentences > 0 and len(train) > max_train_sentences:
        keep = torch.randperm(len(train), generator=torch.Generator().manual_seed(0))[:max_train_sentences]
        train = [train[i] for i in sorted(keep.tolist())]
    val, n = encode(books[heldout])
    dropped += n
    train_rows, train_lengths = pad_sentences(train, eot, max_tokens)
    val_rows, val_lengths = pad_sentences(val, eot, max_tokens)
    return SentenceData(tokenizer, train, train_rows, train_lengths, val_rows, val_lengths, heldout, dropped)


# ---------------------------------------------------------------------------- loss and evaluation


def sentence_targets(rows: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
    """Inputs and targets of padded sentence rows, cut to the batch's longest row.

    ``rows`` ``[B, L]``, ``lengths`` ``[B]`` -> ``(inputs [B, Lb - 1], targets [B, Lb - 1])`` with
    ``Lb = max(lengths)``; targets past a row's end are -100 (ignored by the loss).
    """
    longest = int(lengths.max())
    x = rows[:, :longest]
    targets = x[:, 1:].clone()
    targets[torch.arange(longest - 1, device=rows.device)[None] >= (lengths - 1)[:, None]] = -100
    return x[:, :-1], targets


@torch.no_grad()
def validation_loss(model: nn.Module, rows: Tensor, lengths: Tensor, batch_size: int = 64) -> float:
    """Token-weighted mean next-token loss (nats) over sentence rows ``[N, L]``; perplexity is its exp.

    Rows are batched in order of length, so that padding costs little.
    """
    was = model.training
    model.eval()
    device = next(model.parameters()).device
    order = torch.argsort(lengths, stable=True)
    total, count = 0.0, 0
    for i in range(0, len(order), batch_size):
        idx = order[i : i + batch_size]
        inputs, targets = sentence_targets(rows[idx].to(device), lengths[idx].to(device))
        n = int((targets != -100).sum())
        total += model.lm_loss(inputs, targets).item() * n
        count += n
    model.train(was)
    return total / count


def unigram_perplexity(train_rows: Tensor, train_lengths: Tensor, val_rows: Tensor, val_lengths: Tensor,
                       vocab_size: int) -> float:
    """Validation perplexity of the add-one-smoothed unigram model of the training targets."""
    _, train_targets = sentence_targets(train_rows, train_lengths)
    counts = torch.bincount(train_targets[train_targets != -100], minlength=vocab_size).double() + 1.0
    log_p = counts.log() - counts.sum().log()
    _, val_targets = sentence_targets(val_rows, val_lengths)
    return math.exp(-log_p[val_targets[val_targets != -100]].mean().item())


# ---------------------------------------------------------------------------- the arms


def make_batches(arm: str, data: SentenceData, difficulty: dict[str, Tensor], p: dict[str, Any],
                 seed: int) -> Iterator[tuple[Tensor, ...]]:
    """The batch iterator of ``arm``: shuffled epochs for the baseline, else the competence sampler
    over the arm's difficulty (random scores for the random-difficulty control)."""
    if arm == BASELINE:
        return TensorBatches(data.train_rows, data.train_lengths, batch_size=p["batch_size"], seed=seed)
    scores = difficulty[arm] if arm != RANDOM else score_difficulty("random", data.train_tokens, seed=seed)
    return CompetenceBatches(data.train_rows, data.train_lengths, difficulty=scores, batch_size=p["batch_size"],
                             curriculum_steps=p["curriculum_steps"], initial_competence=p["initial_competence"],
                             schedule=p["schedule"], seed=seed)


def tokens_seen(batches: Iterator[tuple[Tensor, ...]], steps: int) -> int:
    """Target tokens in the first ``steps`` batches of a fresh iterator (batches hold rows, lengths)."""
    return sum(int((next(batches)[1] - 1).sum()) for _ in range(steps))


def train_arm(ctx: RunContext, name: str, cfg: GPTConfig, batches: Iterator[tuple[Tensor, ...]],
              data: SentenceData, eval_rows: Tensor, eval_lengths: Tensor, p: dict[str, Any], seed: int) -> Any:
    """Train a fresh GPT (initialized from ``seed``) on ``batches`` as the sub-run ``name``.

    The recipe of :func:`papercraft.testbeds.language_model.train_lm`, but annealed to 0 (GPT-1
    §4.1) rather than to 10%, which makes the final weights depend less on the last batches.
    """
    torch.manual_seed(seed)
    model = GPT(cfg)
    optimizer = torch.optim.AdamW(model.parameters(), lr=p["lr"], betas=(0.9, 0.95), weight_decay=0.01)
    scheduler = warmup_cosine(optimizer, p["steps"], warmup_steps=max(1, p["steps"] // 10), floor=0.0)

    def loss_fn(m: nn.Module, batch: tuple[Tensor, ...]) -> tuple[Tensor, dict[str, float]]:
        inputs, targets = sentence_targets(batch[0], batch[1])
        logged: dict[str, float] = {"tokens": float((targets != -100).sum())}
        if isinstance(batches, CompetenceBatches):  # the batch just drawn was number step - 1
            t = batches.step - 1
            logged["competence"] = batches.competence(t)
            logged["admitted"] = float(len(batches.admitted(t)))
        return m.lm_loss(inputs, targets), logged

    result = ctx.train(name, model, optimizer, loss_fn, batches, steps=p["steps"], seed=seed, scheduler=scheduler,
                       evaluate=lambda m: {"val_loss": validation_loss(m, eval_rows, eval_lengths)},
                       eval_every=p["eval_every"], log_every=max(1, p["steps"] // 100), grad_clip=1.0,
                       unit="tokens")
    return model, result


# ---------------------------------------------------------------------------- the experiment


def run(ctx: RunContext) -> Outcome:
    p = ctx.params
    curricula = list(p["curricula"])
    if not curricula or len(set(curricula)) != len(curricula):
        raise UsageError(f"curricula: expected distinct difficulty heuristics from {list(SCORERS)}, got {curricula}")
    for name in curricula:  # before any training
        if name not in SCORERS:
            raise unknown_choice("curriculum", name, SCORERS)
    if p["schedule"] not in SCHEDULES:
        raise unknown_choice("schedule", p["schedule"], SCHEDULES)
    if p["seeds"] < 2:
        raise UsageError(f"seeds: the paired intervals need at least 2 seeds, got {p['seeds']}")
    t0 = time.perf_counter()
    data = load_sentences(p["vocab_size"], p["heldout"], p["max_tokens"], p["max_chars"], p["max_train_sentences"])
    n_train = len(data.train_tokens)
    ctx.log(f"{n_train:,} training sentences ({int(data.train_lengths.sum() - 2 * n_train):,} tokens), "
            f"{len(data.val_rows):,} validation sentences from {data.heldout}, vocabulary "
            f"{data.tokenizer.vocab_size}; {data.dropped_long:,} sentences over {p['max_tokens']} tokens left out "
            f"({time.perf_counter() - t0:.1f}s)")
    difficulty = {name: score_difficulty(name, data.train_tokens) for name in curricula}
    pick = torch.randperm(len(data.val_rows), generator=torch.Generator().manual_seed(0))[: p["eval_sentences"]]
    eval_rows, eval_lengths = data.val_rows[pick], data.val_lengths[pick]
    cfg = GPTConfig(vocab_size=data.tokenizer.vocab_size, max_length=p["max_tokens"] + 1, n_layer=p["n_layer"],
                    n_head=p["n_head"], d_model=p["d_model"], variant="gpt2", dropout=0.0, fast=True, loss_chunk=0)

    arms = [BASELINE, RANDOM, *curricula]
    seeds = ctx.seeds(p["seeds"])
    ppl: dict[str, list[float]] = {a: [] for a in arms}
    tokens: dict[str, list[int]] = {a: [] for a in arms}
    curves: dict[str, list[list[float]]] = {a: [] for a in arms}
    eval_steps: list[int] = []
    for seed in seeds:
        for arm in arms:
            name = f"{arm.replace(' ', '-')}-seed{seed}"
            model, result = train_arm(ctx, name, cfg, make_batches(arm, data, difficulty, p, seed), data,
                                      eval_rows, eval_lengths, p, seed)
            ppl[arm].append(math.exp(validation_loss(model, data.val_rows, data.val_lengths)))
            tokens[arm].append(tokens_seen(make_batches(arm, data, difficulty, p, seed), p["steps"]))
            evals = result.evals()
            eval_steps = [e["step"] for e in evals]
            curves[arm].append([math.exp(e["val_loss"]) for e in evals])
            ctx.log(f"{arm:>16} seed {seed}: validation perplexity {ppl[arm][-1]:.3f}, "
                    f"{tokens[arm][-1]:,} tokens ({result.wall_s:.0f}s)")

    relative = {a: [c / b - 1.0 for c, b in zip(ppl[a], ppl[BASELINE], strict=True)] for a in arms if a != BASELINE}
    intervals = {a: mean_interval(r) for a, r in relative.items()}
    # The ordering alone: each curriculum against the same schedule over a random order.
    vs_random = {a: mean_interval([c / r - 1.0 for c, r in zip(ppl[a], ppl[RANDOM], strict=True)]) for a in curricula}
    spreads = {a: seed_spread(v) for a, v in ppl.items()}
    unigram = unigram_perplexity(data.train_rows, data.train_lengths, data.val_rows, data.val_lengths,
                                 data.tokenizer.vocab_size)
    epochs = p["steps"] * p["batch_size"] / n_train
    baseline_curve = [sum(c[i] for c in curves[BASELINE]) / len(seeds) for i in range(len(eval_steps))]
    late = min(range(len(eval_steps)), key=lambda i: abs(eval_steps[i] - 0.75 * p["steps"]))
    last_quarter_drop = baseline_curve[late] / baseline_curve[-1] - 1.0

    criteria = _criteria(curricula, intervals, vs_random, spreads, unigram, epochs, last_quarter_drop,
                         eval_steps[late])
    best = min(curricula, key=lambda a: intervals[a].estimate)
    numbers = {
        "val_ppl": {a: [round(x, 4) for x in v] for a, v in ppl.items()},
        "val_ppl_mean": {a: round(s.mean, 4) for a, s in spreads.items()},
        "val_ppl_sd": {a: round(s.sd, 4) for a, s in spreads.items()},
        "relative_change": {a: [round(x, 5) for x in r] for a, r in relative.items()},
        "relative_change_interval": {a: iv.as_dict(5) for a, iv in intervals.items()},
        "change_vs_random_interval": {a: iv.as_dict(5) for a, iv in vs_random.items()},
        "best_curriculum": best,
        "best_relative_change": round(intervals[best].estimate, 5),
        "tokens_seen": {a: v for a, v in tokens.items()},
        "unigram_ppl": round(unigram, 3),
        "baseline_epochs": round(epochs, 3),
        "baseline_last_quarter_drop": round(last_quarter_drop, 5),
        "eval_steps": eval_steps,
        "val_ppl_curves_mean": {a: [round(sum(c[i] for c in cs) / len(cs), 3) for i in range(len(eval_steps))]
                                for a, cs in curves.items()},
        "seeds": seeds,
        "training_sentences": n_train,
        "validation_sentences": len(data.val_rows),
        "vocab_size": data.tokenizer.vocab_size,
        "margin": MARGIN,
    }
    _plots(ctx, arms, eval_steps, curves, relative, intervals, p)
    table = Table(
        f"Validation perplexity on {data.heldout} after {p['steps']:,} steps of {p['batch_size']} sentences "
        f"({len(seeds)} seeds; change = paired per-seed ppl(arm) / ppl(no curriculum) - 1, 95% t-interval)",
        ["arm", "mean ppl", "sd", "min", "max", "tokens seen (mean)", "change vs no curriculum", "95% interval"],
        [[a, round(spreads[a].mean, 3), round(spreads[a].sd, 3), round(spreads[a].min, 3), round(spreads[a].max, 3),
          round(sum(tokens[a]) / len(tokens[a])),
          "" if a == BASELINE else f"{100 * intervals[a].estimate:+.2f}%",
          "" if a == BASELINE else f"[{100 * intervals[a].low:+.2f}%, {100 * intervals[a].high:+.2f}%]"]
         for a in arms])
    notes = [
        f"Competence: {p['schedule']} schedule, c0 = {p['initial_competence']}, T = {p['curriculum_steps']:,} of "
        f"{p['steps']:,} steps; from step T on every arm draws from all {n_train:,} training sentences. The "
        f"baseline makes {epochs:.2f} passes over them.",
        "Difficulty: length = BPE tokens per sentence; unigram/bigram/trigram = mean joint n-gram surprise "
        "-(1/N) sum_k log p(g_k) with n-gram frequencies counted on the training sentences.",
        f"The unigram model of the training tokens has validation perplexity {unigram:.1f} (an arm at that level "
        "would have learned only word frequencies).",
        "Every arm takes the same number of steps of the same number of sentences; arms that favour short "
        "sentences early see fewer tokens (column 'tokens seen').",
    ]
    return Outcome(numbers=numbers, criteria=criteria, tables=[table], notes=notes)


def _criteria(curricula: list[str], intervals: dict[str, Interval], vs_random: dict[str, Interval],
              spreads: dict[str, Any], unigram: float, epochs: float, last_quarter_drop: float,
              late_step: int) -> list[Criterion]:
    margin = f"{100 * MARGIN:g}%"
    out = []
    for arm in curricula:
        out.append(Criterion.interval_above(
            f"{arm} curriculum: no gain beyond {margin}",
            f"the 95% t-interval over seeds of ppl({arm}) / ppl(no curriculum) - 1 (paired by seed) lies above "
            f"-{margin}: a gain larger than the margin is excluded (failed if it lies wholly below -{margin})",
            intervals[arm], -MARGIN))
    worst = max(s.mean for s in spreads.values())
    out.append(Criterion(  # an arm at word-frequency level cannot show the claim either way: undecided, not failed
        "every arm learned beyond word frequencies",
        "the highest mean validation perplexity of any arm is below the add-one unigram model's (else the "
        "experiment cannot decide)", round(worst, 3), round(unigram, 3), True if worst < unigram else None))
    out.append(Criterion.interval_above(
        f"random difficulty: no gain beyond {margin}",
        "the competence schedule over a random order (Campos' control): interval of the relative change above "
        f"-{margin}", intervals[RANDOM], -MARGIN, primary=False))
    for arm in curricula:
        out.append(Criterion.equivalence(
            f"{arm} curriculum within ±{margin}",
            f"two-sided: the interval of the relative change lies inside ±{margin} (a curriculum that is worse "
            f"fails this, without contradicting the claim)", intervals[arm], MARGIN, primary=False))
    for arm in curricula:
        out.append(Criterion.interval_above(
            f"{arm} vs random difficulty: no gain beyond {margin}",
            f"the ordering alone: the interval of ppl({arm}) / ppl(random difficulty) - 1 (same schedule and sampler, "
            f"paired by seed) lies above -{margin}", vs_random[arm], -MARGIN, primary=False))
    out.append(Criterion.at_least("baseline past its first epoch", "steps x batch size / training sentences >= 1",
                                  round(epochs, 3), 1.0, primary=False))
    out.append(Criterion.at_most(
        "baseline near its plateau",
        f"the baseline's validation perplexity (curve subset, mean over seeds) falls by less than {margin} from step "
        f"{late_step} (~3/4 of the budget) to the end", round(last_quarter_drop, 5), MARGIN, primary=False))
    return out


def _plots(ctx: RunContext, arms: list[str], eval_steps: list[int], curves: dict[str, list[list[float]]],
           relative: dict[str, list[float]], intervals: dict[str, Interval], p: dict[str, Any]) -> None:
    with ctx.figure("curricula.png", "Left: validation perplexity during training (mean over seeds; band: min-max), "
                    "with the competence c(t) of the curricula (dotted, right axis). Middle: the second half. Right: "
                    "per-seed relative change of the final validation perplexity vs no curriculum (dots), mean "
                    "and 95% t-interval (bar); shaded: the ±2% margin, below which a gain would contradict the claim.",
                    ncols=3, size=(15, 4.2)) as (_, ax):
        for arm in arms:
            cs = torch.tensor(curves[arm])  # [seeds, evals]
            for a in ax[:2]:
                (line,) = a.plot(eval_steps, cs.mean(0).tolist(), label=arm)
                a.fill_between(eval_steps, cs.min(0).values.tolist(), cs.max(0).values.tolist(),
                               color=line.get_color(), alpha=0.15)
        ax[0].set_yscale("log")
        twin = ax[0].twinx()
        grid = list(range(0, p["steps"] + 1, max(1, p["steps"] // 200)))
        twin.plot(grid, [competence(t, p["curriculum_steps"], p["initial_competence"], SCHEDULES[p["schedule"]])
                         for t in grid], "k:", lw=1)
        twin.set_ylabel("competence c(t)")
        twin.set_ylim(0, 1.05)
        half = [i for i, s in enumerate(eval_steps) if s >= p["steps"] // 2]
        if half:
            lows = [min(sum(c[i] for c in curves[a]) / len(curves[a]) for a in arms) for i in half]
            highs = [max(sum(c[i] for c in curves[a]) / len(curves[a]) for a in arms) for i in half]
            ax[1].set_xlim(eval_steps[half[0]], eval_steps[-1])
            pad = 0.1 * (max(highs) - min(lows)) + 1e-6
            ax[1].set_ylim(min(lows) - pad, max(highs) + pad)
        for a, title in zip(ax[:2], ("validation perplexity", "second half (zoom)"), strict=True):
            a.set_xlabel("step")
            a.set_ylabel("validation perplexity")
            a.set_title(title)
        ax[1].legend(fontsize=7)
        names = list(relative)
        for i, arm in enumerate(names):
            iv = intervals[arm]
            ax[2].plot([i] * len(relative[arm]), [100 * x for x in relative[arm]], "k.", alpha=0.6)
            low = 100 * iv.low if math.isfinite(iv.low) else 100 * min(relative[arm])
            high = 100 * iv.high if math.isfinite(iv.high) else 100 * max(relative[arm])
            ax[2].errorbar([i], [100 * iv.estimate], yerr=[[100 * iv.estimate - low], [high - 100 * iv.estimate]],
                           fmt="o", capsize=4, color="tab:blue")
        ax[2].axhspan(-100 * MARGIN, 100 * MARGIN, color="tab:green", alpha=0.12)
        ax[2].axhline(-100 * MARGIN, color="tab:red", ls="--", lw=1)
        ax[2].axhline(0, color="gray", lw=0.8)
        ax[2].set_xticks(range(len(names)), names)
        ax[2].set_ylabel("validation ppl change vs no curriculum (%)")
        ax[2].set_title("paired change per seed")
