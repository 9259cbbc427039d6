"""Working-day deadlines on the holiday calendar: 春节 and 国庆 with their 调休 days.

Expected dates are read off the State Council's notices; each is also checked against the
`chinese_calendar` package, the authority the calendar is seeded from.
"""

import datetime as dt

import chinese_calendar
import pytest
from django.utils import timezone

from casework import calendar
from casework import services as case_services
from casework.enums import CalendarDayKind, Level
from casework.holidays import official_overrides
from casework.models import CalendarDay
from tests.factories import register

D = dt.date
pytestmark = pytest.mark.django_db


def by_package(start: dt.date, days: int) -> dt.date:
    """The same count done on the package's own calendar."""
    day, counted = start, 0
    while counted < days:
        day += dt.timedelta(days=1)
        counted += chinese_calendar.is_workday(day)
    return day


def by_weekdays(start: dt.date, days: int) -> dt.date:
    day, counted = start, 0
    while counted < days:
        day += dt.timedelta(days=1)
        counted += day.weekday() < 5
    return day


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # 2024 春节: off Feb 10–17, work Sunday Feb 4 and Sunday Feb 18.
        (D(2024, 2, 8), 3, D(2024, 2, 19)),  # Fri 9, (holiday), Sun 18, Mon 19
        (D(2024, 2, 2), 3, D(2024, 2, 6)),  # Sun 4 is a working day: Sun 4, Mon 5, Tue 6
        # 2025 春节: off Jan 28–Feb 4, work Sunday Jan 26 and Saturday Feb 8.
        (D(2025, 1, 24), 3, D(2025, 2, 5)),  # Sun 26, Mon 27, (holiday), Wed Feb 5
        (D(2025, 1, 27), 3, D(2025, 2, 7)),  # the whole holiday skipped: Feb 5, 6, 7
        (D(2025, 2, 5), 3, D(2025, 2, 8)),  # Thu 6, Fri 7, and the make-up Saturday 8
        # 2025 国庆 + 中秋: off Oct 1–8, work Sunday Sep 28 and Saturday Oct 11.
        (D(2025, 9, 15), 30, D(2025, 10, 31)),
        (D(2025, 9, 26), 3, D(2025, 9, 30)),  # Sun 28, Mon 29, Tue 30
        (D(2025, 9, 26), 4, D(2025, 10, 9)),  # … then the holiday, Thu Oct 9
        (D(2025, 10, 9), 2, D(2025, 10, 11)),  # Fri 10, the make-up Saturday 11
    ],
)
def test_add_working_days_across_holidays(start, days, expected):
    assert calendar.add_working_days(start, days) == expected
    assert by_package(start, days) == expected
    assert by_weekdays(start, days) != expected  # a plain weekday count is wrong here


def test_add_working_days_plain_week():
    assert calendar.add_working_days(D(2025, 3, 6), 3) == D(2025, 3, 11)  # Thu → Fri, Mon, Tue


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2025, 10, 1), False),  # National Day, a Wednesday
        (D(2025, 9, 28), True),  # 调休 Sunday
        (D(2025, 10, 11), True),  # 调休 Saturday
        (D(2025, 10, 12), False),  # an ordinary Sunday
        (D(2024, 2, 18), True),
        (D(2024, 2, 12), False),
        (D(2025, 3, 5), True),
    ],
)
def test_is_working_day(day, working):
    assert calendar.is_working_day(day) is working
    assert chinese_calendar.is_workday(day) is working


def test_roll_to_working_day():
    assert calendar.roll_to_working_day(D(2025, 10, 1)) == D(2025, 10, 9)
    assert calendar.roll_to_working_day(D(2025, 10, 11)) == D(2025, 10, 11)
    assert calendar.roll_to_working_day(D(2024, 2, 10)) == D(2024, 2, 18)


