"""督办 through the API: a case's orders and answers listed; the district's staff issue, the
subdistrict centre answers; 400 for bad input (nothing written), 403 for the wrong role, 404 outside
the scope, 409 when the case or the order refuses it."""

import datetime as dt

import pytest
from django.utils import timezone

from casework.models import SupervisionAnswer, SupervisionOrder
from grids.enums import Role
from tests.casework import test_supervision as casework_supervision
from tests.factories import DistrictFactory, SubdistrictFactory, UserFactory, grid_of, register

pytestmark = pytest.mark.django_db

# The district's staff and an overdue case of tests/casework/test_supervision.py (the district
# itself is the shared conftest's).
staff, overdue = casework_supervision.staff, casework_supervision.overdue

ORDER = {"instruction": "三日内受理并联系当事人", "working_days": 3}


def url(case, order=None):
    base = f"/api/v1/cases/{case.pk}/supervision/"
    return base if order is None else f"{base}{order}/answer/"


def test_district_staff_issue_the_centre_answers_and_both_read_the_list(api, staff, centre, overdue):
    response = api(staff).post(url(overdue), ORDER, format="json")
    assert response.status_code == 201, response.content
    order = response.json()
    assert order["instruction"] == ORDER["instruction"] and order["answer"] is None and order["case"] == overdue.pk
    answered = api(centre).post(url(overdue, order["id"]), {"text": "已受理并分派调解员"}, format="json")
    assert answered.status_code == 201 and answered.json()["on_time"] is True
    for user in (staff, centre):
        (listed,) = api(user).get(url(overdue)).json()
        assert listed["id"] == order["id"] and listed["answer"]["text"] == "已受理并分派调解员"
    # An answer is given once.
    again = api(centre).post(url(overdue, order["id"]), {"text": "再答"}, format="json")
    assert again.status_code == 409 and SupervisionAnswer.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"instruction": "", "working_days": 3},
        {"instruction": "   ", "working_days": 3},
        {"instruction": "请办理", "working_days": 0},
        {"instruction": "请办理", "working_days": 31},
        {"instruction": "请办理", "working_days": "三"},
        {"instruction": "x" * 501, "working_days": 3},
        {"instruction": "请\x00办理", "working_days": 3},
        {"instruction": ["请办理"], "working_days": 3},
    ],
)
def test_bad_orders_are_400_and_nothing_written(api, staff, overdue, body):
    response = api(staff).post(url(overdue), body, format="json")
    assert response.status_code == 400 and response.json()
    assert not SupervisionOrder.objects.exists()


@pytest.mark.parametrize("text", ["", "  ", "x" * 1001, "办\x07理"])
def test_bad_answers_are_400_and_nothing_written(api, staff, centre, overdue, text):
    order = api(staff).post(url(overdue), ORDER, format="json").json()
    assert api(centre).post(url(overdue, order["id"]), {"text": text}, format="json").status_code == 400
    assert not SupervisionAnswer.objects.exists()


def test_the_wrong_role_is_403_and_a_case_that_needs_none_is_409(
    api, district, staff, centre, leader, community_staff, overdue, grid
):
    dleader = UserFactory(username="dleader", roles=[Role.DISTRICT_LEADER], district=district)
    for user in (centre, leader, community_staff, dleader):
        assert api(user).post(url(overdue), ORDER, format="json").status_code == 403, user
    assert api(staff).post(url(register(centre, grid)), ORDER, format="json").status_code == 409
    assert not SupervisionOrder.objects.exists()
    order = api(staff).post(url(overdue), ORDER, format="json").json()
    for user in (staff, dleader, leader, community_staff):
        assert api(user).post(url(overdue, order["id"]), {"text": "已办理"}, format="json").status_code == 403, user
    assert not SupervisionAnswer.objects.exists()


def test_outside_the_scope_is_404(api, district, staff, centre, overdue):
    far = UserFactory(username="far", roles=[Role.DISTRICT_STAFF], district=DistrictFactory(code="XHQ", name="西湖区"))
    neighbour = SubdistrictFactory(code="YZJ", name="豫章街道", district=district)
    n_centre = UserFactory(username="yz", roles=[Role.CENTRE_STAFF], subdistrict=neighbour)
    order = api(staff).post(url(overdue), ORDER, format="json").json()
    for user in (far, n_centre):
        client = api(user)
        assert client.get(url(overdue)).status_code == 404
        assert client.post(url(overdue), ORDER, format="json").status_code == 404
        assert client.post(url(overdue, order["id"]), {"text": "已办理"}, format="json").status_code == 404
    # An order of another case is not this case's.
    other = register(n_centre, grid_of(neighbour), at=timezone.now() - dt.timedelta(days=21))
    assert api(staff).post(url(other), ORDER, format="json").status_code == 201
    assert api(centre).post(url(overdue, order["id"] + 1), {"text": "已办理"}, format="json").status_code == 404
    assert api(centre).post(url(overdue, 10**12), {"text": "已办理"}, format="json").status_code == 404
