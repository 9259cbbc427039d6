"""民情地图 and 驾驶舱 in a real headless Chromium: the demo's grids drawn by ECharts from their own
boundaries, a hover showing a grid's figures, a click through to that grid's cases in the queue; the
cockpit at 1920×1080 with its tiles, its map and a click through. Screenshots go to test-artifacts/
(map.png at 1366 px, cockpit.png at 1920×1080)."""

import pytest
from django.db import connections

from casework.models import DisputeCase
from demo.seed import DemoSeeder
from grids.models import Grid
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.factories import PASSWORD


def shot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def click_grid(page, grid):
    """Where the grid's centre is on screen, found from its own polygon through ECharts' projection."""
    page.wait_for_selector("#grid-map[data-ready=true]")
    ring = grid.boundary["coordinates"][0]
    lon = sum(p[0] for p in ring[:-1]) / (len(ring) - 1)
    lat = sum(p[1] for p in ring[:-1]) / (len(ring) - 1)
    x, y = page.evaluate(
        """([lon, lat]) => echarts.getInstanceByDom(document.getElementById('grid-map'))
             .convertToPixel({seriesIndex: 0}, [lon, lat])""",
        [lon, lat],
    )
    box = page.locator("#grid-map").bounding_box()
    return box["x"] + x, box["y"] + y


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_map_and_the_cockpit_draw_the_grids_and_click_through_to_their_cases(browser_page, live_server):
    try:
        DemoSeeder(password=PASSWORD, progress=lambda message: None).run()
        grid = Grid.objects.get(code="hsm-01")
        open_cases = DisputeCase.objects.filter(grid=grid, concluded_at__isnull=True).values_list("number", flat=True)
        page = browser_page
        sign_in(page, live_server.url, "centre")
        page.goto(f"{live_server.url}/analysis/map/?measure=open")
        x, y = click_grid(page, grid)
        page.mouse.move(x, y)
        tooltip = page.locator("text=火神庙社区 · 火神庙第1网格")
        tooltip.wait_for()
        shot(page, "map")
        page.mouse.click(x, y)
        page.wait_for_url(f"**/cases/?grid={grid.pk}*")
        html = page.content()
        assert open_cases and all(number in html for number in open_cases)

        # The cockpit on the wall: tiles, the map, and the same click through.
        page.set_viewport_size({"width": 1920, "height": 1080})
        page.goto(f"{live_server.url}/analysis/cockpit/")
        x, y = click_grid(page, grid)
        assert page.locator(".tile .t", has_text="逾期").is_visible()
        shot(page, "cockpit")
        page.mouse.click(x, y)
        page.wait_for_url(f"**/cases/?grid={grid.pk}*")
    finally:
        connections.close_all()
