"""A web node killed at any moment loses no submission its user was told succeeded: two real web
servers (gunicorn, each with a var dir of its own) on one PostgreSQL and one Redis.

- A registration answered on web 1 (the redirect to the new case) is there on web 2, with the
  same session cookie, after web 1 was killed with SIGKILL the moment it answered: the answer is
  sent only once its transaction committed.
- Web 1 killed while a registration is in flight, its transaction already holding the new case row
  (held there by a lock on the table its event goes into): the client gets no success (the
  connection breaks), and once PostgreSQL sees the client gone the transaction is rolled back:
  no case, no parties, no event, nothing half-written.
"""

import threading

import psycopg
import pytest
import requests
from django.conf import global_settings
from django.db import connection
from django.urls import reverse

from casework.models import CaseEvent, DisputeCase, Party
from tests import s3
from tests.casework.test_views import intake_data
from tests.config.test_many_machines import answers, environment, sign_in, web
from tests.factories import PASSWORD
from tests.reports.conftest import _close_worker_connections, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def register_on(session: requests.Session, url: str, data: dict, **options) -> requests.Response:
    page = f"{url}{reverse('casework:intake')}"
    return session.post(
        page,
        data={**data, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": page},
        allow_redirects=False,
        **options,
    )


def open_intake(session: requests.Session, url: str) -> None:
    assert session.get(f"{url}{reverse('casework:intake')}", timeout=10).status_code == 200


def backend_of(application_pids: set[int]) -> list[tuple[int, str, str]]:
    """The web servers' database sessions: (pid, wait event type, state), the test's own left out."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, coalesce(wait_event_type, ''), coalesce(state, '') FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend' "
            "AND NOT (pid = ANY(%s))",
            [list(application_pids)],
        )
        return cursor.fetchall()


def holds_new_rows(pid: int) -> bool:
    """`pid`'s transaction has inserted into the cases table (it holds the lock an INSERT takes)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE pid = %s AND relation = 'casework_disputecase'::regclass "
            "AND mode = 'RowExclusiveLock' AND granted",
            [pid],
        )
        return cursor.fetchone()[0] > 0


def test_a_web_node_killed_loses_no_answered_submission_and_leaves_no_half_written_one(
    settings, tmp_path, centre, grid
):
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    centre.set_password(PASSWORD)
    centre.save(update_fields=["password"])
    database = connection.settings_dict
    dsn = f"host={database['HOST']} port={database['PORT']} user={database['USER']} dbname={database['NAME']}"
    machines = []
    try:
        with s3.s3_server(tmp_path / "s3.log") as endpoint:
            env = environment(endpoint, settings)
            (web1, url1), (web2, url2) = web("web1", tmp_path, env), web("web2", tmp_path, env)
            machines += [web1, web2]
            assert wait_for(lambda: answers(url1) and answers(url2), timeout=90), web1.text()[-2000:]

            # Answered, then killed at once: the case is on web 2, for the same session.
            browser = requests.Session()
            sign_in(browser, url1, centre.username)
            open_intake(browser, url1)
            answered = register_on(
                browser, url1, intake_data(grid, description="答复后即被终止的节点登记的纠纷"), timeout=30
            )
            web1.kill()
            assert answered.status_code == 302, answered.text[:800]
            case_url = answered.headers["Location"]
            case = DisputeCase.objects.get(description="答复后即被终止的节点登记的纠纷")
            assert str(case.pk) in case_url
            shown = browser.get(f"{url2}{case_url}", timeout=10)
            assert shown.status_code == 200 and case.number in shown.text

            # In flight when killed: held inside its transaction after the case row is written.
            known = {pid for pid, _w, _s in backend_of(set())}  # every session but the new node's
            (web3, url3) = web("web3", tmp_path, env)
            machines.append(web3)
            assert wait_for(lambda: answers(url3), timeout=90), web3.text()[-2000:]
            open_intake(browser, url3)
            lock = psycopg.connect(dsn)
            known.add(lock.info.backend_pid)
            try:
                # SHARE: reads go on, an INSERT into the events waits (the registration's last write).
                lock.execute("LOCK TABLE casework_caseevent IN SHARE MODE")
                result = {}
                # Built here: the client thread only talks HTTP.
                data = intake_data(grid, description="处理中被终止的节点登记的纠纷")

                def submit():
                    try:
                        result["response"] = register_on(browser, url3, data, timeout=60)
                    except requests.RequestException as exc:
                        result["error"] = exc

                client = threading.Thread(target=submit)
                client.start()

                def waiting():
                    return [pid for pid, wait, _s in backend_of(known) if wait == "Lock" and holds_new_rows(pid)]

                assert wait_for(lambda: waiting(), timeout=30), (backend_of(known), result, web3.text()[-3000:])
                (held,) = waiting()
                web3.kill()
                client.join(timeout=30)
                assert "response" not in result and isinstance(result["error"], requests.ConnectionError)
            finally:
                lock.rollback()  # the held INSERT goes on, then its session finds its client gone
                lock.close()
            assert wait_for(lambda: held not in {pid for pid, _w, _s in backend_of(set())}, timeout=30)
            assert not DisputeCase.objects.filter(description="处理中被终止的节点登记的纠纷").exists()
            assert DisputeCase.objects.count() == 1
            assert Party.objects.exclude(case=case).count() == 0
            assert CaseEvent.objects.exclude(case=case).count() == 0
            # Web 2 still serves the session, and its queue has the one answered case only.
            queue = browser.get(f"{url2}{reverse('casework:queue')}", timeout=10)
            assert queue.status_code == 200 and case.number in queue.text
    finally:
        for machine in reversed(machines):
            machine.kill()
        _close_worker_connections()
