"""The data migration that seals the parties' existing plain values, in batches, and drops the plain columns."""

import pytest
from django.core.management.sql import emit_post_migrate_signal
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from casework.models import Party
from tests.factories import party, register
from tests.ledger.conftest import person_id

BEFORE = [("casework", "0007_party_sealed_columns")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_existing_plain_values_are_sealed_indexed_and_the_plain_columns_dropped(centre, grid):
    case = register(centre, grid, parties=[party(phone="13712345678")])
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()  # every app: going back unapplied dependents elsewhere too
    # The parties are append-only now, and a trigger stays when the table is migrated back: this
    # replays the upgrade as it ran on a database from before the trigger, which `migrate` then adds.
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS casework_party_record_append_only ON casework_party")
    executor.migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            # As the table was before: plain values (and, beside them, the new columns still empty).
            cursor.execute(
                "UPDATE casework_party SET id_number = %s, phone = %s, address = %s, "
                "sealed_id_number = '', sealed_phone = '', sealed_address = '', id_number_index = '', phone_index = ''",
                [person_id(5), "13912345678", "南昌市青山湖区"],
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
        emit_post_migrate_signal(0, False, connection.alias)  # as `migrate` ends: the triggers back
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone, address FROM casework_party WHERE case_id = %s", [case.pk])
        raw = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'casework_party' "
            "AND column_name LIKE 'sealed_%%'"
        )
        assert cursor.fetchone()[0] == 0
    assert all(value.startswith("k1$") for value in raw)
    sealed = Party.objects.get(case=case)
    assert (sealed.id_number, sealed.phone, sealed.address) == (person_id(5), "13912345678", "南昌市青山湖区")
    assert sealed.phone_index == Party.index_of("phone", "13912345678")
    assert sealed.id_number_index == Party.index_of("id_number", person_id(5))
    # And the table is append-only again.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE casework_party SET name = 'x'")
