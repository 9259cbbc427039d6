"""At-least-once delivery on the Redis broker: no task is lost when a worker dies.

kombu's Redis transport takes a message off the queue (BRPOP) and records it as unacknowledged
(the `unacked` hash, from which the visibility timeout delivers it again) in a second round trip.
A worker killed between the two has taken a message nobody will ever deliver again: one in a few
`kill -9` of a busy worker. So every task we publish is also recorded here, in a hash on the same
broker, before it is sent; the worker deletes the record once the task has ended (succeeded,
failed for good, expired or refused, never when it is only retried). A record older than the
grace period whose message is neither queued nor unacknowledged was lost on the way, and the
sweep sends that message again, as it was.

The sweep runs in every worker (a thread started with it; a Redis lock keeps two workers from
sweeping at once), on start and then every `FENGQIAO_DELIVERY_SWEEP_SECONDS`. A message caught
between the two round trips of a LIVE worker is also sent again and may run twice: every task is
idempotent.

Only the Redis transport is covered (production and `make run`); our tasks use no message
priorities, so each queue is the one list of its name.
"""

import json
import logging
import os
import threading
import time
from datetime import datetime

from celery import bootsteps, signals
from celery.app.amqp import AMQP, task_message
from celery.utils.time import maybe_make_aware

logger = logging.getLogger(__name__)

RECORDS = "fengqiao.delivery"
LOCK = "fengqiao.delivery.sweep"
UNRECORDED = {"event_dispatcher", "declare", "queue"}


def sweep_seconds() -> float:
    return float(os.environ.get("FENGQIAO_DELIVERY_SWEEP_SECONDS", "60"))


def grace_seconds() -> float:
    """How old a record must be before its message counts as lost: it is written just BEFORE the
    message is queued, so a younger one may simply not be queued yet."""
    return float(os.environ.get("FENGQIAO_DELIVERY_GRACE_SECONDS", "60"))


def _redis(connection):
    """The broker's Redis client behind a kombu connection, or None on another transport."""
    if connection.transport.driver_type != "redis":
        return None
    return connection.default_channel.client


def _queue_name(queue) -> str | None:
    return queue if isinstance(queue, str) or queue is None else queue.name


class RecordingAMQP(AMQP):
    """The app's publisher, recording each task message on its own broker before sending it."""

    @property
    def send_task_message(self):
        send = super().send_task_message

        def send_recorded(producer, name, message, **options):
            client = _redis(producer.connection)
            if client is not None:
                headers, properties, body, _event = message
                record = {
                    "name": name,
                    "headers": headers,
                    "properties": properties,
                    "body": body,
                    # As sent, but the queue by name; the dispatcher and the declarations are the
                    # sender's own objects, made again by whoever sends it next.
                    "options": {key: value for key, value in options.items() if key not in UNRECORDED}
                    | {"queue": _queue_name(options.get("queue"))},
                    "at": time.time(),
                }
                client.hset(RECORDS, headers["id"], json.dumps(record, default=str))
            return send(producer, name, message, **options)

        return send_recorded


def _forget(app, task_id: str | None) -> None:
    if not task_id:
        return
    with app.pool.acquire(block=True) as connection:
        client = _redis(connection)
        if client is not None:
            client.hdel(RECORDS, task_id)


@signals.task_postrun.connect
def _task_ended(sender=None, task_id=None, state=None, **kwargs):
    # A retry has already published the next attempt under the same id: its record stays.
    if state != "RETRY":
        _forget(sender.app, task_id)


@signals.task_revoked.connect
def _task_revoked(sender=None, request=None, **kwargs):
    _forget(sender.app, getattr(request, "id", None))


@signals.task_rejected.connect
@signals.task_unknown.connect
def _task_refused(sender=None, message=None, **kwargs):
    _forget(sender.app, (getattr(message, "headers", None) or {}).get("id"))


