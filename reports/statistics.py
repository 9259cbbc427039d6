"""Statistics computed in the database. The success rate is the system's headline figure:
agreed ÷ concluded, with its count and a 95% Wilson interval."""

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Aggregate, Avg, Count, Exists, F, FloatField, Func, OuterRef, Prefetch, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from casework.enums import CONCLUDED, OPEN, CaseStatus, Outcome, Risk, Source, WarningReason
from casework.models import DisputeCase
from grids.enums import InspectionKind
from grids.models import Grid, Inspection, SensitivePeriod, User
from mediation.models import FollowUp

Z95 = 1.959963984540054


def wilson_interval(successes: int, total: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval; unlike the normal approximation it behaves at 0% and 100%."""
    if total == 0:
        return None
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    # The interval always holds the observed rate; rounding alone gave 0.9999999999999999 for 10 of 10.
    return (max(0.0, min(centre - half, p)), min(1.0, max(centre + half, p)))


@dataclass(frozen=True)
class SuccessRate:
    concluded: int
    agreed: int

    @property
    def rate(self) -> float | None:
        return self.agreed / self.concluded if self.concluded else None

    @property
    def ci95(self) -> tuple[float, float] | None:
        return wilson_interval(self.agreed, self.concluded)

    def as_dict(self) -> dict:
        ci = self.ci95
        return {
            "concluded": self.concluded,
            "agreed": self.agreed,
            "rate": round(self.rate, 3) if self.rate is not None else None,
            "ci95": [round(ci[0], 4), round(ci[1], 4)] if ci else None,
        }

    def __str__(self) -> str:
        if not self.concluded:
            return "—（0 件办结）"
        return f"{self.rate:.1%}, {self.agreed} of {self.concluded}"


def day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in the deployment's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def concluded_cases(cases=None, *, since: dt.date | None = None, until: dt.date | None = None):
    """Cases concluded (agreed or failed, closed since or not) between two dates, both inclusive."""
    cases = DisputeCase.objects.all() if cases is None else cases
    return cases.concluded_between(
        day_start(since) if since else None, day_start(until + dt.timedelta(days=1)) if until else None
    )


def success_rate(cases=None, *, since: dt.date | None = None, until: dt.date | None = None) -> SuccessRate:
    """Agreed ÷ concluded over `cases` (default: all), by conclusion date; one query."""
    figures = concluded_cases(cases, since=since, until=until).aggregate(
        concluded=Count("pk"), agreed=Count("pk", filter=Q(outcome=Outcome.AGREED))
    )
    return SuccessRate(concluded=figures["concluded"], agreed=figures["agreed"])


# ---------------------------------------------------------------------------
# The report's figures. Each figure is a count of cases matching one filter (a
# "base", optionally narrowed by a dimension); the same filter serves the count,
# computed in the database with conditional aggregation, and the drill-down to
# the cases behind it, so a figure and its list cannot disagree on what they mean.


@dataclass(frozen=True)
class Period:
    kind: str  # "daily" or "monthly" (reports.enums.ReportKind)
    start: dt.date
    end: dt.date  # inclusive

    @classmethod
    def daily(cls, day: dt.date) -> "Period":
        return cls("daily", day, day)

    @classmethod
    def monthly(cls, day: dt.date) -> "Period":
        first = day.replace(day=1)
        return cls("monthly", first, add_months(first, 1) - dt.timedelta(days=1))

    @classmethod
    def of(cls, kind: str, day: dt.date) -> "Period":
        return cls.monthly(day) if kind == "monthly" else cls.daily(day)

    @property
    def start_at(self) -> dt.datetime:
        return day_start(self.start)

    @property
    def end_at(self) -> dt.datetime:
        """Exclusive end: midnight after the last day."""
        return day_start(self.end + dt.timedelta(days=1))


def add_months(first: dt.date, months: int) -> dt.date:
    """The first of the month `months` after the month of `first` (negative goes back)."""
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def cumulative_since() -> dt.date:
    return settings.FENGQIAO_STATS_SINCE


NOT_YET_CONCLUDED = frozenset(OPEN - CONCLUDED)


def _between(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": period.start_at, f"{field}__lt": period.end_at})


def base_filters(period: Period, today: dt.date) -> dict[str, Q]:
    """Every base figure of a report as a filter on DisputeCase.

    Flows (registered, concluded …) are the period's; stocks (open, overdue,
    warning) are as at generation, among cases registered by the period's end.
    """
    registered_by_end = Q(registered_at__lt=period.end_at)
    concluded = _between("concluded_at", period)
    on_time = Q(conclude_due__isnull=True) | Q(concluded_at__date__lte=F("conclude_due"))
    open_ = registered_by_end & Q(status__in=OPEN)
    # Overdue cases still waiting for a conclusion count against the on-time rate.
    pending_overdue = registered_by_end & Q(status__in=NOT_YET_CONCLUDED, next_due__lt=today)
    cumulative = Q(concluded_at__gte=day_start(cumulative_since()), concluded_at__lt=period.end_at)
    follow_ups = FollowUp.objects.filter(case_id=OuterRef("pk"), date__gte=period.start, date__lte=period.end)
    return {
        "registered": _between("registered_at", period),
        "concluded": concluded,
        "agreed": concluded & Q(outcome=Outcome.AGREED),
        "failed": concluded & Q(outcome=Outcome.FAILED),
        "open": open_,
        "overdue": open_ & Q(next_due__lt=today),
        "warning": open_ & Q(is_warning=True),
        "on_time": concluded & on_time,
        "late": (concluded & ~on_time) | pending_overdue,
        "pending_overdue": pending_overdue,
        "cumulative_concluded": cumulative,
        "cumulative_agreed": cumulative & Q(outcome=Outcome.AGREED),
        "followed_up": Q(Exists(follow_ups)),
        "workload": Q(lead_mediator__isnull=False) & (open_ | concluded),
    }


# name -> (value field, label field or the choices that label the value)
DIMENSIONS = {
    "status": ("status", CaseStatus),
    "category": ("category_id", "category__name"),
    "community": ("community_id", "community__name"),
    "grid": ("grid_id", "grid__name"),
    "source": ("source", Source),
    "risk": ("risk", Risk),
    "mediator": ("lead_mediator_id", "lead_mediator__name"),
    "organization": ("lead_mediator__organization_id", "lead_mediator__organization__name"),
}
NONE_KEY = "none"


def _dimension_q(dimension: str, value: str) -> Q:
    if dimension == "hot":
        community_id, _sep, category_id = value.partition(".")
        return Q(community_id=int(community_id), category_id=int(category_id))
    field, _label = DIMENSIONS[dimension]
    if value == NONE_KEY:
        return Q(**{f"{field}__isnull": True})
    return Q(**{field: int(value) if field.endswith("_id") else value})


def drill_filter(key: str, period: Period, today: dt.date) -> Q:
    """The filter behind a figure's drill-down key: `base[@YYYY-MM][:dimension=value]`.

    Raises ValueError (or KeyError) on a key that names no figure.
    """
    head, _sep, narrowing = key.partition(":")
    base, _sep, month = head.partition("@")
    if month:
        period = Period.monthly(dt.date.fromisoformat(f"{month}-01"))
    q = base_filters(period, today)[base]
    if narrowing:
        dimension, _sep, value = narrowing.partition("=")
        q &= _dimension_q(dimension, value)
    return q


# The figures `totals` counts outside the one scan of the period's rows (see there).
CUMULATIVE = ("cumulative_concluded", "cumulative_agreed")


def totals(period: Period, today: dt.date, cases=None) -> dict[str, int]:
    """Every base figure, by conditional aggregation in three queries.

    A single pass over all cases would read the whole table (seconds at 10M rows). Instead: the
    flows and stocks in one scan of the rows the period touches (registered or concluded in it, or
    open), which the registered_at, concluded_at and status indexes find; the cumulative pair in one
    index-only scan of (concluded_at, outcome); the follow-ups from the period's follow-up rows.
    """
    cases = DisputeCase.objects.all() if cases is None else cases
    bases = base_filters(period, today)
    touched = bases["registered"] | bases["concluded"] | bases["open"]
    near = [name for name in bases if name not in CUMULATIVE and name != "followed_up"]
    counts = cases.filter(touched).aggregate(**{name: Count("pk", filter=bases[name]) for name in near})
    counts |= cases.filter(bases["cumulative_concluded"]).aggregate(
        **{name: Count("pk", filter=bases[name]) for name in CUMULATIVE}
    )
    counts["followed_up"] = cases.filter(bases["followed_up"]).count()
    return {name: counts[name] for name in bases}


def breakdown(base: str, dimension: str, period: Period, today: dt.date, cases=None) -> list[dict]:
    """Counts of the cases of `base` by `dimension`, largest first, each with its drill-down key."""
    cases = DisputeCase.objects.all() if cases is None else cases
    field, label = DIMENSIONS[dimension]
    fields = [field] if not isinstance(label, str) else [field, label]
    rows = (
        cases.filter(base_filters(period, today)[base])
        .values(*fields)
        .annotate(count=Count("pk"))
        .order_by("-count", field)
    )
    result = []
    for row in rows:
        value = row[field]
        key = NONE_KEY if value is None else str(value)
        if isinstance(label, str):
            text = row[label] or "—"
        else:
            text = str(label(value).label) if value in label.values else str(value)
        result.append({"key": key, "label": text, "count": row["count"], "drill": f"{base}:{dimension}={key}"})
    return result


def hot_spots(period: Period, today: dt.date, limit: int = 10) -> list[dict]:
    """Community × category among the period's new cases, the busiest first."""
    rows = (
        DisputeCase.objects.filter(base_filters(period, today)["registered"])
        .values("community_id", "community__name", "category_id", "category__name")
        .annotate(count=Count("pk"))
        .order_by("-count", "community_id", "category_id")[:limit]
    )
    return [
        {
            "community": row["community__name"],
            "category": row["category__name"],
            "label": f"{row['community__name']}·{row['category__name']}",
            "count": row["count"],
            "drill": f"registered:hot={row['community_id']}.{row['category_id']}",
        }
        for row in rows
    ]


