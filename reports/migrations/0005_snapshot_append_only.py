"""Report snapshots are append-only in the database too, like the case events and the access audit:
a regenerated report is a new version, never an edit. On PostgreSQL a trigger refuses UPDATE and
DELETE (TRUNCATE is left to privileges: scripts/restore.sh grants the application role no more
than SELECT and INSERT here); on SQLite (`make run`) a trigger does the same."""

from django.db import migrations

POSTGRESQL = """
CREATE OR REPLACE FUNCTION reports_snapshot_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'reports_snapshot is append-only (% refused)', TG_OP USING ERRCODE = 'raise_exception';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER reports_snapshot_append_only
    BEFORE UPDATE OR DELETE ON reports_snapshot
    FOR EACH ROW EXECUTE FUNCTION reports_snapshot_append_only();
"""
POSTGRESQL_BACKWARD = """
DROP TRIGGER IF EXISTS reports_snapshot_append_only ON reports_snapshot;
DROP FUNCTION IF EXISTS reports_snapshot_append_only();
"""
SQLITE = [
    """CREATE TRIGGER reports_snapshot_no_update BEFORE UPDATE ON reports_snapshot
       BEGIN SELECT RAISE(ABORT, 'reports_snapshot is append-only (UPDATE refused)'); END""",
    """CREATE TRIGGER reports_snapshot_no_delete BEFORE DELETE ON reports_snapshot
       BEGIN SELECT RAISE(ABORT, 'reports_snapshot is append-only (DELETE refused)'); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS reports_snapshot_no_update",
    "DROP TRIGGER IF EXISTS reports_snapshot_no_delete",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_BACKWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("reports", "0004_snapshot_subdistrict")]
    operations = [migrations.RunPython(forward, backward)]
