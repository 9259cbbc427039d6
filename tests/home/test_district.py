"""The district level: district centre staff and leaders read every case and report of their
district's subdistricts and change nothing; their home puts the subdistricts side by side."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from casework.enums import CaseStatus, Transition
from casework.models import DisputeCase
from casework.permissions import can_transition, can_view_case
from casework.selectors import cases_visible_to
from grids.enums import Role
from home.navigation import menu_for
from reports import services as report_services
from tests.factories import CommunityFactory, DistrictFactory, GridFactory, SubdistrictFactory, UserFactory, register
from tests.workflow import drive

pytestmark = pytest.mark.django_db


@pytest.fixture
def territory(subdistrict, grid, centre):
    """The district of `subdistrict` and a smaller neighbour; a third subdistrict in no district."""
    district = DistrictFactory()
    subdistrict.district = district
    subdistrict.save(update_fields=["district"])
    neighbour = SubdistrictFactory(code="SBJ", name="松柏街道", district=district)
    n_grid = GridFactory(community=CommunityFactory(subdistrict=neighbour, code="sb", name="松柏社区"), code="sb-01")
    n_centre = UserFactory(username="sbcentre", roles=[Role.CENTRE_STAFF], subdistrict=neighbour)
    alone = SubdistrictFactory(code="DYL", name="独院路街道")
    a_grid = GridFactory(community=CommunityFactory(subdistrict=alone, code="dy", name="独院社区"), code="dy-01")
    a_centre = UserFactory(username="dycentre", roles=[Role.CENTRE_STAFF], subdistrict=alone)
    return {
        "district": district,
        "neighbour": neighbour,
        "n_centre": n_centre,
        "n_grid": n_grid,
        "alone_case": register(a_centre, a_grid),
        "staff": UserFactory(username="district", roles=[Role.DISTRICT_STAFF], district=district),
        "leader": UserFactory(username="dleader", roles=[Role.DISTRICT_LEADER], district=district),
    }


def test_district_readers_see_both_subdistricts_and_may_change_nothing(territory, centre, grid):
    ours = register(centre, grid)
    theirs = register(territory["n_centre"], territory["n_grid"])
    for key in ("staff", "leader"):
        user = territory[key]
        assert set(cases_visible_to(user)) == {ours, theirs}
        for case in DisputeCase.objects.select_related("lead_mediator"):
            assert can_view_case(user, case) == (case in {ours, theirs})
            assert not any(can_transition(user, case, name) for name in Transition.values)
    # A subdistrict's staff never see the neighbour's cases.
    assert set(cases_visible_to(centre)) == {ours}
    assert not can_view_case(territory["n_centre"], ours)


def test_a_district_role_without_a_district_sees_nothing(territory, centre, grid):
    register(centre, grid)
    nowhere = UserFactory(username="nowhere", roles=[Role.DISTRICT_STAFF])
    assert not cases_visible_to(nowhere).exists()
    assert menu_for(nowhere) and all(item["key"] != "intake" for item in menu_for(nowhere))


def test_district_home_puts_the_subdistricts_side_by_side(client, territory, subdistrict, centre, grid, mediator):
    today = timezone.localdate()
    agreed = drive(CaseStatus.AGREED, centre=centre, lead=mediator, grid=grid)
    failed = drive(CaseStatus.FAILED, centre=centre, lead=mediator, grid=grid)
    late = register(centre, grid, at=timezone.now() - dt.timedelta(days=20))
    theirs = register(territory["n_centre"], territory["n_grid"])
    client.force_login(territory["leader"])
    response = client.get(reverse("home"))
    assert response.status_code == 200
    rows = {row["subdistrict"].code: row for row in response.context["rows"]}
    assert list(rows) == sorted([subdistrict.code, "SBJ"])  # the district's, not 独院路
    ours = rows[subdistrict.code]
    assert (ours["open"], ours["overdue"]) == (3, 1)
    assert (ours["success"].agreed, ours["success"].concluded) == (1, 2)
    assert ours["success"].ci95 is not None
    this_month = [
        c for c in (agreed, failed, late) if timezone.localtime(c.registered_at).date() >= today.replace(day=1)
    ]
    assert ours["new"] == len(this_month)
    assert (rows["SBJ"]["new"], rows["SBJ"]["open"], rows["SBJ"]["success"].concluded) == (1, 1, 0)
    page = response.content.decode()
    assert "松柏街道" in page and "独院路街道" not in page and "只读" in page
    # Each subdistrict drills to the queue narrowed to it.
    drill = client.get(rows["SBJ"]["urls"]["all"])
    assert drill.status_code == 200
    assert theirs.number in drill.content.decode() and late.number not in drill.content.decode()
    overdue = client.get(ours["urls"]["overdue"]).content.decode()
    assert late.number in overdue and theirs.number not in overdue


def test_district_menu_reads_and_never_registers(territory):
    keys = [item["key"] for item in menu_for(territory["staff"])]
    assert keys == ["home", "queue", "reports", "missing", "analysis", "notices"]


def test_a_subdistricts_staff_cannot_narrow_the_queue_to_the_neighbour(client, territory, centre, grid):
    ours = register(centre, grid)
    theirs = register(territory["n_centre"], territory["n_grid"])
    client.force_login(centre)
    response = client.get(reverse("casework:queue"), {"subdistrict": territory["neighbour"].pk})
    assert response.status_code == 200
    assert theirs.number not in response.content.decode()
    # Their own subdistrict is the one they may narrow to.
    own = client.get(reverse("casework:queue"), {"subdistrict": centre.subdistrict_id}).content.decode()
    assert ours.number in own and theirs.number not in own


def test_district_home_shows_each_subdistricts_ladder_and_missing_returns_from_its_report(
    client, territory, subdistrict, centre, grid, mediator, django_assert_max_num_queries
):
    """The figures only a report holds (the ladder shares, 上报区, 缺报) come from each subdistrict's
    latest monthly report, and drill into that report's cases; the page's queries do not grow with
    the number of subdistricts."""
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    concluded = timezone.make_aware(dt.datetime.combine(last_month + dt.timedelta(days=20), dt.time(10)))
    drive(CaseStatus.AGREED, centre=centre, lead=mediator, grid=grid, at=concluded - dt.timedelta(days=10),
          concluded=concluded)  # fmt: skip
    ours = report_services.report_ensure(subdistrict=subdistrict, kind="monthly", period=last_month)
    client.force_login(territory["staff"])

    def page():
        with django_assert_max_num_queries(8) as queries:
            response = client.get(reverse("home"))
        response.queries = len(queries.captured_queries)
        return response

    page()  # what a first visit of the session reads once
    response = page()
    rows = {row["subdistrict"].code: row for row in response.context["rows"]}
    mine = rows[subdistrict.code]
    assert mine["report"]["pk"] == ours.pk and rows["SBJ"]["report"] is None
    assert mine["report"]["ladder"]["subdistrict"]["count"] == 1
    assert mine["report"]["missing"] == ours.figures["inspections"]["missing_count"]
    body = response.content.decode()
    assert mine["report_urls"]["ladder_subdistrict"] in body and "尚无月报" in body
    drill = client.get(mine["report_urls"]["ladder_subdistrict"])
    assert drill.status_code == 200
    # One more subdistrict, with its report: the same number of queries.
    report_services.report_ensure(subdistrict=territory["neighbour"], kind="monthly", period=last_month)
    more = SubdistrictFactory(code="XSJ", name="新设街道", district=territory["district"])
    report_services.report_ensure(subdistrict=more, kind="monthly", period=last_month)
    more_response = page()
    assert all(row["report"] for row in more_response.context["rows"])
    assert more_response.queries == response.queries


def test_district_staff_are_told_which_cases_they_act_on(client, district_staff, district):
    """Leaders only read; the district's staff also mediate the cases referred up to them."""
    client.force_login(district_staff)
    page = client.get(reverse("home")).content.decode()
    assert "上报区案件由区办理" in page
