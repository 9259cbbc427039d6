"""Celery tasks of mediation: the judicial-confirmation window reminders (thin: a date in)."""

import datetime as dt

from celery import shared_task

from common.tasks import RETRY

from . import notices


@shared_task(name="mediation.tasks.judicial_window_reminders", **RETRY)
def judicial_window_reminders(today: str | None = None) -> int:
    return notices.judicial_window_reminders(today=dt.date.fromisoformat(today) if today else None)
