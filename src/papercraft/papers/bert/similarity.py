"""Word similarity from embeddings, scored against human judgments, and the baselines beside it.

The evaluation (the standard intrinsic test of word vectors, e.g. WordSim-353, Finkelstein et al.
2002; SimLex-999, Hill et al. 2015): every pair ``(w1, w2)`` has a human similarity score ``s``;
a method gives the pair a score ``m(w1, w2)``; the method agrees with the humans to the extent that
it *ranks* the pairs the same way, measured by Spearman's rank correlation

    rho = corr(rank(m), rank(s))        (Pearson correlation of the ranks; ties get average ranks)

over all pairs. An embedding method scores a pair by the cosine of the two words' vectors,
``m = <e(w1), e(w2)> / (|e(w1)| |e(w2)|)``. Here ``e(w)`` is a sentence encoder's embedding of the
word alone (a BERT's mean-pooled last hidden states over ``[CLS] pieces(w) [SEP]``), so a word that
is not in the vocabulary is split into pieces and still embedded: no pair is ever dropped.

Baselines, to say what the correlation of a trained encoder is worth:

- :func:`random_word_vectors`: an independent Gaussian vector per distinct word (fixed seed); its
  cosines carry no information, so its rho is ~0 up to sampling noise (identical words in a pair
  get cosine 1, the only signal it has);
- :func:`ngram_jaccard`: string similarity, the Jaccard index of the two words' character
  n-gram sets (with boundary marks), ``|G(w1) ∩ G(w2)| / |G(w1) ∪ G(w2)|``: what spelling alone
  says ("car"/"cart" similar, "car"/"automobile" not).

Uncertainty: :func:`spearman_interval` is a percentile bootstrap over word pairs;
:func:`spearman_gain_interval` bootstraps the *difference* between one method's rho and the best
of several others on the same resampled pairs (a paired bootstrap; the best baseline is taken
again in every resample, so the interval does not favour the method by a choice made on all pairs).

Pure numpy apart from :func:`mean_pooled_embeddings` (torch).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import torch
from torch import Tensor

from papercraft.statistics import Interval, paired_bootstrap

__all__ = [
    "char_ngrams", "ngram_jaccard", "random_word_vectors", "pair_cosines", "average_ranks", "fast_spearman",
    "spearman_interval", "spearman_gain_interval", "mean_pooled_embeddings",
]

BOUNDARY = "#"
"""Marks a word's start and end before its n-grams are taken ("cat" -> "#cat#" -> #ca, cat, at#)."""


def char_ngrams(word: str, n: int = 3) -> frozenset[str]:
    """The set of character ``n``-grams of ``#word#`` (lower-cased); a word shorter than ``n - 2``
    characters gives its whole marked form as its one n-gram."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    marked = f"{BOUNDARY}{word.lower()}{BOUNDARY}"
    if len(marked) <= n:
        return frozenset([marked])
    return frozenset(marked[i : i + n] for i in range(len(marked) - n + 1))


def ngram_jaccard(a: str, b: str, n: int = 3) -> float:
    """Jaccard index of the character ``n``-gram sets of ``a`` and ``b``, in [0, 1]."""
    ga, gb = char_ngrams(a, n), char_ngrams(b, n)
    return len(ga & gb) / len(ga | gb)


def random_word_vectors(words: Iterable[str], dim: int, seed: int) -> dict[str, Tensor]:
    """One N(0, I) vector ``[dim]`` per distinct word, drawn in sorted word order from a generator
    seeded with ``seed`` (so the vectors depend only on the set of words, the dimension and the seed)."""
    if not isinstance(dim, int) or dim < 1:
        raise ValueError(f"dim must be an integer >= 1, got {dim!r}")
    vocabulary = sorted(set(words))
    g = torch.Generator().manual_seed(seed)
    table = torch.randn(len(vocabulary), dim, generator=g, dtype=torch.float64)
    return {w: table[i] for i, w in enumerate(vocabulary)}


def pair_cosines(vectors: Mapping[str, Tensor], pairs: Sequence[tuple[str, str]]) -> np.ndarray:
    """Cosine similarity of each pair's two vectors: ``[N]`` float64. A word without a vector is a
    ``KeyError`` naming it (every word must be embedded; none is dropped)."""
    missing = sorted({w for pair in pairs for w in pair if w not in vectors})
    if missing:
        raise KeyError(f"no vector for {len(missing)} word(s), e.g. {missing[:5]}")
    a = torch.stack([vectors[w1].double() for w1, _ in pairs])
    b = torch.stack([vectors[w2].double() for _, w2 in pairs])
    return torch.nn.functional.cosine_similarity(a, b, dim=1, eps=1e-12).numpy()


def average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``x`` ``[n]``, ties sharing their average rank (what
    :func:`papercraft.statistics.spearman` uses, vectorized for the bootstrap)."""
    x = np.asarray(x)
    n = x.size
    sorter = np.argsort(x, kind="mergesort")
    inverse = np.empty(n, dtype=np.intp)
    inverse[sorter] = np.arange(n)
    xs = x[sorter]
    starts = np.r_[True, xs[1:] != xs[:-1]]
    dense = np.cumsum(starts)[inverse]  # 1-based id of each value's tie group
    bounds = np.r_[np.flatnonzero(starts), n]  # group g spans sorted positions bounds[g-1] .. bounds[g]-1
    return 0.5 * (bounds[dense] + bounds[dense - 1] + 1)


