"""驾驶舱: the wall display and its polled panel, scoped and cheap."""

import datetime as dt

from django.utils import timezone

from tests.factories import register


def test_the_cockpit_and_its_panel(client, centre, grid, django_assert_max_num_queries):
    register(centre, grid, at=timezone.now() - dt.timedelta(minutes=5))
    client.force_login(centre)
    page = client.get("/analysis/cockpit/")
    html = page.content.decode()
    assert page.status_code == 200 and 'hx-trigger="every 60s"' in html and "今日新增" in html
    assert "vendor/echarts/echarts.min.js" in html
    with django_assert_max_num_queries(10):
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
