"""Replay the last 12 months of the forecasts: `backtest_forecast [--subdistrict CODE] [--month YYYY-MM]`.

Each of the 12 months before --month (default: this month) is forecast from the months before it,
for every series the analysis page forecasts (all cases, each category, each community). Printed:
per series and pooled per dimension, how often the actual count fell inside the 80% and the 95%
prediction intervals, and the mean absolute error of the model's expected count against the
seasonal-naive forecast (the same month a year before). A series whose 80% coverage is under 70%
is marked: its forecast is not shown.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from casework.models import DisputeCase
from reports.analysis.forecast import BACKTEST_MONTHS, Backtest
from reports.analysis.series import SERIES_DIMENSIONS, TOTAL, forecast_table, pooled


def _pct(value) -> str:
    return "—" if value is None else f"{value:.0%}"


def _num(value) -> str:
    return "—" if value is None else f"{value:.2f}"


class Command(BaseCommand):
    help = "Back-test the case-count forecasts over the last 12 months: interval coverage and MAE."

    def add_arguments(self, parser):
        parser.add_argument("--subdistrict", default="", help="a subdistrict's code (default: every case)")
        parser.add_argument("--month", default="", help="YYYY-MM: replay the 12 months before it (default: now)")

    def handle(self, *args, subdistrict, month, **options):
        today = timezone.localdate()
        if month:
            try:
                first = dt.date.fromisoformat(f"{month}-01")
            except ValueError as exc:
                raise CommandError("--month is YYYY-MM") from exc
            # The table is "as of" the month's first day: its history ends the month before.
            today = min(today, first)
        cases = DisputeCase.objects.all()
        if subdistrict:
            cases = cases.filter(subdistrict__code=subdistrict)
            if not cases.exists():
                raise CommandError(f"no cases in subdistrict {subdistrict!r}")
        table = forecast_table(cases, today, use_cache=False)
        if table["first"] is None:
            raise CommandError("no cases to forecast")
        self.stdout.write(
            f"history {table['first']:%Y-%m} … {table['last']:%Y-%m}; replaying the {BACKTEST_MONTHS} months "
            f"to {table['last']:%Y-%m}, each forecast from the months before it"
        )
        overall = Backtest()
        header = f"{'series':<24}{'months':>7}{'cov80':>7}{'cov95':>7}{'MAE':>8}{'naive':>8}  shown"
        for dimension in (TOTAL, *SERIES_DIMENSIONS):
            rows = table["rows"][dimension]
            self.stdout.write(f"\n[{dimension}]\n{header}")
            for row in rows:
                b = row["backtest"]
                shown = "yes" if row["shown"] else f"no: {row['reason']}"
                self.stdout.write(
                    f"{row['label'][:22]:<24}{b.months:>7}{_pct(b.coverage80):>7}{_pct(b.coverage95):>7}"
                    f"{_num(b.mae):>8}{_num(b.naive_mae):>8}  {shown}"
                )
            total = pooled(rows)
            overall = overall.add(total) if dimension != TOTAL else overall
            self.stdout.write(
                f"{'pooled':<24}{total.months:>7}{_pct(total.coverage80):>7}{_pct(total.coverage95):>7}"
                f"{_num(total.mae):>8}{_num(total.naive_mae):>8}"
            )
        self.stdout.write(
            f"\ncategories and communities pooled: {overall.months} forecasts, "
            f"80% coverage {_pct(overall.coverage80)}, 95% coverage {_pct(overall.coverage95)}, "
            f"MAE {_num(overall.mae)} vs seasonal-naive {_num(overall.naive_mae)}"
        )
