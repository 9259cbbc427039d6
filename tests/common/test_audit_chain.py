"""The audit trails are chained by SM3 hashes: `verify_audit` holds on an untouched trail and names
the first broken link when a DBA alters or deletes a row behind the application's back."""

import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import close_old_connections, connection

from casework.models import CaseEvent
from common import chain
from common.audit import audit
from common.enums import AuditAction
from common.models import AuditEntry
from ledger.importer import import_ledger
from tests.factories import register
from tests.ledger.conftest import good_rows, xlsx

pytestmark = pytest.mark.django_db


def verify() -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out, stderr=StringIO())
    return out.getvalue()


def as_a_dba(sql: str, params) -> None:
    """What someone with the database's keys could do: triggers off (session_replication_role), a raw change."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET LOCAL session_replication_role = origin")


def test_every_insert_is_linked_in_order_single_and_bulk(centre, grid, sibling_grid, community, mediator):
    register(centre, grid)
    world = {"community": community, "grid": grid, "sibling_grid": sibling_grid, "mediator": mediator}
    import_ledger(xlsx(good_rows(world)), user=centre)  # the deferred writes' bulk inserts
    audit(AuditAction.LOGIN, actor=centre)
    events = list(CaseEvent.objects.order_by("chain_seq"))
    assert [e.chain_seq for e in events] == list(range(1, len(events) + 1))
    assert len(events) > 10 and all(len(e.chain_hash) == 64 for e in events)
    out = verify()
    assert f"casework.caseevent: {len(events)} links hold" in out
    assert "common.auditentry: " in out


def test_verify_audit_names_the_event_a_dba_altered(centre, grid):
    register(centre, grid)
    case = register(centre, grid)
    register(centre, grid)
    event = CaseEvent.objects.get(case=case)
    as_a_dba("UPDATE casework_caseevent SET note = %s WHERE id = %s", ["补登", event.pk])
    with pytest.raises(CommandError, match=f"casework.caseevent link {event.chain_seq} \\(id {event.pk}\\)"):
        verify()


def test_verify_audit_names_a_deleted_or_rehashed_audit_entry(centre):
    entries = [audit(AuditAction.LOGIN, actor=centre, detail={"n": n}) for n in range(4)]
    as_a_dba("DELETE FROM common_auditentry WHERE id = %s", [entries[1].pk])
    with pytest.raises(CommandError, match=f"common.auditentry link {entries[1].chain_seq}: missing"):
        verify()


def test_a_row_changed_with_its_own_hash_recomputed_breaks_the_next_link(centre):
    entries = [audit(AuditAction.LOGIN, actor=centre, target=f"t{n}") for n in range(3)]
    tampered = AuditEntry.objects.get(pk=entries[0].pk)
    tampered.target = "changed"
    as_a_dba(
        "UPDATE common_auditentry SET target = 'changed', chain_hash = %s WHERE id = %s",
        [chain.digest(chain.GENESIS, tampered), tampered.pk],
    )
    with pytest.raises(CommandError, match=f"link {entries[1].chain_seq} \\(id {entries[1].pk}\\)"):
        verify()


def test_a_row_slipped_in_around_the_application_is_named(centre):
    audit(AuditAction.LOGIN, actor=centre)
    as_a_dba(
        "INSERT INTO common_auditentry (at, username, action, target, detail, chain_hash) "
        "VALUES (now(), 'x', 'login', '', '{}', '') RETURNING id",
        [],
    )
    with pytest.raises(CommandError, match="without a place in the chain"):
        verify()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_inserts_do_not_fork_the_chain(centre):
    errors = []

    def write(n):
        try:
            for i in range(10):
                audit(AuditAction.LOGIN, actor=centre, target=f"{n}-{i}")
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    seqs = sorted(AuditEntry.objects.values_list("chain_seq", flat=True))
    assert seqs == list(range(1, 41))
    assert chain.verify(AuditEntry).broken == ""


def test_an_archive_carries_the_chain_and_is_checked_link_by_link(centre, grid, tmp_path):
    register(centre, grid)
    audit(AuditAction.EXPORTED, actor=centre, target="queue", detail={"rows": 3, "masked": True})
    archive = tmp_path / "audit.jsonl"
    call_command("export_audit", str(archive), stdout=StringIO())
    out = StringIO()
    call_command("verify_audit", "--archive", str(archive), stdout=out)
    assert "casework.caseevent: 1 links hold in the archive" in out.getvalue()
    assert "common.auditentry: 1 links hold in the archive" in out.getvalue()
    # An edited archive no longer holds.
    archive.write_text(archive.read_text().replace('"rows": 3', '"rows": 2'))
    with pytest.raises(CommandError, match=r"common\.auditentry link 1 does not hold in the archive"):
        call_command("verify_audit", "--archive", str(archive), stdout=StringIO())
