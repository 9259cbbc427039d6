"""Personas for every role, over one small territory: two communities, three grids."""

import pytest
from django.db import connection, transaction
from django.test import override_settings
from pytest_django.plugin import blocking_manager_key

from grids.enums import Role
from reports.demo import DemoSeeder
from tests.factories import CommunityFactory, GridFactory, MediatorFactory, SubdistrictFactory, UserFactory
from tests.workflow import drive


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Let a transactional test's closing flush TRUNCATE the append-only audit table.

    On PostgreSQL a trigger refuses TRUNCATE of casework_caseevent (migration 0004); in
    `session_replication_role = replica` ordinary triggers do not fire, for this session only,
    and only around the flush that pytest-django runs while tearing the test down.
    """
    marker = item.get_closest_marker("django_db")
    flushes = (marker is not None and marker.kwargs.get("transaction")) or "transactional_db" in getattr(
        item, "fixturenames", ()
    )
    if not flushes or connection.vendor != "postgresql":
        return (yield)
    blocker = item.config.stash[blocking_manager_key]
    with blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        return (yield)
    finally:
        # After the session's last test the test database is gone and the connection closed;
        # a new connection starts with the default role anyway.
        if connection.connection is not None:
            with blocker.unblock(), connection.cursor() as cursor:
                cursor.execute("RESET session_replication_role")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2 costs ~0.5 s a user on a shared 2-core machine; the tests are not about hashing.
    settings.PASSWORD_HASHERS = FAST_HASHERS


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
    """`case_at(state, **kw)`: a community-level case led by `mediator` with `co_mediator`, in `state`."""

    def make(state, **kwargs):
        return drive(state, centre=centre, lead=mediator, co=co_mediator, grid=grid, **kwargs)

    return make
