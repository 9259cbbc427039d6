"""Several machines, proven with real processes: two web servers (gunicorn) and two Celery workers,
each with a var dir of its own (standing in for separate machines, so nothing can pass between them
by the local disk), and two beats, all on one PostgreSQL (the test database), one Redis and one
S3-compatible server (moto's `moto_server`, from PyPI).

- A ledger uploaded on web 1 is imported by whichever worker takes it; its file went through the
  bucket, and no web node's disk holds it.
- A user signed in on web 1 carries on on web 2 (the session is in Redis and the database).
- A worker killed (SIGKILL) in the middle of an import: the other one imports the upload, once.
- Two beats started at once: one holds the schedule's lock and sends, the other waits; the report
  is made once and each reminder sent once. The holder killed, the other takes over.
"""

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
import requests
from django.conf import global_settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from casework.models import DisputeCase
from common.enums import NoticeKind
from common.models import Notice
from grids.models import Subdistrict
from ledger.models import LedgerImport
from reports.enums import ReportKind
from reports.models import Snapshot
from tests import s3
from tests.factories import PASSWORD, register
from tests.ledger.conftest import agreed_row, world, xlsx  # noqa: F401 (world: the ledger tests' fixture)
from tests.reports.conftest import _close_worker_connections, wait_for

# Serialized rollback: the data the migrations load (categories, the calendar) is there before and after.
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Enough rows that an import is still running when its worker is killed (several seconds here).
SLOW_LEDGER_ROWS = 2000
RECEIVED = re.compile(r"Task ledger\.tasks\.ledger_import\[[^\]]+\] received")
SENDING = re.compile(r"Scheduler: Sending due task (\S+)")


class Machine:
    """A process with a var dir of its own and a log; stopped at the end of the test."""

    def __init__(self, name: str, base: Path, command: list[str], env: dict):
        self.name, self.var = name, base / name
        self.var.mkdir()
        self.log = base / f"{name}.log"
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**env, "FENGQIAO_VAR_DIR": str(self.var)},
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self, how=signal.SIGKILL):
        if self.process.poll() is None:
            os.killpg(self.process.pid, how)
        self.process.wait(timeout=60)


def environment(endpoint: str, settings) -> dict:
    """What every machine of the deployment is given: the same database, Redis, bucket and keys."""
    database = connection.settings_dict
    env = {key: value for key, value in os.environ.items() if not key.startswith(("FENGQIAO_", "PYTEST"))}
    env.update(s3.storage_settings(endpoint))
    env.update(
        {
            "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
            "REDIS_URL": settings.REDIS_URL,
            # The keys that seal personal data are the deployment's, the same on every machine.
            "FENGQIAO_FIELD_KEYS": settings.FENGQIAO_FIELD_KEYS,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONUNBUFFERED": "1",
            # A task a killed worker held comes back within the test, not after an hour.
            "FENGQIAO_BROKER_VISIBILITY_TIMEOUT": "12",
            "FENGQIAO_BROKER_RESTORE_SECONDS": "2",
            "FENGQIAO_DELIVERY_SWEEP_SECONDS": "3",
            "FENGQIAO_DELIVERY_GRACE_SECONDS": "5",
            # Only what the beats send makes reports here.
            "FENGQIAO_NO_CATCH_UP_ON_START": "1",
            "FENGQIAO_BEAT_LOOP_SECONDS": "1",
            "FENGQIAO_BEAT_LEASE_SECONDS": "4",
        }
    )
    return env


def web(name: str, base: Path, env: dict) -> tuple[Machine, str]:
    port = s3.free_port()
    command = [str(BIN / "gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1", "--threads", "4"]
    return Machine(name, base, command, env), f"http://127.0.0.1:{port}"


def worker(name: str, base: Path, env: dict) -> Machine:
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=threads", "--concurrency=2"]
    return Machine(name, base, [*command, "-n", f"{name}@%h", "-l", "INFO"], env)


def beat(name: str, base: Path, env: dict) -> Machine:
    command = [sys.executable, "-m", "celery", "-A", "tests.config.fast_beat", "beat", "-l", "INFO"]
    return Machine(name, base, command, env)


def answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=2).status_code in (200, 503)
    except requests.RequestException:
        return False


