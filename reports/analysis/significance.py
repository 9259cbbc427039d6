"""Is this period's count of cases really higher than before? The arithmetic, free of the database.

Two counts of events over two stretches of time (exposures, in days) are compared with the exact
conditional test: given n = x + y events in all, under "the rate did not change" the count in the
current stretch is Binomial(n, t1 / (t1 + t0)). The one-sided p-value of a rise is P(X >= x) under
that binomial; the rate ratio's interval is the Clopper–Pearson interval of the binomial proportion
mapped back to a ratio. The test is exact, hence conservative: a flat series is flagged at most at the
stated rate, on a count of 3 as on a count of 300, and no bare percentage is ever the evidence.

Many rows are tested at once (every category, community and grid, against two baselines), so the
flag is decided on Benjamini–Hochberg adjusted p-values over each table: of the rows flagged, the
expected share flagged by chance alone is at most `alpha`.
"""

from dataclasses import dataclass, replace

# The distributions' own functions, not scipy.stats' objects: the same numbers (beta.ppf is betaincinv,
# binom.sf is bdtrc) at a quarter of the cost, which a table of two dozen rows pays on every poll.
from scipy.special import bdtrc, betaincinv

ALPHA = 0.05


@dataclass(frozen=True)
class Comparison:
    current: int
    current_days: float
    baseline: int
    baseline_days: float
    # One-sided p-value of a rise; None when there is nothing to compare (no events at all).
    p_rise: float | None
    rate_ratio: float | None  # None when the baseline has no events (the ratio is unbounded)
    ci95: tuple[float, float | None] | None  # upper None: unbounded
    q_rise: float | None = None  # the adjusted p-value, set by `flag_rises`
    rising: bool = False

    @property
    def expected(self) -> float:
        """The current stretch's count if it ran at the baseline's rate."""
        return self.baseline * self.current_days / self.baseline_days

    def as_dict(self) -> dict:
        return {
            "current": self.current,
            "baseline": self.baseline,
            "expected": round(self.expected, 1),
            "rate_ratio": None if self.rate_ratio is None else round(self.rate_ratio, 2),
            "ci95": None
            if self.ci95 is None
            else [round(self.ci95[0], 2), None if self.ci95[1] is None else round(self.ci95[1], 2)],
            "p_rise": None if self.p_rise is None else round(self.p_rise, 4),
            "q_rise": None if self.q_rise is None else round(self.q_rise, 4),
            "rising": self.rising,
        }


def _odds_to_ratio(p: float, exposure_ratio: float) -> float | None:
    """A binomial proportion of events in the current stretch, as a rate ratio; None for p = 1."""
    if p >= 1:
        return None
    return p / (1 - p) * exposure_ratio


def compare_rates(current: int, current_days: float, baseline: int, baseline_days: float) -> Comparison:
    """The current count against the baseline's, each over its exposure (days)."""
    if current < 0 or baseline < 0 or current_days <= 0 or baseline_days <= 0:
        raise ValueError("counts must be >= 0 and exposures > 0")
    n = current + baseline
    if n == 0:
        return Comparison(current, current_days, baseline, baseline_days, None, None, None)
    share = current_days / (current_days + baseline_days)
    p_rise = float(bdtrc(current - 1, n, share))  # P(X >= current)
    # Clopper–Pearson: the two-sided 95% exact interval of the proportion current / n.
    low = float(betaincinv(current, n - current + 1, 0.025)) if current > 0 else 0.0
    high = float(betaincinv(current + 1, n - current, 0.975)) if current < n else 1.0
    exposure_ratio = baseline_days / current_days
    ratio = _odds_to_ratio(current / n, exposure_ratio)
    ci = (_odds_to_ratio(low, exposure_ratio) or 0.0, _odds_to_ratio(high, exposure_ratio))
    return Comparison(current, current_days, baseline, baseline_days, p_rise, ratio, ci)


def benjamini_hochberg(p_values: list[float | None]) -> list[float | None]:
    """Adjusted p-values (step-up, monotone), None kept where no test was made."""
    tested = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    m = len(tested)
    adjusted: list[float | None] = [None] * len(p_values)
    running = 1.0
    for rank in range(m, 0, -1):
        p, index = tested[rank - 1]
        running = min(running, p * m / rank)
        adjusted[index] = running
    return adjusted


def flag_rises(comparisons: list[Comparison], alpha: float = ALPHA) -> list[Comparison]:
    """The same comparisons with their adjusted p-value and the flag: a rise significant over the family."""
    adjusted = benjamini_hochberg([c.p_rise for c in comparisons])
    return [
        replace(c, q_rise=q, rising=q is not None and q < alpha and c.current > c.expected)
        for c, q in zip(comparisons, adjusted, strict=True)
    ]
