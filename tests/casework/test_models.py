"""The status is protected, nothing in a case file is deleted, and the audit trail is append-only
— in the model and, on PostgreSQL, in the database itself."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from casework import services as case_services
from casework.enums import CaseStatus
from casework.models import CaseEvent, DisputeCase, Party
from mediation import services as mediation_services
from mediation.models import Agreement, ConflictDeclaration, FollowUp, MediationSession
from tests.workflow import fresh

S = CaseStatus


def test_status_assignment_refused(case_at):
    case = case_at(S.REPORTED)
    with pytest.raises(AttributeError):
        case.status = S.CLOSED
    assert fresh(case).status == S.REPORTED


def test_status_on_new_instance_cannot_be_changed_after_load(case_at):
    case = DisputeCase.objects.get(pk=case_at(S.MEDIATING).pk)
    with pytest.raises(AttributeError):
        case.status = S.AGREED


def _rows(case):
    return {
        "case": DisputeCase.objects.filter(pk=case.pk),
        "party": Party.objects.filter(case=case),
        "event": CaseEvent.objects.filter(case=case),
        "session": MediationSession.objects.filter(case=case),
        "agreement": Agreement.objects.filter(case=case),
        "follow_up": FollowUp.objects.filter(case=case),
    }


KINDS = ["case", "party", "event", "session", "agreement", "follow_up"]


@pytest.mark.parametrize("kind", KINDS)
def test_instance_delete_refused(kind, case_at):
    case = case_at(S.CLOSED)
    rows = _rows(case)[kind]
    count = rows.count()
    assert count > 0
    with pytest.raises(ValidationError):
        rows.first().delete()
    assert rows.count() == count


@pytest.mark.parametrize("kind", KINDS)
def test_queryset_delete_refused(kind, case_at):
    case = case_at(S.CLOSED)
    rows = _rows(case)[kind]
    count = rows.count()
    with pytest.raises(ValidationError):
        rows.delete()
    assert rows.count() == count


def test_conflict_declaration_delete_refused(case_at, centre, other_mediator):
    case = case_at(S.ACCEPTED)
    declaration = mediation_services.conflict_declare(case, actor=centre, mediator=other_mediator, reason="亲属关系")
    with pytest.raises(ValidationError):
        declaration.delete()
    with pytest.raises(ValidationError):
        ConflictDeclaration.objects.filter(case=case).delete()
    assert ConflictDeclaration.objects.filter(case=case).count() == 1


def test_case_event_update_through_model_refused(case_at):
    event = CaseEvent.objects.filter(case=case_at(S.ACCEPTED)).first()
    event.note = "改写历史"
    with pytest.raises(ValidationError):
        event.save()
    assert CaseEvent.objects.get(pk=event.pk).note != "改写历史"


def test_case_event_update_through_queryset_refused_by_database(case_at):
    case = case_at(S.ACCEPTED)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        CaseEvent.objects.filter(case=case).update(note="改写历史")
    assert not CaseEvent.objects.filter(case=case, note="改写历史").exists()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE casework_caseevent SET note = 'x' WHERE case_id = %s",
        "DELETE FROM casework_caseevent WHERE case_id = %s",
    ],
)
def test_case_event_raw_sql_refused_by_database(sql, case_at):
    assert connection.vendor == "postgresql"
    case = case_at(S.ACCEPTED)
    count = CaseEvent.objects.filter(case=case).count()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [case.pk])
    assert CaseEvent.objects.filter(case=case).count() == count
    assert not CaseEvent.objects.filter(case=case, note="x").exists()


def test_case_event_insert_allowed(case_at):
    # Append-only, not read-only: the trigger leaves INSERT alone.
    case = case_at(S.REPORTED)
    count = CaseEvent.objects.count()
    CaseEvent.objects.create(case=case, at=case.registered_at, name="note")
    assert CaseEvent.objects.count() == count + 1


def test_every_save_bumps_version(case_at, centre):
    case = case_at(S.REPORTED)
    assert case.version == 1
    case_services.case_accept(case, actor=centre, level="community")
    assert case.version == 2 == fresh(case).version


def test_refresh_reloads_status_and_version(case_at, centre):
    case = case_at(S.REPORTED)
    stale = DisputeCase.objects.get(pk=case.pk)
    case_services.case_accept(case, actor=centre, level="community")
    stale.refresh_from_db()
    assert (stale.status, stale.version) == (S.ACCEPTED, 2)
    with pytest.raises(AttributeError):
        stale.status = S.CLOSED


def test_deferred_loading_works(case_at, centre):
    # .only() must neither recurse (status and version are read in __init__) nor lose the lock.
    pk = case_at(S.REPORTED).pk
    row = DisputeCase.objects.only("id", "number").get(pk=pk)
    assert row.number.startswith("BHZ-")
    assert (row.status, row.version) == (S.REPORTED, 1)
    case_services.case_accept(row, actor=centre, level="community")
    assert fresh(row).status == S.ACCEPTED
    stale = DisputeCase.objects.defer("status", "version").get(pk=pk)
    assert stale.status == S.ACCEPTED
