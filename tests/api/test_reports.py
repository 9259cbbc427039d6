"""GET /api/v1/reports/, GET /api/v1/reports/{id}/, POST /api/v1/reports/generate/: report
snapshots, read by the web's readers and made by centre staff through reports.services."""

import datetime as dt

import pytest
from django.utils import timezone

from casework.enums import Risk
from reports import services
from reports.models import Snapshot
from tests.factories import SubdistrictFactory, register

URL = "/api/v1/reports/"
GENERATE = "/api/v1/reports/generate/"
MARCH = dt.date(2025, 3, 1)


def generate(kind="monthly", period=MARCH, reason="测试"):
    return services.report_generate(kind=kind, period=period, reason=reason, subdistrict=SubdistrictFactory())[0]


@pytest.fixture
def snapshots(subdistrict):
    """March's monthly report in two versions and a daily report of 5 March."""
    return {"v1": generate(), "v2": generate(reason="补录后重新生成"), "daily": generate("daily", dt.date(2025, 3, 5))}


def listed(response) -> list[int]:
    assert response.status_code == 200
    return [row["id"] for row in response.json()["results"]]


# Listing


@pytest.mark.parametrize("persona", ["centre", "leader", "community"])
def test_list_for_report_readers_is_200_newest_first(api, roles, snapshots, persona):
    rows = api(roles[persona]).get(URL).json()["results"]
    # The daily of 5 March is the newest period; then March's versions, the latest first.
    assert [row["id"] for row in rows] == [snapshots[key].pk for key in ("daily", "v2", "v1")]
    assert rows[1]["version"] == 2 and rows[1]["reason"] == "补录后重新生成" and rows[1]["kind"] == "monthly"
    assert rows[1]["period"] == "2025-03-01" and rows[1]["title"] == "2025年3月 矛盾纠纷月报"
    assert "figures" not in rows[1]


@pytest.mark.parametrize("persona", ["gridworker", "mediator", "admin"])
def test_list_for_others_is_403(api, roles, snapshots, persona):
    response = api(roles[persona]).get(URL)
    assert response.status_code == 403
    assert "报表" in response.json()["detail"]


def test_list_without_credentials_is_401(api, snapshots):
    assert api().get(URL).status_code == 401


def test_list_filters_by_kind_and_period(api, leader, snapshots):
    client = api(leader)
    assert listed(client.get(URL, {"kind": "daily"})) == [snapshots["daily"].pk]
    assert listed(client.get(URL, {"kind": "monthly"})) == [snapshots["v2"].pk, snapshots["v1"].pk]
    assert listed(client.get(URL, {"period": "2025-03-05"})) == [snapshots["daily"].pk]
    assert listed(client.get(URL, {"period": "2025-03"})) == [snapshots[k].pk for k in ("daily", "v2", "v1")]
    assert listed(client.get(URL, {"period": "2025-03", "kind": "monthly"})) == [snapshots[k].pk for k in ("v2", "v1")]
    assert listed(client.get(URL, {"period": "2025-04"})) == []


@pytest.mark.parametrize("query", [{"kind": "weekly"}, {"period": "2025-3"}, {"period": "2025-02-30"}])
def test_list_bad_filter_is_400_by_field(api, centre, snapshots, query):
    response = api(centre).get(URL, query)
    assert response.status_code == 400
    assert list(response.json()) == list(query)


@pytest.mark.parametrize("rows", [1, 30])
def test_list_query_count_does_not_grow_with_rows(api, leader, rows, django_assert_max_num_queries):
    for day in range(rows):
        generate("daily", MARCH + dt.timedelta(days=day))
    client = api(leader)
    with django_assert_max_num_queries(2):
        response = client.get(URL, {"page_size": 30})
    assert len(response.json()["results"]) == rows


# One snapshot


def test_detail_has_the_figures_as_json(api, leader, snapshots):
    response = api(leader).get(f"{URL}{snapshots['v1'].pk}/")
    assert response.status_code == 200
    data = response.json()
    assert (data["kind"], data["period"], data["version"]) == ("monthly", "2025-03-01", 1)
    assert data["figures"] == snapshots["v1"].figures  # nothing of the leader's subdistrict is hidden
    assert set(data["figures"]["success_rate"]) >= {"concluded", "agreed", "rate", "ci95"}
    assert data["fingerprint"] == snapshots["v1"].fingerprint


