"""Working days on the deployment's calendar of public holidays and make-up working days (调休).

A plain weekday count is wrong around 春节 and 国庆: the calendar's CalendarDay rows
override the Monday-to-Friday rule (a holiday on a weekday, a 调休 Saturday).
"""

import datetime as dt

from .enums import CalendarDayKind
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


def _calendar_from(start: dt.date, span: dt.timedelta) -> WorkingCalendar:
    return WorkingCalendar(start, start + span)


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
