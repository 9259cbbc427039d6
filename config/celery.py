"""The Celery app and EVERY periodic task, as crontabs in Asia/Shanghai (CELERY_TIMEZONE).

Crontabs, not intervals: an interval restarts when beat restarts, a crontab fires
at the wall-clock time. Each entry carries `expires` so a message that waited out
an outage is dropped rather than run late; the catch-up step (on worker start and
hourly) makes whatever reports were missed meanwhile.
"""

import os

from celery import Celery, signals
from celery.schedules import crontab

from config import delivery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Every task we publish is recorded on the broker until it has run (config/delivery.py).
app = Celery("fengqiao", amqp="config.delivery:RecordingAMQP")
app.config_from_object("django.conf:settings", namespace="CELERY")
# RedBeat asks whether its connection settings are set under their own names (else it warns of a
# fallback to the broker's); the namespaced CELERY_REDBEAT_* are copied to those names.
app.conf.update(
    {
        name: app.conf.first(name)
        for name in ("redbeat_redis_url", "redbeat_redis_options")
        if app.conf.first(name) is not None
    }
)
app.steps["worker"].add(delivery.Sweep)
app.autodiscover_tasks()
# The analysis package lives inside reports, below autodiscovery's one level.
app.autodiscover_tasks(["reports.analysis"])

HOUR = 60 * 60

app.conf.beat_schedule = {
    # 日报: 18:00 every day; the task makes one only on the days of a sensitive period
    # (or every day with FENGQIAO_DAILY_REPORT_EVERY_DAY), since periods are data, not crontab.
    "daily-report": {
        "task": "reports.tasks.daily_report",
        "schedule": crontab(minute=0, hour=18),
        "options": {"expires": 6 * HOUR},
    },
    # 月报: 08:00 on the 1st, for the previous month.
    "monthly-report": {
        "task": "reports.tasks.monthly_report",
        "schedule": crontab(minute=0, hour=8, day_of_month=1),
        "options": {"expires": 12 * HOUR},
    },
    # 督办: before a deadline (FENGQIAO_REMIND_DAYS_BEFORE) and on the day it falls due.
    "deadline-reminders": {
        "task": "casework.tasks.deadline_reminders",
        "schedule": crontab(minute=30, hour=8),
        "options": {"expires": 6 * HOUR},
    },
    # 督办 answers owed: the centre the working day before and on the day; the district once overdue.
    "supervision-reminders": {
        "task": "casework.tasks.supervision_reminders",
        "schedule": crontab(minute=35, hour=8),
        "options": {"expires": 6 * HOUR},
    },
    # 司法确认: the mediators are told before the 30-day window of an agreement closes.
    "judicial-window": {
        "task": "mediation.tasks.judicial_window_reminders",
        "schedule": crontab(minute=40, hour=8),
        "options": {"expires": 6 * HOUR},
    },
    # 排查: each grid worker is told of today's and this month's returns owed, and of missed ones.
    "returns-owed": {
        "task": "grids.tasks.returns_owed",
        "schedule": crontab(minute=0, hour=9),
        "options": {"expires": 6 * HOUR},
    },
    # 预警: notices go out at registration; this sweep catches any lost on the way.
    "warning-sweep": {
        "task": "casework.tasks.warning_sweep",
        "schedule": crontab(minute=10),
        "options": {"expires": HOUR},
    },
    # Ledger uploads whose import was cut short or lost on the way: sent again, or ended.
    "ledger-import-sweep": {
        "task": "ledger.tasks.ledger_import_sweep",
        "schedule": crontab(minute="*/10"),
        "options": {"expires": 10 * 60},
    },
    # 异常上升预警: a category in a community above this month's 95% forecast bound; notified once
    # a month per pair (the notice's key), so running daily only finds a rise sooner.
    "anomaly-alerts": {
        "task": "reports.analysis.tasks.anomaly_alerts",
        "schedule": crontab(minute=40, hour=8),
        "options": {"expires": 6 * HOUR},
    },
    # Notices' e-mails and SMS whose message was lost (the broker down at the change): sent again.
    "delivery-sweep": {
        "task": "common.tasks.delivery_sweep",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 15 * 60},
    },
    # 类案参考's index: the cases concluded since the last run (a few minutes' lag is harmless: the
    # lookup also ranks the scope's latest conclusions, indexed or not).
    "similar-index": {
        "task": "reports.analysis.tasks.similar_index",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 5 * 60},
    },
    # The reports' monthly counts checked against the cases (triggers keep them; a difference is
    # logged as an error and the month rewritten), at night when few write.
    "reconcile-summary": {
        "task": "reports.tasks.reconcile_summary",
        "schedule": crontab(minute=15, hour=2),
        "options": {"expires": 6 * HOUR},
    },
    # Reports missed while the system was down.
    "catch-up": {
        "task": "reports.tasks.catch_up",
        "schedule": crontab(minute=20),
        "options": {"expires": HOUR},
    },
}


@signals.worker_ready.connect
def catch_up_on_start(sender=None, **kwargs):
    """A worker coming back after an outage makes the reports missed meanwhile."""
    if os.environ.get("FENGQIAO_NO_CATCH_UP_ON_START"):
        return
    app.send_task("reports.tasks.catch_up", expires=HOUR)
