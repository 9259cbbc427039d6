"""Working days on the deployment's calendar of public holidays and make-up working days (调休).

A plain weekday count is wrong around 春节 and 国庆: the calendar's CalendarDay rows
override the Monday-to-Friday rule (a holiday on a weekday, a 调休 Saturday).
"""

import datetime as dt
from calendar import monthrange
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Max, Min
from django.db.models.functions import ExtractYear
from openpyxl import load_workbook

from .enums import CalendarDayKind
from .holidays import known_years, official_overrides
from .models import CalendarDay, DisputeCase

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


def months_after(start: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months after `start`, or that month's last day when it has no such
    day (31 January → 28 or 29 February)."""
    year, month = divmod(start.year * 12 + start.month - 1 + months, 12)
    return dt.date(year, month + 1, min(start.day, monthrange(year, month + 1)[1]))


def conclusion_due(start: dt.date) -> dt.date:
    """The conclusion deadline of a clock started on `start` (acceptance, an escalation, or the deadline
    being extended): FENGQIAO_CONCLUDE_MONTHS calendar months later, moved to the next working day
    when it falls on a rest day."""
    return roll_to_working_day(months_after(start, settings.FENGQIAO_CONCLUDE_MONTHS))


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


# ---------------------------------------------------------------------------
# The calendar's horizon. A year without its holiday rows silently turns every deadline in
# it into a plain weekday count (春节 deadlines a week early), so the running deadlines, and
# those about to be computed for cases registered from today, are checked against the years
# the calendar holds.


@dataclass(frozen=True)
class YearGap:
    """A year some deadline falls in whose calendar is missing or looks incomplete."""

    year: int
    days: int  # override rows the calendar holds for the year
    in_package: bool  # the installed chinese-calendar carries it: `load_calendar` fills it

    @property
    def message(self) -> str:
        held = "没有节假日与调休数据" if self.days == 0 else f"只有 {self.days} 天节假日与调休数据"
        return f"{self.year} 年有期限，但工作日历{held}：期限将按普通周一至周五计算。"

    @property
    def hint(self) -> str:
        if self.in_package:
            return "运行 manage.py load_calendar 载入官方日历。"
        return "升级 chinese-calendar 后运行 manage.py load_calendar，或在管理后台（节假日与调休）导入该年的日历表格。"


def horizon_gaps(today: dt.date) -> list[YearGap]:
    """The years holding a running deadline, or one a case registered today could get, whose
    calendar has no rows or fewer than FENGQIAO_CALENDAR_MIN_DAYS. Two indexed queries."""
    # next_due is set only while a deadline runs (DisputeCase.current_due), and indexed.
    running = DisputeCase.objects.aggregate(first=Min("next_due"), last=Max("next_due"))
    last = max(today + dt.timedelta(days=settings.FENGQIAO_CALENDAR_LOOKAHEAD_DAYS), running["last"] or today)
    first = min(today, running["first"] or today)
    years = range(first.year, last.year + 1)
    counts = dict(
        CalendarDay.objects.filter(date__gte=dt.date(years.start, 1, 1), date__lte=dt.date(years.stop - 1, 12, 31))
        .annotate(year=ExtractYear("date"))
        .values("year")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("year", "n")
    )
    package = known_years()
    return [
        YearGap(year=year, days=counts.get(year, 0), in_package=year in package)
        for year in years
        if counts.get(year, 0) < settings.FENGQIAO_CALENDAR_MIN_DAYS
    ]


# ---------------------------------------------------------------------------
# A year the package does not know yet, loaded by an administrator from a sheet: one row a day,
# (date, 休 or 班, name), as the State Council's notice lists them. 休 on a weekend day is
# accepted and not stored (the notice lists whole holiday stretches); 班 on a weekday is a
# mistake. The whole sheet is checked before anything is written.

SHEET_KINDS = {"休": CalendarDayKind.HOLIDAY, "班": CalendarDayKind.WORKDAY}


@dataclass
class CalendarSheet:
    year: int | None = None
    rows: list = field(default_factory=list)  # (date, kind, name): the overrides to store
    weekend_holidays: int = 0  # 休 rows on a Saturday or Sunday: already days off
    errors: list = field(default_factory=list)


def _sheet_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip().replace("/", "-"))
    except ValueError:
        return None


def read_calendar_sheet(upload) -> CalendarSheet:
    """Check a sheet of one year's holidays and 调休 days; `errors` says what is wrong, by row."""
    sheet = CalendarSheet()
    try:
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a file that is not a workbook
        sheet.errors.append("无法读取文件：请上传 .xlsx 格式的表格。")
        return sheet
    seen: dict[dt.date, int] = {}
    years = set()
    for number, row in enumerate(workbook.active.iter_rows(values_only=True), start=1):
        cells = [("" if cell is None else cell) for cell in (*row, "", "", "")[:3]]
        if not any(str(cell).strip() for cell in cells):
            continue
        raw_date, raw_kind, raw_name = cells
        day = _sheet_date(raw_date)
        if day is None:
            if number == 1 and not any(ch.isdigit() for ch in str(raw_date)):
                continue  # a header row (日期, 类型, 名称)
            sheet.errors.append(f"第{number}行：日期“{raw_date}”无法识别，应为 2027-01-01 形式。")
            continue
        kind = SHEET_KINDS.get(str(raw_kind).strip())
        if kind is None:
            sheet.errors.append(f"第{number}行：类型“{raw_kind}”应为“休”或“班”。")
            continue
        if day in seen:
            sheet.errors.append(f"第{number}行：{day} 已在第{seen[day]}行出现。")
            continue
        seen[day] = number
        years.add(day.year)
        weekend = day.weekday() >= 5
        if kind == CalendarDayKind.WORKDAY and not weekend:
            sheet.errors.append(f"第{number}行：{day} 本是工作日，不必标为“班”。")
            continue
        if kind == CalendarDayKind.HOLIDAY and weekend:
            sheet.weekend_holidays += 1
            continue
        sheet.rows.append((day, kind, str(raw_name).strip()[:32]))
    if len(years) > 1:
        sheet.errors.append(f"一个文件只载入一年，此文件含 {'、'.join(str(y) for y in sorted(years))} 年。")
    elif not years and not sheet.errors:
        sheet.errors.append("文件中没有日期。")
    elif years:
        sheet.year = years.pop()
    return sheet


def load_sheet(sheet: CalendarSheet) -> YearLoad:
    """Store a checked sheet's year as load_official does: create what is missing, never overwrite."""
    if sheet.errors or sheet.year is None:
        raise ValueError("a sheet with errors is not loaded")
    load = YearLoad(sheet.year)
    first, last = dt.date(sheet.year, 1, 1), dt.date(sheet.year, 12, 31)
    existing = {row.date: row for row in CalendarDay.objects.filter(date__gte=first, date__lte=last)}
    for day, kind, name in sheet.rows:
        row = existing.get(day)
        if row is None:
            load.created.append(CalendarDay(date=day, kind=kind, name=name))
        elif row.kind != kind:
            load.changed.append((day, row.kind, kind))
        else:
            load.unchanged += 1
    listed = {day for day, _kind, _name in sheet.rows}
    load.extra = [(day, row.kind) for day, row in sorted(existing.items()) if day not in listed]
    CalendarDay.objects.bulk_create(load.created, ignore_conflicts=True)
    return load
