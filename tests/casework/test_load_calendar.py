"""`manage.py load_calendar`: creates the official rows that are missing, keeps and reports
rows an administrator changed or added, writes nothing in a dry run, honours verbosity."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from casework.enums import CalendarDayKind
from casework.holidays import known_years, official_overrides
from casework.models import CalendarDay

pytestmark = pytest.mark.django_db

D = dt.date


def run(*args, verbosity=1) -> str:
    out = io.StringIO()
    call_command("load_calendar", *args, verbosity=verbosity, stdout=out)
    return out.getvalue()


def rows(year: int) -> set:
    return set(CalendarDay.objects.filter(date__year=year).values_list("date", "kind", "name"))


def official(year: int) -> set:
    return set(official_overrides(D(year, 1, 1), D(year, 12, 31)))


def test_load_calendar_recreates_a_missing_year():
    expected = official(2025)
    CalendarDay.objects.filter(date__year=2025).delete()
    output = run("--year", "2025")
    assert rows(2025) == expected
    assert f"2025: created {len(expected)}, unchanged 0" in output


def test_load_calendar_fills_gaps_only():
    CalendarDay.objects.filter(date__in=[D(2025, 10, 1), D(2025, 10, 11)]).delete()
    output = run("--year", "2025")
    assert rows(2025) == official(2025)
    assert "2025: created 2," in output


def test_load_calendar_second_run_creates_nothing():
    run("--year", "2024", "--year", "2025")
    before = CalendarDay.objects.count()
    output = run("--year", "2024", "--year", "2025")
    assert CalendarDay.objects.count() == before
    assert "2024: created 0" in output and "2025: created 0" in output


def test_load_calendar_keeps_and_reports_administrator_changes():
    # An administrator made the 调休 Saturday a holiday, and added a local holiday.
    CalendarDay.objects.filter(date=D(2025, 10, 11)).update(kind=CalendarDayKind.HOLIDAY, name="本地调整")
    CalendarDay.objects.create(date=D(2025, 6, 20), kind=CalendarDayKind.HOLIDAY, name="本地节日")
    output = run("--year", "2025", verbosity=2)
    assert CalendarDay.objects.get(date=D(2025, 10, 11)).kind == CalendarDayKind.HOLIDAY
    assert CalendarDay.objects.filter(date=D(2025, 6, 20)).exists()
    assert "kept as changed by an administrator 1, extra 1" in output
    assert "2025-10-11 法定节假日: the official calendar says 调休上班" in output
    assert "2025-06-20" in output


def test_load_calendar_dry_run_writes_nothing():
    CalendarDay.objects.filter(date__year=2026).delete()
    output = run("--year", "2026", "--dry-run", verbosity=2)
    assert not CalendarDay.objects.filter(date__year=2026).exists()
    assert f"2026: would create {len(official(2026))}" in output
    assert "would create 2026-10-01" in output
    assert "nothing written" in output


def test_load_calendar_defaults_to_every_known_year_since_2020():
    CalendarDay.objects.filter(date__year__in=[2020, 2024]).delete()
    output = run()
    assert rows(2020) == official(2020) and rows(2024) == official(2024)
    years = [y for y in known_years() if y >= 2020]
    assert all(f"{year}:" in output for year in years)
    assert "2019:" not in output


def test_load_calendar_quiet_at_verbosity_zero():
    CalendarDay.objects.filter(date__year=2025).delete()
    assert run("--year", "2025", verbosity=0) == ""
    assert rows(2025) == official(2025)


def test_load_calendar_unknown_year_refused():
    with pytest.raises(CommandError, match="2099"):
        run("--year", "2099")
    assert not CalendarDay.objects.filter(date__year=2099).exists()
