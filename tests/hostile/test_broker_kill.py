"""Finding 6 of the attack run: on `make run`'s broker (kombu's SQLAlchemy transport) a worker killed
with `kill -9` during 1,000 tasks lost one. The embedded broker is now a real Redis server
(config/broker.py): 1,000 tasks, the worker killed three times mid-run, and every task runs;
a task a dead worker held runs again (duplicates are allowed: every task is idempotent)."""

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
    env = worker_environment(tmp_path, FENGQIAO_BROKER_VISIBILITY_TIMEOUT="5")
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
        assert wait_for(lambda: set(done()) == set(range(TASKS)), timeout=240, interval=1), (
            f"{TASKS - len(set(done()))} of {TASKS} lost"
        )
        ran = done()
        print(f"{TASKS} tasks, {KILLS} kills: 0 lost, {len(ran) - TASKS} ran twice")
        assert "Traceback" not in "".join(log.read_text(errors="replace") for log in logs[-1:])
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
        redis.terminate()
        redis.wait(timeout=30)
