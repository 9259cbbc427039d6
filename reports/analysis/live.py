"""The live figures the analysis counts, as filters on DisputeCase, in the reports' definitions
(reports.statistics.FIGURES): new cases by registration time in the period; concluded (agreed or
failed) by conclusion time; open, overdue and 预警 as the stocks of now (statistics.open_q,
overdue_q, warning_q). Live, not the reports' frozen snapshots: a month's 研判 or forecast moves
as late registrations of that month arrive, where a report keeps what it said."""

import datetime as dt

from django.db.models import Count, F, Q

from casework.enums import Outcome
from reports.statistics import NOT_YET_CONCLUDED, Period, open_q, overdue_q, warning_q

# dimension -> (value field, label field) for the dimensions the analysis breaks down by.
DIMENSIONS = {
    "category": ("category_id", "category__name"),
    "community": ("community_id", "community__name"),
    "grid": ("grid_id", "grid__name"),
}


def registered_q(period: Period) -> Q:
    return Q(registered_at__gte=period.start_at, registered_at__lt=period.end_at)


def filters(period: Period, today: dt.date) -> dict[str, Q]:
    concluded = Q(concluded_at__gte=period.start_at, concluded_at__lt=period.end_at)
    on_time = Q(conclude_due__isnull=True) | Q(concluded_at__date__lte=F("conclude_due"))
    return {
        "registered": registered_q(period),
        # The period's registrations of the day `today` (the cockpit's 今日新增, with the month's).
        "registered_today": registered_q(Period.daily(today)),
        "concluded": concluded,
        "agreed": concluded & Q(outcome=Outcome.AGREED),
        "open": open_q(),
        "overdue": overdue_q(today),
        "warning": warning_q(),
        "on_time": concluded & on_time,
        # Overdue and not yet concluded: counted against the on-time rate (a backlog lowers it).
        "pending_overdue": Q(status__in=NOT_YET_CONCLUDED, next_due__lt=today),
    }


# Which rows each figure is counted over: the period's registrations, its conclusions, or the open
# stock. Counted apart, each is one index-only range of a territory (the covering indexes on
# (subdistrict, registered_at), (subdistrict, concluded_at) and the open cases'), where one query
# over their union had to read the table.
FAMILIES = {
    "registered": "registered",
    "registered_today": "registered",
    "concluded": "concluded",
    "agreed": "concluded",
    "on_time": "concluded",
    "open": "open",
    "overdue": "open",
    "warning": "open",
    "pending_overdue": "open",
}


def counts(cases, period: Period, today: dt.date, names, by: str | None = None):
    """The named figures over `cases`, one query per family of rows they count (at most three): a
    dict, or {value of `by`: dict} when grouped (every value with any of the figures)."""
    q = filters(period, today)
    by_family: dict[str, list[str]] = {}
    for name in names:
        by_family.setdefault(FAMILIES[name], []).append(name)
    total = dict.fromkeys(names, 0)
    grouped: dict = {}
    for family, members in by_family.items():
        rows = cases.filter(q[family])
        aggregates = {name: Count("pk", filter=q[name]) for name in members if name != family}
        aggregates[family] = Count("pk")
        aggregates = {name: aggregates[name] for name in members}
        if by is None:
            total.update(rows.aggregate(**aggregates))
            continue
        for row in rows.values(by).annotate(**aggregates).order_by():
            grouped.setdefault(row[by], dict.fromkeys(names, 0)).update({n: row[n] for n in members})
    return total if by is None else grouped
