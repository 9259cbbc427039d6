"""GET, POST /api/v1/inspections/ and GET /api/v1/inspections/{id}/: screening returns (排查),
scoped to the user's territory and filed through grids.services.inspection_file."""

import datetime as dt

import pytest

from grids.enums import Role
from grids.models import Inspection, SensitivePeriod
from tests.factories import GridFactory, SubdistrictFactory, UserFactory
from tests.reports.conftest import daily_zero_return, monthly_return

MARCH = dt.date(2025, 3, 1)
URL = "/api/v1/inspections/"


def return_body(grid, **changes) -> dict:
    return {
        "grid": grid.pk,
        "kind": "monthly",
        "period": "2025-03",
        "disputes_found": 2,
        "cases_registered": 1,
        **changes,
    }


@pytest.fixture
def returns(grid_worker, grid, sibling_grid, other_grid):
    """One March return per grid: the persona's grid, a sibling grid, a grid of another community."""
    sibling_worker = UserFactory(roles=[Role.GRID_WORKER], grids=[sibling_grid])
    other_worker = UserFactory(roles=[Role.GRID_WORKER], grids=[other_grid])
    return {
        "grid": monthly_return(grid_worker, grid, found=1),
        "sibling": monthly_return(sibling_worker, sibling_grid, found=0),
        "other": monthly_return(other_worker, other_grid, found=3, registered=2),
    }


def listed(response) -> set[int]:
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


def ids(returns, *keys) -> set[int]:
    return {returns[key].pk for key in keys}


# Listing


@pytest.mark.parametrize(
    ("persona", "keys"),
    [
        ("gridworker", ["grid"]),
        ("community", ["grid", "sibling"]),
        ("centre", ["grid", "sibling", "other"]),
        ("leader", ["grid", "sibling", "other"]),
        ("mediator", []),
        ("admin", []),
    ],
)
def test_list_is_scoped_to_the_users_territory(api, roles, returns, persona, keys):
    assert listed(api(roles[persona]).get(URL)) == ids(returns, *keys)


def test_list_leaves_out_another_subdistrict(api, centre, returns):
    elsewhere = GridFactory(community__subdistrict=SubdistrictFactory(code="XQ", name="西桥街道"))
    worker = UserFactory(roles=[Role.GRID_WORKER], grids=[elsewhere])
    monthly_return(worker, elsewhere, found=0)
    assert listed(api(centre).get(URL)) == ids(returns, "grid", "sibling", "other")


def test_list_rows_have_the_return_and_who_filed_it(api, centre, grid_worker, grid, returns):
    row = next(r for r in api(centre).get(URL).json()["results"] if r["id"] == returns["grid"].pk)
    assert row["grid"] == grid.pk and row["community"] == grid.community_id and row["grid_name"] == grid.name
    assert (row["kind"], row["period"], row["zero_report"]) == ("monthly", "2025-03-01", False)
    assert (row["disputes_found"], row["cases_registered"]) == (1, 0)
    assert row["filed_by"] == grid_worker.pk and row["filed_by_name"] == grid_worker.display_name


def test_list_filters_by_grid_kind_and_period(api, centre, grid, other_grid, returns):
    client = api(centre)
    assert listed(client.get(URL, {"grid": other_grid.pk})) == ids(returns, "other")
    assert listed(client.get(URL, {"kind": "daily"})) == set()
    assert listed(client.get(URL, {"kind": "monthly", "grid": grid.pk})) == ids(returns, "grid")
    assert listed(client.get(URL, {"period": "2025-03"})) == ids(returns, "grid", "sibling", "other")
    assert listed(client.get(URL, {"period": "2025-03-01"})) == ids(returns, "grid", "sibling", "other")
    assert listed(client.get(URL, {"period": "2025-03-02"})) == set()
    assert listed(client.get(URL, {"period": "2025-04"})) == set()


def test_list_period_filter_takes_the_daily_returns_of_a_month(api, centre, grid_worker, grid, returns):
    SensitivePeriod.objects.create(name="两会", start=dt.date(2025, 3, 4), end=dt.date(2025, 3, 6))
    daily = daily_zero_return(grid_worker, grid, dt.date(2025, 3, 5))
    client = api(centre)
    assert listed(client.get(URL, {"period": "2025-03", "grid": grid.pk})) == {returns["grid"].pk, daily.pk}
    assert listed(client.get(URL, {"period": "2025-03-05"})) == {daily.pk}


@pytest.mark.parametrize(
    "query",
    [{"kind": "weekly"}, {"period": "2025-13"}, {"period": "March"}, {"period": "9999-12"}, {"grid": "1.5"}],
)
def test_list_bad_filter_is_400_by_field(api, centre, returns, query):
    response = api(centre).get(URL, query)
    assert response.status_code == 400
    assert list(response.json()) == list(query)


def test_list_without_credentials_is_401(api, returns):
    assert api().get(URL).status_code == 401