def _at(day: dt.date, hour=10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def test_register_before_spring_festival_accept_deadline(centre, grid):
    case = register(centre, grid, at=_at(D(2025, 1, 24)))
    assert case.accept_due == D(2025, 2, 5)
    assert case.next_due == case.accept_due


def test_register_late_evening_counts_from_the_local_day(centre, grid):
    # The day is the one in Asia/Shanghai, not in UTC (midnight there is 16:00 UTC the day before).
    assert register(centre, grid, at=_at(D(2025, 1, 24), 23)).accept_due == D(2025, 2, 5)
    assert register(centre, grid, at=_at(D(2025, 1, 25), 0)).accept_due == D(2025, 2, 5)
    assert register(centre, grid, at=_at(D(2025, 1, 26), 0)).accept_due == D(2025, 2, 6)


def test_accept_before_national_day_conclude_deadline(centre, grid):
    # One calendar month: 15 September → 15 October, a Wednesday after the 国庆 holiday.
    case = register(centre, grid, at=_at(D(2025, 9, 12)))
    assert case.accept_due == D(2025, 9, 17)
    case_services.case_accept(case, actor=centre, level=Level.SUBDISTRICT, at=_at(D(2025, 9, 15)))
    assert (case.conclude_due, case.next_due) == (D(2025, 10, 15), D(2025, 10, 15))


def test_accept_a_month_before_a_holiday_ends_on_the_next_working_day(centre, grid):
    # 1 September + one month = 1 October, inside 国庆 (off 1–8 October): the deadline is Thursday 9.
    case = register(centre, grid, at=_at(D(2025, 8, 29)))
    case_services.case_accept(case, actor=centre, level=Level.SUBDISTRICT, at=_at(D(2025, 9, 1)))
    assert case.conclude_due == D(2025, 10, 9) and chinese_calendar.is_workday(D(2025, 10, 9))


def test_extend_deadline_adds_another_month(centre, grid):
    case = register(centre, grid, at=_at(D(2025, 9, 12)))
    case_services.case_accept(case, actor=centre, level=Level.SUBDISTRICT, at=_at(D(2025, 9, 15)))
    case_services.case_extend_deadline(case, actor=centre, reason="案情复杂")
    assert case.conclude_due == D(2025, 11, 17)  # 15 November is a Saturday


# The calendar is the deployment's: editing its rows changes the answer


def test_added_holiday_moves_deadline(db):
    assert calendar.add_working_days(D(2025, 3, 6), 3) == D(2025, 3, 11)
    CalendarDay.objects.create(date=D(2025, 3, 7), kind=CalendarDayKind.HOLIDAY, name="停电")
    assert calendar.add_working_days(D(2025, 3, 6), 3) == D(2025, 3, 12)


def test_removed_make_up_day_moves_deadline(db):
    assert calendar.add_working_days(D(2025, 2, 5), 3) == D(2025, 2, 8)
    CalendarDay.objects.filter(date=D(2025, 2, 8)).update(kind=CalendarDayKind.HOLIDAY)
    assert calendar.add_working_days(D(2025, 2, 5), 3) == D(2025, 2, 10)


def test_year_the_package_does_not_know_is_entered_by_hand(db):
    # 2099 春节 is not in any package; an administrator enters it and deadlines follow.
    assert calendar.add_working_days(D(2099, 1, 16), 3) == D(2099, 1, 21)
    for day in range(19, 22):
        CalendarDay.objects.create(date=D(2099, 1, day), kind=CalendarDayKind.HOLIDAY, name="春节")
    CalendarDay.objects.create(date=D(2099, 1, 24), kind=CalendarDayKind.WORKDAY, name="春节调休")
    assert calendar.add_working_days(D(2099, 1, 16), 3) == D(2099, 1, 24)  # Thu 22, Fri 23, Sat 24


def test_seeded_calendar_is_the_official_one(db):
    official = {(day, kind) for day, kind, _name in official_overrides(D(2020, 1, 1), D(2026, 12, 31))}
    seeded = set(CalendarDay.objects.filter(date__year__lte=2026).values_list("date", "kind"))
    assert seeded == official
    assert (D(2025, 10, 11), CalendarDayKind.WORKDAY) in seeded
    assert (D(2025, 10, 8), CalendarDayKind.HOLIDAY) in seeded
