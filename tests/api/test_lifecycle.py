"""A dispute's whole life through the API, each step by the role that does it; and every
step refused to the roles that may not (403 when they see the case, 404 when they do not)."""

import pytest

from casework.enums import CaseStatus
from casework.models import DisputeCase
from tests.api.bodies import follow_up_body, registration, session_body, written_agreement_body
from tests.workflow import drive


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


# After registration, in order: (path under the case, body, who does it, expected status,
# roles refused with 403 because they see the case, roles refused with 404 because they do not).
LIFECYCLE = [
    # Community staff see the case but accept community-level cases only.
    ("transitions/accept/", {"level": "subdistrict"}, "centre", 200, ["community", "gridworker", "leader"], ["admin"]),
    ("transitions/accept/", {"level": "subdistrict"}, "centre", 409, [], []),
    # The mediators see the case only once it is assigned to them.
    ("transitions/assign/", {"mediator": "lead"}, "centre", 200, ["community", "leader"], ["mediator", "mediator2"]),
    ("transitions/start/", {"note": "首次调解"}, "mediator", 200, ["centre", "gridworker"], ["mediator2"]),
    # No agreement before a session has been logged.
    ("transitions/reach_agreement/", written_agreement_body(), "mediator", 409, [], []),
    ("sessions/", session_body(), "mediator", 201, ["community", "gridworker", "leader"], ["mediator2"]),
    (
        "transitions/reach_agreement/",
        written_agreement_body,  # called with the case, whose parties it names
        "mediator",
        200,
        ["centre", "gridworker"],
        ["mediator2"],
    ),
    # An agreed case is closed only after a follow-up.
    ("transitions/close/", {}, "centre", 409, [], []),
    ("follow-ups/", follow_up_body(notes="已赔付"), "mediator", 201, ["community", "leader"], ["mediator2"]),
    ("transitions/close/", {"note": "结案"}, "centre", 200, ["mediator", "community", "leader"], ["mediator2"]),
]


def test_dispute_lifecycle_through_the_api(api, roles, grid, mediator):
    # 登记 by the grid worker of the grid.
    response = post(api, roles["gridworker"], "/api/v1/cases/", registration(grid))
    assert response.status_code == 201
    pk = response.json()["id"]
    for path, body, by, expected, forbidden, hidden in LIFECYCLE:
        body = body(pk) if callable(body) else body
        body = {**body, "mediator": mediator.pk} if body.get("mediator") == "lead" else body
        url = f"/api/v1/cases/{pk}/{path}"
        refused(api, roles, url, body, forbidden=forbidden, hidden=hidden)
        response = post(api, roles[by], url, body)
        assert response.status_code == expected, (path, by, response.json())

    data = api(roles["centre"]).get(f"/api/v1/cases/{pk}/").json()
    assert data["status"] == "closed"
    assert data["agreement"]["responsibilities"] == "李四承担维修责任"
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
    case = drive(state, centre=centre, lead=mediator, grid=grid)
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
    body = registration(grid, source="walk_in", parties=[{"role": "applicant", "name": "王五"}])
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
