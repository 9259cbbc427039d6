"""Personas for every role, over one small territory: two communities, three grids."""

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings

from casework.enums import Level
from casework.versions import EPOCH_KEY
from common import options
from demo.seed import DemoSeeder
from grids.enums import Role
from tests.factories import (
    CommunityFactory,
    DistrictFactory,
    GridFactory,
    MediatorFactory,
    SubdistrictFactory,
    UserFactory,
)
from tests.workflow import drive


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2 costs ~0.5 s a user on a shared 2-core machine; the tests are not about hashing.
    settings.PASSWORD_HASHERS = FAST_HASHERS


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def empty_cache():
    """The test database is made anew each run and its ids start again: a cache kept from the last run
    (Redis outlives the test database) would answer for rows that are not the ones it counted."""
    cache.clear()


@pytest.fixture(autouse=True)
def fresh_option_lists():
    """A test's rows are rolled back without a signal: the next test must not be offered them, nor
    be shown figures counted over them."""
    yield
    options.bump()
    options.bump(EPOCH_KEY)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The Baihuazhou demo, seeded once per module inside a transaction rolled back at its end.

    Each test still runs in its own savepoint (the `db` fixture), so tests cannot leak into
    each other; the returned dict is what the seeder created.
    """
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield DemoSeeder(progress=lambda message: None).run()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


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
def district(subdistrict):
    """东湖区, holding `subdistrict` (which may then refer cases up to it)."""
    district = DistrictFactory()
    subdistrict.district = district
    subdistrict.save(update_fields=["district"])
    return district


@pytest.fixture
def district_staff(district):
    return UserFactory(username="district", roles=[Role.DISTRICT_STAFF], district=district)


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
def other_community_staff(subdistrict, other_community):
    return UserFactory(username="community2", roles=[Role.COMMUNITY_STAFF], community=other_community)


@pytest.fixture
def co_mediator(db):
    return MediatorFactory(user__username="comediator")


@pytest.fixture
def spare_mediator(db):
    """A mediator to reassign to: no part in any case yet."""
    return MediatorFactory(user__username="spare")


@pytest.fixture
def cast(roles, other_community_staff, co_mediator):
    """Every role the transition table distinguishes, by key: the personas of `roles`, staff of
    another community, and the mediators as the case sees them (`lead`, `co`, an unrelated one)."""
    personas = {key: user for key, user in roles.items() if key not in ("mediator", "mediator2")}
    return {
        **personas,
        "other_community": other_community_staff,
        "lead": roles["mediator"],
        "co": co_mediator.user,
        "unrelated_mediator": roles["mediator2"],
    }


@pytest.fixture
def case_at(centre, mediator, co_mediator, grid):
    """`case_at(state, **kw)`: a community-level case led by `mediator` with `co_mediator`, in `state`
    (`agreed` with its follow-up)."""

    def make(state, level=Level.COMMUNITY, follow_up=True, **kwargs):
        return drive(
            state, centre=centre, lead=mediator, co=co_mediator, grid=grid, level=level, follow_up=follow_up, **kwargs
        )

    return make


@pytest.fixture
def walk(centre, mediator, grid):
    """`walk(state)`: a subdistrict-level case in the persona's grid, driven by centre staff and
    `mediator` to `state`."""

    def make(state, **kwargs):
        return drive(state, centre=centre, lead=mediator, grid=grid, **kwargs)

    return make


def pytest_collection_modifyitems(items):
    """A transactional test flushes the tables when it ends. Without serialized_rollback that flush
    re-creates the content types and permissions, and the next test that restores the serialized
    database collides with them (every later transactional test then errors in its setup)."""
    bare = []
    for item in items:
        marker = item.get_closest_marker("django_db")
        kwargs = marker.kwargs if marker else {}
        transactional = kwargs.get("transaction") or "transactional_db" in item.fixturenames
        serialized = kwargs.get("serialized_rollback") or "django_db_serialized_rollback" in item.fixturenames
        if transactional and not serialized:
            bare.append(item.nodeid)
    if bare:
        raise pytest.UsageError("transactional tests must also set serialized_rollback=True:\n  " + "\n  ".join(bare))