def sign_in(session: requests.Session, url: str, username: str) -> None:
    login = f"{url}{reverse('grids:login')}"
    session.get(login, timeout=10)
    response = session.post(
        login,
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": login},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:500]


def upload(session: requests.Session, url: str, source) -> str:
    page = f"{url}{reverse('ledger:upload')}"
    session.get(page, timeout=10)
    response = session.post(
        page,
        data={"mode": "all", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        files={"file": ("台账.xlsx", source.getvalue())},
        headers={"Referer": page},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text[:500]
    return response.headers["Location"]


def test_two_web_nodes_two_workers_two_beats_share_one_deployment(world, settings, tmp_path):  # noqa: F811
    centre = world["centre"]
    # The web machines check passwords with the deployment's hashers, not the tests' fast one.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    centre.set_password(PASSWORD)
    centre.save(update_fields=["password"])
    # A case overdue for days: each beat's round of reminders would tell the centre again.
    register(centre, world["grid"], at=timezone.now() - dt.timedelta(days=20))
    broker = redis.Redis.from_url(settings.REDIS_URL)
    broker.flushdb()
    machines: list[Machine] = []

    try:
        with s3.s3_server(tmp_path / "s3.log") as endpoint:
            env = environment(endpoint, settings)
            (web1, url1), (web2, url2) = web("web1", tmp_path, env), web("web2", tmp_path, env)
            workers = [worker("worker1", tmp_path, env), worker("worker2", tmp_path, env)]
            machines += [web1, web2, *workers]
            assert wait_for(lambda: answers(url1) and answers(url2), timeout=90), web1.text()[-2000:]
            assert wait_for(lambda: all("ready" in w.text() for w in workers), timeout=90), workers[0].text()[-2000:]

            # Signed in on web 1, the user carries on on web 2: same cookie, another machine.
            browser = requests.Session()
            sign_in(browser, url1, centre.username)
            home = browser.get(f"{url2}/", timeout=10)
            assert home.status_code == 200 and reverse("grids:login") not in home.url and "退出" in home.text

            # Uploaded on web 1; the import's page followed on web 2 until a worker has imported it.
            page = upload(browser, url1, xlsx([agreed_row(world)]))
            job = LedgerImport.objects.get()
            assert wait_for(lambda: "已新建" in browser.get(f"{url2}{page}", timeout=10).text, timeout=60)
            job.refresh_from_db()
            assert job.state == "done" and job.attempts == 1 and DisputeCase.objects.count() == 2
            assert s3.keys(endpoint) == []  # read through the bucket, then removed from it
            assert not any((m.var / "media").exists() for m in machines)

            # A worker killed in the middle of an import: the other one does it, once.
            rows = [agreed_row(world, f"K-{n:05d}") for n in range(SLOW_LEDGER_ROWS)]
            taken = [len(RECEIVED.findall(w.text())) for w in workers]
            page = upload(browser, url2, xlsx(rows))
            slow = LedgerImport.objects.exclude(pk=job.pk).get()
            assert wait_for(lambda: LedgerImport.objects.get(pk=slow.pk).state == "running", timeout=60)
            (busy,) = [w for w, before in zip(workers, taken, strict=True) if len(RECEIVED.findall(w.text())) > before]
            busy.kill()
            (survivor,) = [w for w in workers if w is not busy]
            assert wait_for(lambda: LedgerImport.objects.get(pk=slow.pk).state == "done", timeout=120), survivor.text()[
                -3000:
            ]
            slow.refresh_from_db()
            # Taken again after the kill (deliveries that arrive together count one attempt between
            # them: tests/ledger/test_jobs.py); what must hold is that its rows were written once.
            assert slow.attempts >= 2 and slow.report["written"]
            assert DisputeCase.objects.count() == 2 + SLOW_LEDGER_ROWS
            assert s3.keys(endpoint) == []

            # Two beats at once: one sends, the other waits for the lock.
            beats = [beat("beat1", tmp_path, env), beat("beat2", tmp_path, env)]
            machines += beats

            def sent(machine) -> list[str]:
                return SENDING.findall(machine.text())

            assert wait_for(lambda: sum(len(sent(b)) for b in beats) >= 6, timeout=60)
            (leader,) = [b for b in beats if sent(b)]
            (standby,) = [b for b in beats if b is not leader]
            previous = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
            monthly = Snapshot.objects.filter(kind=ReportKind.MONTHLY, period=previous.replace(day=1))
            assert wait_for(lambda: monthly.exists(), timeout=60), survivor.text()[-3000:]
            # The holder gone (SIGKILL: no release), the other takes over within the lease.
            leader.kill()
            assert wait_for(lambda: len(sent(standby)) >= 4, timeout=30), standby.text()[-2000:]
            time.sleep(2)  # the last tasks sent are run
            assert wait_for(lambda: not broker.llen("celery"), timeout=30)
            # One report of last month per subdistrict, made once (version 1), however many rounds were sent.
            assert sorted(monthly.values_list("subdistrict_id", "version")) == [
                (pk, 1) for pk in Subdistrict.objects.order_by("pk").values_list("pk", flat=True)
            ]
            overdue = Notice.objects.filter(kind=NoticeKind.OVERDUE, user=centre)
            assert overdue.count() == 1
    finally:
        for machine in reversed(machines):
            machine.kill()
        broker.flushdb()
        _close_worker_connections()
