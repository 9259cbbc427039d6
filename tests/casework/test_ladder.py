"""The ladder (小事不出社区，大事不出街道): a community failure is taken up to the subdistrict by the
community's staff or the centre, counted on the 331 ladder, the failure kept in the file."""

import pytest
from django.urls import reverse

from casework import services as case_services
from casework.enums import CaseStatus, Level
from casework.exceptions import CasePermissionDenied, TransitionUnavailable
from casework.models import CaseEvent, DisputeCase
from mediation import services as mediation_services
from tests.workflow import drive


def failed_in_community(centre, mediator, grid):
    return drive(CaseStatus.FAILED, centre=centre, lead=mediator, co=None, grid=grid, level=Level.COMMUNITY)


@pytest.mark.parametrize("who", ["community", "centre"])
def test_a_community_failure_goes_up_to_the_subdistrict(roles, mediator, grid, who):
    case = failed_in_community(roles["centre"], mediator, grid)
    failed_at = case.concluded_at
    case_services.case_escalate(case, actor=roles[who], reason="社区调解不成，请街道协调")
    case = DisputeCase.objects.get(pk=case.pk)
    assert (case.status, case.level, case.lead_mediator_id) == (CaseStatus.ACCEPTED, Level.SUBDISTRICT, None)
    assert case.outcome == "" and case.concluded_at is None and case.next_due == case.conclude_due
    # The failure stays in the file: its event, and on the escalation the failure's particulars.
    names = list(CaseEvent.objects.filter(case=case).values_list("name", flat=True))
    assert "fail" in names and names[-1] == "escalate"
    escalation = CaseEvent.objects.filter(case=case, name="escalate").get()
    assert escalation.data["community_failure"]["concluded_at"] == failed_at.isoformat()
    assert (case.community_attempts, case.subdistrict_attempts) == (1, 0)
    # Mediated again at the subdistrict: the ladder counts it there.
    mediation_services.case_assign(case, actor=roles["centre"], mediator=mediator)
    mediation_services.case_start(case, actor=mediator.user)
    case.refresh_from_db()
    assert (case.community_attempts, case.subdistrict_attempts) == (1, 1)


def test_the_mediators_of_a_failure_do_not_take_it_up(centre, mediator, grid):
    case = failed_in_community(centre, mediator, grid)
    with pytest.raises(CasePermissionDenied):
        case_services.case_escalate(case, actor=mediator.user, reason="请街道协调")


def test_a_subdistrict_failure_ends_the_ladder(centre, mediator, grid):
    case = drive(CaseStatus.FAILED, centre=centre, lead=mediator, co=None, grid=grid, level=Level.SUBDISTRICT)
    with pytest.raises(TransitionUnavailable):
        case_services.case_escalate(case, actor=centre, reason="再上报")


def test_queue_and_case_page_show_the_ladder_and_the_marker(client, centre, community_staff, mediator, grid):
    case = failed_in_community(centre, mediator, grid)
    case_services.case_escalate(case, actor=community_staff, reason="请街道协调")
    client.force_login(centre)
    queue = client.get(reverse("casework:queue")).content.decode()
    page = client.get(reverse("mediation:case", args=[case.pk])).content.decode()
    for body in (queue, page):
        assert "社区 1 次" in body and "街道 0 次" in body and ">上报<" in body


def test_three_community_attempts_still_in_the_community_are_flagged(client, centre, mediator, grid):
    case = drive(CaseStatus.MEDIATING, centre=centre, lead=mediator, co=None, grid=grid, level=Level.COMMUNITY)
    DisputeCase.objects.filter(pk=case.pk).update(community_attempts=3)
    client.force_login(centre)
    assert "社区三次未化解" in client.get(reverse("casework:queue")).content.decode()
