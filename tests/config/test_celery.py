"""Every periodic task in one place, as crontabs in Asia/Shanghai, with `expires`."""

import copy
import datetime as dt
from zoneinfo import ZoneInfo

from celery.schedules import crontab

from config.celery import app

SHANGHAI = ZoneInfo("Asia/Shanghai")
EVERY_DAY_OF_WEEK = set(range(7))
EVERY_DAY_OF_MONTH = set(range(1, 32))
EVERY_MONTH = set(range(1, 13))


def entry(name):
    return app.conf.beat_schedule[name]


def test_schedule_runs_in_shanghai_time():
    assert str(app.conf.timezone) == "Asia/Shanghai"
    assert app.timezone == SHANGHAI or str(app.timezone) == "Asia/Shanghai"


def test_every_entry_is_a_crontab_with_expires_and_a_registered_task():
    app.loader.import_default_modules()
    assert set(app.conf.beat_schedule) == {
        "daily-report",
        "monthly-report",
        "deadline-reminders",
        "supervision-reminders",
        "warning-sweep",
        "catch-up",
        "ledger-import-sweep",
        "returns-owed",
        "judicial-window",
        "anomaly-alerts",
        "delivery-sweep",
        "similar-index",
        "reconcile-summary",
    }
    for name, item in app.conf.beat_schedule.items():
        assert isinstance(item["schedule"], crontab), name
        assert item["options"]["expires"] > 0, name
        assert item["task"] in app.tasks, name


def test_daily_report_at_18_00_every_day():
    schedule = entry("daily-report")["schedule"]
    assert (schedule.hour, schedule.minute) == ({18}, {0})
    assert schedule.day_of_week == EVERY_DAY_OF_WEEK and schedule.day_of_month == EVERY_DAY_OF_MONTH
    assert entry("daily-report")["task"] == "reports.tasks.daily_report"


def test_monthly_report_at_08_00_on_the_first():
    schedule = entry("monthly-report")["schedule"]
    assert (schedule.hour, schedule.minute, schedule.day_of_month) == ({8}, {0}, {1})
    assert schedule.month_of_year == EVERY_MONTH and schedule.day_of_week == EVERY_DAY_OF_WEEK


def test_anomaly_alerts_at_08_40_every_day():
    schedule = entry("anomaly-alerts")["schedule"]
    assert (schedule.hour, schedule.minute, schedule.day_of_month) == ({8}, {40}, EVERY_DAY_OF_MONTH)
    assert entry("anomaly-alerts")["task"] == "reports.analysis.tasks.anomaly_alerts"


def _due_at(name: str, now_utc: dt.datetime, last_run_utc: dt.datetime) -> bool:
    schedule = copy.copy(entry(name)["schedule"])
    schedule.nowfun = lambda: now_utc.astimezone(SHANGHAI)
    return schedule.is_due(last_run_utc.astimezone(SHANGHAI))[0]


def test_monthly_report_falls_due_at_08_00_shanghai_that_is_00_00_utc():
    last_run = dt.datetime(2025, 3, 1, 0, 0, 30, tzinfo=dt.UTC)
    assert not _due_at("monthly-report", dt.datetime(2025, 3, 31, 23, 59, tzinfo=dt.UTC), last_run)
    assert _due_at("monthly-report", dt.datetime(2025, 4, 1, 0, 0, 30, tzinfo=dt.UTC), last_run)


def test_daily_report_falls_due_at_18_00_shanghai_that_is_10_00_utc():
    last_run = dt.datetime(2025, 3, 10, 10, 0, 30, tzinfo=dt.UTC)
    assert not _due_at("daily-report", dt.datetime(2025, 3, 11, 9, 59, tzinfo=dt.UTC), last_run)
    assert _due_at("daily-report", dt.datetime(2025, 3, 11, 10, 0, 30, tzinfo=dt.UTC), last_run)


def test_hourly_and_daily_housekeeping():
    assert entry("catch-up")["schedule"].hour == set(range(24))
    assert entry("warning-sweep")["schedule"].hour == set(range(24))
    reminders = entry("deadline-reminders")["schedule"]
    assert reminders.hour == {8} and reminders.day_of_week == EVERY_DAY_OF_WEEK