def mediator_workload(period: Period, today: dt.date) -> list[dict]:
    """Per lead mediator: open cases now, and the period's conclusions and agreements."""
    bases = base_filters(period, today)
    rows = (
        DisputeCase.objects.filter(bases["workload"])
        .values("lead_mediator_id", "lead_mediator__name", "lead_mediator__organization__name")
        .annotate(
            open=Count("pk", filter=bases["open"]),
            concluded=Count("pk", filter=bases["concluded"]),
            agreed=Count("pk", filter=bases["agreed"]),
        )
        .order_by("-open", "-concluded", "lead_mediator__name")
    )
    return [
        {
            "mediator": row["lead_mediator__name"],
            "organization": row["lead_mediator__organization__name"] or "—",
            "open": row["open"],
            "concluded": row["concluded"],
            "agreed": row["agreed"],
            "drill_open": f"open:mediator={row['lead_mediator_id']}",
            "drill_concluded": f"concluded:mediator={row['lead_mediator_id']}",
            "drill_agreed": f"agreed:mediator={row['lead_mediator_id']}",
        }
        for row in rows
    ]


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def on_time_rate(figures: dict) -> dict:
    """Concluded within the deadline ÷ (the period's conclusions + overdue cases still open).

    Counting the overdue open cases keeps a high rate from hiding a backlog.
    """
    denominator = figures["concluded"] + figures["pending_overdue"]
    return {
        "on_time": figures["on_time"],
        "late": figures["late"],
        "concluded": figures["concluded"],
        "pending_overdue": figures["pending_overdue"],
        "rate": _rate(figures["on_time"], denominator),
    }


