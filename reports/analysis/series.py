"""Monthly series of new cases (the reports' "registered" figure, live.registered_q) and the forecasts made from them.

One query reads a scope's whole history by month and dimension; the model work (forecast.py) is
in memory, a few milliseconds a fit. The page's table is cached for the day (see `forecast_table`).
"""

import datetime as dt
import hashlib

from django.core.cache import cache
from django.db.models import Count, Min
from django.db.models.functions import TruncMonth
from django.utils import timezone

from reports.statistics import Period, add_months, cumulative_since

from .forecast import Backtest, backtest, forecast
from .live import DIMENSIONS, registered_q

SERIES_DIMENSIONS = ("category", "community")
TOTAL = "total"
CACHE_SECONDS = 6 * 60 * 60


def _month(value) -> dt.date:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.date().replace(day=1)
    return value.replace(day=1)


def history_start(cases) -> dt.date | None:
    """The first month of the scope's history: its first case, not before the deployment's start date."""
    first = cases.aggregate(first=Min("registered_at"))["first"]
    if first is None:
        return None
    return max(_month(first), cumulative_since().replace(day=1))


def monthly_series(cases, fields: tuple[str, ...], first: dt.date, last: dt.date, today: dt.date) -> dict:
    """{(value of each field …): [count per month from `first` to `last` (month starts, inclusive)]}."""
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    # Up to today: "this month so far" (a back-dated replay must not see cases after its day).
    window = Period("range", first, min(add_months(last, 1) - dt.timedelta(days=1), today))
    rows = (
        cases.filter(registered_q(window))
        .annotate(month=TruncMonth("registered_at"))
        .values("month", *fields)
        .annotate(n=Count("pk"))
        .order_by()
    )
    series: dict[tuple, list[int]] = {}
    for row in rows:
        month = _month(row["month"])
        index = (month.year - first.year) * 12 + month.month - first.month
        key = tuple(row[f] for f in fields)
        series.setdefault(key, [0] * months)[index] += row["n"]
    return series


def series_forecast(counts: list[int], first: dt.date) -> dict:
    """The back-test, then this month's and next month's forecasts from the months before this one."""
    replay = backtest(counts, first)
    this_month, next_month = forecast(counts, first, 1), forecast(counts, first, 2)
    shown = this_month.ok and replay.passes
    if this_month.ok and not replay.passes:
        reason = (
            f"回测80%区间覆盖率 {replay.coverage80:.0%}（{replay.in80}/{replay.months}）低于70%，不作预测"
            if replay.months
            else "回测月份不足，不作预测"
        )
    else:
        reason = this_month.reason
    return {
        "shown": shown,
        "reason": "" if shown else reason,
        "this_month": this_month,
        "next_month": next_month,
        "backtest": replay,
    }


def forecast_table(cases, today: dt.date, *, use_cache: bool = True) -> dict:
    """Per series (all cases, each category, each community): the forecasts of this month and the
    next, made from the complete months before this one, with the back-test that gates them and
    this month's count so far. Cached for six hours by scope and day."""
    key = "analysis:forecast:" + hashlib.sha256(f"{cases.query}|{today}".encode()).hexdigest()
    if use_cache and (cached := cache.get(key)) is not None:
        return cached
    this_month = today.replace(day=1)
    last_complete = add_months(this_month, -1)
    first = history_start(cases)
    table = {"first": first, "last": last_complete, "month": this_month, "rows": {}}
    if first is None or first > last_complete:
        table["rows"] = {dimension: [] for dimension in (TOTAL, *SERIES_DIMENSIONS)}
        return table
    months = (this_month.year - first.year) * 12 + this_month.month - first.month + 1
    for dimension in (TOTAL, *SERIES_DIMENSIONS):
        fields = () if dimension == TOTAL else DIMENSIONS[dimension]
        series = monthly_series(cases, fields, first, this_month, today) or {(): [0] * months}
        rows = []
        for series_key, counts in series.items():
            history, so_far = counts[:-1], counts[-1]
            label = "全部案件" if dimension == TOTAL else (series_key[1] or "—")
            rows.append(
                {
                    "key": series_key[0] if series_key else None,
                    "label": label,
                    "so_far": so_far,
                    **series_forecast(history, first),
                }
            )
        rows.sort(key=lambda r: (not r["shown"], r["label"]))
        table["rows"][dimension] = rows
    cache.set(key, table, CACHE_SECONDS)
    return table


def pooled(rows: list[dict]) -> Backtest:
    total = Backtest()
    for row in rows:
        total = total.add(row["backtest"])
    return total
