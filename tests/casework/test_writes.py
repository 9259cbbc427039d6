"""casework.writes: the services' second way of writing, deferred and in bulk (a ledger import).

Inside `deferred_writes()` the services run as they do for a click, but what they write is
collected and sent at the flush. These tests keep that mode honest: every service that may run
deferred writes the same as it does at once and nothing before the flush; a write made behind the
block's back (`.save()`, `objects.create()`, a queryset update, raw SQL) is refused; the
services that change rows which already exist refuse to run deferred at all.
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework import services as case_services
from casework import writes
from casework.enums import CaseStatus, Guidance, Level, Referral
from casework.models import CaseEvent, CaseNumberCounter, DisputeCase, Party
from mediation import services as mediation_services
from mediation.models import FollowUp, MediationSession
from tests.factories import party, register
from tests.workflow import fresh, snapshot

S = CaseStatus
BEHIND = "behind the deferred writes' back"
T0 = timezone.make_aware(dt.datetime(2025, 3, 3, 9))


def at(hours: int) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def replay(state, *, centre, lead, co, grid):
    """`state` reached the way a ledger import reaches it: centre staff enter every step, at set times."""
    steps = {"actor": centre, "imported": True}
    case = register(centre, grid, at=at(0), imported=True)
    if state == S.DECLINED:
        return case_services.case_decline(case, reason="不属于调解范围", referral=Referral.COURT, at=at(1), **steps)
    case_services.case_accept(case, level=Level.COMMUNITY, at=at(1), **steps)
    mediation_services.case_assign(case, mediator=lead, co_mediators=[co], at=at(2), **steps)
    mediation_services.case_start(case, at=at(3), **steps)
    mediation_services.session_log(
        case,
        held_at=at(4),
        location="调解室",
        summary="听取双方陈述",
        public=False,
        rights_explained=False,
        at=at(4),
        **steps,
    )
    if state == S.WITHDRAWN:
        return case_services.case_withdraw(case, reason="当事人撤回", at=at(5), **steps)
    if state == S.FAILED:
        return mediation_services.case_fail(case, reason="分歧大", guidance=Guidance.LITIGATION, at=at(5), **steps)
    mediation_services.case_reach_agreement(
        case, form="oral", terms="赔偿500元", signed_on=T0.date(), at=at(5), **steps
    )
    mediation_services.follow_up_record(
        case, date=T0.date() + dt.timedelta(days=1), performed=True, satisfaction=5, at=at(30), **steps
    )
    return case_services.case_close(case, at=at(31), **steps)


def written(case) -> dict:
    """What was written for `case`, without its keys and number."""
    row = DisputeCase.objects.get(pk=case.pk)
    events = CaseEvent.objects.filter(case=row).order_by("id")
    return {
        **snapshot(row),
        "fields": (row.next_due, row.conclude_due, row.follow_up_due, row.is_warning, row.party_count),
        "events": [(e.name, e.from_status, e.to_status, e.at, e.imported) for e in events],
        "parties": list(Party.objects.filter(case=row).values_list("role", "name")),
    }


@pytest.fixture
def cast(centre, mediator, co_mediator, grid):
    return {"centre": centre, "lead": mediator, "co": co_mediator, "grid": grid}


@pytest.mark.django_db
@pytest.mark.parametrize("state", [S.DECLINED, S.WITHDRAWN, S.FAILED, S.CLOSED])
def test_deferred_services_write_what_they_write_at_once_and_only_at_the_flush(state, cast):
    at_once = written(replay(state, **cast))
    with CaptureQueriesContext(connection) as queries, writes.deferred_writes() as pending:
        case = replay(state, **cast)
        assert case.status == state
        # Everything is still in memory: no row of the case, and no statement but reads.
        assert not DisputeCase.objects.filter(pk=case.pk).exists()
        assert [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith(("SELECT", "SAVEPOINT"))] == []
        pending.flush()
        assert DisputeCase.objects.filter(pk=case.pk).exists()
    assert written(case) == at_once


# Each writes the way a service must not among deferred writes: directly, not through casework.writes.
BEHIND_THE_BACK = {
    "objects.create": lambda case: Party.objects.create(case=case, role="applicant", name="王五"),
    "save": lambda case: MediationSession(
        case=case,
        held_at=at(1),
        location="调解室",
        summary="未经 writes",
        recorded_by=case.registered_by,
        recorded_at=at(1),
    ).save(),
    "bulk_create": lambda case: FollowUp.objects.bulk_create(
        [
            FollowUp(
                case=case,
                date=T0.date(),
                performed=True,
                satisfaction=5,
                recorded_by=case.registered_by,
                recorded_at=at(1),
            )
        ]
    ),
    "queryset update": lambda case: DisputeCase.objects.filter(pk=case.pk).update(description="改写"),
    "raw SQL": lambda case: connection.cursor().execute(
        "UPDATE casework_disputecase SET description = 'x' WHERE id = %s", [case.pk]
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("how", BEHIND_THE_BACK)
def test_a_write_behind_the_deferred_writes_back_is_refused(how, centre, grid):
    existing = register(centre, grid)
    before = snapshot(existing)
    with pytest.raises(RuntimeError, match=BEHIND), writes.deferred_writes():
        register(centre, grid)
        BEHIND_THE_BACK[how](existing)
    # The block is undone whole: not the new case either.
    assert snapshot(existing) == before
    assert DisputeCase.objects.count() == 1


@pytest.mark.django_db
def test_a_service_that_saves_directly_is_caught(monkeypatch, cast):
    # As if a service (here every one of them) saved its new rows itself instead of through writes.save_new.
    monkeypatch.setattr(writes, "save_new", lambda obj: obj.save() or obj)
    with pytest.raises(RuntimeError, match=BEHIND), writes.deferred_writes():
        replay(S.CLOSED, **cast)
    assert not DisputeCase.objects.exists()


@pytest.mark.django_db
def test_a_new_cases_relations_are_read_from_memory(centre, mediator, co_mediator, other_mediator, grid):
    with writes.deferred_writes():
        case = register(centre, grid, parties=[party(name=mediator.name), party("respondent", "李四")])
        case_services.case_accept(case, actor=centre, level=Level.COMMUNITY)
        with CaptureQueriesContext(connection) as queries:
            # A party of the case may not mediate it (回避), though the parties are not written yet …
            with pytest.raises(ValidationError, match="回避"):
                mediation_services.case_assign(case, actor=centre, mediator=mediator)
            mediation_services.case_assign(case, actor=centre, mediator=co_mediator, co_mediators=[other_mediator])
            assert case.related("co_mediators") == [other_mediator]
            mediation_services.case_start(case, actor=co_mediator.user)
            # … and a co-mediator named only in memory is one of the case's mediators.
            mediation_services.session_log(
                case,
                actor=other_mediator.user,
                held_at=timezone.now(),
                location="调解室",
                summary="听取双方陈述",
                public=False,
                rights_explained=False,
            )
        tables = ("casework_party", "casework_disputecase_co_mediators", "mediation_conflictdeclaration")
        assert [q["sql"] for q in queries if any(t in q["sql"] for t in tables)] == []
    # Written: from the database from now on.
    assert case.related("co_mediators") == [other_mediator]
    assert (case.session_count, case.version) == (1, 5) == (fresh(case).session_count, fresh(case).version)


@pytest.mark.django_db
def test_a_refused_row_leaves_nothing_behind(centre, mediator, grid):
    with writes.deferred_writes() as pending:
        with pytest.raises(ValidationError), pending.row():
            refused = register(centre, grid, parties=[party(name=mediator.name)])
            case_services.case_accept(refused, actor=centre, level=Level.COMMUNITY)
            mediation_services.case_assign(refused, actor=centre, mediator=mediator)
        kept = register(centre, grid)
    assert list(DisputeCase.objects.values_list("pk", flat=True)) == [kept.pk]
    # The refused row's number is given again: the counter moved back with it.
    assert kept.number.endswith("-0001")
    assert CaseNumberCounter.objects.get().last_number == 1
    assert CaseEvent.objects.filter(case_id=refused.pk).count() == 0


@pytest.mark.django_db
def test_deferred_writes_refuse_to_touch_a_case_made_elsewhere(centre, grid):
    case = register(centre, grid)
    with pytest.raises(RuntimeError, match="was not created"), writes.deferred_writes():
        case_services.case_accept(case, actor=centre, level=Level.SUBDISTRICT)
    case.refresh_from_db()
    assert case.status == S.REPORTED and not case.events.filter(name="accept").exists()


@pytest.mark.django_db
def test_services_that_change_existing_rows_refuse_to_run_deferred(centre, mediator, other_mediator, grid):
    with pytest.raises(RuntimeError, match="does not run among deferred writes"), writes.deferred_writes():
        case = register(centre, grid)
        case_services.case_accept(case, actor=centre, level=Level.COMMUNITY)
        mediation_services.conflict_declare(case, actor=centre, mediator=mediator, reason="亲属")
    assert not DisputeCase.objects.exists()
    with writes.deferred_writes():
        case = register(centre, grid)
        case_services.case_accept(case, actor=centre, level=Level.COMMUNITY)
        mediation_services.case_assign(case, actor=centre, mediator=mediator, co_mediators=[other_mediator])
        for refused in (
            lambda: case_services.case_escalate(case, actor=centre, reason="社区调解不成"),
            lambda: mediation_services.case_reassign(case, actor=centre, mediator=other_mediator, reason="更换"),
            lambda: case_services.case_extend_deadline(case, actor=centre, reason="案情复杂"),
            lambda: mediation_services.judicial_confirmation_record(case, actor=centre, status="not_applied"),
        ):
            with pytest.raises(RuntimeError, match="does not run among deferred writes"):
                refused()
    # Once written, the case is an ordinary case: the next service writes it under its version.
    case_services.case_escalate(case, actor=centre, reason="社区调解不成")
    case.refresh_from_db()
    assert case.status == S.ACCEPTED and case.level == Level.SUBDISTRICT and case.version == 4
    assert not case.co_mediators.exists()
    assert list(case.events.values_list("name", flat=True)) == ["register", "accept", "assign", "escalate"]
