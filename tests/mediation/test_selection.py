"""Parties choose (People's Mediation Law art. 19): an assignment records whether the mediator was
appointed or chosen by the parties, and which; shown on the case page and the 协议书."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from api.services import token_issue
from casework.enums import CaseStatus, MediatorSelection
from mediation import services
from tests.workflow import drive, fresh, log_session

pytestmark = pytest.mark.django_db
S = CaseStatus


@pytest.fixture
def accepted(centre, mediator, grid):
    return drive(S.ACCEPTED, centre=centre, lead=mediator, co=None, grid=grid)


def test_an_assignment_is_appointed_by_default(accepted, centre, mediator):
    services.case_assign(accepted, actor=centre, mediator=mediator)
    case = fresh(accepted)
    assert (case.mediator_selection, case.chosen_by) == (MediatorSelection.APPOINTED, [])


def test_parties_choose_and_it_is_shown_on_the_case_page_and_the_agreement(client, accepted, centre, mediator):
    parties = list(accepted.parties.all())
    services.case_assign(
        accepted, actor=centre, mediator=mediator, selection=MediatorSelection.CHOSEN, chosen_by=parties
    )
    case = fresh(accepted)
    assert case.chosen_by == sorted(p.pk for p in parties)
    client.force_login(centre)
    page = client.get(f"/mediation/cases/{case.pk}/").content.decode()
    assert "当事人选定：张三、李四" in page
    services.case_start(case, actor=mediator.user)
    log_session(case, mediator.user)
    services.case_reach_agreement(
        fresh(case), actor=mediator.user, form="oral", terms="赔偿500元", signed_on=timezone.localdate()
    )
    printed = client.get(f"/mediation/cases/{case.pk}/agreement/").content.decode()
    assert "当事人选定：张三、李四" in printed


@pytest.mark.parametrize(
    ("selection", "chosen", "field"),
    [
        (MediatorSelection.CHOSEN, [], "chosen_by"),
        (MediatorSelection.CHOSEN, [0], "chosen_by"),
        (MediatorSelection.APPOINTED, "first", "chosen_by"),
        ("elected", [], "selection"),
    ],
)
def test_a_bad_selection_is_refused_and_nothing_changes(accepted, centre, mediator, selection, chosen, field):
    chosen = [accepted.parties.first().pk] if chosen == "first" else chosen
    with pytest.raises(ValidationError) as refused:
        services.case_assign(accepted, actor=centre, mediator=mediator, selection=selection, chosen_by=chosen)
    assert field in refused.value.message_dict
    assert fresh(accepted).status == S.ACCEPTED


def test_the_web_form_and_the_api_carry_the_choice(client, accepted, centre, mediator, spare_mediator):
    parties = list(accepted.parties.all())
    client.force_login(centre)
    response = client.post(
        f"/mediation/cases/{accepted.pk}/do/assign/",
        {
            "version": accepted.version,
            "mediator": mediator.pk,
            "selection": "chosen",
            "chosen_by": [parties[0].pk],
        },
    )
    assert response.status_code == 302
    assert fresh(accepted).chosen_by == [parties[0].pk]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=centre)[1]}")
    body = {"mediator": spare_mediator.pk, "reason": "当事人申请", "selection": "chosen", "chosen_by": []}
    response = api.post(f"/api/v1/cases/{accepted.pk}/transitions/reassign/", body, format="json")
    assert response.status_code == 400 and "chosen_by" in str(response.json())
    body["chosen_by"] = [p.pk for p in parties]
    response = api.post(f"/api/v1/cases/{accepted.pk}/transitions/reassign/", body, format="json")
    assert response.status_code == 200
    case = fresh(accepted)
    assert (case.lead_mediator, case.mediator_selection) == (spare_mediator, MediatorSelection.CHOSEN)
