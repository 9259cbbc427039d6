"""A dispute's whole life through the API, each step by the role that does it; and every
step refused to the roles that may not (403 when they see the case, 404 when they do not)."""

import datetime as dt

import pytest
from django.utils import timezone

from casework.enums import CaseStatus
from casework.models import DisputeCase
from tests.factories import case_in_state

TODAY = lambda: timezone.localdate().isoformat()  # noqa: E731


def post(api, user, path, body):
    return api(user).post(path, body, format="json")


def refused(api, roles, path, body, *, forbidden=(), hidden=()):
    """Each role in `forbidden` gets 403 and each in `hidden` 404; nothing changes."""
    for key in forbidden:
        response = post(api, roles[key], path, body)
        assert response.status_code == 403, (key, response.json())
    for key in hidden:
        response = post(api, roles[key], path, body)
        assert response.status_code == 404, (key, response.json())


def test_dispute_lifecycle_through_the_api(api, roles, grid, mediator):
    # 登记 by the grid worker of the grid.
    body = {
        "grid": grid.pk,
        "category": "neighbour",
        "source": "grid_worker",
        "risk": "normal",
        "description": "楼上漏水，双方争执",
        "occurred_on": (timezone.localdate() - dt.timedelta(days=3)).isoformat(),
        "parties": [
            {"role": "applicant", "name": "张三", "phone": "13812345678"},
            {"role": "respondent", "name": "李四"},
        ],
    }
    response = post(api, roles["gridworker"], "/api/v1/cases/", body)
    assert response.status_code == 201
    pk = response.json()["id"]
    base = f"/api/v1/cases/{pk}"
    # The mediators cannot see it yet; the grid worker and the leader see it but may not accept.
    accept = {"level": "subdistrict", "note": "涉及多户，由街道受理"}
    refused(
        api,
        roles,
        f"{base}/transitions/accept/",
        accept,
        forbidden=["gridworker", "leader"],
        hidden=["mediator", "mediator2", "admin"],
    )
    # Community staff accept community-level cases only.
    refused(api, roles, f"{base}/transitions/accept/", accept, forbidden=["community"])

    assert post(api, roles["centre"], f"{base}/transitions/accept/", accept).status_code == 200

    assign = {"mediator": mediator.pk, "note": "律师调解"}
    refused(
        api,
        roles,
        f"{base}/transitions/assign/",
        assign,
        forbidden=["gridworker", "leader", "community"],
        hidden=["mediator", "mediator2"],
    )
    assert post(api, roles["centre"], f"{base}/transitions/assign/", assign).status_code == 200

    # Only the lead mediator starts; the other mediator still cannot see the case.
    refused(
        api,
        roles,
        f"{base}/transitions/start/",
        {},
        forbidden=["centre", "community", "gridworker", "leader"],
        hidden=["mediator2"],
    )
    response = post(api, roles["mediator"], f"{base}/transitions/start/", {"note": "首次调解"})
    assert response.status_code == 200 and response.json()["status"] == "mediating"

    # Agreement before any session: the requirement is unmet (409).
    agreement = {
        "form": "written",
        "terms": "李四赔偿张三维修费2000元",
        "performance_method": "银行转账",
        "performance_deadline": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
        "signed_on": TODAY(),
        "facts": "卫生间防水层老化导致漏水",
        "responsibilities": "李四承担维修责任",
    }
    assert post(api, roles["mediator"], f"{base}/transitions/reach_agreement/", agreement).status_code == 409

    session = {
        "held_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "location": "第三方调解室",
        "attendees": "张三、李四",
        "public": False,
        "rights_explained": True,
        "summary": "告知权利义务后听取双方陈述",
    }
    refused(
        api, roles, f"{base}/sessions/", session, forbidden=["community", "gridworker", "leader"], hidden=["mediator2"]
    )
    assert post(api, roles["mediator"], f"{base}/sessions/", session).status_code == 201

    refused(
        api,
        roles,
        f"{base}/transitions/reach_agreement/",
        agreement,
        forbidden=["centre", "community", "gridworker", "leader"],
        hidden=["mediator2"],
    )
    response = post(api, roles["mediator"], f"{base}/transitions/reach_agreement/", agreement)
    assert response.status_code == 200
    assert response.json()["agreement"]["responsibilities"] == "李四承担维修责任"

    # Closing an agreed case needs a follow-up first.
    assert post(api, roles["centre"], f"{base}/transitions/close/", {}).status_code == 409

    follow_up = {"date": TODAY(), "performed": True, "satisfaction": 5, "notes": "已赔付"}
    refused(
        api,
        roles,
        f"{base}/follow-ups/",
        follow_up,
        forbidden=["community", "gridworker", "leader"],
        hidden=["mediator2"],
    )
    assert post(api, roles["mediator"], f"{base}/follow-ups/", follow_up).status_code == 201

    refused(
        api,
        roles,
        f"{base}/transitions/close/",
        {},
        forbidden=["mediator", "community", "gridworker", "leader"],
        hidden=["mediator2"],
    )
    response = post(api, roles["centre"], f"{base}/transitions/close/", {"note": "结案"})
    assert response.status_code == 200

    data = response.json()
    assert data["status"] == "closed"
    assert [(e["name"], e["actor"]) for e in data["events"]] == [
        ("register", roles["gridworker"].pk),
        ("accept", roles["centre"].pk),
        ("assign", roles["centre"].pk),
        ("start", roles["mediator"].pk),
        ("session", roles["mediator"].pk),
        ("reach_agreement", roles["mediator"].pk),
        ("follow_up", roles["mediator"].pk),
        ("close", roles["centre"].pk),
    ]
    assert data["available_transitions"] == []
    # Only the eight successful steps changed anything.
    assert DisputeCase.objects.get(pk=pk).version == 8


