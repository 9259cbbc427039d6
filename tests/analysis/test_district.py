"""District readers on the figures pages (研判, forecast, map, cockpit, 缺报): the whole district
together, or one subdistrict picked; a subdistrict outside the district, or any pick by a reader of
one subdistrict, is 404; read-only (no filing on anyone's behalf)."""

import pytest

from grids import services
from grids.enums import Role
from tests.factories import DistrictFactory, SubdistrictFactory, UserFactory, grid_of, into_district, register

pytestmark = pytest.mark.django_db

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[115.90, 28.68], [115.91, 28.68], [115.91, 28.69], [115.90, 28.69], [115.90, 28.68]]],
}


@pytest.fixture
def district(subdistrict, centre, grid):
    """Two subdistricts of one district, a case in each, and a third subdistrict in another district."""
    district = into_district(subdistrict)
    neighbour = SubdistrictFactory(code="YZJ", name="豫章街道", district=district)
    far = SubdistrictFactory(code="XHJ", name="西湖街道", district=DistrictFactory(code="XHQ", name="西湖区"))
    grids = {
        "own": grid,
        **{key: grid_of(sub, name=f"{sub.name}社区") for key, sub in (("neighbour", neighbour), ("far", far))},
    }
    cases = {"own": register(centre, grid)}
    for key, sub in (("neighbour", neighbour), ("far", far)):
        staff = UserFactory(username=f"centre-{key}", roles=[Role.CENTRE_STAFF], subdistrict=sub)
        cases[key] = register(staff, grids[key])
    for g in grids.values():
        services.boundary_set(target=g, boundary=SQUARE, crs="wgs84")
    staff = UserFactory(username="district", roles=[Role.DISTRICT_STAFF], district=district)
    return {"district": district, "neighbour": neighbour, "far": far, "grids": grids, "cases": cases, "staff": staff}


def test_the_map_shows_the_districts_grids_or_the_picked_subdistricts(
    district, client, subdistrict, django_assert_max_num_queries
):
    client.force_login(district["staff"])
    grids = district["grids"]
    with django_assert_max_num_queries(8):
        page = client.get("/analysis/map/").content.decode()
    assert grids["own"].name in page and grids["neighbour"].name in page and grids["far"].name not in page
    assert 'name="subdistrict"' in page and "豫章街道" in page and "西湖街道" not in page
    page = client.get(f"/analysis/map/?subdistrict={district['neighbour'].pk}").content.decode()
    assert grids["neighbour"].name in page and grids["own"].name not in page
    assert client.get(f"/analysis/map/?subdistrict={district['far'].pk}").status_code == 404


def test_the_judgement_counts_the_district_or_one_subdistrict_and_its_drills_keep_the_pick(
    district, client, django_assert_max_num_queries
):
    client.force_login(district["staff"])
    with django_assert_max_num_queries(8):
        response = client.get("/analysis/")
    communities = {row["label"]: row["current"] for row in _table(response, "community")}
    assert communities.get("豫章街道社区") == 1 and "西湖街道社区" not in communities and sum(communities.values()) == 2
    picked = client.get(f"/analysis/?subdistrict={district['neighbour'].pk}")
    assert {row["label"] for row in _table(picked, "community")} == {"豫章街道社区"}
    drills = [row["drill"]["current"] for row in _table(picked, "category")]
    assert drills and all(f"subdistrict={district['neighbour'].pk}" in link for link in drills)


def _table(response, dimension):
    (section,) = [s for s in response.context["sections"] if s["dimension"] == dimension]
    return section["rows"]


def test_forecast_and_cockpit_are_the_districts(district, client):
    client.force_login(district["staff"])
    assert client.get("/analysis/forecast/").status_code == 200
    assert client.get(f"/analysis/forecast/?subdistrict={district['neighbour'].pk}").status_code == 200
    assert client.get(f"/analysis/forecast/?subdistrict={district['far'].pk}").status_code == 404
    regions = {r["id"] for r in client.get("/analysis/cockpit/").context["map"]["regions"]}
    assert {g.pk for g in district["grids"].values()} - regions == {district["grids"]["far"].pk}
    assert client.get("/analysis/cockpit/panel/").status_code == 200


def test_missing_returns_of_the_district_or_one_subdistrict_read_only(
    district, client, grid, django_assert_max_num_queries
):
    client.force_login(district["staff"])
    with django_assert_max_num_queries(8):
        page = client.get("/reports/inspections/missing/").content.decode()
    grids = district["grids"]
    assert grids["own"].name in page and grids["neighbour"].name in page and grids["far"].name not in page
    assert "代为填报" not in page  # the district reads; it files for no one
    assert "<td>豫章街道</td>" in page  # each grid says its subdistrict when the district's are listed together
    page = client.get(f"/reports/inspections/missing/?subdistrict={district['neighbour'].pk}").content.decode()
    assert grids["neighbour"].name in page and grids["own"].name not in page
    assert client.get(f"/reports/inspections/missing/?subdistrict={district['far'].pk}").status_code == 404


def test_a_subdistrict_reader_neither_picks_nor_sees_a_neighbour(district, client, centre):
    client.force_login(centre)
    page = client.get("/reports/inspections/missing/").content.decode()
    assert district["grids"]["neighbour"].name not in page and 'name="subdistrict"' not in page
    for path in ("/analysis/", "/analysis/map/", "/reports/inspections/missing/"):
        assert client.get(f"{path}?subdistrict={district['neighbour'].pk}").status_code == 404
        assert client.get(f"{path}?subdistrict={centre.subdistrict_id}").status_code == 404
