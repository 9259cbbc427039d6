"""Finding 6 of the attack run: on `make run`'s broker (kombu's SQLAlchemy transport) a worker killed
with `kill -9` during 1,000 tasks lost one, and a dead worker's tasks were simply gone. The embedded
broker is now a real Redis server (config/broker.py): 1,000 tasks, the worker killed three times
mid-run; every task a dead worker had taken comes back and runs (duplicates are allowed: every task
is idempotent).

What this does not prove, and why the bound below is one message per kill rather than zero: kombu's
Redis transport takes a message with BRPOP and only then records it as unacknowledged, in a second
round trip. A worker killed between the two loses that one message (seen once in a few runs). Closing
that window needs an atomic take-and-record (LMOVE into a per-worker list) in the transport; until
then this test holds the transport to the most it can lose: the single message in flight on the one
consumer connection at the moment of each kill."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from celery import Celery

from config import broker
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


def test_finding_6_a_worker_killed_three_times_loses_no_task(tmp_path):
    redis = embedded_broker(tmp_path)
    # A short visibility timeout, so that what a killed worker held comes back within the test.
    # No catch-up of reports on start: this worker has no database, only the broker under test.
    env = worker_environment(tmp_path, FENGQIAO_BROKER_VISIBILITY_TIMEOUT="5", FENGQIAO_NO_CATCH_UP_ON_START="1")
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

    publisher = Celery("kill-test", broker=f"redis+socket://{broker.socket_path(tmp_path)}")
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
        # Everything a dead worker held comes back (after the 5-second visibility timeout); what
        # can be missing is at most the one message each kill caught between BRPOP and its record.
        wait_for(lambda: set(done()) == set(range(TASKS)), timeout=120, interval=1)
        ran = done()
        lost = TASKS - len(set(ran))
        print(f"{TASKS} tasks, {KILLS} kills: {lost} lost, {len(ran) - len(set(ran))} ran twice")
        assert lost <= KILLS, f"{lost} of {TASKS} lost"
        last_log = logs[-1].read_text(errors="replace")
        assert "Traceback" not in last_log, last_log[last_log.index("Traceback") - 800 :][:3000]
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
        redis.terminate()
        redis.wait(timeout=30)
