"""驾驶舱: the wall display's figures, cheap enough to poll every minute.

Today's tiles and the month's rates are the reports' definitions counted live (live.counts: one
query each over the rows the period touches), the rising categories the 研判's category table (one
query), the latest events one indexed query: four queries for the panel's figures.
"""

import datetime as dt

from casework.enums import RecordKind, Transition
from casework.models import CaseEvent
from reports.statistics import Period, SuccessRate, on_time_rate

from . import live
from .judgement import Windows, judgement_table

LATEST_EVENTS = 8
EVENT_LABELS = {**dict(Transition.choices), **dict(RecordKind.choices)}


def panel(cases, today: dt.date) -> dict:
    day = live.counts(cases, Period.daily(today), today, ("registered", "open", "overdue", "warning"))
    month = live.counts(
        cases, Period.monthly(today), today, ("registered", "concluded", "agreed", "on_time", "pending_overdue")
    )
    rising = [row for row in judgement_table(cases, "category", Windows.of(today, today), today) if row["rising"]]
    events = (
        CaseEvent.objects.filter(case__in=cases.values("pk"))
        .select_related("case")
        .order_by("-at", "-id")
        .values("at", "name", "case_id", "case__number", "to_status")[:LATEST_EVENTS]
    )
    return {
        "today": today,
        "day": day,
        "month": month,
        "month_rate": SuccessRate(concluded=month["concluded"], agreed=month["agreed"]),
        "on_time": {
            "on_time": month["on_time"],
            "rate": on_time_rate(month["on_time"], month["concluded"], month["pending_overdue"]),
        },
        # The on-time rate's denominator: the month's conclusions and the overdue cases still open.
        "on_time_denominator": month["concluded"] + month["pending_overdue"],
        "rising": rising,
        "events": [{**e, "label": EVENT_LABELS.get(e["name"], e["name"])} for e in events],
    }
