"""The mediator's side: conflicts of interest (回避) refuse assignment and say why; the
assignment form lists the reasons; records of conflicts and judicial confirmation."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from casework.enums import CaseStatus, Level, RecordKind
from casework.exceptions import CasePermissionDenied, TransitionUnavailable
from casework.models import CaseEvent
from casework.services import case_accept
from mediation import services
from mediation.enums import AgreementForm, JudicialConfirmation
from mediation.models import Agreement, ConflictDeclaration
from mediation.selectors import assignment_options
from tests.factories import MediatorFactory, OrganizationFactory, party, register
from tests.workflow import assert_refused, drive, fresh, snapshot

S = CaseStatus


@pytest.fixture
def law_firm(db):
    return OrganizationFactory(name="江西豫章律师事务所")


@pytest.fixture
def candidate(law_firm):
    return MediatorFactory(name="王立言", phone="13900001111", organization=law_firm)


def accepted_case(centre, grid, parties):
    case = register(centre, grid, parties=parties)
    case_accept(case, actor=centre, level="subdistrict")
    return fresh(case)


CONFLICTS = {
    "name": ([party(name="王立言"), party("respondent", "李四")], "王立言本人是本案当事人"),
    "phone": ([party(phone="13900001111"), party("respondent", "李四")], "王立言本人是本案当事人"),
    "organisation": (
        [party(), party("respondent", "江西豫章律师事务所", kind="organisation")],
        "所属组织“江西豫章律师事务所”是本案当事人",
    ),
}


@pytest.mark.parametrize("conflict", list(CONFLICTS))
def test_assign_party_mediator_refused_with_reason(conflict, centre, grid, candidate):
    parties, reason = CONFLICTS[conflict]
    case = accepted_case(centre, grid, parties)
    refused = assert_refused(case, lambda: services.case_assign(case, actor=centre, mediator=candidate), "mediator")
    assert any(reason in message for message in refused.message_dict["mediator"])
    assert "须回避" in refused.message_dict["mediator"][0]


def test_assign_same_name_organisation_party_is_not_the_person(centre, grid, candidate):
    # An organisation that happens to bear the mediator's name is not the mediator.
    case = accepted_case(centre, grid, [party(), party("respondent", "王立言", kind="organisation")])
    services.case_assign(case, actor=centre, mediator=candidate)
    assert fresh(case).lead_mediator == candidate


def test_assign_declared_conflict_refused(centre, grid, candidate):
    case = accepted_case(centre, grid, [party()])
    services.conflict_declare(case, actor=centre, mediator=candidate, reason="与申请人系同学")
    before = snapshot(case)
    with pytest.raises(ValidationError, match="已声明回避：与申请人系同学"):
        services.case_assign(case, actor=centre, mediator=candidate)
    assert snapshot(case) == before


def test_assign_conflicted_co_mediator_refused(centre, grid, mediator, candidate):
    case = accepted_case(centre, grid, [party(name="王立言")])
    assert_refused(
        case,
        lambda: services.case_assign(case, actor=centre, mediator=mediator, co_mediators=[candidate]),
        "co_mediators",
    )


@pytest.mark.parametrize("conflict", list(CONFLICTS))
def test_reassign_to_party_mediator_refused(conflict, centre, mediator, grid, candidate):
    parties, reason = CONFLICTS[conflict]
    case = accepted_case(centre, grid, parties)
    services.case_assign(case, actor=centre, mediator=mediator)
    before = snapshot(case)
    with pytest.raises(ValidationError, match=reason):
        services.case_reassign(fresh(case), actor=centre, mediator=candidate, reason="更换")
    assert snapshot(case) == before


def test_reassign_to_mediator_who_declared_conflict_refused(centre, mediator, grid, candidate):
    case = accepted_case(centre, grid, [party()])
    services.case_assign(case, actor=centre, mediator=mediator)
    services.conflict_declare(case, actor=candidate.user, mediator=candidate, reason="曾为被申请人代理")
    before = snapshot(case)
    with pytest.raises(ValidationError, match="曾为被申请人代理"):
        services.case_reassign(fresh(case), actor=centre, mediator=candidate, reason="更换")
    assert snapshot(case) == before


@pytest.mark.parametrize(("active", "available"), [(False, True), (True, False), (False, False)])
def test_assign_inactive_or_unavailable_mediator_refused(active, available, centre, grid, candidate):
    candidate.active, candidate.available = active, available
    candidate.save()
    case = accepted_case(centre, grid, [party()])
    before = snapshot(case)
    with pytest.raises(ValidationError, match="不在册或暂不接案"):
        services.case_assign(case, actor=centre, mediator=candidate)
    assert snapshot(case) == before


def test_assignment_options_list_reasons(centre, grid, law_firm, candidate, mediator, django_assert_max_num_queries):
    case = accepted_case(centre, grid, [party(name="王立言")])
    colleague = MediatorFactory(name="张守正", organization=law_firm)
    busy = MediatorFactory(name="刘和平", available=False)
    declared = MediatorFactory(name="陈晓燕")
    retired = MediatorFactory(name="赵明达", active=False)
    services.conflict_declare(case, actor=centre, mediator=declared, reason="邻居")
    # Parties, the case's declarations, the organisations' declarations, the roster.
    with django_assert_max_num_queries(4):
        options = {m.pk: reasons for m, reasons in assignment_options(case)}
    assert options[candidate.pk] == ["王立言本人是本案当事人"]
    assert options[colleague.pk] == []
    assert options[mediator.pk] == []
    assert options[busy.pk] == ["刘和平暂不接案"]
    assert options[declared.pk] == ["已声明回避：邻居"]
    assert retired.pk not in options


def test_assignment_options_queries_do_not_grow_with_mediators(centre, grid, django_assert_max_num_queries):
    case = accepted_case(centre, grid, [party()])
    for _ in range(20):
        MediatorFactory()
    # Parties, the case's declarations, the organisations' declarations, the roster.
    with django_assert_max_num_queries(4):
        assert len(assignment_options(case)) == 20


# 回避 declarations


def test_conflict_declare_by_mediator_logged_once(centre, grid, candidate):
    case = accepted_case(centre, grid, [party()])
    first = services.conflict_declare(case, actor=candidate.user, mediator=candidate, reason="亲属")
    again = services.conflict_declare(case, actor=candidate.user, mediator=candidate, reason="亲属")
    assert first == again
    assert ConflictDeclaration.objects.filter(case=case).count() == 1
    assert CaseEvent.objects.filter(case=case, name=RecordKind.CONFLICT).count() == 1


@pytest.mark.parametrize("role", ["community", "leader", "unrelated_mediator", "admin"])
def test_conflict_declare_for_someone_else_denied(role, cast, centre, grid, candidate):
    case = accepted_case(centre, grid, [party()])
    with pytest.raises(CasePermissionDenied):
        services.conflict_declare(case, actor=cast[role], mediator=candidate, reason="亲属")
    assert not ConflictDeclaration.objects.exists()


def test_conflict_declare_without_reason_refused(centre, grid, candidate):
    case = accepted_case(centre, grid, [party()])
    with pytest.raises(ValidationError) as refused:
        services.conflict_declare(case, actor=centre, mediator=candidate, reason=" ")
    assert "reason" in refused.value.message_dict
    assert not ConflictDeclaration.objects.exists()


# 司法确认


@pytest.fixture
def agreed(centre, mediator, co_mediator, grid):
    return drive(
        S.AGREED, centre=centre, lead=mediator, co=co_mediator, grid=grid, level=Level.COMMUNITY, follow_up=True
    )


def test_judicial_confirmation_recorded_with_lateness(centre, mediator, co_mediator, grid):
    case = drive(S.MEDIATING, centre=centre, lead=mediator, co=co_mediator, grid=grid, level=Level.COMMUNITY)
    # Signed 2025-03-01: the 30 days end on Monday 2025-03-31; applying on 2025-04-02 is late.
    services.case_reach_agreement(
        case, actor=mediator.user, form=AgreementForm.ORAL, terms="赔偿", signed_on=dt.date(2025, 3, 1)
    )
    services.judicial_confirmation_record(
        case,
        actor=mediator.user,
        status=JudicialConfirmation.CONFIRMED,
        applied_on=dt.date(2025, 4, 2),
        court="东湖区人民法院",
        answered_on=dt.date(2025, 4, 10),
    )
    agreement = Agreement.objects.get(case=case)
    assert agreement.judicial_deadline == dt.date(2025, 3, 31)
    latest = agreement.judicial_latest
    assert (agreement.judicial_confirmation, latest.court, latest.answered_on) == (
        JudicialConfirmation.CONFIRMED,
        "东湖区人民法院",
        dt.date(2025, 4, 10),
    )
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert (event.name, event.data["late"]) == (RecordKind.JUDICIAL_CONFIRMATION, True)


@pytest.mark.parametrize(
    ("status", "applied_on", "answered_on", "field"),
    [
        ("maybe", None, None, "status"),
        (JudicialConfirmation.PENDING, None, None, "applied_on"),
        (JudicialConfirmation.REJECTED, dt.date(2025, 3, 3), None, "answered_on"),
        # Applied before the agreement was signed (today), or answered before applying.
        (JudicialConfirmation.PENDING, dt.date(2025, 3, 3), None, "applied_on"),
        (JudicialConfirmation.PENDING, dt.date(2999, 1, 1), None, "applied_on"),
        (JudicialConfirmation.CONFIRMED, "today", dt.date(2025, 3, 3), "answered_on"),
    ],
)
def test_judicial_confirmation_bad_input_refused(status, applied_on, answered_on, field, agreed, mediator):
    applied_on = timezone.localdate() if applied_on == "today" else applied_on
    assert_refused(
        agreed,
        lambda: services.judicial_confirmation_record(
            agreed, actor=mediator.user, status=status, applied_on=applied_on, answered_on=answered_on
        ),
        field,
    )
    agreed.agreement.refresh_from_db()
    assert agreed.agreement.judicial_confirmation == JudicialConfirmation.NOT_APPLIED
    assert not agreed.agreement.judicial_entries.exists()


def test_judicial_confirmation_by_stranger_denied(agreed, other_mediator):
    with pytest.raises(CasePermissionDenied):
        services.judicial_confirmation_record(
            agreed, actor=other_mediator.user, status=JudicialConfirmation.PENDING, applied_on=timezone.localdate()
        )


def test_conflict_declare_on_closed_case_unavailable(centre, mediator, co_mediator, grid, candidate):
    case = drive(S.CLOSED, centre=centre, lead=mediator, co=co_mediator, grid=grid, level=Level.COMMUNITY)
    before = snapshot(case)
    with pytest.raises(TransitionUnavailable, match="回避声明"):
        services.conflict_declare(case, actor=centre, mediator=candidate, reason="亲属")
    assert snapshot(case) == before
    assert not ConflictDeclaration.objects.exists()
