"""Notices of the workflow: the services tell the people in the loop of each event, once, in the
transaction of the change; each notice links to its case and says what to do next."""

from django.urls import reverse

from casework import services as case_services
from casework.enums import CaseStatus, Level
from casework.exceptions import CaseConflict
from casework.models import DisputeCase
from common.models import Notice
from mediation import services as mediation_services
from tests.casework.test_races import race, transactional
from tests.factories import UserFactory, register
from tests.workflow import drive, log_session


def notices_of(user, kind=None):
    qs = Notice.objects.filter(user=user)
    return list(qs.filter(kind=kind) if kind else qs)


def test_the_registering_grid_worker_is_told_of_acceptance_decline_and_closure(grid_worker, centre, grid, mediator):
    accepted = register(grid_worker, grid)
    case_services.case_accept(accepted, actor=centre, level=Level.SUBDISTRICT)
    (notice,) = notices_of(grid_worker, "decided")
    assert accepted.number in notice.text and "已受理" in notice.text
    assert notice.link == reverse("mediation:case", args=[accepted.pk]) and notice.case_id == accepted.pk
    assert notices_of(centre) == []  # nobody is told of what they did themselves
    declined = register(grid_worker, grid)
    case_services.case_decline(declined, actor=centre, reason="属于劳动仲裁受案范围", referral="arbitration")
    assert "不予受理：属于劳动仲裁受案范围" in notices_of(grid_worker, "decided")[0].text
    agreed = drive(CaseStatus.AGREED, centre=centre, lead=mediator, co=None, grid=grid, follow_up=True)
    DisputeCase.objects.filter(pk=agreed.pk).update(registered_by=grid_worker)
    case_services.case_close(DisputeCase.objects.get(pk=agreed.pk), actor=centre)
    assert [n.case_id for n in notices_of(grid_worker, "closed")] == [agreed.pk]


def test_assigned_mediators_lead_and_co_are_told_with_a_link_to_the_case(centre, mediator, co_mediator, grid):
    case = register(centre, grid)
    case_services.case_accept(case, actor=centre, level=Level.SUBDISTRICT)
    mediation_services.case_assign(case, actor=centre, mediator=mediator, co_mediators=[co_mediator])
    for user in (mediator.user, co_mediator.user):
        (notice,) = notices_of(user, "assigned")
        assert "指派给您调解" in notice.text and "开始调解" in notice.text
        assert notice.link == reverse("mediation:case", args=[case.pk])


def test_reassignment_tells_the_new_lead(centre, mediator, spare_mediator, grid):
    case = drive(CaseStatus.ASSIGNED, centre=centre, lead=mediator, co=None, grid=grid)
    mediation_services.case_reassign(case, actor=centre, mediator=spare_mediator, reason="工作调整")
    assert len(notices_of(spare_mediator.user, "assigned")) == 1


def test_escalation_tells_the_centre_and_session_and_failure_tell_the_community(
    centre, community_staff, mediator, grid
):
    case = drive(
        CaseStatus.MEDIATING, centre=centre, lead=mediator, co=None, grid=grid, level=Level.COMMUNITY, session=False
    )
    log_session(case, mediator.user)
    assert [n.kind for n in notices_of(community_staff)] == ["progress"]
    case_services.case_escalate(case, actor=community_staff, reason="涉及多个社区")
    (notice,) = notices_of(centre, "escalated")
    assert "上报街道" in notice.text and "涉及多个社区" in notice.text and "分派" in notice.text


def test_a_recusal_tells_the_centre_the_case_needs_a_new_mediator(centre, mediator, grid):
    case = drive(CaseStatus.ASSIGNED, centre=centre, lead=mediator, co=None, grid=grid)
    mediation_services.conflict_declare(case, actor=mediator.user, mediator=mediator, reason="与申请人系亲属")
    (notice,) = notices_of(centre, "recusal")
    assert "重新指派" in notice.text and notice.case_id == case.pk


@transactional
def test_the_same_transition_fired_from_8_threads_tells_once(db):
    from tests.factories import CommunityFactory, GridFactory, SubdistrictFactory

    subdistrict = SubdistrictFactory()
    grid = GridFactory(community=CommunityFactory(subdistrict=subdistrict))
    centre = UserFactory(roles=["centre_staff"], subdistrict=subdistrict)
    worker = UserFactory(roles=["grid_worker"], grids=[grid])
    case = register(worker, grid)

    def accept(loaded):
        case_services.case_accept(loaded, actor=centre, level=Level.SUBDISTRICT)

    outcomes = race(case.pk, [accept] * 8)
    assert outcomes.count("ok") == 1
    assert all(isinstance(o, CaseConflict) for o in outcomes if o != "ok")
    assert DisputeCase.objects.get(pk=case.pk).status == CaseStatus.ACCEPTED
    assert Notice.objects.filter(user=worker).count() == 1


def test_an_imported_history_tells_nobody(centre, grid_worker, grid):
    case = register(grid_worker, grid)
    case_services.case_accept(case, actor=centre, level=Level.SUBDISTRICT, imported=True)
    assert notices_of(grid_worker) == []


def test_a_withdrawal_by_a_mediator_tells_the_registering_user_the_other_mediators_and_the_centre(
    centre, grid_worker, mediator, co_mediator, grid
):
    case = drive(CaseStatus.MEDIATING, centre=centre, lead=mediator, co=co_mediator, grid=grid)
    DisputeCase.objects.filter(pk=case.pk).update(registered_by=grid_worker)
    case = DisputeCase.objects.get(pk=case.pk)
    case_services.case_withdraw(case, actor=mediator.user, reason="申请人撤回调解申请")
    told = {n.user.username for n in Notice.objects.filter(kind="withdrawn", case=case)}
    assert told == {"gridworker", "comediator", "centre"}  # not the mediator who withdrew it
    notice = Notice.objects.get(kind="withdrawn", user=grid_worker)
    assert "已由" in notice.text and "撤回" in notice.text and "申请人撤回调解申请" in notice.text
    assert notice.link == reverse("mediation:case", args=[case.pk])


def test_a_withdrawal_by_the_centre_tells_the_registering_user_and_the_mediators_only(
    centre, grid_worker, mediator, grid
):
    colleague = UserFactory(username="centre2", roles=["centre_staff"], subdistrict=centre.subdistrict)
    case = drive(CaseStatus.ASSIGNED, centre=centre, lead=mediator, co=None, grid=grid)
    DisputeCase.objects.filter(pk=case.pk).update(registered_by=grid_worker)
    case_services.case_withdraw(DisputeCase.objects.get(pk=case.pk), actor=centre, reason="当事人自行和解")
    told = {n.user.username for n in Notice.objects.filter(kind="withdrawn")}
    assert told == {"gridworker", "mediator"} and not notices_of(colleague)


def test_an_agreement_at_community_level_tells_the_community_and_starting_tells_nobody(
    centre, community_staff, mediator, grid
):
    case = drive(CaseStatus.ASSIGNED, centre=centre, lead=mediator, co=None, grid=grid, level=Level.COMMUNITY)
    before = Notice.objects.count()
    mediation_services.case_start(case, actor=mediator.user)
    assert Notice.objects.count() == before
    case = DisputeCase.objects.get(pk=case.pk)
    log_session(case, mediator.user)
    agreed = drive(CaseStatus.AGREED, centre=centre, lead=mediator, co=None, grid=grid, level=Level.COMMUNITY)
    texts = [n.text for n in notices_of(community_staff, "progress")]
    assert any(agreed.number in t and "已达成调解协议" in t for t in texts)
