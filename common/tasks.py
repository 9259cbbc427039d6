"""What every task of ours shares: how it is acknowledged and retried.

Acknowledged late, so a worker that dies mid-task leaves the message to be redelivered, and
retried a bounded number of times on database and broker hiccups; every task is idempotent
(see the services it calls). The schedule lives in config/celery.py.
"""

from celery import shared_task
from django.db import DatabaseError, InterfaceError

from .sms import DeliveryFailed

RETRY = {
    "acks_late": True,
    "autoretry_for": (DatabaseError, InterfaceError, ConnectionError),
    "max_retries": 3,
    "retry_backoff": 5,
    "retry_backoff_max": 120,
    "retry_jitter": True,
}


# Sending a notice out: a channel that fails (a gateway down, a mail server refusing) is tried
# again, sooner than the database hiccups above and a few more times; the last attempt marks the
# delivery failed. Each (notice, channel) is sent once however often its task runs.
DELIVERY_RETRY = {
    **RETRY,
    "autoretry_for": (*RETRY["autoretry_for"], DeliveryFailed),
    "max_retries": 5,
    "retry_backoff": 2,
    "retry_backoff_max": 300,
}


@shared_task(name="common.tasks.deliver_notice", bind=True, ignore_result=True, **DELIVERY_RETRY)
def deliver_notice(self, delivery_id: int) -> None:
    from . import delivery  # the models load after the tasks' module, which settings-time code imports

    delivery.send_delivery(delivery_id=delivery_id, final=self.request.retries >= self.max_retries)


@shared_task(name="common.tasks.delivery_sweep", **RETRY)
def delivery_sweep() -> int:
    from . import delivery

    return delivery.pending_sweep()
