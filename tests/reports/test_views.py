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
def march(world, subdistrict):
    return services.report_ensure(subdistrict=subdistrict, kind="monthly", period=MARCH)


def drill(client, snapshot, figure):
    return client.get(reverse("reports:cases", args=[snapshot.pk]), {"figure": figure})


def numbers(response):
    return set(re.findall(r"BHZ-\d{4}-\d{4}", response.content.decode()))


# The list and the report page


def test_report_list_costs_the_same_queries_for_one_or_many_reports(
    client, centre, django_assert_max_num_queries, world, subdistrict
):
    login(client, centre)
    services.report_ensure(subdistrict=subdistrict, kind="monthly", period=MARCH)
    with django_assert_max_num_queries(6):
        assert client.get(reverse("reports:list")).status_code == 200
    for day in range(1, 15):
        services.report_ensure(subdistrict=subdistrict, kind="daily", period=dt.date(2025, 3, day))
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


def test_report_page_shows_figures_charts_and_drill_down_links_without_inline_code(
    client, leader, march, django_assert_max_num_queries
):
    login(client, leader)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("reports:detail", args=[march.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert march.title in html and "66.7%（2/3" in html and 'data-chart="trend"' in html
    # The charts are drawn by the vendored ECharts from a JSON block: every script that runs is a
    # static file of our own; the one with a body is data (type application/json), not code.
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S)
    code = [(attrs, body) for attrs, body in scripts if "application/json" not in attrs]
    assert all('src="/static/' in attrs and not body.strip() for attrs, body in code), code
    assert any("vendor/echarts/echarts.min.js" in attrs for attrs, _body in code)
    links = re.findall(rf'href="/reports/{march.pk}/cases/\?figure=([^"]+)"', html)
    assert len(links) > 25 and "registered" in links
    for name in ("小事不出社区率", "大事不出街道率", "撤回", "不予受理", "第三方调解成功率", "信息责任追究"):
        assert name in html, name


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
    # The history's cases are listed from the events, their state then read from them too.
    assert {label for _case, label in drill(client, march, "cumulative_agreed").context["rows"]} == {"调解成功"}


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
    for figure in ("", "nonsense", "registered:colour=red", "registered@2025-13", "registered:category=x", "as_of"):
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
    missing = html.split("<h2>补报</h2>")[0]  # other_grid's return was filed, late: under 补报
    assert other_grid.name not in missing and "无网格员" in missing


# Frozen drill-downs: the snapshot's own case ids, then and now


def every_drill(figures) -> dict[str, int]:
    """Every figure of a report that links to a drill-down, with the number it shows."""
    keys = {name: count for name, count in figures["totals"].items()}
    sections = ("by_state", "by_category", "by_community", "by_grid", "by_source", "by_risk", "by_mediator",
                "by_organization", "hot_spots", "withdrawn", "declined")  # fmt: skip
    for section in sections:
        keys.update({row["drill"]: row["count"] for row in figures[section]})
    for row in figures["trend"]:
        keys.update({row[f"drill_{k}"]: row[k] for k in ("registered", "concluded", "agreed")})
    for row in figures["mediators"]:
        keys.update({row[f"drill_{k}"]: row[k] for k in ("open", "concluded", "agreed")})
    return keys


def test_every_figure_equals_the_length_of_its_drill_down(client, centre, march):
    login(client, centre)
    keys = every_drill(march.figures)
    assert len(keys) > 40
    for key, count in keys.items():
        response = drill(client, march, key)
        assert response.status_code == 200, key
        assert response.context["page"].paginator.count == count == response.context["stored"], key


def test_drill_down_keeps_the_snapshots_cases_after_later_edits(client, centre, march, world, mediator, grid):
    """Defect: after later edits a figure of 16 drilled down to 14 cases (the list was a live query)."""
    from casework import services as case_services
    from tests.factories import register
    from tests.reports.conftest import at

    before = numbers(drill(login(client, centre), march, "overdue"))
    assert before == {world[k].number for k in "EF"}
    case_services.case_accept(world["E"], actor=centre, level="subdistrict", at=at(4, 20))
    case_services.case_withdraw(world["F"], actor=centre, reason="当事人撤回", at=at(4, 21))
    register(centre, grid, at=at(3, 30))  # a late entry dated inside March
    assert numbers(drill(client, march, "overdue")) == before
    assert drill(client, march, "registered").context["page"].paginator.count == 6
    # State then beside state today.
    rows = {
        case.number: (then, case.get_status_display()) for case, then in drill(client, march, "overdue").context["rows"]
    }
    assert rows[world["F"].number] == ("已登记", "已撤回")


def test_drill_down_title_says_in_chinese_what_it_lists_and_links_each_case(client, centre, march, world):
    login(client, centre)
    response = drill(client, march, "overdue")
    html = response.content.decode()
    assert "2025年3月 逾期案件（截至3月31日）" in html
    assert f'href="{reverse("mediation:case", args=[world["E"].pk])}"' in html
    category = world["A"].category
    titled = drill(client, march, f"registered:category={category.pk}").content.decode()
    assert f"2025年3月 新登记案件 · 类别：{category.name}" in titled


# Community views and the leaders' comparison


def test_community_staff_read_their_communitys_view_of_the_same_snapshot(client, community_staff, march, world):
    login(client, community_staff)
    response = client.get(reverse("reports:detail", args=[march.pk]))
    figures = response.context["figures"]
    # Their community: A B C D G (E and F are the other community's).
    assert figures["totals"]["registered"] == 4 and figures["totals"]["concluded"] == 3
    assert figures["totals"]["overdue"] == 0 and figures["totals"]["withdrawn"] == 1
    assert response.context["community_name"] == world["A"].community.name
    # The same numbers a leader sees when choosing that community.
    for key, count in every_drill(figures).items():
        assert drill(client, march, key).context["page"].paginator.count == count, key


def test_leaders_compare_the_communities_side_by_side(client, leader, march, world, django_assert_max_num_queries):
    login(client, leader)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("reports:compare", args=[march.pk]))
    rows = {row["name"]: row["figures"]["totals"] for row in response.context["rows"]}
    assert {name: totals["registered"] for name, totals in rows.items()} == {
        world["A"].community.name: 4,
        world["E"].community.name: 2,
    }
    assert sum(t["registered"] for t in rows.values()) == march.figures["totals"]["registered"]
    chosen = client.get(reverse("reports:detail", args=[march.pk]), {"community": world["E"].community_id})
    assert chosen.context["figures"]["totals"]["overdue"] == 2


