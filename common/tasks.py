"""What every task of ours shares: how it is acknowledged and retried.

Acknowledged late, so a worker that dies mid-task leaves the message to be redelivered, and
retried a bounded number of times on database and broker hiccups; every task is idempotent
(see the services it calls). The schedule lives in config/celery.py.
"""

from django.db import DatabaseError, InterfaceError

RETRY = {
    "acks_late": True,
    "autoretry_for": (DatabaseError, InterfaceError, ConnectionError),
    "max_retries": 3,
    "retry_backoff": 5,
    "retry_backoff_max": 120,
    "retry_jitter": True,
}
