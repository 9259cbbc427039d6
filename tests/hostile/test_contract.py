"""Finding 8 of the attack run (contract drift): empty filters were silently ignored; the API had no
optimistic-lock token, so a reassign made from stale data succeeded. (`detail` as one string and
the lockout's 429 are in test_bodies.py and test_tokens.py.)"""

import pytest

from casework.enums import CaseStatus
from casework.models import DisputeCase
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
