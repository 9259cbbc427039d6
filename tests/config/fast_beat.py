"""The project's Celery app with a schedule that comes round every two seconds, for the tests that
start real beats: `celery -A tests.config.fast_beat beat`. Everything else (the scheduler, its
lock, the broker) is the project's own."""

import datetime as dt

from celery.schedules import schedule

from config.celery import app

EVERY = dt.timedelta(seconds=2)

app.conf.beat_schedule = {
    name: {"task": task, "schedule": schedule(EVERY), "options": {"expires": 60}}
    for name, task in {
        "monthly-report": "reports.tasks.monthly_report",
        "deadline-reminders": "casework.tasks.deadline_reminders",
    }.items()
}