def _ids(raw_messages) -> set[str]:
    found = set()
    for raw in raw_messages:
        try:
            payload = json.loads(raw)
            if isinstance(payload, list):  # an unacknowledged entry: [message, exchange, routing key]
                payload = payload[0]
            found.add(payload["headers"]["id"])
        except (ValueError, KeyError, IndexError, TypeError):
            continue
    return found


def _expired(record: dict, now: datetime) -> bool:
    expires = record["headers"].get("expires")
    return bool(expires) and maybe_make_aware(datetime.fromisoformat(expires)) <= now


def sweep(app, grace: float | None = None) -> list[str]:
    """Send again every recorded task whose message is lost; the ids sent again."""
    grace = grace_seconds() if grace is None else grace
    with app.pool.acquire(block=True) as connection:
        client = _redis(connection)
        if client is None or not client.set(LOCK, "1", nx=True, ex=max(int(sweep_seconds()), 1)):
            return []
        try:
            channel = connection.default_channel
            queues = set(app.amqp.queues)
            records = {}
            for task_id, raw in client.hgetall(RECORDS).items():
                try:
                    records[task_id.decode()] = record = json.loads(raw)
                    queues.add(record["options"].get("queue") or record["options"].get("routing_key"))
                except (ValueError, KeyError, AttributeError):
                    client.hdel(RECORDS, task_id)
            queues.discard(None)
            # One transaction: a message moving from its queue to `unacked` is seen in one of the two.
            snapshot = client.pipeline(transaction=True)
            snapshot.hkeys(RECORDS)
            for queue in sorted(queues):
                snapshot.lrange(queue, 0, -1)
            snapshot.hvals(channel.unacked_key)
            recorded, *lists = snapshot.execute()
            present = _ids(raw for items in lists for raw in items)
            recorded = {task_id.decode() for task_id in recorded}
            now, cutoff = datetime.now().astimezone(), time.time() - grace
            lost = [
                task_id
                for task_id, record in records.items()
                if task_id in recorded and task_id not in present and record["at"] <= cutoff
            ]
            sent = []
            producer = app.amqp.Producer(connection, auto_declare=False)
            for task_id in lost:
                record = records[task_id]
                if _expired(record, now):
                    client.hdel(RECORDS, task_id)
                    continue
                body = tuple(record["body"]) if isinstance(record["body"], list) else record["body"]
                message = task_message(record["headers"], record["properties"], body, None)
                app.amqp.send_task_message(producer, record["name"], message, **record["options"])
                sent.append(task_id)
            if sent:
                logger.warning("Sent again %d task(s) lost between the broker and a worker: %s", len(sent), sent)
            return sent
        finally:
            client.delete(LOCK)


def purge(app) -> int:
    """Drop every queued task and every record: `celery purge` alone empties the queues, and the
    sweep would then send their tasks again as lost. The number of messages dropped."""
    with app.pool.acquire(block=True) as connection:
        dropped = app.control.purge(connection=connection)
        client = _redis(connection)
        if client is not None:
            client.delete(RECORDS)
    return dropped


class Sweep(bootsteps.StartStopStep):
    """Runs `sweep` in its own thread for as long as the worker runs."""

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self.stopping = threading.Event()
        self.thread = None

    def start(self, parent):
        app = parent.app

        def loop():
            while not self.stopping.is_set():
                try:
                    sweep(app)
                except Exception:  # the broker away for a while: the next round tries again
                    logger.exception("Delivery sweep failed")
                self.stopping.wait(sweep_seconds())

        self.thread = threading.Thread(target=loop, name="delivery-sweep", daemon=True)
        self.thread.start()

    def stop(self, parent):
        self.stopping.set()


if __name__ == "__main__":
    # python -m config.delivery purge: what `celery -A config purge` does, the records included.
    import sys

    import django

    if sys.argv[1:] != ["purge"]:
        sys.exit("usage: python -m config.delivery purge")
    django.setup()
    from config.celery import app

    print(f"Dropped {purge(app)} queued task(s) and their records.")
