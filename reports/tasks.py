"""Celery tasks of the reports: thin wrappers that take dates and call reports.services.

Every task is idempotent (see services) and retried as common.tasks.RETRY says.
The schedule lives in config/celery.py.
"""

import datetime as dt
import time

from celery import shared_task
from django.utils import timezone

from common.tasks import RETRY
from grids.models import Subdistrict

from . import services, summary


def _moment(value: str | None) -> dt.datetime:
    return dt.datetime.fromisoformat(value) if value else timezone.now()


@shared_task(name="reports.tasks.generate_report", **RETRY)
def generate_report(subdistrict_id: int, kind: str, period: str) -> int:
    """Make a subdistrict's report for `period` (YYYY-MM-DD) unless it exists; returns the snapshot id."""
    subdistrict = Subdistrict.objects.get(pk=subdistrict_id)
    return services.report_ensure(subdistrict=subdistrict, kind=kind, period=dt.date.fromisoformat(period)).pk


@shared_task(name="reports.tasks.daily_report", **RETRY)
def daily_report(now: str | None = None) -> list[int]:
    """Today's daily report of every subdistrict (none outside a sensitive period)."""
    return [snapshot.pk for snapshot in services.scheduled_daily_report(now=_moment(now))]


@shared_task(name="reports.tasks.monthly_report", **RETRY)
def monthly_report(now: str | None = None) -> list[int]:
    """Last month's report of every subdistrict."""
    return [snapshot.pk for snapshot in services.scheduled_monthly_report(now=_moment(now))]


@shared_task(name="reports.tasks.catch_up", **RETRY)
def catch_up(now: str | None = None) -> list[int]:
    return [snapshot.pk for snapshot in services.reports_catch_up(now=_moment(now))]


@shared_task(name="reports.tasks.reconcile_summary", **RETRY)
def reconcile_summary() -> int:
    """Every month of the reports' counts recomputed from the cases; repaired where they differ
    (each difference logged as an error). Returns how many cells differed (0 expected)."""
    return len(summary.reconcile(fix=True))


@shared_task(name="reports.tasks.ping")
def ping(n: int = 0, seconds: float = 0.0) -> int:
    """Does nothing (for `seconds`, at most 10): the broker tests and `celery inspect`-style checks send it."""
    time.sleep(min(max(seconds, 0.0), 10.0))
    return n
