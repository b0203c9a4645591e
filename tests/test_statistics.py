"""The statistics every comparing criterion uses: checked against closed forms and known values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from papercraft.results import Criterion
from papercraft.statistics import (
    Interval,
    mean_interval,
    paired_bootstrap,
    paired_mean_bootstrap,
    power_law_fit,
    seed_spread,
    spearman,
    t_quantile_95,
)


def test_seed_spread():
    s = seed_spread([1.0, 2.0, 4.0])
    assert (s.mean, s.min, s.max, s.n) == (7 / 3, 1.0, 4.0, 3)
    assert s.sd == pytest.approx(math.sqrt(((1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2 + (4 - 7 / 3) ** 2) / 2))
    assert seed_spread([5.0]).sd == 0.0
    with pytest.raises(ValueError):
        seed_spread([])


def test_mean_interval_is_the_student_t_interval():
    x = [0.1, 0.3, 0.2, 0.4]
    iv = mean_interval(x)
    half = 3.182 * np.std(x, ddof=1) / 2
    assert iv.estimate == pytest.approx(0.25)
    assert (iv.low, iv.high) == pytest.approx((0.25 - half, 0.25 + half))
    assert t_quantile_95(1) == 12.706 and t_quantile_95(500) == 1.96
    one = mean_interval([0.5])
    assert one.decide() is None and one.equivalent(1.0) is None  # one seed decides nothing


def test_interval_decisions():
    assert Interval(1.0, 0.5, 1.5).decide() is True
    assert Interval(-1.0, -1.5, -0.5).decide() is False
    assert Interval(0.1, -0.2, 0.4).decide() is None  # a tie inside noise is undecided, not a failure
    assert Interval(0.1, 0.05, 0.4).decide(margin=0.1) is None
    assert Interval(0.0, -0.1, 0.1).equivalent(0.2) is True
    assert Interval(1.0, 0.5, 1.5).equivalent(0.2) is False
    assert Interval(0.1, -0.1, 0.3).equivalent(0.2) is None
    with pytest.raises(ValueError):
        Interval(0, -1, 1).equivalent(0)


def test_criteria_from_intervals():
    c = Criterion.interval_above("gain", "b beats a", Interval(0.2, 0.1, 0.3))
    assert c.passed is True and c.measured["low"] == 0.1
    assert Criterion.interval_above("gain", "b beats a", Interval(0.0, -0.1, 0.1)).passed is None
    assert Criterion.equivalence("same", "no difference", Interval(0.0, -0.1, 0.1), 0.05).passed is None
    assert Criterion.equivalence("same", "no difference", Interval(0.0, -0.01, 0.01), 0.05).passed is True


def test_paired_bootstrap_covers_a_known_difference_and_is_seeded():
    rng = np.random.default_rng(0)
    a = rng.normal(0, 1, 400)
    b = a + 0.5 + rng.normal(0, 0.1, 400)
    iv = paired_mean_bootstrap(a, b, samples=500, seed=1)
    assert iv.low < 0.5 < iv.high and iv.decide() is True
    assert iv == paired_mean_bootstrap(a, b, samples=500, seed=1)
    noise = rng.normal(0, 1, 200)
    tie = paired_mean_bootstrap(a, a + np.concatenate([noise, -noise]), samples=500)  # mean difference exactly 0
    assert tie.estimate == pytest.approx(0.0) and tie.low < 0 < tie.high and tie.decide() is None
    # The statistic sees the same resampled items for both arms (pairing): a constant shift has no spread.
    shift = paired_bootstrap(50, lambda idx: float((b[idx] + 1).mean() - b[idx].mean()), samples=100)
    assert shift.low == pytest.approx(1.0) and shift.high == pytest.approx(1.0)


def test_spearman_matches_the_closed_form_and_handles_ties():
    x = [1, 2, 3, 4, 5]
    assert spearman(x, [5, 6, 7, 8, 7]) == pytest.approx(0.8207826816681233)
    assert spearman(x, [10, 20, 30, 40, 50]) == pytest.approx(1.0)
    assert spearman(x, [5, 4, 3, 2, 1]) == pytest.approx(-1.0)
    # No ties: 1 - 6 sum(d^2) / (n (n^2 - 1)) with rank differences d = (1, -1, 0, 1, -1).
    assert spearman(x, [2, 1, 3, 5, 4]) == pytest.approx(1 - 6 * 4 / 120)
    with pytest.raises(ValueError):
        spearman([1], [1])


def test_power_law_fit_recovers_exponent():
    x = np.array([1e3, 1e4, 1e5, 1e6])
    fit = power_law_fit(x, 7.0 * x ** -0.076)
    assert fit.exponent == pytest.approx(0.076) and fit.coefficient == pytest.approx(7.0) and fit.r2 == pytest.approx(1.0)
    assert fit(1e4) == pytest.approx(7.0 * 1e4 ** -0.076)
    with pytest.raises(ValueError):
        power_law_fit([1, 2], [1, -1])
