"""The dashboards' figures are kept in the shared cache between requests, and never shown stale: any
change of a case (through the services or a ledger import's deferred writes), of the reference data
(a mediator's kind changed in the admin), of the calendar or of a user's grids is counted on the
very next request. And a case's write never fails for the cache."""

import datetime as dt

import pytest
import redis
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework import services as case_services
from casework import writes
from casework.calendar import CalendarSheet, load_sheet
from casework.enums import CalendarDayKind, CaseStatus, Level
from casework.models import CalendarDay
from casework.versions import ANY_KEY, scope_version_keys
from common import options
from grids.enums import Role
from mediation.enums import MediatorKind
from tests.factories import CommunityFactory, GridFactory, SubdistrictFactory, UserFactory, register

HOME = reverse("home")


def figures(client):
    return client.get(HOME).context["figures"]


def test_a_kept_dashboard_costs_only_the_signed_in_users_query(client, centre, walk):
    walk(CaseStatus.REPORTED)
    client.force_login(centre)
    first = client.get(HOME)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(HOME)
    assert again.context["figures"] == first.context["figures"]
    assert [row.number for row in again.context["rows"]] == [row.number for row in first.context["rows"]]
    # The user (with the unread count), and the session when it is not in the cache.
    assert len(queries.captured_queries) <= 2
    assert not [q for q in queries.captured_queries if "casework_disputecase" in q["sql"]]


def test_a_transition_changes_the_dashboard_at_once(client, centre, community_staff, walk):
    case = walk(CaseStatus.REPORTED)
    client.force_login(community_staff)
    assert figures(client)["reported"] == 1
    client.force_login(centre)
    before = figures(client)
    assert (before["reported"], before["unassigned"]) == (1, 0)
    case_services.case_accept(case, actor=centre, level=Level.SUBDISTRICT)
    after = figures(client)
    assert (after["reported"], after["unassigned"]) == (0, 1)
    client.force_login(community_staff)
    assert (figures(client)["reported"], figures(client)["unassigned"]) == (0, 1)
    client.force_login(centre)
    case_services.case_withdraw(case, actor=centre, reason="当事人撤回")
    assert figures(client)["open"] == 0


def test_the_versions_are_replaced_again_when_the_change_commits(centre, walk, django_capture_on_commit_callbacks):
    case = walk(CaseStatus.REPORTED)
    keys = [ANY_KEY, *scope_version_keys(f"s{case.subdistrict_id}-c{case.community_id}")[1:]]
    before = options.current_versions(*keys)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case_services.case_accept(case, actor=centre, level=Level.SUBDISTRICT)
    # At once, for this connection's own next read; and again at the commit, for a reader that
    # counted the uncommitted rows' predecessors meanwhile.
    written = options.current_versions(*keys)
    assert all(new != old for new, old in zip(written, before, strict=True))
    assert callbacks
    for callback in callbacks:
        callback()
    assert all(new != old for new, old in zip(options.current_versions(*keys), written, strict=True))


def test_a_change_in_another_subdistrict_leaves_the_kept_counts_be(client, centre, walk):
    walk(CaseStatus.REPORTED)
    elsewhere = SubdistrictFactory(code="XYZ", name="别处街道")
    their_centre = UserFactory(roles=[Role.CENTRE_STAFF], subdistrict=elsewhere)
    their_grid = GridFactory(community=CommunityFactory(subdistrict=elsewhere, name="别处社区"))
    client.force_login(centre)
    assert figures(client)["reported"] == 1
    register(their_centre, their_grid)
    with CaptureQueriesContext(connection) as queries:
        assert figures(client)["reported"] == 1
    # Only the calendar check, over all cases, is read again (the running deadlines' span).
    reading_cases = [q["sql"] for q in queries.captured_queries if "casework_disputecase" in q["sql"]]
    assert len(reading_cases) == 1 and "MAX" in reading_cases[0]
    client.force_login(their_centre)
    assert figures(client)["reported"] == 1


def test_cases_written_by_deferred_writes_are_counted_at_once(client, centre, grid, walk):
    walk(CaseStatus.REPORTED)
    client.force_login(centre)
    assert figures(client)["reported"] == 1
    with writes.deferred_writes():
        register(centre, grid)
        register(centre, grid)
    assert figures(client)["reported"] == 3


def test_a_mediators_kind_changed_in_the_admin_changes_the_third_party_rate_at_once(client, centre, mediator, walk):
    walk(CaseStatus.CLOSED)
    client.force_login(centre)
    assert figures(client)["third_party"].concluded == 1
    mediator.kind = MediatorKind.PEOPLES_MEDIATOR
    mediator.save()
    assert figures(client)["third_party"].concluded == 0


def test_a_calendar_loaded_from_a_sheet_clears_the_dashboards_warning_at_once(client, centre, settings):
    # The year a case registered today could have its deadline in, emptied of its calendar.
    year = (timezone.localdate() + dt.timedelta(days=settings.FENGQIAO_CALENDAR_LOOKAHEAD_DAYS)).year
    CalendarDay.objects.filter(date__year=year).delete()
    client.force_login(centre)
    assert year in [gap.year for gap in client.get(HOME).context["calendar_gaps"]]
    weekdays = [dt.date(year, 1, 1) + dt.timedelta(days=n) for n in range(60)]
    load_sheet(sheet_of(year, [day for day in weekdays if day.weekday() < 5][:25]))
    assert year not in [gap.year for gap in client.get(HOME).context["calendar_gaps"]]


def sheet_of(year, holidays):
    return CalendarSheet(year=year, rows=[(day, CalendarDayKind.HOLIDAY, "测试") for day in holidays])


def test_a_flushed_cache_counts_afresh(client, centre, walk):
    walk(CaseStatus.REPORTED)
    client.force_login(centre)
    assert figures(client)["reported"] == 1
    cache.clear()  # the versions with it
    client.force_login(centre)
    assert figures(client)["reported"] == 1
    walk(CaseStatus.REPORTED)
    assert figures(client)["reported"] == 2


def test_the_kept_counts_are_those_of_the_database_they_were_counted_in(client, centre, walk):
    """One cache may serve two databases (the bench's loads): the counts of one are not the other's."""
    walk(CaseStatus.REPORTED)
    client.force_login(centre)
    figures(client)
    name = connection.settings_dict["NAME"]
    try:
        connection.settings_dict["NAME"] = f"{name}_elsewhere"
        with CaptureQueriesContext(connection) as queries:
            figures(client)
    finally:
        connection.settings_dict["NAME"] = name
    assert len([q for q in queries.captured_queries if "casework_disputecase" in q["sql"]]) >= 5


def test_a_transition_is_written_with_the_cache_unreachable(centre, walk):
    case = walk(CaseStatus.REPORTED)
    # A real Redis client pointed at a port nothing listens on: every cache call is refused.
    unreachable = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:9/0"}
    with override_settings(CACHES={"default": unreachable}):
        with pytest.raises(redis.exceptions.ConnectionError):
            cache.get("anything")
        case_services.case_accept(case, actor=centre, level=Level.SUBDISTRICT)
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED


def test_a_users_grids_changed_shows_at_once(client, centre, community_staff, other_grid):
    community_staff.roles = [*community_staff.roles, Role.GRID_WORKER]
    community_staff.save(update_fields=["roles"])
    register(centre, other_grid)
    client.force_login(community_staff)
    assert figures(client)["reported"] == 0
    community_staff.grids.add(other_grid)
    assert figures(client)["reported"] == 1
    community_staff.grids.remove(other_grid)
    assert figures(client)["reported"] == 0
