"""Difficulty scorers for training examples, and the difficulty CDF (Platanios et al. 2019, §3).

A curriculum needs a number per training example saying how hard it is. Campos (2021) scores
each training sequence (a sentence of tokens) with heuristics that need no model:

- **sequence length** (Platanios §3.1): ``d(s) = N_s``, the number of tokens;
- **unigram / bigram / trigram "sample entropy"** (Platanios §3.1, word rarity, and Campos' n-gram
  extension of it): how surprising the sequence's n-grams are under n-gram relative frequencies
  counted on the training set. Exactly, for a sequence ``s = (w_1, ..., w_N)`` padded on the left
  with ``n - 1`` begin-of-sequence markers, its k-th n-gram is ``g_k = (w_{k-n+1}, ..., w_k)`` (one
  per token, so every non-empty sequence has ``N`` of them), and

      p(g) = count(g) / M          (M = the number of n-grams, i.e. tokens, in the training set)
      d_n(s) = -(1/N) * sum_k log p(g_k)            (reduction="mean", used by the experiment)
      d_n(s) = -sum_k log p(g_k)                    (reduction="sum", Platanios word rarity for n = 1)

  ``p`` is the *joint* relative frequency of the n-gram (not a conditional ``p(w_k | history)``):
  a sequence is easy when it is made of common n-grams. The sum grows with length, so summed
  rarity mostly re-ranks by length; the mean isolates how unusual the tokens are.
- **random difficulty** (Campos' control): an independent uniform score per example, so the
  competence schedule admits a random subset that grows over time — the schedule without an
  ordering.

The difficulty **CDF** (Platanios §3.1) maps scores to ``(0, 1]``; the sampler
(:mod:`.curriculum`) admits an example at step ``t`` when its CDF value is at most the competence
``c(t)``. Platanios use the empirical CDF, under which tied examples share a value; with integer
scores such as length whole groups of ties would enter at once, and the easiest group can be larger
than ``c0`` times the data (no example admissible at the start). Ties are therefore broken at
random (seeded): the CDF value of the example of rank ``r`` (0 = easiest) is ``(r + 1) / N``.

Everything here is model-agnostic: sequences are lists of hashable tokens (token ids, words).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Hashable, Sequence

import torch
from torch import Tensor

_BOS = object()  # the begin-of-sequence marker of n-gram padding: equal to no token


def _check_sequences(sequences: Sequence[Sequence[Hashable]]) -> None:
    if len(sequences) == 0:
        raise ValueError("sequences must hold at least one sequence, got none")


def sequence_length(sequences: Sequence[Sequence[Hashable]]) -> Tensor:
    """Length difficulty (Platanios §3.1): ``N`` sequences -> ``[N]`` float64 token counts."""
    _check_sequences(sequences)
    return torch.tensor([float(len(s)) for s in sequences], dtype=torch.float64)


def ngrams(sequence: Sequence[Hashable], n: int) -> list[tuple[Hashable, ...]]:
    """The ``len(sequence)`` n-grams of ``sequence``, left-padded with ``n - 1`` begin markers:
    the k-th is ``(w_{k-n+1}, ..., w_k)``."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    padded = [_BOS] * (n - 1) + list(sequence)
    return [tuple(padded[k : k + n]) for k in range(len(sequence))]


def ngram_counts(sequences: Sequence[Sequence[Hashable]], n: int) -> Counter:
    """Counts of every (left-padded) n-gram over ``sequences``: the n-gram model of the training set."""
    _check_sequences(sequences)
    counts: Counter = Counter()
    for s in sequences:
        counts.update(ngrams(s, n))
    return counts


def ngram_surprise(sequences: Sequence[Sequence[Hashable]], n: int, reduction: str = "mean") -> Tensor:
    """n-gram "sample entropy" difficulty: ``N`` sequences -> ``[N]`` float64 (nats).

    The n-gram relative frequencies ``p(g) = count(g) / M`` are counted on ``sequences`` themselves
    (the training set, as in the paper), so every n-gram scored has been seen. ``reduction="mean"``
    divides a sequence's summed surprise ``-sum_k log p(g_k)`` by its length; ``"sum"`` is
    Platanios' word rarity (§3.1) for ``n = 1``.
    """
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    counts = ngram_counts(sequences, n)
    if reduction == "mean" and any(len(s) == 0 for s in sequences):
        i = next(i for i, s in enumerate(sequences) if len(s) == 0)
        raise ValueError(f"sequence {i} is empty: its mean n-gram surprise is undefined")
    log_total = math.log(sum(counts.values()))
    log_count = {g: math.log(c) for g, c in counts.items()}
    out = []
    for s in sequences:
        grams = ngrams(s, n)
        total = sum(log_total - log_count[g] for g in grams)  # -sum_k log p(g_k)
        out.append(total / len(grams) if reduction == "mean" else total)
    return torch.tensor(out, dtype=torch.float64)


def random_difficulty(n_examples: int, seed: int = 0) -> Tensor:
    """The random-difficulty control: ``[n_examples]`` float64 scores uniform in [0, 1), seeded."""
    if n_examples < 1:
        raise ValueError(f"n_examples must be >= 1, got {n_examples}")
    return torch.rand(n_examples, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


SCORERS: dict[str, Callable[[Sequence[Sequence[Hashable]]], Tensor]] = {
    "length": sequence_length,
    "unigram": lambda seqs: ngram_surprise(seqs, 1),
    "bigram": lambda seqs: ngram_surprise(seqs, 2),
    "trigram": lambda seqs: ngram_surprise(seqs, 3),
}
"""The model-free difficulty heuristics by name (n-gram scores with ``reduction="mean"``)."""


def score_difficulty(name: str, sequences: Sequence[Sequence[Hashable]], seed: int = 0) -> Tensor:
    """Score ``sequences`` with the heuristic ``name`` (a key of :data:`SCORERS`, or ``"random"``,
    which uses ``seed``) -> ``[N]`` float64, larger = harder."""
    if name == "random":
        _check_sequences(sequences)
        return random_difficulty(len(sequences), seed)
    if name not in SCORERS:
        raise ValueError(f"difficulty must be one of {sorted([*SCORERS, 'random'])}, got {name!r}")
    return SCORERS[name](sequences)


def difficulty_cdf(scores: Tensor, seed: int = 0) -> Tensor:
    """CDF of the difficulty scores (Platanios §3.1) with ties broken at random.

    Args:
        scores: ``[N]`` finite difficulty scores (larger = harder).
        seed: seed of the tie-breaking permutation.

    Returns:
        ``[N]`` float64: ``(rank + 1) / N``, where ``rank`` is the example's position in the order
        of increasing difficulty (0 = easiest); tied examples are ranked in a random order.
    """
    if scores.dim() != 1 or scores.numel() == 0:
        raise ValueError(f"scores must be a non-empty 1-D tensor [N], got shape {list(scores.shape)}")
    if not torch.isfinite(scores).all():
        raise ValueError("scores must be finite")
    n = scores.numel()
    shuffle = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    # A stable sort of the shuffled scores: equal scores keep the random order of the shuffle.
    order = shuffle[torch.sort(scores[shuffle].double(), stable=True).indices]
    cdf = torch.empty(n, dtype=torch.float64)
    cdf[order] = torch.arange(1, n + 1, dtype=torch.float64) / n
    return cdf