def test_community_staff_cannot_compare_or_pick_another_community(client, community_staff, march, world):
    login(client, community_staff)
    assert client.get(reverse("reports:compare", args=[march.pk])).status_code == 404
    other = client.get(reverse("reports:detail", args=[march.pk]), {"community": world["E"].community_id})
    assert other.context["figures"]["totals"]["registered"] == 4  # still their own


def test_a_report_of_another_subdistrict_is_404(client, march):
    from tests.factories import SubdistrictFactory, UserFactory

    elsewhere = UserFactory(
        username="leader2", roles=["leader"], subdistrict=SubdistrictFactory(code="TWG", name="滕王阁街道")
    )
    login(client, elsewhere)
    assert client.get(reverse("reports:detail", args=[march.pk])).status_code == 404
    assert drill(client, march, "registered").status_code == 404
    assert "矛盾纠纷月报" not in client.get(reverse("reports:list")).content.decode()


def test_a_snapshot_made_before_case_sets_were_kept_says_so_and_has_no_drill_down(client, centre, subdistrict):
    from django.utils import timezone

    # What migration 0004 leaves of a snapshot made before it: figures, no material.
    legacy = Snapshot.objects.create(
        subdistrict=subdistrict,
        kind="monthly",
        period=MARCH,
        version=1,
        generated_at=timezone.now(),
        fingerprint="0" * 64,
        figures={"totals": {"registered": 6}},
    )
    login(client, centre)
    page = client.get(reverse("reports:detail", args=[legacy.pk]))
    assert page.status_code == 200 and "请重新生成本期报表" in page.content.decode()
    assert drill(client, legacy, "registered").status_code == 404
    assert client.get(reverse("reports:xlsx", args=[legacy.pk])).status_code == 404
