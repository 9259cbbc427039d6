"""The district's monthly report: made from its subdistricts' snapshots (sums of their counts, rates
recomputed from the sums), frozen and versioned, following a subdistrict's regenerated report; made by
the monthly schedule after the subdistricts' own, once however often it fires; read by the district's
staff and leaders only."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from common.models import Notice
from grids.enums import Role
from reports import district, services
from reports.models import DistrictReport, Snapshot
from reports.statistics import SuccessRate
from tests.factories import CommunityFactory, DistrictFactory, GridFactory, SubdistrictFactory, UserFactory
from tests.reports.conftest import MARCH, at
from tests.workflow import drive

pytestmark = pytest.mark.django_db


def local(year, month, day, hour=0):
    return timezone.make_aware(dt.datetime(year, month, day, hour, 0))


@pytest.fixture
def east(subdistrict):
    """东湖区: Baihuazhou (the reports' small world) and 豫章街道 beside it, with two March conclusions."""
    east = DistrictFactory(code="DHQ", name="东湖区")
    subdistrict.district = east
    subdistrict.save(update_fields=["district"])
    return east


@pytest.fixture
def yuzhang(east, mediator):
    yuzhang = SubdistrictFactory(code="YZJ", name="豫章街道", district=east)
    grid = GridFactory(community=CommunityFactory(subdistrict=yuzhang, name="绳金塔社区"))
    centre = UserFactory(username="yzcentre", roles=[Role.CENTRE_STAFF], subdistrict=yuzhang)
    for outcome in ("agreed", "failed"):
        drive(outcome, centre=centre, lead=mediator, grid=grid, at=at(3, 2), concluded=at(3, 10))
    return yuzhang


@pytest.fixture
def readers(east):
    return {
        "district": UserFactory(username="district", roles=[Role.DISTRICT_STAFF], district=east),
        "dleader": UserFactory(username="dleader", roles=[Role.DISTRICT_LEADER], district=east),
    }


def monthly(subdistrict):
    return services.report_ensure(subdistrict=subdistrict, kind="monthly", period=MARCH, now=local(2025, 4, 1, 8))


def test_the_district_report_is_the_sum_of_its_subdistricts_snapshots(world, subdistrict, yuzhang, east):
    ours, theirs = monthly(subdistrict), monthly(yuzhang)
    report = district.district_report_ensure(east, MARCH, now=local(2025, 4, 1, 8))
    figures = report.figures
    rows = {row["subdistrict"]: row for row in figures["subdistricts"]}
    assert [row["snapshot"] for row in figures["subdistricts"]] == [ours.pk, theirs.pk]  # by code: BHZ, YZJ
    for snapshot in (ours, theirs):
        row = rows[snapshot.subdistrict_id]
        for key in ("registered", "concluded", "agreed", "open", "overdue", "cumulative_third_party_agreed"):
            assert row["counts"][key] == snapshot.figures["totals"][key]
        # A row's rates are its snapshot's own.
        assert row["third_party"] == snapshot.figures["third_party"]["cumulative"]
        assert row["success_rate"]["rate"] == snapshot.figures["success_rate"]["rate"]
    total = figures["district"]
    for key in ("registered", "concluded", "agreed", "cumulative_concluded", "cumulative_agreed"):
        assert total["counts"][key] == ours.figures["totals"][key] + theirs.figures["totals"][key]
    # The district's rate from the summed counts, not an average of the two rates.
    agreed = ours.figures["totals"]["cumulative_agreed"] + theirs.figures["totals"]["cumulative_agreed"]
    concluded = ours.figures["totals"]["cumulative_concluded"] + theirs.figures["totals"]["cumulative_concluded"]
    assert total["success_rate"] == SuccessRate(concluded=concluded, agreed=agreed).as_dict()
    assert theirs.figures["totals"]["concluded"] == 2
    assert report.sources == [
        {"subdistrict": subdistrict.pk, "snapshot": ours.pk, "version": 1},
        {"subdistrict": yuzhang.pk, "snapshot": theirs.pk, "version": 1},
    ]


def test_it_waits_for_every_subdistricts_report(world, subdistrict, yuzhang, east):
    monthly(subdistrict)
    assert district.district_report_ensure(east, MARCH) is None
    assert not DistrictReport.objects.exists()


def test_a_regenerated_subdistrict_report_makes_the_next_version(world, subdistrict, yuzhang, east, centre):
    monthly(subdistrict)
    monthly(yuzhang)
    first = district.district_report_ensure(east, MARCH)
    assert district.district_report_ensure(east, MARCH) == first  # same sources: the same version
    regenerated, _created = services.report_generate(kind="monthly", period=MARCH, actor=centre, reason="补录案件")
    second = district.district_report_ensure(east, MARCH)
    assert (first.version, second.version) == (1, 2)
    assert second.sources[0] == {"subdistrict": subdistrict.pk, "snapshot": regenerated.pk, "version": 2}
    assert second.figures["subdistricts"][0]["snapshot"] == regenerated.pk
    # The first version stands as it was: frozen.
    with pytest.raises(ValidationError):
        first.save()
    with pytest.raises(ValidationError):
        DistrictReport.objects.filter(pk=first.pk).update(reason="x")
    assert district.district_report_ensure(east, MARCH) == second


def test_the_schedule_makes_it_after_the_subdistricts_once_however_often_it_fires(
    world, subdistrict, yuzhang, east, readers
):
    for _fired in range(2):  # two beats, or a redelivered message
        services.scheduled_monthly_report(now=local(2025, 4, 1, 8))
    [report] = DistrictReport.objects.all()
    assert (report.district, report.period, report.version) == (east, MARCH, 1)
    assert Snapshot.objects.filter(kind="monthly", period=MARCH).count() == 2
    # Its readers are told once.
    assert Notice.objects.filter(user=readers["dleader"], kind="report").count() == 1
    # The catch-up makes the earlier months' (their subdistricts' reports caught up first), March's not again.
    services.reports_catch_up(now=local(2025, 4, 1, 9))
    assert DistrictReport.objects.filter(period=MARCH).count() == 1
    assert DistrictReport.objects.filter(period__lt=MARCH, version=1).exists()


def test_the_catch_up_makes_it_when_the_schedule_was_missed(world, subdistrict, yuzhang, east):
    services.reports_catch_up(now=local(2025, 4, 2, 9))
    assert DistrictReport.objects.filter(district=east, period=MARCH, version=1).exists()


def test_only_the_districts_readers_see_it(
    client, world, subdistrict, yuzhang, east, readers, centre, leader, django_assert_max_num_queries
):
    monthly(subdistrict)
    monthly(yuzhang)
    report = district.district_report_ensure(east, MARCH)
    other = UserFactory(
        username="otherdistrict", roles=[Role.DISTRICT_STAFF], district=DistrictFactory(code="XHQ", name="西湖区")
    )
    yz_centre = UserFactory(username="yzcentre2", roles=[Role.CENTRE_STAFF], subdistrict=yuzhang)
    base = f"/reports/district/{report.pk}/"
    for user in (centre, leader, yz_centre, other):
        client.force_login(user)
        for path in ("/reports/district/", base, f"{base}export.xlsx", f"{base}export.pdf"):
            response = client.get(path)
            if user is other and path == "/reports/district/":
                assert response.status_code == 200 and report.title not in response.content.decode()
            else:
                assert response.status_code == 404, (user.username, path)
    for user in readers.values():
        client.force_login(user)
        with django_assert_max_num_queries(8):
            page = client.get(base).content.decode()
        with django_assert_max_num_queries(8):
            assert client.get("/reports/district/").status_code == 200
        assert "白花洲" in page or subdistrict.name in page
        assert yuzhang.name in page
        assert client.get(f"{base}export.xlsx")["Content-Type"].startswith("application/vnd.openxml")
        assert client.get(f"{base}export.pdf").content.startswith(b"%PDF")
