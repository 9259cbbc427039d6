"""A community failure taken up the ladder stays a community failure in the community's figures,
and the case counts once on the ladder (where it ended): escalation reopens the case and clears
its outcome, so the figures read the failure from the case's events."""

from django.urls import reverse
from django.utils import timezone

from casework import services as case_services
from casework.enums import CaseStatus, Level
from mediation import services as mediation_services
from reports import statistics
from reports.statistics import Period
from tests.workflow import drive, log_session


def failed_in_community(centre, mediator, grid):
    """Registered ten days ago, failed now at community level: this month's, whatever the day."""
    return drive(CaseStatus.FAILED, centre=centre, lead=mediator, grid=grid, level=Level.COMMUNITY)


def this_month(subdistrict, community=None):
    material = statistics.collect(subdistrict.pk, Period.monthly(timezone.localdate()))
    if community is not None:
        material = statistics.restrict(material, community.pk)
    return statistics.derive(material)


def test_an_escalated_community_failure_counts_for_the_community_and_once_on_the_ladder(
    centre, community_staff, mediator, other_mediator, grid, subdistrict, community
):
    case = failed_in_community(centre, mediator, grid)
    case_services.case_escalate(case, actor=community_staff, reason="社区调解不成，请街道协调")
    for figures in (this_month(subdistrict), this_month(subdistrict, community)):
        totals = figures["totals"]
        assert totals["failed_community"] == 1
        assert (totals["concluded"], totals["failed"]) == (1, 1)
        assert totals["ladder_community"] + totals["ladder_subdistrict"] == 1
    # Agreed at the subdistrict in the same month: it ended there, and counts there, once; the
    # community's failure is still the community's.
    case.refresh_from_db()
    mediation_services.case_assign(case, actor=centre, mediator=other_mediator)
    mediation_services.case_start(case, actor=other_mediator.user)
    case.refresh_from_db()
    log_session(case, other_mediator.user)
    case.refresh_from_db()
    mediation_services.case_reach_agreement(
        case, actor=other_mediator.user, form="oral", terms="赔偿500元", signed_on=timezone.localdate()
    )
    for figures in (this_month(subdistrict), this_month(subdistrict, community)):
        totals = figures["totals"]
        assert totals["failed_community"] == 1
        assert (totals["concluded"], totals["agreed"], totals["failed"]) == (1, 1, 0)
        assert (totals["ladder_community"], totals["ladder_subdistrict"]) == (0, 1)


def test_the_community_home_keeps_its_escalated_failure_and_the_centre_counts_it_once(
    client, centre, community_staff, mediator, grid
):
    case = failed_in_community(centre, mediator, grid)
    client.force_login(community_staff)
    before = client.get(reverse("home")).context["figures"]
    assert (before["cumulative"].concluded, before["month"].concluded) == (1, 1)
    case_services.case_escalate(case, actor=community_staff, reason="社区调解不成，请街道协调")
    after = client.get(reverse("home")).context["figures"]
    assert (after["cumulative"].concluded, after["cumulative"].agreed) == (1, 0)
    assert after["month"].concluded == 1
    # The figures' links list the cases they count: the escalated failure among them, said so.
    for url in (after["cumulative_urls"]["concluded"], after["month_urls"]["concluded"]):
        listed = client.get(url)
        assert [row.pk for row in listed.context["rows"]] == [case.pk], url
        assert "含上交街道的社区调解不成：是" in listed.content.decode()
    assert client.get(after["cumulative_urls"]["agreed"]).context["rows"] == []
    # For the subdistrict the case is open again at its level: not concluded (yet), not twice.
    client.force_login(centre)
    centre_figures = client.get(reverse("home")).context["figures"]
    assert centre_figures["cumulative"].concluded == 0 and centre_figures["open"] == 1
    assert client.get(centre_figures["cumulative_urls"]["concluded"]).context["rows"] == []