def test_detail_lists_only_the_cases_the_reader_may_see(api, centre, community_staff, grid, other_grid):
    mine = register(centre, grid, risk=Risk.MAJOR)
    theirs = register(centre, other_grid, risk=Risk.MAJOR)
    snapshot = generate("daily", timezone.localdate())
    assert {row["id"] for row in snapshot.figures["warnings"]} == {mine.pk, theirs.pk}
    figures = api(community_staff).get(f"{URL}{snapshot.pk}/").json()["figures"]
    assert [row["id"] for row in figures["warnings"]] == [mine.pk]
    # Community staff read their community's view of the snapshot, as on the web page.
    assert (figures["totals"]["registered"], snapshot.figures["totals"]["registered"]) == (1, 2)
    assert {row["id"] for row in api(centre).get(f"{URL}{snapshot.pk}/").json()["figures"]["warnings"]} == {
        mine.pk,
        theirs.pk,
    }


@pytest.mark.parametrize("persona", ["gridworker", "mediator"])
def test_detail_for_a_non_reader_is_404(api, roles, snapshots, persona):
    assert api(roles[persona]).get(f"{URL}{snapshots['v1'].pk}/").status_code == 404


def test_detail_of_no_such_snapshot_is_404(api, centre):
    response = api(centre).get(f"{URL}999999/")
    assert response.status_code == 404
    assert "detail" in response.json()


def test_detail_without_credentials_is_401(api, snapshots):
    assert api().get(f"{URL}{snapshots['v1'].pk}/").status_code == 401


def test_detail_query_count_is_bounded(api, community_staff, grid, centre, django_assert_max_num_queries):
    for _ in range(5):
        register(centre, grid, risk=Risk.MAJOR)
    snapshot = generate("daily", timezone.localdate())
    client = api(community_staff)
    with django_assert_max_num_queries(3):
        assert client.get(f"{URL}{snapshot.pk}/").status_code == 200


# Generating


def test_centre_generates_a_new_version_201(api, centre, snapshots):
    response = api(centre).post(GENERATE, {"kind": "monthly", "period": "2025-03", "reason": "数据更正"}, format="json")
    assert response.status_code == 201
    data = response.json()
    snapshot = Snapshot.objects.get(pk=data["id"])
    assert (snapshot.version, snapshot.reason, snapshot.generated_by) == (3, "数据更正", centre)
    assert data["version"] == 3 and data["generated_by"] == centre.pk and data["figures"] == snapshot.figures


def test_generate_first_report_of_a_period_is_version_1(api, centre):
    response = api(centre).post(GENERATE, {"kind": "daily", "period": "2025-03-07"}, format="json")
    assert response.status_code == 201
    assert (response.json()["version"], response.json()["period"]) == (1, "2025-03-07")


def test_generate_unchanged_without_reason_is_200_with_the_latest(api, centre, snapshots):
    response = api(centre).post(GENERATE, {"kind": "monthly", "period": "2025-03-20"}, format="json")
    assert response.status_code == 200
    assert response.json()["id"] == snapshots["v2"].pk
    assert Snapshot.objects.count() == 3


@pytest.mark.parametrize("persona", ["leader", "community", "gridworker", "mediator", "admin"])
def test_generate_by_anyone_but_centre_staff_is_403(api, roles, persona):
    response = api(roles[persona]).post(GENERATE, {"kind": "monthly", "period": "2025-03"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "只有综治中心工作人员可以重新生成报表。"
    assert not Snapshot.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "weekly", "period": "2025-03"}, "kind"),
        ({"kind": "monthly", "period": "March"}, "period"),
        ({"kind": "daily", "period": "2025-02-30"}, "period"),
        ({"kind": "monthly"}, "period"),
        ({"kind": "monthly", "period": "2999-01"}, "period"),  # the service: no future periods
        ({"kind": "monthly", "period": "2025-03", "reason": "长" * 201}, "reason"),
    ],
)
def test_generate_bad_input_is_400_and_writes_nothing(api, centre, body, field):
    response = api(centre).post(GENERATE, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Snapshot.objects.exists()


def test_generate_without_credentials_is_401(api, db):
    assert api().post(GENERATE, {"kind": "monthly", "period": "2025-03"}, format="json").status_code == 401
    assert not Snapshot.objects.exists()
