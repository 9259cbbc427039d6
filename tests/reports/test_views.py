import datetime as dt
import re

import pytest
from django.urls import reverse

from grids.models import Inspection
from reports import services
from reports.models import Snapshot
from tests.factories import PASSWORD
from tests.reports.conftest import MARCH, monthly_return

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def march(world):
    return services.report_ensure(kind="monthly", period=MARCH)


def drill(client, snapshot, figure):
    return client.get(reverse("reports:cases", args=[snapshot.pk]), {"figure": figure})


def numbers(response):
    return set(re.findall(r"BHZ-\d{4}-\d{4}", response.content.decode()))


# The list and the report page


def test_report_list_costs_the_same_queries_for_one_or_many_reports(
    client, centre, django_assert_max_num_queries, world
):
    login(client, centre)
    services.report_ensure(kind="monthly", period=MARCH)
    with django_assert_max_num_queries(6):
        assert client.get(reverse("reports:list")).status_code == 200
    for day in range(1, 15):
        services.report_ensure(kind="daily", period=dt.date(2025, 3, day))
    with django_assert_max_num_queries(6):
        response = client.get(reverse("reports:list"))
    assert response.status_code == 200 and response.content.decode().count("矛盾纠纷日报") == 14


def test_reports_are_not_for_grid_workers_or_mediators(client, grid_worker, mediator, march):
    for user in (grid_worker, mediator.user):
        login(client, user)
        assert client.get(reverse("reports:list")).status_code == 404
        assert client.get(reverse("reports:detail", args=[march.pk])).status_code == 404
        assert drill(client, march, "registered").status_code == 404
        assert client.get(reverse("reports:xlsx", args=[march.pk])).status_code == 404


def test_report_page_shows_figures_charts_and_drill_down_links_without_scripts(client, leader, march):
    login(client, leader)
    response = client.get(reverse("reports:detail", args=[march.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert march.title in html and "66.7%（2/3" in html and "<svg" in html
    # The charts are server-drawn SVG: the only scripts are the site's own static files, none inline.
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S)
    assert all('src="/static/' in attrs and not body.strip() for attrs, body in scripts), scripts
    links = re.findall(rf'href="/reports/{march.pk}/cases/\?figure=([^"]+)"', html)
    assert len(links) > 25 and "registered" in links


def test_centre_staff_regenerate_with_a_reason_and_leaders_cannot(client, centre, leader, march):
    login(client, leader)
    data = {"kind": "monthly", "period": "2025-03", "reason": "补录案件后重新生成"}
    assert client.post(reverse("reports:list"), data).status_code == 403
    login(client, centre)
    response = client.post(reverse("reports:list"), data)
    newest = Snapshot.objects.get(version=2)
    assert response.status_code == 302 and response["Location"] == reverse("reports:detail", args=[newest.pk])
    assert (newest.reason, newest.generated_by) == ("补录案件后重新生成", centre)


def test_generate_form_rejects_a_bad_period_and_writes_nothing(client, centre, world):
    login(client, centre)
    response = client.post(reverse("reports:list"), {"kind": "monthly", "period": "2025-13", "reason": ""})
    assert response.status_code == 200 and "YYYY-MM" in response.content.decode()
    response = client.post(reverse("reports:list"), {"kind": "daily", "period": "2999-01-01", "reason": ""})
    assert "未来" in response.content.decode()
    assert not Snapshot.objects.exists()


# Drill-down within the reader's scope


def test_drill_down_lists_exactly_the_cases_behind_the_figure(client, centre, march, world):
    login(client, centre)
    assert numbers(drill(client, march, "concluded")) == {world[k].number for k in "ABD"}
    assert numbers(drill(client, march, "late")) == {world[k].number for k in "EF"}
    assert numbers(drill(client, march, "cumulative_agreed")) == {world[k].number for k in "AD"}


def test_drill_down_respects_the_readers_scope(client, community_staff, march, world):
    login(client, community_staff)
    # Six new cases in March; E and F are in the other community.
    assert numbers(drill(client, march, "registered")) == {world[k].number for k in "ABCG"}
    hot = next(row for row in march.figures["hot_spots"] if row["count"] == 2)  # other community × 邻里
    assert numbers(drill(client, march, hot["drill"])) == set()
    detail = client.get(reverse("reports:detail", args=[march.pk])).content.decode()
    assert world["F"].number not in detail  # the warning list hides cases outside the scope


def test_drill_down_with_an_unknown_figure_is_404(client, centre, march):
    login(client, centre)
    for figure in ("", "nonsense", "registered:colour=red", "registered@2025-13", "registered:category=x"):
        assert drill(client, march, figure).status_code == 404, figure


def test_drill_down_costs_the_same_queries_for_few_or_many_cases(client, centre, march, django_assert_max_num_queries):
    login(client, centre)
    with django_assert_max_num_queries(6):
        assert drill(client, march, "registered").status_code == 200
    with django_assert_max_num_queries(6):
        assert drill(client, march, "cumulative_concluded").status_code == 200


# Screening returns on the web


def test_grid_worker_files_a_return_on_the_web(client, grid_worker, grid, django_assert_max_num_queries):
    login(client, grid_worker)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("reports:inspections")).status_code == 200
    data = {
        "grid": grid.pk,
        "kind": "monthly",
        "period": "2025-03",
        "zero_report": "on",
        "disputes_found": 0,
        "cases_registered": 0,
        "notes": "",
    }
    response = client.post(reverse("reports:inspections"), data)
    assert response.status_code == 302
    inspection = Inspection.objects.get()
    assert (inspection.period, inspection.zero_report, inspection.filed_by) == (MARCH, True, grid_worker)


def test_return_form_refuses_another_grid_and_inconsistent_counts(client, grid_worker, sibling_grid, grid):
    login(client, grid_worker)
    base = {"kind": "monthly", "period": "2025-03", "disputes_found": 0, "cases_registered": 0, "notes": ""}
    other = client.post(reverse("reports:inspections"), {**base, "grid": sibling_grid.pk, "zero_report": "on"})
    assert other.status_code == 200 and "grid" in other.context["form"].errors
    silent = client.post(reverse("reports:inspections"), {**base, "grid": grid.pk})
    assert "明确勾选零报告" in silent.content.decode()
    assert not Inspection.objects.exists()


def test_return_form_is_for_grid_workers_only(client, centre):
    login(client, centre)
    assert client.get(reverse("reports:inspections")).status_code == 404


def test_missing_returns_name_the_responsible_worker(
    client, centre, grid, sibling_grid, other_grid, grid_worker, other_grid_worker, django_assert_max_num_queries
):
    monthly_return(other_grid_worker, other_grid, found=0)
    login(client, centre)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("reports:missing"), {"kind": "monthly", "period": "2025-03"})
    html = response.content.decode()
    assert grid.name in html and grid_worker.display_name in html and sibling_grid.name in html
    assert other_grid.name not in html and "未配备网格员" in html
