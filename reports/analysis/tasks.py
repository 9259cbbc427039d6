"""Celery tasks of the analysis (thin; the schedule is in config/celery.py)."""

import datetime as dt

from celery import shared_task

from common.tasks import RETRY

from . import alerts, similar


@shared_task(name="reports.analysis.tasks.anomaly_alerts", **RETRY)
def anomaly_alerts(today: str | None = None) -> int:
    return alerts.anomaly_alerts(today=dt.date.fromisoformat(today) if today else None)


@shared_task(name="reports.analysis.tasks.similar_index", **RETRY)
def similar_index() -> int:
    return similar.index_concluded()
