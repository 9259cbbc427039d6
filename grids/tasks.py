"""Celery tasks of grids: the daily notice of screening returns owed (thin: a date in)."""

import datetime as dt

from celery import shared_task

from common.tasks import RETRY

from . import notices


@shared_task(name="grids.tasks.returns_owed", **RETRY)
def returns_owed(today: str | None = None) -> int:
    return notices.returns_owed_notify(today=dt.date.fromisoformat(today) if today else None)
