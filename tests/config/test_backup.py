"""The documented backup and restore (scripts/backup.sh, scripts/restore.sh) round-trip a real database,
encrypted with age too; a backup whose checksum fails is refused, and a failed backup leaves nothing."""

import os
import shutil
import subprocess
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from casework.enums import CaseStatus
from casework.models import CaseEvent, DisputeCase
from tests.factories import party, register
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


def run(*args, env=None):
    return subprocess.run(
        [*args], cwd=ROOT, capture_output=True, text=True, env={**os.environ, **(env or {})}, check=False
    )


@contextmanager
def empty_database():
    name = f"fq_restore_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_url("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(_url("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def tables_in(dbname: str) -> int:
    with psycopg.connect(_url(dbname)) as db:
        return db.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]


def age_key(tmp_path) -> tuple[str, Path]:
    """A fresh age identity: (its public recipient, the key file)."""
    # age comes from Debian's package (.ci/run installs it): a missing one is a broken environment.
    assert shutil.which("age") and shutil.which("age-keygen"), "age is missing: apt-get install -y age"
    identity = tmp_path / "backup-key.txt"
    made = run("age-keygen", "-o", str(identity))
    assert made.returncode == 0, made.stderr
    recipient = next(line.split(": ", 1)[1] for line in identity.read_text().splitlines() if "public key" in line)
    return recipient, identity


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_age_encrypted_backup_holds_nothing_readable_and_restores_with_the_identity(tmp_path, centre, grid):
    case = register(centre, grid, parties=[party(name="欧阳备份", phone="13911112222")])
    recipient, identity = age_key(tmp_path)
    out = tmp_path / "out"

    backup = run(
        "scripts/backup.sh", _url(connection.settings_dict["NAME"]), str(out), env={"BACKUP_AGE_RECIPIENT": recipient}
    )
    assert backup.returncode == 0, backup.stderr
    archive = Path(backup.stdout.strip())
    # Only the encrypted archive and its checksum are kept: no plain dump beside it.
    assert archive.name.endswith(".dump.age")
    assert sorted(p.name for p in out.iterdir()) == [archive.name, archive.name + ".sha256"]
    data = archive.read_bytes()
    assert data.startswith(b"age-encryption.org/v1")
    # Neither the dump's own header nor a party's (unsealed) name nor a case number shows through.
    for plain in (b"PGDMP", "欧阳备份".encode(), case.number.encode()):
        assert plain not in data

    with empty_database() as restored:
        # Without the identity it cannot be read, and nothing is restored.
        refused = run("scripts/restore.sh", str(archive), _url(restored), env={"BACKUP_AGE_IDENTITY": ""})
        assert refused.returncode != 0 and tables_in(restored) == 0
        done = run("scripts/restore.sh", str(archive), _url(restored), env={"BACKUP_AGE_IDENTITY": str(identity)})
        assert done.returncode == 0, done.stderr
        with psycopg.connect(_url(restored)) as db:
            numbers = [row[0] for row in db.execute("SELECT number FROM casework_disputecase")]
            names = [row[0] for row in db.execute("SELECT name FROM casework_party")]
        assert numbers == [case.number] and "欧阳备份" in names


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_restore_refuses_a_backup_whose_checksum_fails_and_restores_nothing(tmp_path, centre, grid):
    register(centre, grid)
    out = tmp_path / "out"
    backup = run("scripts/backup.sh", _url(connection.settings_dict["NAME"]), str(out))
    assert backup.returncode == 0, backup.stderr
    archive = Path(backup.stdout.strip())
    sums = Path(f"{archive}.sha256")
    good = archive.read_bytes()

    with empty_database() as restored:
        # One byte changed in the middle of the archive (a damaged copy, a disk error).
        damaged = bytearray(good)
        damaged[len(damaged) // 2] ^= 0x01
        archive.write_bytes(bytes(damaged))
        result = run("scripts/restore.sh", str(archive), _url(restored))
        assert result.returncode == 2 and "does not match its checksum" in result.stderr
        # Cut short (a copy that stopped halfway).
        archive.write_bytes(good[: len(good) // 2])
        result = run("scripts/restore.sh", str(archive), _url(restored))
        assert result.returncode == 2 and "does not match its checksum" in result.stderr
        # No checksum beside it at all.
        archive.write_bytes(good)
        sums.rename(tmp_path / "elsewhere.sha256")
        result = run("scripts/restore.sh", str(archive), _url(restored))
        assert result.returncode == 2 and "no checksum file" in result.stderr
        assert tables_in(restored) == 0
        # The intact archive with its checksum restores: the refusals were about the checks.
        (tmp_path / "elsewhere.sha256").rename(sums)
        result = run("scripts/restore.sh", str(archive), _url(restored))
        assert result.returncode == 0, result.stderr
        assert tables_in(restored) > 0


@pytest.mark.parametrize(
    "why, env, database",
    [
        ("the encryption fails after the dump was written", {"BACKUP_AGE_RECIPIENT": "age1notakey"}, None),
        ("the database cannot be dumped", {}, "fq_no_such_database"),
    ],
)
def test_a_failed_backup_exits_non_zero_and_leaves_no_file(tmp_path, db, why, env, database):
    out = tmp_path / "out"
    result = run("scripts/backup.sh", _url(database or connection.settings_dict["NAME"]), str(out), env=env)
    assert result.returncode != 0, why
    assert "nothing kept" in result.stderr
    assert list(out.iterdir()) == [], why
