"""Celery tasks: thin wrappers that take ids and dates and call reports.services.

Every task is idempotent (see services), acknowledged late so a worker that dies
mid-task leaves the message to be redelivered, and retried a bounded number of
times on database and broker hiccups. The schedule lives in config/celery.py.
"""

import datetime as dt

from celery import shared_task
from django.db import DatabaseError, InterfaceError
from django.utils import timezone

from . import services
from .ledger import jobs

RETRY = {
    "acks_late": True,
    "autoretry_for": (DatabaseError, InterfaceError, ConnectionError),
    "max_retries": 3,
    "retry_backoff": 5,
    "retry_backoff_max": 120,
    "retry_jitter": True,
}


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


@shared_task(name="reports.tasks.deadline_reminders", **RETRY)
def deadline_reminders(today: str | None = None) -> int:
    return services.deadline_reminders(today=dt.date.fromisoformat(today) if today else None)


@shared_task(name="reports.tasks.warning_notice", ignore_result=True, **RETRY)
def warning_notice(case_id: int) -> None:
    services.warning_notify(case_id=case_id)


@shared_task(name="reports.tasks.warning_sweep", **RETRY)
def warning_sweep() -> int:
    return services.warning_sweep()


@shared_task(name="reports.tasks.ping")
def ping(n: int = 0) -> int:
    """Does nothing: the embedded broker's soak test and `celery inspect`-style checks send it."""
    return n


@shared_task(name="reports.tasks.ledger_import", ignore_result=True, acks_late=True)
def ledger_import(job_id: str) -> None:
    """A ledger uploaded on the ledger page. Not retried: a failure ends the upload, saying so;
    a run cut short is sent again by the sweep."""
    jobs.import_run(job_id)


@shared_task(name="reports.tasks.ledger_import_sweep", **RETRY)
def ledger_import_sweep() -> list[str]:
    return jobs.import_sweep()
