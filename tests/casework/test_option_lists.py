"""The queue's reference-data options are kept in each process and never go stale: any write of a
category, community, grid or mediator (the admin's save included) shows on the next page."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework.models import Category
from common import options
from tests.factories import CommunityFactory, GridFactory, MediatorFactory, SubdistrictFactory

QUEUE = reverse("casework:queue")


def offered(client, field: str) -> dict[str, str]:
    """The options of one <select> of the queue's filter form, value → label."""
    response = client.get(QUEUE)
    assert response.status_code == 200, response
    html = response.content.decode()
    select = re.search(rf'<select [^>]*name="{field}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select))


@pytest.fixture
def category(db):
    return Category.objects.create(code="test-neighbours", name="测试邻里纠纷")


def test_an_admin_save_shows_in_the_next_page(client, centre, administrator, category, grid):
    client.force_login(centre)
    assert offered(client, "category")[str(category.pk)] == "测试邻里纠纷"
    client.force_login(administrator)
    change = reverse("admin:casework_category_change", args=[category.pk])
    data = {"code": "test-neighbours", "name": "测试相邻关系纠纷", "active": "on", "sort_order": "0"}
    assert client.post(change, data).status_code == 302
    client.force_login(centre)
    assert offered(client, "category")[str(category.pk)] == "测试相邻关系纠纷"


def test_new_renamed_and_deleted_rows_show_at_once(client, centre, subdistrict, community, grid):
    client.force_login(centre)
    assert offered(client, "grid") == {"": "全部", str(grid.pk): grid.name}
    extra = GridFactory(community=community, name="新设网格")
    assert offered(client, "grid")[str(extra.pk)] == "新设网格"
    grid.name = "改名网格"
    grid.save()
    assert offered(client, "grid")[str(grid.pk)] == "改名网格"
    extra.delete()
    assert str(extra.pk) not in offered(client, "grid")
    elsewhere = CommunityFactory(subdistrict=SubdistrictFactory(code="QTJ", name="其他街道"), name="新社区")
    added = CommunityFactory(subdistrict=subdistrict, name="本街道新社区")
    communities = offered(client, "community")
    assert communities[str(added.pk)] == "本街道新社区" and str(elsewhere.pk) not in communities


def test_a_mediator_leaving_the_roster_leaves_the_dropdown(client, centre, mediator):
    client.force_login(centre)
    assert str(mediator.pk) in offered(client, "mediator")
    mediator.active = False
    mediator.save()
    assert str(mediator.pk) not in offered(client, "mediator")
    newcomer = MediatorFactory(name="新调解员")
    assert offered(client, "mediator")[str(newcomer.pk)] == "新调解员"


def test_every_write_replaces_the_shared_version(db, community):
    before = options.current_version()
    GridFactory(community=community)
    assert options.current_version() != before


def test_the_lists_cost_no_query_while_the_version_holds(client, centre, grid, mediator, category):
    client.force_login(centre)
    client.get(QUEUE)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"{QUEUE}?grid={grid.pk}&mediator={mediator.pk}&category={category.pk}").status_code == 200
    reference = [
        q["sql"]
        for q in queries.captured_queries
        if re.search(r'FROM "(grids_grid|grids_community|casework_category|mediation_mediator)"', q["sql"])
    ]
    assert reference == []


def test_a_choice_outside_the_lists_is_refused_with_a_message(client, centre, grid, other_grid):
    client.force_login(centre)
    body = client.get(f"{QUEUE}?grid=999999").content.decode()
    assert "网格：" in body and "alert-error" in body
