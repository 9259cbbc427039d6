"""Finding 7 of the attack run: report snapshots were immutable only in the application; a restore
dropped the application role's grants; a failed backup.sh left 0-byte .partial files; (and API
tokens, in test_tokens.py). Also: a backup can be encrypted, and a restore refuses a backup whose
checksum fails."""

import datetime as dt
import os
import sqlite3
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction

from casework.enums import CaseStatus
from casework.models import DisputeCase
from reports.models import Snapshot
from reports.services import report_generate
from tests.config.test_backup import _url
from tests.sqlite_db import migrated_sqlite
from tests.workflow import drive

ROOT = Path(__file__).resolve().parents[2]


def test_finding_7_report_snapshots_are_append_only_in_the_database(centre, mediator, grid):
    drive(CaseStatus.CLOSED, centre=centre, lead=mediator, grid=grid)
    snapshot, _created = report_generate(kind="monthly", period=dt.date.today().replace(day=1), actor=centre)
    with connection.cursor() as cursor:
        for statement in (
            "UPDATE reports_snapshot SET figures = '{}' WHERE id = %s",
            "DELETE FROM reports_snapshot WHERE id = %s",
        ):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                cursor.execute(statement, [snapshot.pk])
    assert Snapshot.objects.get(pk=snapshot.pk).figures == snapshot.figures


def test_finding_7_on_sqlite_report_snapshots_are_append_only_too(tmp_path):
    """`make run`'s database: built by the migrations as `make run` builds it (SQLite under the var
    dir), a snapshot row written raw, and a raw UPDATE and DELETE refused by the database itself."""
    db = sqlite3.connect(migrated_sqlite(tmp_path))
    with db:
        db.execute("INSERT INTO grids_subdistrict (name, code) VALUES ('白化洲街道', 'bhz')")
        db.execute(
            "INSERT INTO reports_snapshot (kind, period, version, generated_at, reason, fingerprint, figures,"
            " material, subdistrict_id) VALUES ('monthly', '2021-03-01', 1, '2021-04-01 08:00:00', '', 'f',"
            " '{\"registered\": 3}', '{}', (SELECT id FROM grids_subdistrict))"
        )
    for statement in (
        "UPDATE reports_snapshot SET figures = '{}'",
        "UPDATE reports_snapshot SET reason = 'edited'",
        "DELETE FROM reports_snapshot",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"), db:
            db.execute(statement)
    assert db.execute("SELECT figures, reason FROM reports_snapshot").fetchall() == [('{"registered": 3}', "")]
    db.close()


def run(args, **env):
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, env={**os.environ, **env})


def test_finding_7_a_failed_backup_leaves_nothing_and_says_so(tmp_path):
    result = run(["scripts/backup.sh", "postgresql://nobody@127.0.0.1:1/none", str(tmp_path)])
    assert result.returncode != 0 and "nothing kept" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_finding_7_restore_checks_the_checksum_decrypts_and_gives_the_app_role_its_grants_back(
    tmp_path, centre, mediator, grid
):
    drive(CaseStatus.CLOSED, centre=centre, lead=mediator, grid=grid)
    report_generate(kind="monthly", period=dt.date.today().replace(day=1), actor=centre)
    cases = DisputeCase.objects.count()
    # A throwaway GnuPG key: the backup host holds only the public key, the restore host the secret one.
    gnupg = tmp_path / "gnupg"
    gnupg.mkdir(mode=0o700)
    keygen = run(
        [
            "gpg",
            "--batch",
            "--passphrase",
            "",
            "--quick-gen-key",
            "backup@fengqiao.test",
            "default",
            "default",
            "never",
        ],
        GNUPGHOME=str(gnupg),
    )
    assert keygen.returncode == 0, keygen.stderr
    out = tmp_path / "out"
    backup = run(
        ["scripts/backup.sh", _url(connection.settings_dict["NAME"]), str(out)],
        GNUPGHOME=str(gnupg),
        BACKUP_GPG_RECIPIENT="backup@fengqiao.test",
    )
    assert backup.returncode == 0, backup.stderr
    archive = Path(backup.stdout.strip())
    assert archive.name.endswith(".dump.gpg") and sorted(p.name for p in out.iterdir()) == [
        archive.name,
        archive.name + ".sha256",
    ]
    assert b"casework_disputecase" not in archive.read_bytes()  # encrypted

    role = f"fq_app_{uuid.uuid4().hex[:8]}"
    restored = f"fq_restore_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_url("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{role}"')
        admin.execute(f'CREATE DATABASE "{restored}"')
    try:
        # A damaged backup is refused before anything is restored.
        damaged = tmp_path / archive.name
        damaged.write_bytes(archive.read_bytes()[:-1] + bytes([archive.read_bytes()[-1] ^ 1]))
        (tmp_path / (archive.name + ".sha256")).write_text((out / (archive.name + ".sha256")).read_text())
        refused = run(["scripts/restore.sh", str(damaged), _url(restored), role], GNUPGHOME=str(gnupg))
        assert refused.returncode != 0 and "checksum" in refused.stderr
        with psycopg.connect(_url(restored)) as db:
            assert db.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0] == 0

        restore = run(["scripts/restore.sh", str(archive), _url(restored), role], GNUPGHOME=str(gnupg))
        assert restore.returncode == 0, restore.stderr
        with psycopg.connect(_url(restored)) as db:
            assert db.execute("SELECT count(*) FROM casework_disputecase").fetchone()[0] == cases

            def may(table, privilege):
                return db.execute("SELECT has_table_privilege(%s, %s, %s)", [role, table, privilege]).fetchone()[0]

            assert may("casework_disputecase", "UPDATE") and may("casework_party", "INSERT")
            for table in ("casework_caseevent", "common_auditentry", "reports_snapshot"):
                assert may(table, "SELECT") and may(table, "INSERT"), table
                assert not may(table, "UPDATE") and not may(table, "DELETE"), table
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                db.execute("DELETE FROM reports_snapshot")
    finally:
        with psycopg.connect(_url("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{restored}"')
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')
