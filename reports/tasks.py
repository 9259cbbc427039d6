"""Celery tasks of the reports: thin wrappers that take dates and call reports.services.

Every task is idempotent (see services) and retried as common.tasks.RETRY says.
The schedule lives in config/celery.py.
"""

import datetime as dt

from celery import shared_task
from django.utils import timezone

from common.tasks import RETRY

from . import services


def _moment(value: str | None) -> dt.datetime:
    return dt.datetime.fromisoformat(value) if value else timezone.now()


@shared_task(name="reports.tasks.generate_report", **RETRY)
def generate_report(kind: str, period: str) -> int:
    """Make the report for `period` (YYYY-MM-DD) unless it exists; returns the snapshot id."""
    return services.report_ensure(kind=kind, period=dt.date.fromisoformat(period)).pk


@shared_task(name="reports.tasks.daily_report", **RETRY)
def daily_report(now: str | None = None) -> int | None:
    snapshot = services.scheduled_daily_report(now=_moment(now))
    return snapshot.pk if snapshot else None


@shared_task(name="reports.tasks.monthly_report", **RETRY)
def monthly_report(now: str | None = None) -> int:
    return services.scheduled_monthly_report(now=_moment(now)).pk


@shared_task(name="reports.tasks.catch_up", **RETRY)
def catch_up(now: str | None = None) -> list[int]:
    return [snapshot.pk for snapshot in services.reports_catch_up(now=_moment(now))]


@shared_task(name="reports.tasks.ping")
def ping(n: int = 0) -> int:
    """Does nothing: the embedded broker's soak test and `celery inspect`-style checks send it."""
    return n
