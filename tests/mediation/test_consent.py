"""Voluntariness and 告知 gate the outcome: an agreement needs a sitting at which every party was
told (若干规定 art. 30) and none refused (People's Mediation Law art. 3, 17); a refusal leaves
only fail or withdraw. Driven through the services, the web form and the API."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from api.services import token_issue
from casework.enums import CaseStatus, Guidance
from casework.exceptions import TransitionUnavailable
from mediation import services
from mediation.models import Agreement, MediationSession, SessionParty
from tests.workflow import drive, fresh

pytestmark = pytest.mark.django_db
S = CaseStatus
NOT_TOLD = "尚无每位当事人均已被告知"
REFUSED = "当事人已明确拒绝调解"


@pytest.fixture
def mediating(centre, mediator, grid):
    """A case being mediated, with no session yet."""
    return drive(S.MEDIATING, centre=centre, lead=mediator, co=None, grid=grid, session=False)


def sit(case, actor, notes=None, **flags):
    return services.session_log(
        case,
        actor=actor,
        held_at=timezone.now(),
        location="第三方调解室",
        summary="听取双方陈述",
        public=False,
        party_notes=notes,
        **{"rights_explained": False, **flags},
    )


def notes_for(case, *, told=(), refused=(), by="王立言"):
    return [
        {"party": p.pk, "informed": p.name in told, "informed_by": by, "refused": p.name in refused}
        for p in case.parties.all()
    ]


def agree(case, actor):
    return services.case_reach_agreement(
        case, actor=actor, form="oral", terms="赔偿500元", signed_on=timezone.localdate()
    )


def test_a_session_without_告知_does_not_allow_an_agreement(mediating, mediator):
    sit(mediating, mediator.user)
    with pytest.raises(TransitionUnavailable) as refused:
        agree(fresh(mediating), mediator.user)
    assert NOT_TOLD in refused.value.message
    assert fresh(mediating).status == S.MEDIATING and not Agreement.objects.exists()


def test_every_party_must_have_been_told_at_one_sitting(mediating, mediator):
    sit(mediating, mediator.user, notes_for(mediating, told={"张三"}))
    session = MediationSession.objects.get(case=mediating)
    assert not session.rights_explained
    with pytest.raises(TransitionUnavailable):
        agree(fresh(mediating), mediator.user)
    sit(fresh(mediating), mediator.user, notes_for(mediating, told={"张三", "李四"}))
    agree(fresh(mediating), mediator.user)
    assert fresh(mediating).status == S.AGREED


def test_a_refusal_leaves_fail_or_withdraw(mediating, mediator):
    sit(mediating, mediator.user, notes_for(mediating, told={"张三", "李四"}, refused={"李四"}))
    session = MediationSession.objects.get(case=mediating)
    assert session.rights_explained and session.party_refused
    # A later sitting at which everyone consents does not undo a clear refusal.
    sit(fresh(mediating), mediator.user, notes_for(mediating, told={"张三", "李四"}))
    with pytest.raises(TransitionUnavailable) as refused:
        agree(fresh(mediating), mediator.user)
    assert REFUSED in refused.value.message and "调解不成" in refused.value.message
    services.case_fail(fresh(mediating), actor=mediator.user, reason="被申请人拒绝调解", guidance=Guidance.LITIGATION)
    assert fresh(mediating).status == S.FAILED


def test_the_old_single_flags_still_gate(mediating, mediator):
    sit(mediating, mediator.user, rights_explained=True, rights_explained_by="王立言", party_refused=True)
    with pytest.raises(TransitionUnavailable) as refused:
        agree(fresh(mediating), mediator.user)
    assert REFUSED in refused.value.message


def test_party_notes_record_who_told_whom_and_when(mediating, mediator):
    session = sit(mediating, mediator.user, notes_for(mediating, told={"张三", "李四"}, by="王立言"))
    rows = SessionParty.objects.filter(session=session)
    assert {(r.party.name, r.informed, r.informed_by, r.refused) for r in rows} == {
        ("张三", True, "王立言", False),
        ("李四", True, "王立言", False),
    }
    assert all(r.informed_at == session.held_at for r in rows)
    assert session.rights_explained_by == "王立言"


@pytest.mark.parametrize(
    ("notes", "field", "message"),
    [
        (lambda c: [{"party": 0, "informed": True, "informed_by": "王"}], "party_notes", "不属于本案"),
        (
            lambda c: [{"party": c.parties.first().pk, "informed": True, "informed_by": "王"}] * 2,
            "party_notes",
            "只能记录一次",
        ),
        (
            lambda c: [{"party": c.parties.first().pk, "informed": True, "informed_by": " "}],
            "rights_explained_by",
            "告知人",
        ),
    ],
)
def test_bad_party_notes_are_refused_and_nothing_is_written(mediating, mediator, notes, field, message):
    with pytest.raises(ValidationError) as refused:
        sit(mediating, mediator.user, notes(mediating))
    assert message in refused.value.message_dict[field][0]
    assert not MediationSession.objects.exists() and not SessionParty.objects.exists()


def test_the_session_form_is_a_checklist_per_party_and_the_page_says_why(client, mediating, mediator):
    client.force_login(mediator.user)
    url = f"/mediation/cases/{mediating.pk}/"
    parties = list(mediating.parties.all())
    page = client.get(url).content.decode()
    for party in parties:
        assert f'name="informed_{party.pk}"' in page and f'name="refused_{party.pk}"' in page
    data = {
        "held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "location": "社区调解室",
        "summary": "双方陈述",
        "rights_explained_by": "王立言",
        f"informed_{parties[0].pk}": "on",
        f"informed_{parties[1].pk}": "on",
        f"refused_{parties[1].pk}": "on",
    }
    assert client.post(f"{url}record/session/", data).status_code == 302
    page = client.get(url).content.decode()
    assert REFUSED in page  # why reach_agreement is not offered
    agreement = {
        "version": fresh(mediating).version,
        "form": "oral",
        "terms": "赔偿500元",
        "signed_on": timezone.localdate().isoformat(),
    }
    response = client.post(f"{url}do/reach_agreement/", agreement)
    assert response.status_code == 409 and REFUSED in response.content.decode()
    assert fresh(mediating).status == S.MEDIATING


def test_the_api_answers_409_with_the_reason_and_takes_party_notes(mediating, mediator):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=mediator.user)[1]}")
    base = f"/api/v1/cases/{mediating.pk}"
    body = {"form": "oral", "terms": "赔偿500元", "signed_on": timezone.localdate().isoformat()}
    sit(mediating, mediator.user)
    response = api.post(f"{base}/transitions/reach_agreement/", body, format="json")
    assert response.status_code == 409 and NOT_TOLD in str(response.json())
    parties = list(mediating.parties.all())
    session = {
        "held_at": timezone.now().isoformat(),
        "location": "第三方调解室",
        "public": False,
        "summary": "告知后听取陈述",
        "party_notes": [{"party": p.pk, "informed": True} for p in parties],
    }
    response = api.post(f"{base}/sessions/", session, format="json")
    assert response.status_code == 201, response.json()
    made = response.json()
    assert made["rights_explained"] is True and made["party_refused"] is False
    assert {n["informed_by"] for n in made["party_notes"]} == {mediator.user.display_name}
    assert api.post(f"{base}/transitions/reach_agreement/", body, format="json").status_code == 200
