"""Refusals speak Chinese in the site's layout, say why, and lead home; the log gets one line."""

import datetime as dt
import logging

from django.test import Client, RequestFactory
from django.urls import reverse
from django.views import defaults

from casework.enums import CaseStatus
from grids import services
from grids.models import Inspection
from tests.factories import register


def test_a_refusal_says_why_in_the_site_layout_with_a_link_home(client, grid_worker, caplog):
    client.force_login(grid_worker)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(reverse("mediation:mediators"))
    assert response.status_code == 403
    body = response.content.decode()
    assert "只有综治中心工作人员可以查看调解员和调解组织。" in body
    assert 'class="site-nav"' in body and f'href="{reverse("home")}"' in body and "返回首页" in body
    refusals = [r for r in caplog.records if r.name == "django.request"]
    assert len(refusals) == 1 and refusals[0].exc_info is None
    assert "Forbidden" in refusals[0].getMessage() and "/mediation/mediators/" in refusals[0].getMessage()


def test_a_case_outside_the_scope_is_not_found_and_says_so_without_telling_more(
    client, grid_worker, centre, other_grid, caplog
):
    case = register(centre, other_grid)
    client.force_login(grid_worker)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(reverse("mediation:case", args=[case.pk]))
    assert response.status_code == 404
    body = response.content.decode()
    assert "页面不存在" in body and "不在您的查看范围内" in body and "返回首页" in body
    assert case.number not in body
    assert all(r.exc_info is None for r in caplog.records if r.name == "django.request")


def test_a_refused_action_on_a_case_names_the_action(client, grid_worker, walk):
    case = walk(CaseStatus.REPORTED)
    client.force_login(grid_worker)
    response = client.post(reverse("mediation:transition", args=[case.pk, "accept"]))
    assert response.status_code == 403
    assert "您不能对此案件执行“受理”。" in response.content.decode()


def test_the_server_error_page_renders_without_a_request_context(db):
    response = defaults.server_error(RequestFactory().get("/"))
    body = response.content.decode()
    assert response.status_code == 500
    assert "系统出错" in body and 'href="/"' in body


def test_the_admin_speaks_chinese_and_keeps_returns_read_only(administrator, grid_worker, grid):
    client = Client()
    client.force_login(administrator)
    index = client.get("/admin/").content.decode()
    assert "枫桥矛盾纠纷调处系统 管理" in index
    for app in ("案件", "调解", "报表", "网格与人员", "审计与通知", "台账"):
        assert f">{app}<" in index, app
    users = client.get("/admin/grids/user/").content.decode()
    assert "网格员" in users and "grid_worker" not in users
    assert client.get("/admin/grids/inspection/add/").status_code == 403
    assert client.get("/admin/grids/inspection/").status_code == 200


def test_an_inspection_cannot_be_changed_in_the_admin(administrator, grid_worker, grid):
    services.inspection_file(
        actor=grid_worker,
        grid=grid,
        kind="monthly",
        period=dt.date(2025, 3, 1),
        disputes_found=0,
        cases_registered=0,
        zero_report=True,
    )
    inspection = Inspection.objects.get()
    client = Client()
    client.force_login(administrator)
    page = client.get(f"/admin/grids/inspection/{inspection.pk}/change/")
    assert page.status_code == 200  # shown, read-only
    assert 'name="_save"' not in page.content.decode()
    assert client.post(f"/admin/grids/inspection/{inspection.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Inspection.objects.filter(pk=inspection.pk).exists()


def test_no_english_app_or_model_name_in_the_admin_index(administrator):
    import re

    client = Client()
    client.force_login(administrator)
    index = client.get("/admin/").content.decode()
    captions = re.findall(r"<caption>\s*<a[^>]*>([^<]+)</a>", index)
    models = re.findall(r'<th scope="row"[^>]*>\s*<a[^>]*>([^<]+)</a>', index)
    assert captions and models
    captions += models
    assert [c for c in captions if re.search(r"[A-Za-z]{3,}", c)] == []
