"""预测: next month's new cases with 80% and 95% prediction intervals, and the back-test that decides
whether a forecast may be shown at all.

The model, for one monthly series of counts y_t (t = 0 … n-1):

    log E[y_t] = b0 + b1 · t/12 + Σ_k (c_k sin(2πk·m_t/12) + d_k cos(2πk·m_t/12)),  k = 1, 2

a GLM with a log link fitted by statsmodels: Poisson, or negative binomial (NB2) when the Pearson
dispersion shows more spread than Poisson allows (the NB2 α by moments, then a refit). Month of year
enters as two harmonic pairs rather than eleven dummies: with 24–72 monthly counts, eleven dummies
fit the noise of each calendar month and give intervals that are too narrow (over-confident).

The prediction interval is simulated from the predictive distribution: coefficient vectors drawn
from their estimated sampling distribution (multivariate normal), a mean for the target month from
each, and a count drawn from Poisson or NB2 at that mean; the 10/90 and 2.5/97.5 percentiles of the
counts are the 80% and 95% intervals. Both the parameter uncertainty and the count's own noise are
in the interval, which is what "where will next month's count fall" needs.

No forecast is made (a reason is given instead) with fewer than MIN_MONTHS months of history or
fewer than MIN_MEAN cases a month on average over the last two years: at those counts the interval
is almost all of 0…a few, and a "forecast" would claim more than the data know.
"""

import datetime as dt
import math
import warnings
from dataclasses import dataclass, field

import numpy as np

MIN_MONTHS = 24
MIN_MEAN = 1.0
HARMONICS = 2
OVERDISPERSED = 1.2  # Pearson χ²/df above this: negative binomial
SIMULATIONS = 4000
BACKTEST_MONTHS = 12
MIN_COVERAGE_80 = 0.70


@dataclass(frozen=True)
class Forecast:
    ok: bool
    reason: str = ""  # why no forecast, when not ok
    expected: float | None = None
    pi80: tuple[int, int] | None = None
    pi95: tuple[int, int] | None = None
    family: str = ""  # "poisson" or "negbin"
    dispersion: float | None = None

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "reason": self.reason,
            "expected": None if self.expected is None else round(self.expected, 1),
            "pi80": list(self.pi80) if self.pi80 else None,
            "pi95": list(self.pi95) if self.pi95 else None,
            "family": self.family,
        }


def _design(t: np.ndarray, month_of_year: np.ndarray) -> np.ndarray:
    columns = [np.ones_like(t, dtype=float), t / 12.0]
    for k in range(1, HARMONICS + 1):
        angle = 2 * math.pi * k * month_of_year / 12.0
        columns += [np.sin(angle), np.cos(angle)]
    return np.column_stack(columns)


def _month_index(first: dt.date, n: int) -> np.ndarray:
    """Month of year (0–11) of each of n months starting at `first`."""
    return (first.month - 1 + np.arange(n)) % 12


def too_little(counts) -> str:
    """Why no forecast can honestly be made from these counts, or "" if one can."""
    counts = np.asarray(counts)
    if len(counts) < MIN_MONTHS:
        return f"历史不足{MIN_MONTHS}个月（{len(counts)}个月）"
    recent = counts[-MIN_MONTHS:]
    if recent.mean() < MIN_MEAN:
        return f"近{MIN_MONTHS}个月平均每月不足{MIN_MEAN:g}件（共{int(recent.sum())}件）"
    return ""


def _fit(y: np.ndarray, X: np.ndarray):
    """(result, family name, NB2 α or 0, Pearson dispersion of the Poisson fit)."""
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter; a failed fit raises below
        poisson = sm.GLM(y, X, family=sm.families.Poisson()).fit()
        dispersion = float(poisson.pearson_chi2 / max(poisson.df_resid, 1))
        if dispersion <= OVERDISPERSED:
            return poisson, "poisson", 0.0, dispersion
        mu = poisson.fittedvalues
        # NB2: Var = μ + α μ². Moment estimate of α from the Poisson fit's residuals.
        alpha = max(float(np.sum(((y - mu) ** 2 - mu) / mu**2) / max(poisson.df_resid, 1)), 1e-3)
        negbin = sm.GLM(y, X, family=sm.families.NegativeBinomial(alpha=alpha)).fit()
        return negbin, "negbin", alpha, dispersion


