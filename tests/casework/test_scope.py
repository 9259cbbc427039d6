"""`cases_visible_to`, the one visibility scope: each role sees exactly its cases, on personas and
on the Baihuazhou demo, and `permissions.can_view_case` agrees with it for every (user, case)."""

import pytest
from django.contrib.auth.models import AnonymousUser

from casework.enums import CaseStatus, Level
from casework.models import DisputeCase
from casework.permissions import can_view_case
from casework.selectors import cases_visible_to
from casework.services import case_escalate
from grids.enums import Role
from grids.models import User
from mediation import services as mediation_services
from tests.factories import MediatorFactory, SubdistrictFactory, UserFactory, register
from tests.workflow import drive

S = CaseStatus


@pytest.fixture
def cases(centre, grid, sibling_grid, other_grid, mediator, co_mediator, other_mediator):
    """One case per grid; the grid's case led by `mediator` with `co_mediator`, another led by `other_mediator`."""
    return {
        "grid": drive(S.ASSIGNED, centre=centre, lead=mediator, co=co_mediator, grid=grid, level=Level.COMMUNITY),
        "sibling": register(centre, sibling_grid),
        "other": drive(
            S.ASSIGNED, centre=centre, lead=other_mediator, co=None, grid=other_grid, level=Level.SUBDISTRICT
        ),
    }


def visible(user) -> set[str]:
    return set(cases_visible_to(user).values_list("number", flat=True))


def numbers(cases, *keys) -> set[str]:
    return {cases[key].number for key in keys}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("centre", ("grid", "sibling", "other")),
        ("leader", ("grid", "sibling", "other")),
        ("community", ("grid", "sibling")),
        ("other_community", ("other",)),
        ("gridworker", ("grid",)),
        ("lead", ("grid",)),
        ("co", ("grid",)),
        ("unrelated_mediator", ("other",)),  # other_mediator leads the other community's case
        ("admin", ()),
    ],
)
def test_cases_visible_to_role(role, expected, cast, cases):
    user = cast[role]
    assert visible(user) == numbers(cases, *expected)
    for case in DisputeCase.objects.all():
        assert can_view_case(user, case) == (case.number in numbers(cases, *expected))


def test_cases_visible_to_nobody_signed_out(cases):
    assert not cases_visible_to(AnonymousUser()).exists()
    assert not cases_visible_to(None).exists()


def test_cases_visible_to_inactive_user_none(centre, cases):
    centre.is_active = False
    centre.save(update_fields=["is_active"])
    assert not cases_visible_to(centre).exists()
    assert not any(can_view_case(centre, case) for case in DisputeCase.objects.all())


def test_cases_visible_to_centre_of_another_subdistrict_none(cases):
    elsewhere = SubdistrictFactory(code="DHL", name="豫章街道")
    stranger = UserFactory(roles=[Role.CENTRE_STAFF, Role.LEADER], subdistrict=elsewhere)
    assert not cases_visible_to(stranger).exists()
    assert not any(can_view_case(stranger, case) for case in DisputeCase.objects.all())


def test_cases_visible_to_several_roles_is_the_union_without_duplicates(grid_worker, mediator, other_grid, cases):
    # A grid worker of one grid who also mediates in the other community.
    grid_worker.roles = [Role.GRID_WORKER, Role.MEDIATOR]
    grid_worker.save(update_fields=["roles"])
    MediatorFactory(user=grid_worker)
    mediation_services.case_reassign(
        DisputeCase.objects.get(pk=cases["other"].pk),
        actor=User.objects.get(username="centre"),
        mediator=grid_worker.mediator,
        reason="就近调解",
    )
    rows = list(cases_visible_to(grid_worker).values_list("number", flat=True))
    assert sorted(rows) == sorted(numbers(cases, "grid", "other"))


def test_cases_visible_to_role_without_its_scope_none(subdistrict, cases):
    # A community-staff role with no community, a grid worker with no grid: nothing, not everything.
    loose = UserFactory(roles=[Role.COMMUNITY_STAFF, Role.GRID_WORKER], subdistrict=subdistrict)
    assert not cases_visible_to(loose).exists()


def test_released_mediator_loses_sight_of_escalated_case(mediator, co_mediator, community_staff, cases):
    case_escalate(DisputeCase.objects.get(pk=cases["grid"].pk), actor=community_staff, reason="上报街道")
    assert visible(mediator.user) == set()
    assert visible(co_mediator.user) == set()


# The demo

DEMO_USERS = ["centre", "leader", "community", "gridworker", "mediator", "mediator2", "admin", "district"]


@pytest.fixture
def demo_cases(demo, db):
    """Baihuazhou's cases (the neighbouring subdistrict's are its own centre's, and the district's)."""
    return list(
        DisputeCase.objects.filter(subdistrict__code="BHZ")
        .select_related("community", "lead_mediator")
        .prefetch_related("co_mediators")
        .order_by("pk")
    )


def demo_user(username) -> User:
    return User.objects.get(username=username)


def test_demo_centre_and_leader_see_all_100(demo_cases):
    assert len(demo_cases) == 100
    for username in ("centre", "leader"):
        assert cases_visible_to(demo_user(username)).count() == 100
    # The district's centre reads both subdistricts': Baihuazhou's 100 and the neighbour's.
    neighbours = DisputeCase.objects.filter(subdistrict__code="YZJ")
    assert 0 < neighbours.count() < 100
    assert cases_visible_to(demo_user("district")).count() == 100 + neighbours.count()


def test_demo_community_sees_exactly_huoshenmiao(demo_cases):
    expected = {c.pk for c in demo_cases if c.community.name == "火神庙社区"}
    assert 0 < len(expected) < 100
    assert set(cases_visible_to(demo_user("community")).values_list("pk", flat=True)) == expected


def test_demo_gridworker_sees_exactly_his_grids(demo_cases):
    user = demo_user("gridworker")
    grids = set(user.grids.values_list("pk", flat=True))
    expected = {c.pk for c in demo_cases if c.grid_id in grids}
    assert grids and expected
    assert set(cases_visible_to(user).values_list("pk", flat=True)) == expected


@pytest.mark.parametrize("username", ["mediator", "mediator2"])
def test_demo_mediator_sees_exactly_cases_he_mediates(username, demo_cases):
    user = demo_user(username)
    expected = {
        c.pk
        for c in demo_cases
        if (c.lead_mediator and c.lead_mediator.user_id == user.pk)
        or any(m.user_id == user.pk for m in c.co_mediators.all())
    }
    assert expected
    assert set(cases_visible_to(user).values_list("pk", flat=True)) == expected


def test_demo_admin_sees_none(demo_cases):
    assert not cases_visible_to(demo_user("admin")).exists()


def test_demo_can_view_case_agrees_with_scope_for_every_pair(demo_cases):
    # Over both subdistricts' cases: the district's reader sees the neighbour's too, no one else does.
    cases = list(DisputeCase.objects.select_related("lead_mediator").prefetch_related("co_mediators"))
    assert len(cases) > len(demo_cases)
    for username in DEMO_USERS:
        user = demo_user(username)
        scope = set(cases_visible_to(user).values_list("pk", flat=True))
        assert {c.pk for c in cases if can_view_case(user, c)} == scope, username


@pytest.mark.parametrize("username", DEMO_USERS)
def test_demo_scope_list_costs_constant_queries(username, demo, db, django_assert_max_num_queries):
    user = demo_user(username)
    with django_assert_max_num_queries(1):
        list(cases_visible_to(user).select_related("community", "grid", "category", "lead_mediator"))
