"""The documented backup and restore (scripts/backup.sh, scripts/restore.sh) round-trip a real database."""

import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from casework.enums import CaseStatus
from casework.models import CaseEvent, DisputeCase
from tests.workflow import drive

ROOT = Path(__file__).resolve().parents[2]


def _url(dbname: str) -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgresql://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{dbname}"


# serialized_rollback: the flush after a committed test must leave the reference data (categories) and
# content types as the next test expects them.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_backup_then_restore_into_an_empty_database_keeps_every_case_and_the_audit_guard(
    tmp_path, centre, mediator, grid
):
    drive(CaseStatus.CLOSED, centre=centre, lead=mediator, grid=grid)
    drive(CaseStatus.MEDIATING, centre=centre, lead=mediator, grid=grid)
    cases, events = DisputeCase.objects.count(), CaseEvent.objects.count()

    backup = subprocess.run(
        ["scripts/backup.sh", _url(connection.settings_dict["NAME"]), str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    archive = Path(backup.stdout.strip())
    assert archive.exists() and archive.stat().st_size > 0

    restored = f"fq_restore_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_url("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{restored}"')
    try:
        subprocess.run(["scripts/restore.sh", str(archive), _url(restored)], cwd=ROOT, check=True, capture_output=True)
        with psycopg.connect(_url(restored)) as db:
            assert db.execute("SELECT count(*) FROM casework_disputecase").fetchone()[0] == cases
            assert db.execute("SELECT count(*) FROM casework_caseevent").fetchone()[0] == events
            statuses = {row[0] for row in db.execute("SELECT status FROM casework_disputecase")}
            assert statuses == {CaseStatus.CLOSED, CaseStatus.MEDIATING}
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                db.execute("DELETE FROM casework_caseevent")
    finally:
        with psycopg.connect(_url("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{restored}"')


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path, db):
    bogus = tmp_path / "not-a-backup.dump"
    bogus.write_text("hello")
    result = subprocess.run(
        ["scripts/restore.sh", str(bogus), _url("postgres")], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode != 0
