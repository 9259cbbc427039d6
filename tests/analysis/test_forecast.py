"""The forecast on synthetic series with known answers, and its back-test."""

import datetime as dt
import math

import numpy as np
import pytest

from reports.analysis.forecast import MIN_MONTHS, backtest, forecast, too_little

JAN = dt.date(2020, 1, 1)


def poisson_series(rng, months, mean):
    """Counts with a known monthly mean (an array, or a constant)."""
    return rng.poisson(np.broadcast_to(mean, (months,)))


def test_a_flat_series_is_forecast_near_its_mean_with_poisson_intervals():
    rng = np.random.default_rng(3)
    f = forecast(poisson_series(rng, 48, 20), JAN)
    assert f.ok and f.family == "poisson"
    assert f.expected == pytest.approx(20, abs=4)
    # Poisson(20)'s own 10–90% range is 14–26; parameter uncertainty may only widen it.
    assert f.pi80[0] <= 15 and f.pi80[1] >= 25 and f.pi80[1] - f.pi80[0] <= 18
    assert f.pi95[0] <= f.pi80[0] and f.pi95[1] >= f.pi80[1]


def test_the_season_is_found():
    """Mean 30 in July, 10 in January: next July's forecast is well above next January's."""
    rng = np.random.default_rng(5)
    month = np.arange(48) % 12
    mean = 20 * np.exp(0.55 * np.cos(2 * math.pi * (month - 6) / 12))
    y = poisson_series(rng, 48, mean)
    july = forecast(y, JAN, steps_ahead=7)  # 48 months from January: the 7th month ahead is July
    january = forecast(y, JAN, steps_ahead=1)
    assert july.expected > 1.8 * january.expected
    assert july.pi80[0] <= 20 * math.exp(0.55) <= july.pi80[1] + 3


def test_overdispersed_counts_are_modelled_negative_binomial_with_wider_intervals():
    rng = np.random.default_rng(8)
    y = rng.poisson(rng.gamma(shape=2, scale=10, size=48))  # mean 20, variance 20 + 200
    f = forecast(y, JAN)
    assert f.ok and f.family == "negbin" and f.dispersion > 3
    assert f.pi80[1] - f.pi80[0] > 20


def test_too_short_or_too_small_says_so():
    assert not forecast([5] * (MIN_MONTHS - 1), JAN).ok
    assert "历史不足24个月" in forecast([5] * (MIN_MONTHS - 1), JAN).reason
    small = forecast([0, 1, 0, 0, 2, 0] * 6, JAN)
    assert not small.ok and "平均每月不足" in small.reason
    assert too_little([3] * 30) == ""


def test_the_intervals_hold_their_coverage_on_many_synthetic_series():
    """Forty series (Poisson, season and trend, means 4 to 40), each replayed over 12 months:
    pooled, the 80% interval holds the actual 80% of the time or more (integer intervals are
    conservative), the 95% interval 95% or more, within three binomial standard errors; and the
    model's error is below the seasonal-naive forecast's."""
    rng = np.random.default_rng(11)
    months = in80 = in95 = 0
    mae = naive = 0.0
    for s in range(40):
        t = np.arange(48)
        mean = (4 + s) * np.exp(0.3 * np.sin(2 * math.pi * t / 12) + 0.05 * t / 12)
        b = backtest(poisson_series(rng, 48, mean), JAN)
        months, in80, in95 = months + b.months, in80 + b.in80, in95 + b.in95
        mae, naive = mae + b.abs_error, naive + b.naive_abs_error
    assert months == 40 * 12
    assert in80 / months >= 0.80 - 3 * math.sqrt(0.8 * 0.2 / months)
    assert in95 / months >= 0.95 - 3 * math.sqrt(0.95 * 0.05 / months)
    assert in80 / months <= 0.95  # not uselessly wide either
    assert mae < naive


def test_a_series_that_jumps_fails_the_backtest():
    """Flat at 5 for three years, then 30 a month: the replayed intervals miss, the forecast is withheld."""
    rng = np.random.default_rng(2)
    y = np.concatenate([poisson_series(rng, 36, 5), poisson_series(rng, 12, 30)])
    b = backtest(y, JAN)
    assert b.months == 12 and not b.passes