def fast_spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rho of two ``[n]`` arrays (equal to :func:`papercraft.statistics.spearman`)."""
    rx, ry = average_ranks(x), average_ranks(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    denom = float(np.sqrt((rx * rx).sum() * (ry * ry).sum()))
    return float((rx * ry).sum() / denom) if denom > 0 else float("nan")


def _check_scores(scores: Sequence[float], human: Sequence[float], name: str) -> tuple[np.ndarray, np.ndarray]:
    m, h = np.asarray(scores, dtype=float), np.asarray(human, dtype=float)
    if m.ndim != 1 or m.shape != h.shape or m.size < 3:
        raise ValueError(f"{name} and human must be 1-D of the same length >= 3, got {m.shape} and {h.shape}")
    return m, h


def spearman_interval(scores: Sequence[float], human: Sequence[float], *, samples: int = 1000,
                      seed: int = 0) -> Interval:
    """Spearman's rho of ``scores`` ``[N]`` against ``human`` ``[N]``, with a 95% percentile
    bootstrap interval over the ``N`` pairs."""
    m, h = _check_scores(scores, human, "scores")
    return paired_bootstrap(len(m), lambda idx: fast_spearman(m[idx], h[idx]), samples=samples, seed=seed)


def spearman_gain_interval(scores: Sequence[float], baselines: Mapping[str, Sequence[float]],
                           human: Sequence[float], *, samples: int = 1000, seed: int = 0) -> Interval:
    """``rho(scores) - max_b rho(baselines[b])`` over the same pairs, with a paired 95% bootstrap
    interval: each resample of pairs recomputes every rho and the best baseline on it."""
    m, h = _check_scores(scores, human, "scores")
    if not baselines:
        raise ValueError("baselines must name at least one method")
    base = []
    for name, values in baselines.items():
        base.append(_check_scores(values, human, f"baselines[{name!r}]")[0])

    def gain(idx: np.ndarray) -> float:
        return fast_spearman(m[idx], h[idx]) - max(fast_spearman(b[idx], h[idx]) for b in base)

    return paired_bootstrap(len(m), gain, samples=samples, seed=seed)


@torch.no_grad()
def mean_pooled_embeddings(model: torch.nn.Module, input_ids: Tensor, attention_mask: Tensor,
                           batch_size: int = 64) -> Tensor:
    """Mean of a BERT's last hidden states over the real tokens (sentence-transformers' mean pooling).

    ``model`` is a :class:`~papercraft.papers.bert.model.BertModel` (anything returning an object
    with ``.last_hidden_state`` [B, L, H]); ``input_ids`` and ``attention_mask`` are ``[N, L]``
    (1 = real token). Returns ``[N, H]`` float32, not normalized (cosines do not need it).
    """
    if input_ids.dim() != 2 or attention_mask.shape != input_ids.shape:
        raise ValueError(f"input_ids and attention_mask must both be [N, L], got {list(input_ids.shape)} "
                         f"and {list(attention_mask.shape)}")
    if input_ids.shape[0] and bool((attention_mask.sum(1) == 0).any()):
        raise ValueError("attention_mask has a row with no real token; every row must hold at least one")
    was = model.training
    model.eval()
    device = next(model.parameters()).device
    out = []
    for i in range(0, input_ids.shape[0], batch_size):
        ids, mask = input_ids[i : i + batch_size].to(device), attention_mask[i : i + batch_size].to(device)
        hidden = model(ids, attention_mask=mask).last_hidden_state
        weights = mask.to(hidden.dtype).unsqueeze(-1)
        out.append(((hidden * weights).sum(1) / weights.sum(1)).float().cpu())
    model.train(was)
    return torch.cat(out) if out else torch.empty(0, 0)
