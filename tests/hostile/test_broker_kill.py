"""Finding 6 of the attack run: on `make run`'s broker (kombu's SQLAlchemy transport) a worker killed
with `kill -9` during 1,000 tasks lost one, and a dead worker's tasks were simply gone. The embedded
broker is now a real Redis server (config/broker.py), and every task is recorded on it until it has
run (config/delivery.py): 1,000 tasks, the worker killed three times mid-run, none lost (duplicates
are allowed: every task is idempotent).

kombu's Redis transport alone loses the message a worker has taken (BRPOP) and not yet recorded as
unacknowledged (a second round trip) when it is killed between the two: about one kill in a few.
The first test reproduces that window exactly, without depending on the timing of a kill."""

import base64
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import Celery

from config import broker, delivery
from tests.reports.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]
TASKS, KILLS = 1000, 3
DONE = re.compile(r"reports\.tasks\.ping\[[^\]]+\] succeeded in [\d.e-]+s: (\d+)")

pytestmark = pytest.mark.worker


def embedded_broker(var_dir: Path) -> subprocess.Popen:
    process = subprocess.Popen(broker.command(var_dir), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    assert wait_for(lambda: broker.socket_path(var_dir).exists(), timeout=30)
    return process


def worker_environment(var_dir: Path, **extra) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DATABASE_URL"}}
    env.update({"FENGQIAO_VAR_DIR": str(var_dir), "PYTHONUNBUFFERED": "1", "DJANGO_SETTINGS_MODULE": "config.settings"})
    env.update(extra)
    return env


def recording_publisher(var_dir: Path) -> Celery:
    """A publisher like the project's own: it records each task before sending it."""
    return Celery(
        "kill-test", broker=f"redis+socket://{broker.socket_path(var_dir)}", amqp="config.delivery:RecordingAMQP"
    )


def queued_ids(client, queue: str = "celery") -> list[str]:
    return [json.loads(raw)["headers"]["id"] for raw in client.lrange(queue, 0, -1)]


def test_finding_6_a_message_taken_and_never_recorded_is_sent_again(tmp_path):
    redis = embedded_broker(tmp_path)
    try:
        app = recording_publisher(tmp_path)
        with app.connection_for_write() as connection:
            sent = [
                app.send_task("reports.tasks.ping", args=[n], connection=connection, ignore_result=True).id
                for n in range(3)
            ]
            gone = app.send_task("reports.tasks.ping", args=[9], connection=connection, expires=1).id
            client = connection.default_channel.client
            # What a worker killed between its BRPOP and its record of the message leaves behind:
            # the message is off the queue, and in no `unacked` entry.
            (taken,) = client.brpop("celery", timeout=5)[1:]
            taken_id = json.loads(taken)["headers"]["id"]
            assert taken_id == sent[0] and set(queued_ids(client)) == {*sent[1:], gone}
            # The expired one is lost too; it is forgotten, not sent again.
            client.lrem("celery", 0, next(raw for raw in client.lrange("celery", 0, -1) if gone.encode() in raw))
            time.sleep(1.1)

            # Younger than the grace period: maybe not queued yet, so left alone.
            assert delivery.sweep(app, grace=60) == []
            assert delivery.sweep(app, grace=0) == [taken_id]
            assert sorted(queued_ids(client)) == sorted(sent)  # back, once; the others not doubled
            resent = json.loads(client.lrange("celery", 0, 0)[0])
            assert resent["headers"]["task"] == "reports.tasks.ping"
            assert json.loads(base64.b64decode(resent["body"]))[0] == [0]
            assert set(client.hkeys(delivery.RECORDS)) == {task_id.encode() for task_id in sent}
            # Queued messages are not lost: a second sweep sends nothing.
            assert delivery.sweep(app, grace=0) == []
            # Dropping the queued tasks on purpose drops their records too, or the sweep would send them again.
            assert delivery.purge(app) == 3
            assert client.llen("celery") == 0 and client.hlen(delivery.RECORDS) == 0
            assert delivery.sweep(app, grace=0) == []
    finally:
        redis.terminate()
        redis.wait(timeout=30)


def test_finding_6_a_worker_killed_three_times_loses_no_task(tmp_path):
    redis = embedded_broker(tmp_path)
    # A short visibility timeout, so that what a killed worker held comes back within the test.
    # No catch-up of reports on start: this worker has no database, only the broker under test.
    # A short sweep and grace period, so that what a kill caught in flight is sent again within it.
    env = worker_environment(
        tmp_path,
        FENGQIAO_BROKER_VISIBILITY_TIMEOUT="5",
        FENGQIAO_DELIVERY_SWEEP_SECONDS="2",
        FENGQIAO_DELIVERY_GRACE_SECONDS="3",
        FENGQIAO_NO_CATCH_UP_ON_START="1",
    )
    logs: list[Path] = []

    def start_worker() -> subprocess.Popen:
        log = tmp_path / f"worker-{len(logs)}.log"
        logs.append(log)
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=threads",
                "--concurrency=4",
                "-l",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def done() -> list[int]:
        return [int(n) for log in logs for n in DONE.findall(log.read_text(errors="replace"))]

    publisher = recording_publisher(tmp_path)
    worker = start_worker()
    try:
        with publisher.connection_for_write() as connection:
            for n in range(TASKS):
                publisher.send_task("reports.tasks.ping", args=[n, 0.02], connection=connection, ignore_result=True)
        for kill in range(1, KILLS + 1):
            # Mid-run: some tasks done, many queued, some taken and not yet acknowledged.
            assert wait_for(lambda k=kill: len(set(done())) >= k * TASKS // 5, timeout=180), len(set(done()))
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
            worker = start_worker()
        # Everything a dead worker held comes back (after the 5-second visibility timeout), and
        # what a kill caught between BRPOP and its record is sent again by the sweep.
        wait_for(lambda: set(done()) == set(range(TASKS)), timeout=120, interval=1)
        ran = done()
        lost = TASKS - len(set(ran))
        resent = sum(log.read_text(errors="replace").count("Sent again") for log in logs)
        print(f"{TASKS} tasks, {KILLS} kills: {lost} lost, {len(ran) - len(set(ran))} ran twice, {resent} sweeps sent")
        assert lost == 0, f"{lost} of {TASKS} lost"
        # Every record is deleted once its task has run: nothing is left behind on the broker.
        with publisher.connection_for_write() as connection:
            client = connection.default_channel.client
            assert wait_for(lambda: client.hlen(delivery.RECORDS) == 0, timeout=30), client.hlen(delivery.RECORDS)
        last_log = logs[-1].read_text(errors="replace")
        assert "Traceback" not in last_log, last_log[last_log.index("Traceback") - 800 :][:3000]
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
        redis.terminate()
        redis.wait(timeout=30)