# The other transitions, each by a role that may and refused to one that may not.
OTHER_TRANSITIONS = [
    # (from state, transition, body, allowed, forbidden (sees the case), hidden)
    (
        CaseStatus.REPORTED,
        "decline",
        {"reason": "属于劳动仲裁", "referral": "arbitration"},
        "centre",
        "leader",
        "mediator",
    ),
    (CaseStatus.REPORTED, "withdraw", {"reason": "申请人撤回"}, "centre", "community", "mediator2"),
    (CaseStatus.ASSIGNED, "reassign", {"mediator": "other", "reason": "回避"}, "centre", "mediator", "mediator2"),
    (CaseStatus.MEDIATING, "fail", {"reason": "分歧大", "guidance": "litigation"}, "mediator", "centre", "mediator2"),
    (CaseStatus.MEDIATING, "withdraw", {"reason": "当事人拒绝调解"}, "mediator", "leader", "mediator2"),
    (CaseStatus.FAILED, "close", {}, "centre", "mediator", "mediator2"),
]


@pytest.mark.parametrize(("state", "name", "body", "allowed", "forbidden", "hidden"), OTHER_TRANSITIONS)
def test_transition_by_role(
    api, roles, centre, mediator, other_mediator, grid, state, name, body, allowed, forbidden, hidden
):
    case = case_in_state(state, centre=centre, mediator=mediator, grid=grid)
    body = {**body, "mediator": other_mediator.pk} if body.get("mediator") == "other" else body
    path = f"/api/v1/cases/{case.pk}/transitions/{name}/"
    refused(api, roles, path, body, forbidden=[forbidden], hidden=[hidden])
    response = post(api, roles[allowed], path, body)
    assert response.status_code == 200, response.json()
    assert response.json()["events"][-1]["name"] == name
    # Done once, the same request again changes nothing.
    assert post(api, roles[allowed], path, body).status_code != 200


def test_community_level_case_is_handled_by_the_community_and_escalated(api, roles, grid, mediator):
    # Community staff accept and assign community-level cases; the mediator escalates; the centre takes over.
    body = {
        "grid": grid.pk,
        "category": "neighbour",
        "source": "walk_in",
        "description": "邻里噪音",
        "parties": [{"role": "applicant", "name": "王五"}],
    }
    pk = post(api, roles["community"], "/api/v1/cases/", body).json()["id"]
    base = f"/api/v1/cases/{pk}/transitions"
    assert post(api, roles["community"], f"{base}/accept/", {"level": "community"}).status_code == 200
    assert post(api, roles["community"], f"{base}/assign/", {"mediator": mediator.pk}).status_code == 200
    assert post(api, roles["mediator"], f"{base}/start/", {}).status_code == 200
    refused(api, roles, f"{base}/escalate/", {"reason": "难以调处"}, forbidden=["gridworker", "leader"])
    response = post(api, roles["mediator"], f"{base}/escalate/", {"reason": "难以调处"})
    assert response.status_code == 200
    data = response.json()
    assert (data["status"], data["level"], data["lead_mediator"], data["community_attempts"]) == (
        "accepted",
        "subdistrict",
        None,
        1,
    )
    # Released, the mediator no longer sees the case; the community may not assign a subdistrict case.
    assert api(roles["mediator"]).get(f"/api/v1/cases/{pk}/").status_code == 404
    assert post(api, roles["community"], f"{base}/assign/", {"mediator": mediator.pk}).status_code == 403
    assert post(api, roles["community"], f"{base}/escalate/", {"reason": "再上报"}).status_code == 409
