"""Celery tasks of casework: early-warning notices, deadline and 督办 reminders (thin: ids and dates in)."""

import datetime as dt

from celery import shared_task

from common.tasks import RETRY

from . import notices


@shared_task(name="casework.tasks.deadline_reminders", **RETRY)
def deadline_reminders(today: str | None = None) -> int:
    return notices.deadline_reminders(today=dt.date.fromisoformat(today) if today else None)


@shared_task(name="casework.tasks.supervision_reminders", **RETRY)
def supervision_reminders(today: str | None = None) -> int:
    return notices.supervision_reminders(today=dt.date.fromisoformat(today) if today else None)


@shared_task(name="casework.tasks.warning_notice", ignore_result=True, **RETRY)
def warning_notice(case_id: int) -> None:
    notices.warning_notify(case_id=case_id)


@shared_task(name="casework.tasks.warning_sweep", **RETRY)
def warning_sweep() -> int:
    return notices.warning_sweep()
