"""The calendar's horizon: a deadline in a year without its holiday rows is warned about by
`manage.py check`, /healthz, the admin and the dashboard; administrators load a year from a sheet."""

import datetime as dt
import io

import pytest
from django.core import checks
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook

from casework.calendar import horizon_gaps, load_sheet, read_calendar_sheet
from casework.enums import CalendarDayKind
from casework.models import CalendarDay, DisputeCase
from grids.enums import Role
from tests.factories import GridFactory, UserFactory, register

pytestmark = pytest.mark.django_db

D = dt.date


def fill(year: int, days: int = 25):
    """A plausible year of overrides: `days` weekday holidays."""
    day, made = D(year, 1, 1), []
    while len(made) < days:
        if day.weekday() < 5 and not CalendarDay.objects.filter(date=day).exists():
            made.append(CalendarDay(date=day, kind=CalendarDayKind.HOLIDAY, name="测试"))
        day += dt.timedelta(days=1)
    CalendarDay.objects.bulk_create(made)


def horizon_years(today):
    return range(today.year, (today + dt.timedelta(days=90)).year + 1)


def cover_horizon(today):
    for year in horizon_years(today):
        held = CalendarDay.objects.filter(date__year=year).count()
        if held < 20:
            fill(year, 25 - held)


def test_a_year_of_the_official_calendar_is_no_gap():
    # The data migration loaded 2020–2026 from the package.
    assert horizon_gaps(D(2025, 3, 1)) == []


def test_the_lookahead_reaches_into_a_year_not_loaded():
    gaps = horizon_gaps(D(2026, 11, 30))
    assert [(gap.year, gap.days) for gap in gaps] == [(2027, 0)]
    assert "2027" in gaps[0].message and "导入" in gaps[0].hint


def test_a_running_deadline_in_a_later_year_is_a_gap():
    centre = UserFactory(roles=[Role.CENTRE_STAFF])
    case = register(centre, GridFactory())
    DisputeCase.objects.filter(pk=case.pk).update(next_due=D(2031, 2, 3))
    years = [gap.year for gap in horizon_gaps(D(2026, 3, 1))]
    assert years == [2027, 2028, 2029, 2030, 2031]


def test_a_year_with_too_few_rows_is_a_gap_and_a_package_year_says_load_calendar():
    CalendarDay.objects.filter(date__year=2025).exclude(date__month=1).delete()
    (gap,) = horizon_gaps(D(2025, 3, 1))
    assert gap.year == 2025 and 0 < gap.days < 20 and gap.in_package
    assert "load_calendar" in gap.hint


def test_manage_py_check_warns_of_a_gap_and_stops_when_it_is_filled():
    today = timezone.localdate()
    CalendarDay.objects.filter(date__year=today.year).delete()
    warnings = checks.run_checks(tags=[checks.Tags.database], databases=["default"])
    assert any(w.id == "casework.W001" and str(today.year) in w.msg for w in warnings)
    # Without a database to ask (a worker starting, the development server) it stays silent.
    assert not [w for w in checks.run_checks() if w.id == "casework.W001"]
    cover_horizon(today)
    assert not [
        w for w in checks.run_checks(tags=[checks.Tags.database], databases=["default"]) if w.id == "casework.W001"
    ]


def test_healthz_reports_a_calendar_gap_as_a_warning_not_a_failure(client, settings):
    settings.CELERY_BROKER_URL = settings.CELERY_BROKER_URL or "redis://127.0.0.1:6379/15"
    today = timezone.localdate()
    CalendarDay.objects.filter(date__year=today.year).delete()
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["calendar"] == "warning"
    assert any(str(today.year) in message for message in body["warnings"])
    cover_horizon(today)
    body = client.get("/healthz").json()
    assert body["calendar"] == "ok" and body["warnings"] == []


def test_the_dashboard_and_the_admin_show_the_gap(client):
    today = timezone.localdate()
    CalendarDay.objects.filter(date__year=today.year).delete()
    client.force_login(UserFactory(roles=[Role.CENTRE_STAFF]))
    page = client.get("/").content.decode()
    assert f"{today.year} 年有期限，但工作日历没有节假日与调休数据" in page
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    page = client.get("/admin/casework/calendarday/").content.decode()
    assert f"{today.year} 年有期限" in page
    cover_horizon(today)
    client.force_login(UserFactory(roles=[Role.CENTRE_STAFF]))
    assert "工作日历没有" not in client.get("/").content.decode()


def sheet(*rows) -> io.BytesIO:
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


SPRING_2031 = [
    ("日期", "类型", "名称"),
    ("2031-01-25", "班", "春节调休"),  # a Saturday
    ("2031-01-29", "休", "春节"),
    (D(2031, 1, 30), "休", "春节"),
    ("2031-01-31", "休", "春节"),
    ("2031-02-01", "休", "春节"),  # a Saturday: already a day off
    ("2031-02-03", "休", "春节"),
]


def test_a_sheet_loads_its_year_and_keeps_existing_rows():
    CalendarDay.objects.create(date=D(2031, 1, 29), kind=CalendarDayKind.WORKDAY, name="本地")
    checked = read_calendar_sheet(sheet(*SPRING_2031))
    assert checked.errors == [] and checked.year == 2031 and checked.weekend_holidays == 1
    load = load_sheet(checked)
    assert len(load.created) == 4 and load.changed == [(D(2031, 1, 29), "workday", "holiday")]
    assert set(CalendarDay.objects.filter(date__year=2031).values_list("date", "kind")) == {
        (D(2031, 1, 25), "workday"),
        (D(2031, 1, 29), "workday"),  # the administrator's row is kept
        (D(2031, 1, 30), "holiday"),
        (D(2031, 1, 31), "holiday"),
        (D(2031, 2, 3), "holiday"),
    }


@pytest.mark.parametrize(
    ("rows", "error"),
    [
        ([("2031-02-30", "休", "")], "第1行：日期“2031-02-30”无法识别"),
        ([("日期", "类型"), ("2031-01-29", "放假", "")], "第2行：类型“放假”应为“休”或“班”"),
        ([("2031-01-29", "休", ""), ("2031-01-29", "休", "")], "第2行：2031-01-29 已在第1行出现"),
        ([("2031-01-29", "班", "")], "本是工作日"),
        ([("2031-01-29", "休", ""), ("2032-01-29", "休", "")], "一个文件只载入一年"),
        ([("日期", "类型", "名称")], "文件中没有日期"),
    ],
)
def test_a_bad_sheet_says_what_is_wrong_and_writes_nothing(client, rows, error):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    before = CalendarDay.objects.count()
    upload = SimpleUploadedFile("2031.xlsx", sheet(*rows).getvalue())
    response = client.post("/admin/casework/calendarday/import/", {"sheet": upload})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert CalendarDay.objects.count() == before


def test_a_file_that_is_not_a_workbook_is_refused(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    upload = SimpleUploadedFile("2031.xlsx", b"not a workbook")
    response = client.post("/admin/casework/calendarday/import/", {"sheet": upload})
    assert "无法读取文件" in response.content.decode()


def test_the_admin_loads_a_good_sheet(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    upload = SimpleUploadedFile("2031.xlsx", sheet(*SPRING_2031).getvalue())
    response = client.post("/admin/casework/calendarday/import/", {"sheet": upload}, follow=True)
    assert "2031 年：新增 5 天" in response.content.decode()
    assert CalendarDay.objects.filter(date__year=2031).count() == 5


def test_only_an_administrator_who_may_add_days_reaches_the_import(client):
    client.force_login(UserFactory(is_staff=True))
    assert client.get("/admin/casework/calendarday/import/").status_code == 403
