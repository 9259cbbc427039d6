"""The significance test on synthetic series with known answers."""

import numpy as np
import pytest

from reports.analysis.significance import ALPHA, benjamini_hochberg, compare_rates, flag_rises

SIMULATIONS = 4000
MONTH, QUARTER = 30, 91


def test_a_flat_poisson_series_is_flagged_at_most_at_the_stated_rate():
    """Counts drawn at one constant rate: the one-sided exact test rejects at most alpha of the time
    (it is exact and discrete, hence conservative); tolerance: three binomial standard errors."""
    rng = np.random.default_rng(16)
    for daily_rate in (0.1, 0.5, 2.0):  # ~3, ~15 and ~60 cases a month: small counts included
        current = rng.poisson(daily_rate * MONTH, SIMULATIONS)
        baseline = rng.poisson(daily_rate * QUARTER, SIMULATIONS)
        pairs = zip(current, baseline, strict=True)
        rejected = sum(compare_rates(int(c), MONTH, int(b), QUARTER).p_rise < ALPHA for c, b in pairs)
        tolerance = 3 * (ALPHA * (1 - ALPHA) / SIMULATIONS) ** 0.5
        assert rejected / SIMULATIONS <= ALPHA + tolerance, daily_rate


def test_a_flat_family_is_rarely_flagged_after_the_correction():
    """Forty flat rows tested together: the corrected flag falls on some row in at most alpha of the months."""
    rng = np.random.default_rng(7)
    months_with_a_flag = 0
    runs = 300
    for _ in range(runs):
        rows = [
            compare_rates(int(rng.poisson(15)), MONTH, int(rng.poisson(15 * QUARTER / MONTH)), QUARTER)
            for _ in range(40)
        ]
        months_with_a_flag += any(c.rising for c in flag_rises(rows))
    assert months_with_a_flag / runs <= ALPHA + 3 * (ALPHA * (1 - ALPHA) / runs) ** 0.5


def test_a_doubled_rate_is_flagged():
    """At 30 cases a month, a doubling against the previous quarter is found nearly always."""
    rng = np.random.default_rng(21)
    found = 0
    for _ in range(1000):
        c = compare_rates(int(rng.poisson(60)), MONTH, int(rng.poisson(30 * QUARTER / MONTH)), QUARTER)
        found += flag_rises([c])[0].rising
    assert found / 1000 >= 0.95


def test_known_values():
    # 40 in 30 days against 60 in 90: the rate doubled; P(X >= 40 | n = 100, p = 1/4) by hand.
    c = compare_rates(40, 30, 60, 90)
    assert c.rate_ratio == pytest.approx(2.0)
    assert c.p_rise == pytest.approx(0.000686592, rel=1e-4)
    assert c.ci95[0] == pytest.approx(1.306, abs=1e-3) and c.ci95[1] == pytest.approx(3.034, abs=1e-3)
    assert c.expected == pytest.approx(20.0)
    # 3 against none: the ratio is unbounded above, and three events alone are evidence (p = 1/4**3).
    c = compare_rates(3, 30, 0, 90)
    assert c.rate_ratio is None and c.ci95[1] is None and c.p_rise == pytest.approx(1 / 64)
    # Nothing in either stretch: no test at all, never flagged.
    c = flag_rises([compare_rates(0, 30, 0, 90)])[0]
    assert c.p_rise is None and not c.rising


def test_a_fall_is_never_flagged_as_a_rise():
    assert not flag_rises([compare_rates(2, 30, 300, 90)])[0].rising


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        compare_rates(-1, 30, 2, 90)
    with pytest.raises(ValueError):
        compare_rates(1, 0, 2, 90)


def test_benjamini_hochberg_by_hand():
    # p = .01, .04, .03, .2 (m = 4): sorted .01 .03 .04 .2 -> .04, .0533, .0533, .2.
    assert benjamini_hochberg([0.01, 0.04, 0.03, None, 0.2]) == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, None, 0.2])
