"""Small statistics for criteria that compare arms: seed spread, intervals, rank correlation, power laws.

Every criterion that compares two arms decides through an :class:`Interval`, so that a difference
inside noise is ``inconclusive`` rather than a pass or a failure (``shared/entry-checklist.md`` §3):

- :func:`seed_spread`: mean, standard deviation, min and max of one arm over seeds;
- :func:`mean_interval`: Student-t interval of a mean (e.g. of per-seed paired differences);
- :func:`paired_bootstrap`: percentile bootstrap of a statistic over paired items (test
  sentences, test images), resampling the same items for both arms;
- :func:`spearman`: Spearman's rank correlation (ties get average ranks);
- :func:`power_law_fit`: ``y = a · x^(-alpha)`` by least squares in log-log space, with R².

:meth:`Interval.decide` and :meth:`Interval.equivalent` turn an interval into a criterion's
``passed`` (True, False, or None for undecided). Pure Python and numpy; no torch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

# Two-sided 95% Student-t quantiles t_{0.975, df} for df = 1..30 (beyond: the normal 1.96).
_T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
        2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
        2.045, 2.042)


@dataclass(frozen=True)
class Interval:
    """An estimate with a confidence interval ``[low, high]``."""

    estimate: float
    low: float
    high: float
    confidence: float = 0.95
    method: str = ""

    def decide(self, margin: float = 0.0) -> bool | None:
        """``passed`` for "the quantity is above ``margin``": True if the whole interval is above
        it, False if the whole interval is below it, None (inconclusive) if it straddles it."""
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            return None
        if self.low > margin:
            return True
        if self.high < margin:
            return False
        return None

    def equivalent(self, margin: float) -> bool | None:
        """``passed`` for a claim of no difference with an equivalence margin: True if the interval
        lies inside ``[-margin, margin]``, False if it lies wholly outside, None otherwise."""
        if margin <= 0:
            raise ValueError(f"margin must be positive, got {margin}")
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            return None
        if -margin <= self.low and self.high <= margin:
            return True
        if self.low > margin or self.high < -margin:
            return False
        return None

    def as_dict(self, digits: int = 5) -> dict[str, float | str]:
        """For ``Outcome.numbers``: the values rounded to ``digits`` decimals."""
        out = asdict(self)
        return {k: round(v, digits) if isinstance(v, float) and math.isfinite(v) else v for k, v in out.items()}


@dataclass(frozen=True)
class Spread:
    """One arm over seeds."""

    mean: float
    sd: float  # sample standard deviation (n - 1); 0 for one seed
    min: float
    max: float
    n: int


def seed_spread(values: Sequence[float]) -> Spread:
    """Mean, sample standard deviation, min and max of ``values`` (one per seed)."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        raise ValueError("seed_spread needs at least one value")
    sd = float(x.std(ddof=1)) if x.size > 1 else 0.0
    return Spread(float(x.mean()), sd, float(x.min()), float(x.max()), int(x.size))


def t_quantile_95(df: int) -> float:
    """The two-sided 95% Student-t quantile for ``df`` degrees of freedom."""
    if df < 1:
        raise ValueError(f"df must be >= 1, got {df}")
    return _T95[df - 1] if df <= len(_T95) else 1.96


def mean_interval(values: Sequence[float]) -> Interval:
    """95% Student-t interval of the mean of ``values`` (e.g. per-seed differences between two arms
    trained with the same seeds). With one value the interval is unbounded: undecidable."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        raise ValueError("mean_interval needs at least one value")
    mean = float(x.mean())
    if x.size == 1:
        return Interval(mean, -math.inf, math.inf, 0.95, "t (one value: unbounded)")
    half = t_quantile_95(x.size - 1) * float(x.std(ddof=1)) / math.sqrt(x.size)
    return Interval(mean, mean - half, mean + half, 0.95, f"t, n={x.size}")


def paired_bootstrap(n_items: int, statistic: Callable[[np.ndarray], float], *, samples: int = 1000,
                     confidence: float = 0.95, seed: int = 0) -> Interval:
    """Percentile bootstrap of ``statistic(indices)`` over ``n_items`` paired items.

    ``statistic`` receives an index array (with repeats) and returns the quantity of interest
    computed on those items for *both* arms, e.g. ``BLEU(b[idx]) - BLEU(a[idx])`` (Koehn 2004).
    The estimate is the statistic on all items.
    """
    if n_items < 1:
        raise ValueError(f"n_items must be >= 1, got {n_items}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    rng = np.random.default_rng(seed)
    estimate = float(statistic(np.arange(n_items)))
    draws = np.array([statistic(rng.integers(0, n_items, n_items)) for _ in range(samples)], dtype=float)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(draws, [alpha, 1 - alpha])
    return Interval(estimate, float(low), float(high), confidence, f"paired bootstrap, {samples} resamples")


def paired_mean_bootstrap(a: Sequence[float], b: Sequence[float], **kw) -> Interval:
    """Paired bootstrap of ``mean(b - a)`` over items (per-item losses, accuracies, ...)."""
    diff = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    if diff.ndim != 1:
        raise ValueError("a and b must be 1-D sequences of the same length")
    return paired_bootstrap(len(diff), lambda idx: float(diff[idx].mean()), **kw)


def _ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x), dtype=float)
    ranks[order] = np.arange(1, len(x) + 1)
    for value in np.unique(x):  # ties share the average rank
        tied = x == value
        if tied.sum() > 1:
            ranks[tied] = ranks[tied].mean()
    return ranks


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation of ``x`` and ``y`` (Pearson correlation of the ranks)."""
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or a.size < 2:
        raise ValueError(f"spearman needs two 1-D sequences of equal length >= 2, got {a.shape} and {b.shape}")
    ra, rb = _ranks(a), _ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denom = math.sqrt(float((ra * ra).sum() * (rb * rb).sum()))
    return float((ra * rb).sum() / denom) if denom > 0 else float("nan")


@dataclass(frozen=True)
class PowerLaw:
    """``y = coefficient · x^(-exponent)``, fitted in log-log space; ``r2`` of that fit."""

    coefficient: float
    exponent: float
    r2: float

    def __call__(self, x: float) -> float:
        return self.coefficient * x ** (-self.exponent)


def power_law_fit(x: Sequence[float], y: Sequence[float]) -> PowerLaw:
    """Least-squares fit of ``log y = log a - alpha · log x`` (e.g. loss against parameters)."""
    with np.errstate(divide="ignore", invalid="ignore"):  # non-positive values are refused just below
        lx, ly = np.log(np.asarray(x, dtype=float)), np.log(np.asarray(y, dtype=float))
    if lx.shape != ly.shape or lx.size < 2 or not (np.isfinite(lx).all() and np.isfinite(ly).all()):
        raise ValueError("power_law_fit needs >= 2 positive (x, y) pairs")
    slope, intercept = np.polyfit(lx, ly, 1)
    predicted = intercept + slope * lx
    total = float(((ly - ly.mean()) ** 2).sum())
    r2 = 1.0 - float(((ly - predicted) ** 2).sum()) / total if total > 0 else float("nan")
    return PowerLaw(float(math.exp(intercept)), float(-slope), r2)
