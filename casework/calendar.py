"""Working days on the deployment's calendar of public holidays and make-up working days (调休).

A plain weekday count is wrong around 春节 and 国庆: the calendar's CalendarDay rows
override the Monday-to-Friday rule (a holiday on a weekday, a 调休 Saturday).
"""

import datetime as dt
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from .enums import CalendarDayKind
from .holidays import official_overrides
from .models import CalendarDay

# Long enough to cover 30 working days across 春节 plus 国庆 in one read.
_WINDOW = dt.timedelta(days=120)


class WorkingCalendar:
    """The overrides between two dates, read once, answering working-day questions."""

    def __init__(self, start: dt.date, end: dt.date):
        self.start, self.end = start, end
        rows = CalendarDay.objects.filter(date__gte=start, date__lte=end).values_list("date", "kind")
        self.overrides = dict(rows)

    def is_working_day(self, day: dt.date) -> bool:
        kind = self.overrides.get(day)
        if kind == CalendarDayKind.HOLIDAY:
            return False
        if kind == CalendarDayKind.WORKDAY:
            return True
        return day.weekday() < 5


# The whole calendar, read once, while many deadlines are computed in one go (a ledger import);
# otherwise each computation reads the stretch it needs, so an administrator's edit counts at once.
_preloaded: ContextVar[WorkingCalendar | None] = ContextVar("fengqiao_calendar", default=None)


@contextmanager
def preloaded():
    token = _preloaded.set(_preloaded.get() or WorkingCalendar(dt.date.min, dt.date.max))
    try:
        yield
    finally:
        _preloaded.reset(token)


def _calendar_from(start: dt.date, span: dt.timedelta) -> WorkingCalendar:
    return _preloaded.get() or WorkingCalendar(start, start + span)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start` (the start day itself does not count)."""
    calendar = _calendar_from(start, _WINDOW + dt.timedelta(days=days * 2))
    day, counted = start, 0
    while counted < days:
        day += dt.timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return day


def roll_to_working_day(day: dt.date) -> dt.date:
    """A statutory period ending on a holiday ends on the next working day instead."""
    calendar = _calendar_from(day, dt.timedelta(days=30))
    while not calendar.is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def is_working_day(day: dt.date) -> bool:
    return _calendar_from(day, dt.timedelta(days=0)).is_working_day(day)


@dataclass
class YearLoad:
    """What loading one year of the official calendar did (or, in a dry run, would do)."""

    year: int
    created: list = field(default_factory=list)
    unchanged: int = 0
    # Rows an administrator edited: (date, the row's kind, the official kind). Kept as they are.
    changed: list = field(default_factory=list)
    # Rows on days the official calendar leaves alone (a local holiday): kept as they are.
    extra: list = field(default_factory=list)


def load_official(years, *, dry_run: bool = False) -> list[YearLoad]:
    """(Re)load the official overrides for `years`: create the missing rows, never overwrite.

    The calendar belongs to the deployment once loaded: an administrator's edit wins over
    the package, and is reported so that a difference is seen rather than silently undone.
    """
    loads = []
    for year in years:
        load = YearLoad(year)
        first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
        existing = {row.date: row for row in CalendarDay.objects.filter(date__gte=first, date__lte=last)}
        official = official_overrides(first, last)
        for day, kind, name in official:
            row = existing.get(day)
            if row is None:
                load.created.append(CalendarDay(date=day, kind=kind, name=name))
            elif row.kind != kind:
                load.changed.append((day, row.kind, kind))
            else:
                load.unchanged += 1
        official_days = {day for day, _kind, _name in official}
        load.extra = [(day, row.kind) for day, row in sorted(existing.items()) if day not in official_days]
        if not dry_run and load.created:
            # ignore_conflicts: a row added meanwhile (admin, another run) is kept, not duplicated.
            CalendarDay.objects.bulk_create(load.created, ignore_conflicts=True)
        loads.append(load)
    return loads
