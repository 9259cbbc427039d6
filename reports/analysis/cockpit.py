"""驾驶舱: the wall display's figures, cheap enough to poll every minute.

Today's tiles and the month's rates are the reports' definitions counted live (live.counts: one
query for each family of rows: the month's registrations with the day's among them, the month's
conclusions, the open stock), the rising categories the 研判's category table (the month so far and
last year's same days live, the three whole months before from the reports' monthly counts where
the scope is whole places: three short reads where one query read a year of rows), the latest
events one indexed query: seven queries, made once a minute per scope (panel_for).
"""

import datetime as dt

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language

from casework.enums import RecordKind, Transition
from casework.models import CaseEvent
from casework.selectors import cases_visible_to, scope_key
from grids.enums import Role
from grids.models import Subdistrict
from reports import summary
from reports.statistics import Period, SuccessRate, on_time_rate

from . import live
from .judgement import Windows, judgement_table

LATEST_EVENTS = 8
# The wall display polls every minute: a minute's figures are counted once per scope, however many
# screens and browsers show them.
PANEL_SECONDS = 60
EVENT_LABELS = {**dict(Transition.choices), **dict(RecordKind.choices)}


def summary_cells(user) -> Q | None:
    """The reports' monthly counts of exactly the cases `user` sees (cases_visible_to), where those are
    whole places: a subdistrict, a district's subdistricts, a community, or several of them (each
    cell lies in one community of one subdistrict, so a cell of two of them is counted once). None
    for a scope of one's own cases (a grid worker's, a mediator's), and where the counts are not
    kept by the database."""
    if not summary.kept() or user.has_role(Role.GRID_WORKER) or user.has_role(Role.MEDIATOR):
        return None
    cells = Q()
    if user.subdistrict_id and (user.has_role(Role.CENTRE_STAFF) or user.has_role(Role.LEADER)):
        cells |= Q(subdistrict_id=user.subdistrict_id)
    if user.is_district_wide:
        cells |= Q(subdistrict_id__in=Subdistrict.objects.filter(district_id=user.district_id).values("pk"))
    if user.has_role(Role.COMMUNITY_STAFF) and user.community_id:
        cells |= Q(community_id=user.community_id)
    return cells or None


def panel(cases, today: dt.date, cells: Q | None = None) -> dict:
    """The figures over `cases`; `cells`, where given, the reports' monthly counts of the same cases
    (summary_cells): the rising categories' three months before are read from them."""
    # The stocks (open, overdue, 预警) are as of now whatever the period, and today's registrations
    # are the month's of one day: counted once, with the month's.
    stocks = ("open", "overdue", "warning")
    month = live.counts(
        cases,
        Period.monthly(today),
        today,
        ("registered", "registered_today", "concluded", "agreed", "on_time", "pending_overdue", *stocks),
    )
    day = {"registered": month.pop("registered_today"), **{n: month[n] for n in stocks}}
    windows = Windows.of(today, today)
    rising = [row for row in judgement_table(cases, "category", windows, today, cells) if row["rising"]]
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


def panel_key(user, now: dt.datetime) -> str:
    """The cache key of `user`'s scope for the minute of `now` (local time; the language of the labels)."""
    return f"cockpit-panel:{scope_key(user)}:{get_language()}:{timezone.localtime(now):%Y%m%d%H%M}"


def panel_for(user, now: dt.datetime | None = None) -> dict:
    """The panel of `user`'s scope for the current minute, from the shared cache (Redis in production)
    when anyone of the same scope has asked this minute; counted and kept otherwise."""
    now = now or timezone.now()
    key = panel_key(user, now)
    figures = cache.get(key)
    if figures is None:
        figures = panel(cases_visible_to(user), timezone.localtime(now).date(), summary_cells(user))
        cache.set(key, figures, PANEL_SECONDS)
    return figures
