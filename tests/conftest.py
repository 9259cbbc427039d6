"""Personas for every role, over one small territory: two communities, three grids."""

import pytest

from grids.enums import Role
from tests.factories import (
    CommunityFactory,
    GridFactory,
    MediatorFactory,
    SubdistrictFactory,
    UserFactory,
    case_in_state,
)


@pytest.fixture
def subdistrict(db):
    return SubdistrictFactory()


@pytest.fixture
def community(subdistrict):
    return CommunityFactory(subdistrict=subdistrict, name="火神庙社区")


@pytest.fixture
def other_community(subdistrict):
    return CommunityFactory(subdistrict=subdistrict, name="状元桥社区")


@pytest.fixture
def grid(community):
    return GridFactory(community=community)


@pytest.fixture
def sibling_grid(community):
    """Same community, another grid: the community staff see it, the grid worker does not."""
    return GridFactory(community=community)


@pytest.fixture
def other_grid(other_community):
    return GridFactory(community=other_community)


@pytest.fixture
def centre(subdistrict):
    return UserFactory(username="centre", roles=[Role.CENTRE_STAFF], subdistrict=subdistrict)


@pytest.fixture
def leader(subdistrict):
    return UserFactory(username="leader", roles=[Role.LEADER], subdistrict=subdistrict)


@pytest.fixture
def community_staff(subdistrict, community):
    return UserFactory(username="community", roles=[Role.COMMUNITY_STAFF], community=community)


@pytest.fixture
def grid_worker(subdistrict, grid):
    return UserFactory(username="gridworker", roles=[Role.GRID_WORKER], grids=[grid])


@pytest.fixture
def administrator(subdistrict):
    return UserFactory(username="admin", roles=[Role.ADMINISTRATOR], is_staff=True, is_superuser=True)


@pytest.fixture
def mediator(db):
    return MediatorFactory(user__username="mediator")


@pytest.fixture
def other_mediator(db):
    return MediatorFactory(user__username="mediator2")


@pytest.fixture
def roles(centre, leader, community_staff, grid_worker, administrator, mediator, other_mediator):
    """Every persona by role key, for tests that sweep all roles."""
    return {
        "centre": centre,
        "leader": leader,
        "community": community_staff,
        "gridworker": grid_worker,
        "admin": administrator,
        "mediator": mediator.user,
        "mediator2": other_mediator.user,
    }


@pytest.fixture
def walk(centre, mediator, grid):
    """`walk(state)`: a case in the persona's grid, driven by centre staff and `mediator` to `state`."""

    def make(state, **kwargs):
        return case_in_state(state, centre=centre, mediator=mediator, grid=grid, **kwargs)

    return make
