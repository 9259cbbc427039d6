"""民情地图: the grids drawn from their boundaries, figures per grid, unmapped grids listed, scope."""

import json

import pytest

from grids import services
from tests.factories import register

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[115.90, 28.68], [115.91, 28.68], [115.91, 28.69], [115.90, 28.69], [115.90, 28.68]]],
}


def map_data(response):
    html = response.content.decode()
    start = html.index('<script id="map-data" type="application/json">') + len(
        '<script id="map-data" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


@pytest.fixture
def mapped(centre, grid, sibling_grid, other_grid):
    services.boundary_set(target=grid, boundary=SQUARE, crs="wgs84")
    services.boundary_set(target=other_grid, boundary=SQUARE, crs="wgs84")
    register(centre, grid)
    register(centre, grid)
    register(centre, sibling_grid)


def test_the_map_draws_bounded_grids_and_lists_the_rest(
    mapped, client, centre, grid, sibling_grid, django_assert_max_num_queries
):
    client.force_login(centre)
    with django_assert_max_num_queries(8):
        response = client.get("/analysis/map/?measure=registered")
    data = map_data(response)
    assert {f["properties"]["name"] for f in data["geojson"]["features"]} == {str(r["id"]) for r in data["regions"]}
    regions = {r["id"]: r for r in data["regions"]}
    assert regions[grid.pk]["registered"] == 2 and regions[grid.pk]["open"] == 2
    assert f"grid={grid.pk}" in regions[grid.pk]["drill"] and "registered_after=" in regions[grid.pk]["drill"]
    html = response.content.decode()
    assert "未录入边界的网格" in html and sibling_grid.name in html  # listed beside the map, with its 1 case
    assert "vendor/echarts/echarts.min.js" in html and "js/analysis-map.js" in html


def test_the_community_staff_map_is_their_community(mapped, client, community_staff, grid, other_grid):
    client.force_login(community_staff)
    ids = {r["id"] for r in map_data(client.get("/analysis/map/"))["regions"]}
    assert grid.pk in ids and other_grid.pk not in ids


@pytest.mark.parametrize("query", ["measure=bogus", "month=2999-01"])
def test_a_bad_measure_or_month_answers_404(client, centre, query):
    client.force_login(centre)
    assert client.get(f"/analysis/map/?{query}").status_code == 404