@pytest.mark.parametrize("rows", [1, 60])
def test_list_query_count_does_not_grow_with_rows(api, community_staff, grid, rows, django_assert_max_num_queries):
    workers = UserFactory.create_batch(3, roles=[Role.GRID_WORKER], grids=[grid])
    for month in range(rows):
        period = dt.date(2020 + month // 12, month % 12 + 1, 1)
        monthly_return(workers[month % 3], grid, found=1, period=period)
    client = api(community_staff)
    with django_assert_max_num_queries(3):
        response = client.get(URL, {"page_size": 60})
    assert len(response.json()["results"]) == rows


def test_list_pages_by_cursor_newest_period_first(api, centre, grid, grid_worker):
    for month in range(1, 6):
        monthly_return(grid_worker, grid, found=1, period=dt.date(2024, month, 1))
    client = api(centre)
    first = client.get(URL, {"page_size": 3}).json()
    second = client.get(first["next"]).json()
    periods = [row["period"] for row in first["results"] + second["results"]]
    assert periods == [f"2024-0{month}-01" for month in range(5, 0, -1)]
    assert second["next"] is None


# One return


def test_detail_of_a_return_in_scope_is_200(api, community_staff, returns):
    response = api(community_staff).get(f"{URL}{returns['sibling'].pk}/")
    assert response.status_code == 200
    assert response.json()["zero_report"] is True


@pytest.mark.parametrize(("persona", "key"), [("gridworker", "sibling"), ("community", "other"), ("mediator", "grid")])
def test_detail_outside_scope_is_404(api, roles, returns, persona, key):
    assert api(roles[persona]).get(f"{URL}{returns[key].pk}/").status_code == 404


def test_detail_of_no_such_return_is_404(api, centre):
    assert api(centre).get(f"{URL}999999/").status_code == 404


# Filing


def test_grid_worker_files_a_return_201(api, grid_worker, grid):
    response = api(grid_worker).post(URL, return_body(grid), format="json")
    assert response.status_code == 201
    inspection = Inspection.objects.get()
    assert response.json()["id"] == inspection.pk
    assert (inspection.grid, inspection.period, inspection.filed_by) == (grid, MARCH, grid_worker)
    assert (inspection.disputes_found, inspection.cases_registered, inspection.zero_report) == (2, 1, False)


def test_file_a_zero_report_with_any_day_of_the_month(api, grid_worker, grid):
    body = return_body(grid, period="2025-03-17", disputes_found=0, cases_registered=0, zero_report=True)
    response = api(grid_worker).post(URL, body, format="json")
    assert response.status_code == 201
    assert response.json()["period"] == "2025-03-01" and response.json()["zero_report"] is True


@pytest.mark.parametrize("persona", ["gridworker", "centre", "community", "mediator"])
def test_file_for_a_grid_not_ones_own_is_403(api, roles, sibling_grid, persona):
    # The grid has its own grid worker: nobody else files for it (the staff file only for a grid without one).
    UserFactory(username="siblingworker", roles=[Role.GRID_WORKER], grids=[sibling_grid])
    response = api(roles[persona]).post(URL, return_body(sibling_grid), format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "只能为本人负责的网格填报排查记录。"
        if persona == "gridworker"
        else "只能为本辖区内无网格员的网格代为填报排查记录。"
    )
    assert not Inspection.objects.exists()


@pytest.mark.parametrize("persona", ["centre", "community"])
def test_staff_file_for_a_grid_without_a_grid_worker_on_its_behalf(api, roles, sibling_grid, persona):
    response = api(roles[persona]).post(URL, return_body(sibling_grid), format="json")
    assert response.status_code == 201
    inspection = Inspection.objects.get()
    assert inspection.on_behalf and inspection.filed_by == roles[persona]


def test_file_type_errors_are_400_by_field(api, grid_worker):
    body = {"grid": 999999, "kind": "weekly", "period": "2025-03", "disputes_found": -1, "zero_report": "maybe"}
    response = api(grid_worker).post(URL, body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"grid", "kind", "disputes_found", "zero_report"}
    assert not Inspection.objects.exists()


@pytest.mark.parametrize("period", ["2025-3", "2025-02-30", "tomorrow", "9999-12"])
def test_file_bad_period_is_400(api, grid_worker, grid, period):
    response = api(grid_worker).post(URL, return_body(grid, period=period), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["period"]
    assert not Inspection.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"disputes_found": 0, "cases_registered": 0}, "zero_report"),  # nothing found must be said
        ({"zero_report": True}, "zero_report"),
        ({"cases_registered": 3}, "cases_registered"),
        ({"period": "2999-01"}, "period"),
        ({"kind": "daily", "period": "2025-03-05"}, "period"),  # not a sensitive day
    ],
)
def test_file_rule_errors_from_the_service_are_400(api, grid_worker, grid, changes, field):
    response = api(grid_worker).post(URL, return_body(grid, **changes), format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Inspection.objects.exists()


def test_file_twice_for_one_period_is_400_and_keeps_the_first(api, grid_worker, grid):
    client = api(grid_worker)
    assert client.post(URL, return_body(grid), format="json").status_code == 201
    response = client.post(URL, return_body(grid, period="2025-03-20", disputes_found=5), format="json")
    assert response.status_code == 400
    assert response.json() == {"period": ["该网格本期的排查记录已填报。"]}
    assert Inspection.objects.get().disputes_found == 2


def test_file_without_credentials_is_401(api, grid):
    assert api().post(URL, return_body(grid), format="json").status_code == 401
    assert not Inspection.objects.exists()
