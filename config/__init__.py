# The Celery app is loaded with Django so that `shared_task` and `current_app` find it.
from .celery import app as celery_app

__all__ = ["celery_app"]
