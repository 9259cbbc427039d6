"""reports.services: report snapshots (immutable, versioned, idempotent) and the schedule's services,
the catch-up included, one report per subdistrict."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from common.models import Notice
from grids.models import SensitivePeriod
from reports import services
from reports.models import Snapshot
from tests.factories import CommunityFactory, GridFactory, SubdistrictFactory, UserFactory, register
from tests.reports.conftest import MARCH, at

pytestmark = pytest.mark.django_db


def local(year, month, day, hour=0, minute=0):
    return timezone.make_aware(dt.datetime(year, month, day, hour, minute))


# Snapshots: immutable, versioned, idempotent


def test_snapshot_does_not_change_when_its_cases_change(world, centre, grid):
    snapshot, created = services.report_generate(kind="monthly", period=MARCH, actor=centre)
    assert created and snapshot.version == 1 and snapshot.figures["totals"]["registered"] == 6
    register(centre, grid, at=at(3, 28))
    snapshot.refresh_from_db()
    assert snapshot.figures["totals"]["registered"] == 6
    newer, created = services.report_generate(kind="monthly", period=MARCH, actor=centre)
    assert created and newer.version == 2 and newer.figures["totals"]["registered"] == 7
    assert newer.reason == "数据已变化，生成新版本" and newer.generated_by == centre


def test_snapshot_cannot_be_edited_or_deleted(world, subdistrict):
    snapshot = services.report_ensure(subdistrict=subdistrict, kind="monthly", period=MARCH)
    snapshot.reason = "篡改"
    with pytest.raises(ValidationError):
        snapshot.save()
    with pytest.raises(ValidationError):
        Snapshot.objects.filter(pk=snapshot.pk).update(reason="篡改")
    with pytest.raises(ValidationError):
        snapshot.delete()
    with pytest.raises(ValidationError):
        Snapshot.objects.all().delete()
    assert Snapshot.objects.get().reason == "定时生成"


def test_generate_without_change_or_reason_returns_the_existing_version(world, subdistrict):
    first, created_first = services.report_generate(kind="monthly", period=MARCH, subdistrict=subdistrict)
    again, created_again = services.report_generate(kind="monthly", period=MARCH, subdistrict=subdistrict)
    assert (created_first, created_again, again.pk) == (True, False, first.pk)
    assert Snapshot.objects.count() == 1


def test_regenerate_with_a_reason_makes_a_new_version_with_who_and_why(world, centre, subdistrict):
    services.report_generate(kind="monthly", period=MARCH, subdistrict=subdistrict)
    snapshot, created = services.report_generate(kind="monthly", period=MARCH, actor=centre, reason="更正类别")
    assert (created, snapshot.version, snapshot.reason, snapshot.generated_by) == (True, 2, "更正类别", centre)


def test_report_ensure_makes_one_version_however_often_it_runs(world, subdistrict):
    ids = {
        services.report_ensure(subdistrict=subdistrict, kind="daily", period=dt.date(2025, 3, 11)).pk for _ in range(3)
    }
    assert len(ids) == 1 and Snapshot.objects.count() == 1


def test_generate_rejects_bad_requests_and_writes_nothing(world, leader, subdistrict):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationError, match="未来"):
        services.report_generate(kind="daily", period=tomorrow, subdistrict=subdistrict)
    with pytest.raises(ValidationError):
        services.report_generate(kind="weekly", period=MARCH, subdistrict=subdistrict)
    with pytest.raises(ValidationError):
        services.report_generate(kind="monthly", period=MARCH, subdistrict=subdistrict, reason="x" * 201)
    with pytest.raises(PermissionDenied):
        services.report_generate(kind="monthly", period=MARCH, actor=leader, reason="领导不能重新生成")
    assert not Snapshot.objects.exists()


def test_a_new_report_notifies_centre_staff_and_leaders(world, centre, leader, community_staff, subdistrict):
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        snapshot, _created = services.report_generate(kind="monthly", period=MARCH, subdistrict=subdistrict)
    reports = Notice.objects.filter(kind="report")
    assert set(reports.values_list("user__username", flat=True)) == {"centre", "leader"}
    assert all(snapshot.title in n.text for n in reports)
    assert {n.link for n in reports} == {reverse("reports:detail", args=[snapshot.pk])}


# The schedule's services and the catch-up


def test_daily_report_runs_only_on_sensitive_period_days(world):
    assert services.scheduled_daily_report(now=local(2025, 3, 11, 18)) == []
    SensitivePeriod.objects.create(name="两会", start=dt.date(2025, 3, 10), end=dt.date(2025, 3, 12))
    [snapshot] = services.scheduled_daily_report(now=local(2025, 3, 11, 18))
    assert (snapshot.kind, snapshot.period) == ("daily", dt.date(2025, 3, 11))


@override_settings(FENGQIAO_DAILY_REPORT_EVERY_DAY=True)
def test_a_setting_makes_the_daily_report_every_day(world):
    [snapshot] = services.scheduled_daily_report(now=local(2025, 3, 13, 18))
    assert (snapshot.kind, snapshot.period) == ("daily", dt.date(2025, 3, 13))


def test_monthly_report_is_for_the_previous_month(world):
    [snapshot] = services.scheduled_monthly_report(now=local(2025, 4, 1, 8))
    assert (snapshot.kind, snapshot.period) == ("monthly", MARCH)
    assert snapshot.figures["totals"]["concluded"] == 3


def test_catch_up_after_a_three_day_outage_makes_exactly_the_three_missing_daily_reports(world, subdistrict):
    SensitivePeriod.objects.create(name="两会", start=dt.date(2025, 3, 10), end=dt.date(2025, 3, 25))
    for day in range(10, 18):  # the system ran until the evening of 03-17
        services.report_ensure(
            subdistrict=subdistrict, kind="daily", period=dt.date(2025, 3, day), now=local(2025, 3, day, 18)
        )
    for month in (12, 1, 2):
        services.report_ensure(
            subdistrict=subdistrict, kind="monthly", period=dt.date(2024 if month == 12 else 2025, month, 1)
        )
    made = services.reports_catch_up(now=local(2025, 3, 20, 19))
    assert [(s.kind, s.period) for s in made] == [("daily", dt.date(2025, 3, d)) for d in (18, 19, 20)]
    assert services.reports_catch_up(now=local(2025, 3, 20, 19)) == []


def test_catch_up_before_18_00_does_not_make_todays_daily_report(world, subdistrict):
    SensitivePeriod.objects.create(name="两会", start=dt.date(2025, 3, 20), end=dt.date(2025, 3, 25))
    missing = services.reports_missing(local(2025, 3, 21, 17, 59))
    assert (subdistrict, "daily", dt.date(2025, 3, 20)) in missing
    assert (subdistrict, "daily", dt.date(2025, 3, 21)) not in missing
    # And the monthly report of February is due from 08:00 on 03-01, not before.
    february = (subdistrict, "monthly", dt.date(2025, 2, 1))
    assert february not in services.reports_missing(local(2025, 3, 1, 7, 59))
    assert february in services.reports_missing(local(2025, 3, 1, 8, 0))


# Reports per subdistrict (one database, many subdistricts)


@pytest.fixture
def second_subdistrict(db):
    return SubdistrictFactory(code="TWG", name="滕王阁街道")


def test_a_case_of_another_subdistrict_stays_out_of_the_report(world, subdistrict, centre, second_subdistrict):
    """Defect: a case added in a second subdistrict entered Baihuazhou's report."""
    elsewhere = GridFactory(community=CommunityFactory(subdistrict=second_subdistrict))
    outsider = UserFactory(username="centre2", roles=["centre_staff"], subdistrict=second_subdistrict)
    register(outsider, elsewhere, at=at(3, 20))
    snapshot, _created = services.report_generate(kind="monthly", period=MARCH, actor=centre)
    assert snapshot.subdistrict == subdistrict
    assert snapshot.figures["totals"]["registered"] == 6
    assert snapshot.figures["inspections"]["grids"] == 3  # the other subdistrict's grid owes it no return
    theirs, _created = services.report_generate(kind="monthly", period=MARCH, actor=outsider)
    assert (theirs.subdistrict, theirs.version, theirs.figures["totals"]["registered"]) == (second_subdistrict, 1, 1)


def test_schedule_and_catch_up_make_one_report_per_subdistrict(world, subdistrict, second_subdistrict):
    made = services.scheduled_monthly_report(now=local(2025, 4, 1, 8))
    assert {(s.subdistrict, s.period) for s in made} == {(subdistrict, MARCH), (second_subdistrict, MARCH)}
    assert services.scheduled_monthly_report(now=local(2025, 4, 1, 8)) == made  # idempotent, per subdistrict
    caught_up = services.reports_catch_up(now=local(2025, 4, 1, 9))
    assert {s.subdistrict for s in caught_up} == {subdistrict, second_subdistrict}
    assert all(s.kind == "monthly" and s.period < MARCH for s in caught_up)


def test_centre_staff_generate_only_their_own_subdistricts_report(world, centre, second_subdistrict):
    with pytest.raises(PermissionDenied):
        services.report_generate(kind="monthly", period=MARCH, actor=centre, subdistrict=second_subdistrict)
    assert not Snapshot.objects.exists()
