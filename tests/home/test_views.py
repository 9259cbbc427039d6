import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from casework.enums import CaseStatus, Risk
from grids.enums import Role
from tests.factories import UserFactory, register

HOME = reverse("home")


def text(response):
    return response.content.decode()


def test_centre_staff_land_on_the_dashboard_with_actions(client, centre):
    client.force_login(centre)
    response = client.get(HOME)
    assert response.status_code == 200
    assert "综治中心工作台" in text(response)
    assert reverse("casework:intake") in text(response)


def test_leader_lands_on_the_dashboard_read_only(client, leader, walk):
    walk(CaseStatus.REPORTED)
    client.force_login(leader)
    response = client.get(HOME)
    assert response.status_code == 200
    assert response.context["read_only"] is True
    assert reverse("casework:intake") not in text(response)


def test_community_staff_land_on_their_communitys_work(client, community_staff, centre, grid, other_grid, walk):
    ours = register(centre, grid, risk=Risk.MAJOR)
    theirs = register(centre, other_grid, risk=Risk.MAJOR)
    walk(CaseStatus.ACCEPTED)
    client.force_login(community_staff)
    response = client.get(HOME)
    assert response.status_code == 200
    body = text(response)
    assert "火神庙社区工作台" in body
    assert ours.number in body and theirs.number not in body
    figures = response.context["figures"]
    assert (figures["reported"], figures["unassigned"], figures["warning"]) == (1, 1, 1)
    assert reverse("casework:intake") in body


def test_grid_worker_lands_on_their_grids_cases_with_register(client, grid_worker, centre, grid, other_grid):
    mine = register(centre, grid)
    other = register(centre, other_grid)
    client.force_login(grid_worker)
    response = client.get(HOME)
    body = text(response)
    assert mine.number in body and other.number not in body
    assert reverse("casework:intake") in body


def test_administrator_goes_to_the_admin(client, administrator):
    client.force_login(administrator)
    assert client.get(HOME)["Location"] == reverse("admin:index")


def test_user_without_a_role_is_told_so(client, subdistrict):
    client.force_login(UserFactory(roles=[]))
    response = client.get(HOME)
    assert response.status_code == 403
    assert "未分配角色" in text(response)


def test_mediator_sees_own_cases_by_deadline_with_what_each_needs_next(client, mediator, other_mediator, walk):
    early = walk(CaseStatus.ASSIGNED, at=timezone.now() - dt.timedelta(days=40))
    late = walk(CaseStatus.MEDIATING)
    agreed = walk(CaseStatus.AGREED)
    walk(CaseStatus.CLOSED)
    client.force_login(mediator.user)
    response = client.get(HOME)
    rows = response.context["rows"]
    # The follow-up is due in 15 working days, the conclusions in 30; equal deadlines go by registration.
    assert [c.pk for c in rows] == [agreed.pk, early.pk, late.pk]
    assert [c.next_step for c in rows] == ["回访", "开始调解", "记录调解情况或调解结果"]
    client.force_login(other_mediator.user)
    assert list(client.get(HOME).context["rows"]) == []


def test_dashboard_figures_count_and_link_to_the_cases_behind_them(client, centre, grid, walk):
    walk(CaseStatus.CLOSED)
    walk(CaseStatus.FAILED)
    walk(CaseStatus.ACCEPTED)
    register(centre, grid, risk=Risk.MAJOR)
    register(centre, grid, at=dt.datetime(2024, 1, 2, 9, tzinfo=dt.UTC))
    client.force_login(centre)
    response = client.get(HOME)
    figures = response.context["figures"]
    states = {s["status"]: s["count"] for s in figures["states"]}
    assert states[CaseStatus.REPORTED] == 2 and states[CaseStatus.CLOSED] == 1 and states[CaseStatus.FAILED] == 1
    assert (figures["open"], figures["unassigned"], figures["overdue"], figures["warning"]) == (4, 1, 1, 1)
    assert (figures["cumulative"].agreed, figures["cumulative"].concluded) == (1, 2)
    assert (figures["month"].agreed, figures["month"].concluded) == (1, 2)
    body = text(response)
    assert "50.0%" in body
    for url in (*figures["urls"].values(), *figures["cumulative_urls"].values(), *figures["month_urls"].values()):
        assert url.replace("&", "&amp;") in body


def test_dashboard_links_lead_to_exactly_the_counted_cases(client, centre, grid, walk):
    closed = walk(CaseStatus.CLOSED)
    failed = walk(CaseStatus.FAILED)
    walk(CaseStatus.MEDIATING)
    client.force_login(centre)
    figures = client.get(HOME).context["figures"]
    concluded = client.get(figures["cumulative_urls"]["concluded"]).context["rows"]
    agreed = client.get(figures["cumulative_urls"]["agreed"]).context["rows"]
    month = client.get(figures["month_urls"]["concluded"]).context["rows"]
    assert {c.pk for c in concluded} == {closed.pk, failed.pk} == {c.pk for c in month}
    assert [c.pk for c in agreed] == [closed.pk]


def test_dashboard_is_scoped_to_the_users_subdistrict(client, walk):
    walk(CaseStatus.REPORTED)
    from tests.factories import SubdistrictFactory

    elsewhere = UserFactory(roles=[Role.CENTRE_STAFF], subdistrict=SubdistrictFactory(code="XYZ", name="别处街道"))
    client.force_login(elsewhere)
    figures = client.get(HOME).context["figures"]
    assert sum(s["count"] for s in figures["states"]) == 0


@pytest.mark.parametrize("persona", ["centre", "leader", "mediator", "gridworker", "community"])
def test_home_query_count_is_the_same_for_1_and_50_cases(client, roles, walk, persona, django_assert_max_num_queries):
    walk(CaseStatus.MEDIATING, at=timezone.now() - dt.timedelta(days=60))
    client.force_login(roles[persona])
    with django_assert_max_num_queries(8):
        assert client.get(HOME).status_code == 200
    for i in range(49):
        walk(CaseStatus.MEDIATING if i % 2 else CaseStatus.AGREED, at=timezone.now() - dt.timedelta(days=60))
    with django_assert_max_num_queries(8):
        response = client.get(HOME)
    assert response.status_code == 200


def test_dashboard_rate_reads_with_its_count_in_english(client, centre, walk):
    walk(CaseStatus.CLOSED)
    walk(CaseStatus.FAILED)
    client.force_login(centre)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = text(client.get(HOME))
    assert "Cumulative success rate" in body
    assert "50.0%" in body
    client.force_login(centre)
    mediators = text(client.get(reverse("mediation:mediators")))
    assert "50.0%, 1 of 2" in mediators


def test_a_perfect_rate_over_many_cases_is_called_out(client, centre, walk):
    for _ in range(10):
        walk(CaseStatus.AGREED)
    client.force_login(centre)
    assert "累计成功率为100%" in text(client.get(HOME))
    assert "请核实是否漏记调解不成" in text(client.get(reverse("mediation:mediators")))


def test_a_perfect_rate_over_few_cases_is_not_called_out(client, centre, walk):
    walk(CaseStatus.AGREED)
    client.force_login(centre)
    assert "累计成功率为100%" not in text(client.get(HOME))
