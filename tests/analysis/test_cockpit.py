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
