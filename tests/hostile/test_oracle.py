"""Finding 5 of the attack run: the duplicate hint told any registering user whether a person (by
phone or ID number) had a case anywhere in the subdistrict, for many numbers a request, unthrottled
and unaudited."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from common.models import AuditEntry
from tests.factories import party, register

pytestmark = pytest.mark.django_db
HINT = "casework:duplicates"


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()


def test_finding_5_the_duplicate_hint_says_nothing_about_cases_outside_the_scope(
    client, grid_worker, centre, grid, other_grid, settings
):
    hidden = register(centre, other_grid, parties=[party(phone="13900001111", id_number="")])
    client.force_login(grid_worker)
    response = client.post(reverse(HINT), {"parties-0-phone": "13900001111"})
    assert response.status_code == 200 and response.content.decode().strip() == ""
    # The same answer as for a number nobody has.
    nobody = client.post(reverse(HINT), {"parties-0-phone": "13900002222"})
    assert nobody.content == response.content
    mine = register(centre, grid, parties=[party(phone="13900001111")])
    text = client.post(reverse(HINT), {"parties-0-phone": "13900001111"}).content.decode()
    assert mine.number in text and hidden.number not in text and "另有" not in text

    # Each lookup is audited like a reveal: who, when, which number (masked), what was shown.
    entries = AuditEntry.objects.filter(action="duplicate_checked", actor=grid_worker).order_by("id")
    assert [(e.detail["field"], e.detail["value"], e.detail["cases"]) for e in entries] == [
        ("phone", "139****1111", []),
        ("phone", "139****2222", []),
        ("phone", "139****1111", [mine.number]),
    ]


def test_finding_5_one_number_a_request_and_a_throttle_per_user(client, grid_worker, community_staff, settings):
    settings.FENGQIAO_DUPLICATE_HINT_LIMIT = 3
    client.force_login(grid_worker)
    many = {"parties-0-phone": "13900001111", "parties-1-phone": "13900002222"}
    assert client.post(reverse(HINT), many).status_code == 400
    # From the page, htmx names the field just changed: that one is looked up, the others not.
    response = client.post(reverse(HINT), many, HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER_NAME="parties-1-phone")
    assert response.status_code == 200
    assert AuditEntry.objects.get(action="duplicate_checked").detail["value"] == "139****2222"
    for _ in range(2):
        assert client.post(reverse(HINT), {"parties-0-id_number": "360102198001010013"}).status_code == 200
    throttled = client.post(reverse(HINT), {"parties-0-phone": "13900003333"})
    assert throttled.status_code == 429 and "查询过于频繁" in throttled.content.decode()
    assert AuditEntry.objects.filter(action="duplicate_checked").count() == 3  # the refused one is not a lookup
    # Per user: another user is not held back.
    client.force_login(community_staff)
    assert client.post(reverse(HINT), {"parties-0-phone": "13900003333"}).status_code == 200
