"""SQL that migrations run on PostgreSQL only: triggers, statistics and planner settings that SQLite
(the embedded database of `make run`) has no equivalent of and whose work it does not need."""

from django.db import migrations


def on_postgresql(forward: str, backward: str | None = None) -> migrations.RunPython:
    """An operation running `forward` (and `backward` when unapplied: nothing if None) on PostgreSQL."""

    def run(sql):
        def operation(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(sql, params=None)

        return operation

    return migrations.RunPython(run(forward), run(backward) if backward is not None else migrations.RunPython.noop)