def forecast(counts, first: dt.date, steps_ahead: int = 1, seed: int = 16) -> Forecast:
    """The forecast of the month `steps_ahead` after the last of `counts` (monthly, starting at `first`)."""
    y = np.asarray(counts, dtype=float)
    reason = too_little(y)
    if reason:
        return Forecast(ok=False, reason=reason)
    n = len(y)
    t = np.arange(n, dtype=float)
    X = _design(t, _month_index(first, n))
    try:
        result, family, alpha, dispersion = _fit(y, X)
    except (ValueError, np.linalg.LinAlgError, FloatingPointError) as exc:
        return Forecast(ok=False, reason=f"模型未能拟合（{exc.__class__.__name__}）")
    params, cov = np.asarray(result.params), np.asarray(result.cov_params())
    if not np.all(np.isfinite(params)) or not np.all(np.isfinite(cov)):
        return Forecast(ok=False, reason="模型未能拟合（系数不稳定）")
    target = n - 1 + steps_ahead
    x_new = _design(np.array([float(target)]), _month_index(first, target + 1)[-1:])[0]
    rng = np.random.default_rng(seed)
    draws = rng.multivariate_normal(params, cov, size=SIMULATIONS, method="cholesky" if _pd(cov) else "eigh")
    mu = np.exp(np.clip(draws @ x_new, -20, 20))
    if family == "negbin":
        mu = rng.gamma(shape=1 / alpha, scale=alpha * mu)  # the gamma–Poisson mixture is NB2
    simulated = rng.poisson(mu)
    q = np.percentile(simulated, [2.5, 10, 90, 97.5])
    return Forecast(
        ok=True,
        expected=float(math.exp(x_new @ params)),
        pi80=(int(q[1]), int(q[2])),
        pi95=(int(q[0]), int(q[3])),
        family=family,
        dispersion=dispersion,
    )


def _pd(matrix: np.ndarray) -> bool:
    try:
        np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        return False
    return True


@dataclass
class Backtest:
    """One series replayed: each of the last months forecast from the months before it."""

    months: int = 0  # months for which a forecast could be made
    in80: int = 0
    in95: int = 0
    abs_error: float = 0.0
    naive_abs_error: float = 0.0  # seasonal naive: the same month a year before
    rows: list = field(default_factory=list)

    @property
    def coverage80(self) -> float | None:
        return self.in80 / self.months if self.months else None

    @property
    def coverage95(self) -> float | None:
        return self.in95 / self.months if self.months else None

    @property
    def mae(self) -> float | None:
        return self.abs_error / self.months if self.months else None

    @property
    def naive_mae(self) -> float | None:
        return self.naive_abs_error / self.months if self.months else None

    @property
    def passes(self) -> bool:
        """Enough replayed months, and the 80% interval held the actual at least MIN_COVERAGE_80 of the time."""
        return self.months >= BACKTEST_MONTHS // 2 and self.coverage80 >= MIN_COVERAGE_80

    def add(self, other: "Backtest") -> "Backtest":
        return Backtest(
            self.months + other.months,
            self.in80 + other.in80,
            self.in95 + other.in95,
            self.abs_error + other.abs_error,
            self.naive_abs_error + other.naive_abs_error,
            self.rows + other.rows,
        )


def backtest(counts, first: dt.date, months: int = BACKTEST_MONTHS) -> Backtest:
    """Replay the last `months` of `counts`: forecast each from the data before it, one month ahead."""
    y = np.asarray(counts, dtype=float)
    result = Backtest()
    for end in range(max(len(y) - months, 0), len(y)):
        f = forecast(y[:end], first)
        if not f.ok:
            continue
        actual = int(y[end])
        result.months += 1
        result.in80 += f.pi80[0] <= actual <= f.pi80[1]
        result.in95 += f.pi95[0] <= actual <= f.pi95[1]
        result.abs_error += abs(actual - f.expected)
        result.naive_abs_error += abs(actual - y[end - 12])
        result.rows.append((end, actual, f))
    return result
