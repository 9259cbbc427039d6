"""驾驶舱: the wall display and its polled panel, scoped and cheap."""

import datetime as dt

import pytest
from django.utils import timezone

from grids.enums import Role
from tests.factories import category, register


def test_the_cockpit_and_its_panel(client, centre, grid, django_assert_max_num_queries):
    register(centre, grid, at=timezone.now() - dt.timedelta(minutes=5))
    client.force_login(centre)
    page = client.get("/analysis/cockpit/")
    html = page.content.decode()
    assert page.status_code == 200 and 'hx-trigger="every 60s"' in html and "今日新增" in html
    assert "vendor/echarts/echarts.min.js" in html
    # The user, the month's three families, the rising categories' three reads, the latest events.
    with django_assert_max_num_queries(8):
        panel = client.get("/analysis/cockpit/panel/")
    text = panel.content.decode()
    assert panel.status_code == 200 and "登记" in text and "最新动态" in text


def test_the_cockpit_is_for_report_readers(client, grid_worker, mediator):
    for user in (grid_worker, mediator.user):
        client.force_login(user)
        assert client.get("/analysis/cockpit/").status_code == 404
        assert client.get("/analysis/cockpit/panel/").status_code == 404


def test_the_panel_is_counted_once_a_minute_per_scope(
    centre, leader, community_staff, grid, subdistrict, django_assert_num_queries
):
    """The wall displays of one scope share a minute's figures; another scope, or the next minute,
    counts again and sees what was registered since."""
    from reports.analysis import cockpit

    minute = timezone.now().replace(second=5, microsecond=0) + dt.timedelta(days=400)  # no other test's minute
    first = cockpit.panel_for(centre, now=minute)
    # A leader of the same subdistrict sees the same cases: the centre's figures, no query.
    with django_assert_num_queries(0):
        assert cockpit.panel_for(leader, now=minute + dt.timedelta(seconds=30)) == first
    register(centre, grid, at=timezone.now() - dt.timedelta(minutes=1))
    with django_assert_num_queries(0):
        assert cockpit.panel_for(centre, now=minute + dt.timedelta(seconds=50))["month"] == first["month"]
    # The community's staff see fewer cases: counted for their own scope.
    assert cockpit.panel_for(community_staff, now=minute)["events"]
    later = cockpit.panel_for(centre, now=minute + dt.timedelta(minutes=1))
    assert [e["case_id"] for e in later["events"]] != [e["case_id"] for e in first["events"]]


def test_the_scope_key_names_who_sees_the_same_cases(centre, leader, community_staff, grid_worker, mediator):
    from casework.selectors import scope_key

    assert scope_key(centre) == scope_key(leader) == f"s{centre.subdistrict_id}"
    assert scope_key(community_staff) == f"c{community_staff.community_id}"
    # A grid worker's or mediator's cases are their own: never shared with anyone's.
    assert scope_key(grid_worker) == f"u{grid_worker.pk}" and scope_key(mediator.user) == f"u{mediator.user.pk}"
    centre.roles = [*centre.roles, "mediator"]
    assert scope_key(centre) == f"s{centre.subdistrict_id}-u{centre.pk}"


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


@pytest.fixture
def edges(centre, grid, other_grid, district):
    """Registrations on every edge of the cockpit's windows on 2025-12-03 (this month so far, the
    same days of 2024, the three whole months before), a category corrected after registration,
    a category seen only in the months before, and a case of another subdistrict of the district."""
    from casework.models import DisputeCase
    from tests.factories import CommunityFactory, GridFactory, SubdistrictFactory, UserFactory

    midnight, last = dt.time(0, 0), dt.time(23, 59, 59)
    neighbour, labour, property_mgmt, family = (category(c) for c in ("neighbour", "labour", "property_mgmt", "family"))
    for day in (dt.date(2025, 12, 1), dt.date(2025, 12, 2), dt.date(2025, 12, 3)):
        for _ in range(2):
            register(centre, grid, at=_at(day, midnight), category=neighbour)
    for day, time, where in [
        (dt.date(2025, 8, 31), last, grid),  # the day before the three months
        (dt.date(2025, 9, 1), midnight, grid),
        (dt.date(2025, 11, 30), last, other_grid),
        (dt.date(2025, 12, 1), midnight, other_grid),
        (dt.date(2024, 12, 3), last, grid),  # the last of last year's days
        (dt.date(2024, 12, 4), midnight, grid),  # one day past them
    ]:
        register(centre, where, at=_at(day, time), category=labour)
    register(centre, other_grid, at=_at(dt.date(2025, 10, 15), midnight), category=property_mgmt)
    corrected = register(centre, grid, at=_at(dt.date(2025, 10, 20), midnight), category=family)
    DisputeCase.objects.filter(pk=corrected.pk).update(category=property_mgmt)
    register(centre, grid, at=_at(dt.date(2024, 12, 2), midnight), category=family)
    elsewhere = SubdistrictFactory(code="ZYQ", name="状元桥街道", district=district)
    far_grid = GridFactory(community=CommunityFactory(subdistrict=elsewhere))
    far_centre = UserFactory(username="far", roles=[Role.CENTRE_STAFF], subdistrict=elsewhere)
    for day in (dt.date(2025, 9, 10), dt.date(2025, 12, 2)):
        register(far_centre, far_grid, at=_at(day, midnight), category=property_mgmt)


def test_the_monthly_counts_give_the_live_figures(
    edges, centre, community_staff, district_staff, grid_worker, django_assert_num_queries
):
    """The rising categories read the three months before from the reports' monthly counts: the
    same rows, counts and flags as counting the cases, for every scope of whole places."""
    from casework.selectors import cases_visible_to
    from reports.analysis import cockpit
    from reports.analysis.judgement import Windows, judgement_table

    today = dt.date(2025, 12, 3)
    windows = Windows.of(today, today)
    assert cockpit.summary_cells(grid_worker) is None
    for user in (centre, community_staff, district_staff):
        cases, cells = cases_visible_to(user), cockpit.summary_cells(user)
        assert cells is not None
        for dimension in ("category", "community"):
            counted = judgement_table(cases, dimension, windows, today)
            assert judgement_table(cases, dimension, windows, today, cells) == counted
        counted = cockpit.panel(cases, today)
        with django_assert_num_queries(7):
            assert cockpit.panel(cases, today, cells) == counted
    rows = {row["label"]: row for row in judgement_table(cases_visible_to(centre), "category", windows, today)}
    labour = rows["劳动争议"]
    assert (labour["current"], labour["vs_year"].baseline, labour["vs_previous"].baseline) == (1, 1, 2)
    assert rows["物业纠纷"]["vs_previous"].baseline == 2 and rows["物业纠纷"]["current"] == 0
    assert rows["邻里纠纷"]["current"] == 6 and rows["邻里纠纷"]["rising"]
