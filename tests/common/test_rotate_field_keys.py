"""`manage.py rotate_field_keys`: batches with progress, online, resumable after a kill, verified."""

import base64
import os
import signal
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from casework.models import DisputeCase, Party
from casework.selectors import search_cases
from tests.factories import party, register
from tests.ledger.conftest import person_id

ROOT = Path(__file__).resolve().parents[2]
INDEX = "index:" + base64.b64encode(b"rotation-test-blind-index-key-32").decode()
K1 = "k1:" + base64.b64encode(b"rotation-test-k1").decode()
K2 = "k2:" + base64.b64encode(b"rotation-test-k2").decode()


def key_ids() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT split_part(phone, '$', 1) FROM casework_party ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def rotation(*args):
    env = {**os.environ, "DATABASE_URL": database_url(), "FENGQIAO_FIELD_KEYS": f"{K2},{K1},{INDEX}"}
    return subprocess.Popen(
        [sys.executable, "manage.py", "rotate_field_keys", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_rotation_killed_midway_leaves_every_row_readable_and_a_rerun_finishes_and_verifies(settings, centre, grid):
    settings.FENGQIAO_FIELD_KEYS = f"{K1},{INDEX}"
    for n in range(30):
        register(
            centre,
            grid,
            parties=[party(phone=f"1371234{n:04d}", address=f"八一大道{n}号"), party("respondent", "李四")],
        )
    assert set(key_ids()) == {"k1", ""}
    before = {p.pk: (p.phone, p.address) for p in Party.objects.all()}

    run = rotation("--batch-size", "5", "--pause", "0.3")
    progress = [run.stdout.readline() for _ in range(4)]
    assert progress[1].startswith("casework.party: 30 rows to re-seal under k2"), progress
    assert progress[3].startswith("casework.party: 10/30 re-sealed"), progress
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=30)

    # Half done: the web, configured with both keys, reads every row, whichever key it is under.
    settings.FENGQIAO_FIELD_KEYS = f"{K2},{K1},{INDEX}"
    ids = set(key_ids()) - {""}
    assert ids == {"k1", "k2"}, ids
    assert {p.pk: (p.phone, p.address) for p in Party.objects.all()} == before
    # And what it writes meanwhile is sealed under the new key.
    register(centre, grid, parties=[party(phone="13900000000")])
    assert key_ids()[-1] == "k2"

    again = rotation("--batch-size", "7")
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert "casework.party: verified 61 rows, every value opens under k2" in out
    assert set(key_ids()) == {"k2", ""}
    after = {p.pk: (p.phone, p.address) for p in Party.objects.all() if p.pk in before}
    assert after == before
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM casework_party WHERE address LIKE 'k1$%%'")
        assert cursor.fetchone()[0] == 0

    # The old key can go now: every row still opens.
    settings.FENGQIAO_FIELD_KEYS = f"{K2},{INDEX}"
    call_command("rotate_field_keys", "--verify-only", stdout=StringIO())
    assert len([p.phone for p in Party.objects.all()]) == 61


@pytest.mark.django_db
def test_verification_names_a_row_left_under_the_old_key(settings, centre, grid):
    settings.FENGQIAO_FIELD_KEYS = f"{K1},{INDEX}"
    case = register(centre, grid, parties=[party(phone="13712345678")])
    settings.FENGQIAO_FIELD_KEYS = f"{K2},{K1},{INDEX}"
    pk = Party.objects.get(case=case).pk
    with pytest.raises(CommandError, match=f"casework.party {pk}: phone is still under k1"):
        call_command("rotate_field_keys", "--verify-only", stdout=StringIO())
    out = StringIO()
    call_command("rotate_field_keys", stdout=out)
    assert "casework.party: 1/1 re-sealed" in out.getvalue()
    assert "verified" in out.getvalue()


INDEX2 = "index:" + base64.b64encode(b"rotation-test-new-blind-index-32").decode()


@pytest.mark.django_db
def test_reindex_recomputes_the_blind_indexes_under_a_new_index_key_in_batches(settings, centre, grid):
    settings.FENGQIAO_FIELD_KEYS = f"{K1},{INDEX}"
    cases = [
        register(centre, grid, parties=[party(id_number=person_id(n), phone=f"1371234{n:04d}"), party("respondent")])
        for n in range(4)
    ]
    every = DisputeCase.objects.all()
    assert list(search_cases(every, "13712340002")) == [cases[2]]

    # The index key replaced: exact search misses every row until the indexes are recomputed.
    settings.FENGQIAO_FIELD_KEYS = f"{K1},{INDEX2}"
    assert list(search_cases(every, "13712340002")) == []
    first = Party.objects.filter(case=cases[0], role="applicant").get().pk
    with pytest.raises(CommandError, match=f"casework.party {first}: its blind index is not under the current"):
        call_command("rotate_field_keys", "--reindex", "--verify-only", stdout=StringIO())

    out = StringIO()
    call_command("rotate_field_keys", "--reindex", "--batch-size", "3", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "casework.party: 8 rows to check against the current index key"
    assert lines[1:4] == [
        "casework.party: 3/8 checked, 2 reindexed",
        "casework.party: 6/8 checked, 3 reindexed",
        "casework.party: 8/8 checked, 4 reindexed",
    ]
    assert "casework.party: verified 8 rows, every index under the current key" in lines[-1]
    assert list(search_cases(every, "13712340002")) == [cases[2]]
    assert list(search_cases(every, person_id(3))) == [cases[3]]
    # The field keys were not touched: the values still open, under k1.
    assert set(key_ids()) == {"k1", ""}
    # Run again (as after a crash), it finds nothing left to write.
    again = StringIO()
    call_command("rotate_field_keys", "--reindex", stdout=again)
    assert "casework.party: 8/8 checked, 0 reindexed" in again.getvalue()