class DaysBetween(Func):
    """Days (fractional) from `start` to `end`, two datetimes."""

    output_field = FloatField()
    arity = 2

    def __init__(self, start, end, **extra):
        # The SQL is `end - start`, so the later moment goes first.
        super().__init__(end, start, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="EXTRACT(EPOCH FROM (%(expressions)s)) / 86400.0", arg_joiner=" - ", **extra
        )

    def as_sql(self, compiler, connection, template=None, arg_joiner=None, **extra):
        if template is None:
            # SQLite and others: Julian day numbers.
            template = "(JULIANDAY(%(expressions)s))"
            arg_joiner = ") - JULIANDAY("
        return super().as_sql(compiler, connection, template=template, arg_joiner=arg_joiner, **extra)


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate percentile_cont(fraction) WITHIN GROUP (ORDER BY …)."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def _percentile(sorted_values: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks: what percentile_cont computes."""
    position = (len(sorted_values) - 1) * fraction
    lower = math.floor(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * (position - lower)


def durations(cases) -> dict:
    """Days from registration to conclusion: count, mean, p50 and p90.

    PostgreSQL computes the percentiles itself; elsewhere (SQLite under `make run`)
    the sorted durations are fetched in one query and interpolated the same way.
    """
    days = DaysBetween("registered_at", "concluded_at")
    cases = cases.filter(concluded_at__isnull=False)
    if connection.vendor == "postgresql":
        figures = cases.aggregate(
            count=Count("pk"), mean=Avg(days), p50=PercentileCont(days, 0.5), p90=PercentileCont(days, 0.9)
        )
    else:
        values = list(cases.annotate(days=days).order_by("days").values_list("days", flat=True))
        figures = {"count": len(values), "mean": sum(values) / len(values) if values else None}
        figures["p50"] = _percentile(values, 0.5) if values else None
        figures["p90"] = _percentile(values, 0.9) if values else None
    return {name: round(value, 1) if isinstance(value, float) else value for name, value in figures.items()}


def follow_up_satisfaction(period: Period) -> dict:
    """Follow-ups made in the period: how many, agreements performed, satisfaction 1–5."""
    scores = range(1, 6)
    figures = FollowUp.objects.filter(date__gte=period.start, date__lte=period.end).aggregate(
        count=Count("pk"),
        performed=Count("pk", filter=Q(performed=True)),
        mean=Avg("satisfaction"),
        satisfied=Count("pk", filter=Q(satisfaction__gte=4)),
        **{f"score_{n}": Count("pk", filter=Q(satisfaction=n)) for n in scores},
    )
    return {
        "count": figures["count"],
        "performed": figures["performed"],
        "mean": round(figures["mean"], 2) if figures["mean"] is not None else None,
        "satisfied_rate": _rate(figures["satisfied"], figures["count"]),
        "distribution": [figures[f"score_{n}"] for n in scores],
    }


def inspection_requirement(kind: str, day: dt.date) -> tuple[str, dt.date, bool]:
    """Which returns a report covers: (inspection kind, period date, required?).

    A monthly report covers the month's returns; a daily one the day's, which are
    required only inside a sensitive period.
    """
    if kind == InspectionKind.MONTHLY:
        return InspectionKind.MONTHLY, day.replace(day=1), True
    return InspectionKind.DAILY, day, SensitivePeriod.objects.covering(day).exists()


def missing_returns(kind: str, period_date: dt.date):
    """Grids without a return for the period (缺报), with the workers responsible."""
    filed = Inspection.objects.filter(grid_id=OuterRef("pk"), kind=kind, period=period_date)
    return (
        Grid.objects.filter(~Exists(filed))
        .select_related("community")
        .prefetch_related(Prefetch("workers", queryset=User.objects.filter(is_active=True).order_by("username")))
        .order_by("community__code", "code")
    )


def inspection_coverage(kind: str, day: dt.date) -> dict:
    """Returns filed ÷ grids, zero reports, disputes found, and the missing returns by name."""
    inspection_kind, period_date, required = inspection_requirement(kind, day)
    filed = Inspection.objects.filter(kind=inspection_kind, period=period_date).aggregate(
        filed=Count("pk"),
        zero_reports=Count("pk", filter=Q(zero_report=True)),
        disputes_found=Coalesce(Sum("disputes_found"), 0),
        cases_registered=Coalesce(Sum("cases_registered"), 0),
    )
    grids = Grid.objects.count()
    missing = [
        {
            "grid_id": grid.pk,
            "grid": grid.name,
            "community": grid.community.name,
            "workers": [worker.display_name for worker in grid.workers.all()],
        }
        for grid in missing_returns(inspection_kind, period_date)
    ]
    return {
        "kind": inspection_kind,
        "period": period_date.isoformat(),
        "required": required,
        "grids": grids,
        **filed,
        "coverage": _rate(filed["filed"], grids),
        "missing": missing if required else [],
    }


def _month_of(value) -> dt.date:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.date().replace(day=1)
    return value.replace(day=1)


def trend(period: Period, months: int = 6) -> list[dict]:
    """New, concluded and agreed cases in the report's month and the `months - 1` before it."""
    first = add_months(period.start.replace(day=1), -(months - 1))
    start = day_start(first)
    registered = dict(
        DisputeCase.objects.filter(registered_at__gte=start, registered_at__lt=period.end_at)
        .annotate(month=TruncMonth("registered_at"))
        .values("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
    )
    concluded = {
        row["month"]: row
        for row in DisputeCase.objects.filter(concluded_at__gte=start, concluded_at__lt=period.end_at)
        .annotate(month=TruncMonth("concluded_at"))
        .values("month")
        .annotate(concluded=Count("pk"), agreed=Count("pk", filter=Q(outcome=Outcome.AGREED)))
    }
    registered = {_month_of(k): v for k, v in registered.items()}
    concluded = {_month_of(k): v for k, v in concluded.items()}
    rows = []
    for n in range(months):
        month = add_months(first, n)
        label = month.strftime("%Y-%m")
        row = concluded.get(month, {"concluded": 0, "agreed": 0})
        rows.append(
            {
                "month": label,
                "registered": registered.get(month, 0),
                "concluded": row["concluded"],
                "agreed": row["agreed"],
                "success_rate": _rate(row["agreed"], row["concluded"]),
                "drill_registered": f"registered@{label}",
                "drill_concluded": f"concluded@{label}",
                "drill_agreed": f"agreed@{label}",
            }
        )
    return rows


def case_list(q: Q, limit: int = 50) -> list[dict]:
    """The cases a report names (overdue, early warning), as plain rows for the snapshot."""
    rows = (
        DisputeCase.objects.filter(q)
        .order_by("next_due", "registered_at")
        .values("pk", "number", "status", "community__name", "category__name", "next_due", "warning_reasons")[:limit]
    )
    return [
        {
            "id": row["pk"],
            "number": row["number"],
            "status": str(CaseStatus(row["status"]).label),
            "community": row["community__name"],
            "category": row["category__name"],
            "next_due": row["next_due"].isoformat() if row["next_due"] else None,
            "warning": [str(WarningReason(r).label) for r in row["warning_reasons"] if r in WarningReason.values],
        }
        for row in rows
    ]


def report_figures(period: Period, today: dt.date) -> dict:
    """Everything a report shows, as plain JSON-able data (the snapshot's `figures`)."""
    bases = base_filters(period, today)
    counts = totals(period, today)
    period_rate = SuccessRate(concluded=counts["concluded"], agreed=counts["agreed"])
    cumulative = SuccessRate(concluded=counts["cumulative_concluded"], agreed=counts["cumulative_agreed"])
    figures = {
        "kind": period.kind,
        "period": period.start.isoformat(),
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "as_of": today.isoformat(),
        "totals": counts,
        # The headline: cumulative since the deployment's start date (the seed's 94.0%, 78 of 83).
        "success_rate": {
            **cumulative.as_dict(),
            "since": cumulative_since().isoformat(),
            "until": period.end.isoformat(),
        },
        "success_rate_period": period_rate.as_dict(),
        "on_time": on_time_rate(counts),
        "by_state": breakdown("open", "status", period, today),
        "by_category": breakdown("registered", "category", period, today),
        "by_community": breakdown("registered", "community", period, today),
        "by_grid": breakdown("registered", "grid", period, today),
        "by_source": breakdown("registered", "source", period, today),
        "by_risk": breakdown("registered", "risk", period, today),
        "by_mediator": breakdown("concluded", "mediator", period, today),
        "by_organization": breakdown("concluded", "organization", period, today),
        "warnings": case_list(bases["warning"]),
        "overdue_cases": case_list(bases["overdue"]),
        "inspections": inspection_coverage(period.kind, period.start),
        "durations": durations(DisputeCase.objects.filter(bases["concluded"])),
    }
    if period.kind == "monthly":
        figures.update(
            {
                "trend": trend(period),
                "hot_spots": hot_spots(period, today),
                "mediators": mediator_workload(period, today),
                "follow_up": follow_up_satisfaction(period),
            }
        )
    return figures
