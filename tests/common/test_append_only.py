"""Every record table is append-only in the database: raw UPDATE of recorded content and raw
DELETE are refused on PostgreSQL (the suite's database) and on SQLite (`make run`), while the
columns listed as current values may change."""

import sqlite3

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction

from common.append_only import trigger_sql
from mediation import services as mediation_services
from tests.workflow import drive, fresh

pytestmark = pytest.mark.django_db(transaction=False)

# table -> a recorded column to try to change
RECORDED = {
    "casework.CaseEvent": "note",
    "common.AuditEntry": "username",
    "mediation.MediationSession": "summary",
    "mediation.SessionParty": "informed_by",
    "mediation.FollowUp": "notes",
    "mediation.ConflictDeclaration": "reason",
    "mediation.OrganizationConflict": "reason",
    "mediation.Agreement": "terms",
    "casework.Party": "name",
}


@pytest.fixture
def records(centre, mediator, co_mediator, grid, client):
    """At least one row in every record table."""
    from django.utils import timezone

    from mediation.models import OrganizationConflict, SessionParty

    case = drive("agreed", centre=centre, lead=mediator, co=co_mediator, grid=grid, follow_up=True)
    SessionParty.objects.create(
        session=case.sessions.first(), party=case.parties.first(), informed=True, informed_by="王立言"
    )
    mediation_services.conflict_declare(case, actor=centre, mediator=co_mediator, reason="事后发现系亲属")
    OrganizationConflict.objects.create(
        organization=mediator.organization,
        party_name="某公司",
        reason="顾问",
        declared_by=centre,
        declared_at=timezone.now(),
    )
    client.force_login(centre)  # an audit entry
    return case


def _row_table(label):
    model = apps.get_model(label)
    return model, model._meta.db_table


def _refused(sql, params):
    with pytest.raises(DatabaseError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(refused.value)


@pytest.mark.parametrize("label", list(RECORDED))
def test_raw_update_and_delete_are_refused(records, label):
    model, table = _row_table(label)
    pk = model.objects.order_by("pk").values_list("pk", flat=True).first()
    assert pk is not None, f"no {label} row to try"
    column = model._meta.get_field(RECORDED[label]).column
    q = connection.ops.quote_name
    message = _refused(f"UPDATE {q(table)} SET {q(column)} = %s WHERE id = %s", ["改写", pk])
    assert "append-only" in message
    message = _refused(f"DELETE FROM {q(table)} WHERE id = %s", [pk])
    assert "append-only" in message
    assert model.objects.filter(pk=pk).exists()


def test_the_judicial_answer_may_change_and_each_answer_is_appended(records, mediator):
    from django.utils import timezone

    from casework.models import CaseEvent

    today = timezone.localdate()
    mediation_services.judicial_confirmation_record(
        records, actor=mediator.user, status="pending", applied_on=today, court="东湖区人民法院"
    )
    mediation_services.judicial_confirmation_record(
        fresh(records),
        actor=mediator.user,
        status="confirmed",
        applied_on=today,
        court="东湖区人民法院",
        answered_on=today,
    )
    events = CaseEvent.objects.filter(case=records, name="judicial_confirmation").order_by("id")
    assert [(e.data["from_status"], e.data["status"]) for e in events] == [
        ("not_applied", "pending"),
        ("pending", "confirmed"),
    ]
    assert events[1].data["court"] == "东湖区人民法院" and events[1].data["answered_on"] == today.isoformat()


def sqlite_table(columns):
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE TABLE t ({', '.join(columns)})")
    for statement in trigger_sql("sqlite", "t", columns, ("status",)):
        db.execute(statement)
    db.execute("INSERT INTO t VALUES (1, 'recorded', 'pending')")
    return db


def test_on_sqlite_the_same_rules_hold():
    db = sqlite_table(["id", "summary", "status"])
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE t SET summary = 'rewritten' WHERE id = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM t WHERE id = 1")
    # The listed current value may change; saving a row unchanged is no change.
    db.execute("UPDATE t SET status = 'confirmed' WHERE id = 1")
    db.execute("UPDATE t SET summary = 'recorded' WHERE id = 1")
    assert db.execute("SELECT summary, status FROM t").fetchall() == [("recorded", "confirmed")]


def test_on_postgresql_a_listed_column_may_change_and_an_unchanged_save_passes(records):
    from mediation.models import Agreement

    agreement = Agreement.objects.get(case=records)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE mediation_agreement SET judicial_court = %s WHERE id = %s", ["某法院", agreement.pk])
    agreement.refresh_from_db()
    agreement.save()  # every column written back unchanged: allowed
    assert agreement.judicial_court == "某法院"
