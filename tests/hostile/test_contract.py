"""Finding 8 of the attack run (contract drift): empty filters were silently ignored; the API had no
optimistic-lock token, so a reassign made from stale data succeeded. (`detail` as one string and
the lockout's 429 are in test_bodies.py and test_tokens.py.)"""

import pytest

from casework.enums import CaseStatus
from casework.models import DisputeCase
from tests.api.bodies import session_body
from tests.factories import MediatorFactory

pytestmark = pytest.mark.django_db


def test_finding_8_an_empty_or_malformed_filter_is_a_400_naming_it(api, centre):
    for path, name in [
        ("/api/v1/cases/?registered_before=", "registered_before"),
        ("/api/v1/cases/?status=", "status"),
        ("/api/v1/cases/?q=", "q"),
        ("/api/v1/reports/?period=", "period"),
        ("/api/v1/reports/?kind=", "kind"),
        ("/api/v1/inspections/?period=", "period"),
        ("/api/v1/stats/success-rate/?until=", "until"),
        ("/api/v1/stats/success-rate/?since=2021-13-01", "since"),
        ("/api/v1/cases/?registered_after=yesterday", "registered_after"),
    ]:
        response = api(centre).get(path)
        assert response.status_code == 400, path
        assert name in response.json(), (path, response.json())
    assert api(centre).get("/api/v1/stats/success-rate/?until=2030-01-01").status_code == 200


def test_finding_8_a_write_made_from_a_stale_read_is_a_409(api, centre, mediator, walk):
    case = walk(CaseStatus.ASSIGNED)
    other = MediatorFactory()
    read = api(centre).get(f"/api/v1/cases/{case.pk}/")
    etag, version = read["ETag"], read.json()["version"]
    assert etag == f'"{version}"'
    # A first write, made from that read: it goes through and the version moves on.
    body = {"mediator": other.pk, "reason": "回避"}
    first = api(centre).post(
        f"/api/v1/cases/{case.pk}/transitions/reassign/", {**body, "version": version}, format="json"
    )
    assert first.status_code == 200 and first["ETag"] != etag
    # The same request again, from the same (now stale) read: refused, whether by body or If-Match.
    back = {"mediator": mediator.pk, "reason": "恢复"}
    stale = api(centre).post(
        f"/api/v1/cases/{case.pk}/transitions/reassign/", {**back, "version": version}, format="json"
    )
    assert stale.status_code == 409 and isinstance(stale.json()["detail"], str)
    stale = api(centre).post(f"/api/v1/cases/{case.pk}/transitions/reassign/", back, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 409
    assert DisputeCase.objects.get(pk=case.pk).lead_mediator_id == other.pk
    bad = api(centre).post(f"/api/v1/cases/{case.pk}/transitions/reassign/", {**back, "version": "x"}, format="json")
    assert bad.status_code == 400 and "version" in bad.json()
    # With the current version (or none at all) it goes through.
    fresh = api(centre).post(
        f"/api/v1/cases/{case.pk}/transitions/reassign/", back, format="json", HTTP_IF_MATCH=first["ETag"]
    )
    assert fresh.status_code == 200, fresh.json()
    # A malformed If-Match is a 400 naming it; `*` matches whatever the version.
    bad = api(centre).post(f"/api/v1/cases/{case.pk}/transitions/reassign/", body, format="json", HTTP_IF_MATCH="v1")
    assert bad.status_code == 400 and "If-Match" in bad.json()
    star = api(centre).post(f"/api/v1/cases/{case.pk}/transitions/reassign/", body, format="json", HTTP_IF_MATCH="*")
    assert star.status_code == 200, star.json()


def test_finding_8_a_record_made_from_a_stale_read_is_a_409_and_answers_the_new_etag(api, mediator, walk):
    case = walk(CaseStatus.MEDIATING)
    etag = api(mediator.user).get(f"/api/v1/cases/{case.pk}/")["ETag"]
    session = session_body()
    first = api(mediator.user).post(f"/api/v1/cases/{case.pk}/sessions/", session, format="json", HTTP_IF_MATCH=etag)
    assert first.status_code == 201, first.json()
    assert first["ETag"] == f'"{DisputeCase.objects.get(pk=case.pk).version}"' != etag
    stale = api(mediator.user).post(f"/api/v1/cases/{case.pk}/sessions/", session, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 409
    fresh = api(mediator.user).post(
        f"/api/v1/cases/{case.pk}/sessions/",
        {**session, "version": int(first["ETag"].strip('"'))},
        format="json",
    )
    assert fresh.status_code == 201, fresh.json()


def test_finding_8_the_schema_publishes_the_version_the_etag_and_the_409(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]
    writes = [
        (path, operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method == "post" and ("/transitions/" in path or path.endswith(("/sessions/", "/follow-ups/")))
    ]
    assert len(writes) >= 13
    for path, operation in writes:
        body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        assert components[body]["properties"]["version"]["type"] == "integer", path
        assert "version" not in components[body].get("required", []), path
        (if_match,) = [p for p in operation["parameters"] if p["in"] == "header" and p["name"] == "If-Match"]
        assert not if_match.get("required"), path
        ok = "201" if path.endswith(("/sessions/", "/follow-ups/")) else "200"
        assert "ETag" in operation["responses"][ok]["headers"], path
        assert "version" in operation["responses"]["409"]["description"], path
    detail = schema["paths"]["/api/v1/cases/{id}/"]["get"]
    assert "ETag" in detail["responses"]["200"]["headers"]
    assert "version" in components["CaseDetail"]["properties"]
