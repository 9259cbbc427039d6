"""The beat of the embedded broker's soak test: the project's schedule plus a ping every second.

Test-only: the project's own schedule is crontabs only (config/celery.py); this
interval entry exists to make the scheduler publish often while the soak runs.
"""

from config.celery import app

app.conf.beat_schedule = {
    **app.conf.beat_schedule,
    "soak-ping": {"task": "reports.tasks.ping", "schedule": 1.0, "args": [-1], "options": {"expires": 60}},
}
