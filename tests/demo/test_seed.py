"""The Baihuazhou demo: the headline figure 83 / 78 / 94.0%, open cases in every state,
a full history of events per case, idempotence, and the `stats` command over it; beside it the
smaller neighbouring subdistrict and the district's centre, kept out of Baihuazhou's figures."""

import datetime as dt
import io
import json
import math
from collections import Counter

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from casework.enums import CONCLUDED, OPEN, CaseStatus, Level, Transition
from casework.models import CaseEvent, DisputeCase
from casework.permissions import can_transition
from casework.selectors import cases_visible_to
from demo.seed import AGREED, NEIGHBOUR_CASES, THIRD_PARTY, DemoSeeder
from demo.seed import CONCLUDED as DEMO_CONCLUDED
from grids.enums import Role
from grids.models import Subdistrict, User
from mediation.models import Agreement
from reports.models import DistrictReport
from reports.services import scheduled_monthly_report
from reports.statistics import success_rate

S = CaseStatus
Z = 1.959963984540054

pytestmark = pytest.mark.usefixtures("demo", "db")


def baihuazhou():
    return DisputeCase.objects.filter(subdistrict__code="BHZ")


def test_demo_reproduces_the_headline_figure():
    # The summary's figure is a third-party one (lawyers, social workers, legal advisers).
    figures = success_rate(baihuazhou(), since=dt.date(2020, 1, 1), third_party=True)
    assert (figures.concluded, figures.agreed) == (83, 78) == (DEMO_CONCLUDED, AGREED)
    assert str(figures) == "94.0%, 78 of 83"


def test_demo_written_agreements_carry_every_particular_and_their_signing():
    written = Agreement.objects.filter(form="written").select_related("case")
    assert written.count() > 40
    for agreement in written:
        parties = list(agreement.case.parties.all())
        assert all(p.missing_particulars() == [] for p in parties), agreement.case.number
        assert agreement.facts and agreement.disputed_matters and agreement.responsibilities
        assert {row["party"] for row in agreement.signatures} == {p.pk for p in parties}
        assert agreement.mediator_signed and agreement.committee_sealed


def test_demo_neighbour_is_a_smaller_subdistrict_of_the_same_district():
    bhz, yzj = Subdistrict.objects.get(code="BHZ"), Subdistrict.objects.get(code="YZJ")
    assert bhz.district_id == yzj.district_id is not None
    assert yzj.communities.count() == 2 and DisputeCase.objects.filter(subdistrict=yzj).count() == len(NEIGHBOUR_CASES)
    # Its mediations are by a people's mediator: the third-party headline stays Baihuazhou's alone.
    overall = success_rate(since=dt.date(2020, 1, 1), third_party=True)
    assert (overall.concluded, overall.agreed) == (83, 78)
    assert success_rate(DisputeCase.objects.filter(subdistrict=yzj)).concluded == 4
    # Each subdistrict's centre sees its own cases only; the district's centre sees both and changes
    # nothing but the one case 豫章街道 referred up to it (上报区), which it now holds.
    centre, yzcentre = User.objects.get(username="centre"), User.objects.get(username="yzcentre")
    assert set(cases_visible_to(centre).values_list("subdistrict__code", flat=True)) == {"BHZ"}
    assert set(cases_visible_to(yzcentre).values_list("subdistrict__code", flat=True)) == {"YZJ"}
    district = User.objects.get(username="district")
    assert district.has_role(Role.DISTRICT_STAFF) and district.district_id == bhz.district_id
    seen = cases_visible_to(district)
    assert seen.count() == DisputeCase.objects.count()
    [referred] = DisputeCase.objects.filter(level=Level.DISTRICT)
    assert (referred.subdistrict.code, referred.status, referred.lead_mediator_id) == ("YZJ", S.ACCEPTED, None)
    assert can_transition(district, referred, Transition.ASSIGN)
    assert not can_transition(yzcentre, referred, Transition.ASSIGN)
    others = seen.exclude(pk=referred.pk)[:20]
    assert not any(can_transition(district, case, name) for case in others for name in Transition.values)
    assert User.objects.get(username="district").check_password("baihuazhou2021")


def test_demo_district_leader_sees_baihuazhous_headline_beside_the_neighbour(client):
    client.force_login(User.objects.get(username="districtleader"))
    response = client.get(reverse("home"))
    rows = {row["subdistrict"].code: row for row in response.context["rows"]}
    assert list(rows) == ["BHZ", "YZJ"]
    assert str(rows["BHZ"]["third_party"]) == "94.0%, 78 of 83"
    assert (rows["YZJ"]["success"].agreed, rows["YZJ"]["success"].concluded) == (3, 4)
    page = response.content.decode()
    assert "百花洲街道" in page and "豫章街道" in page and "94.0%" in page


def test_demo_district_report_shows_baihuazhous_headline_beside_the_neighbours_figures(client):
    """The monthly run makes each subdistrict's report, then the district's from them."""
    scheduled_monthly_report()
    [report] = DistrictReport.objects.all()
    client.force_login(User.objects.get(username="districtleader"))
    response = client.get(reverse("reports:district_detail", args=[report.pk]))
    rows = {row["code"]: row for row in response.context["rows"]}
    assert list(rows) == ["BHZ", "YZJ"]
    third_party = rows["BHZ"]["third_party"]
    assert (third_party["agreed"], third_party["concluded"], third_party["rate"]) == (78, 83, 0.94)
    assert rows["YZJ"]["success_rate"]["concluded"] == 4
    page = response.content.decode()
    assert "94.0%（78/83" in page and "豫章街道" in page


def test_demo_concluded_cases_are_third_party_mediations():
    concluded = baihuazhou().concluded().select_related("lead_mediator__user")
    assert concluded.count() == 83
    assert {case.lead_mediator.user.username for case in concluded} <= THIRD_PARTY
    assert all(case.status in CONCLUDED or case.status == S.CLOSED for case in concluded)


def test_demo_has_open_cases_in_every_non_terminal_state():
    states = set(baihuazhou().open().values_list("status", flat=True))
    assert states == set(OPEN) == {S.REPORTED, S.ACCEPTED, S.ASSIGNED, S.MEDIATING, S.AGREED, S.FAILED}
    assert {S.DECLINED, S.WITHDRAWN, S.CLOSED} <= set(baihuazhou().values_list("status", flat=True))


def test_demo_has_overdue_and_early_warning_open_cases():
    today = timezone.localdate()
    overdue = DisputeCase.objects.open().overdue(today)
    assert overdue.exists()
    assert all(case.is_overdue(today) for case in overdue)
    assert set(overdue.values_list("status", flat=True)) >= {S.REPORTED, S.ACCEPTED, S.MEDIATING}
    assert DisputeCase.objects.open().warning().count() >= 2


def test_demo_every_case_starts_with_register_and_events_follow_its_transitions():
    events = Counter()
    for case in baihuazhou().prefetch_related("events"):
        history = sorted(case.events.all(), key=lambda e: (e.at, e.id))
        first = history[0]
        assert (first.name, first.from_status, first.to_status) == (Transition.REGISTER, "", S.REPORTED)
        assert first.at == case.registered_at
        status = S.REPORTED
        for event in history[1:]:
            # Every transition starts where the last one ended; a record leaves the state alone.
            assert event.from_status == status, (case.number, event.name)
            if event.name not in Transition.values:
                assert event.to_status == status
            status = event.to_status
            events[event.name] += 1
        assert status == case.status, case.number
        transitions = [e for e in history if e.name in Transition.values]
        assert sum(e.name == Transition.REGISTER for e in transitions) == 1
        assert case.session_count == sum(e.name == "session" for e in history)
        assert case.follow_up_count == sum(e.name == "follow_up" for e in history)
    assert events[Transition.REACH_AGREEMENT] == 78 and events[Transition.FAIL] == 5


def _table_counts() -> dict:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_demo_has_schematic_boundaries_for_every_grid_and_community():
    from grids.boundaries import geometry
    from grids.models import Community, Grid

    bounded = Grid.objects.filter(community__subdistrict__code="BHZ", boundary__isnull=False)
    assert bounded.count() == 21 and Community.objects.filter(boundary__isnull=False).count() == 7
    assert all(geometry(grid.boundary) and grid.boundary_crs == "wgs84" for grid in bounded)


def test_demo_second_run_changes_nothing():
    before = _table_counts()
    last_event = CaseEvent.objects.order_by("-id").values_list("id", flat=True).first()
    versions = dict(DisputeCase.objects.values_list("pk", "version"))
    created = DemoSeeder(progress=lambda message: None).run()
    assert created == {"users": 0, "cases": 0, "inspections": 0}
    assert _table_counts() == before
    assert CaseEvent.objects.order_by("-id").values_list("id", flat=True).first() == last_event
    assert dict(DisputeCase.objects.values_list("pk", "version")) == versions


# manage.py stats over the demo


def _stats(*args) -> str:
    out = io.StringIO()
    call_command("stats", "success-rate", *args, stdout=out)
    return out.getvalue()


def test_stats_command_prints_rate_and_count():
    assert "94.0%, 78 of 83" in _stats("--since", "2020-01-01", "--third-party", "--subdistrict", "BHZ")


def test_stats_command_json_with_wilson_interval():
    figures = json.loads(_stats("--since", "2020-01-01", "--subdistrict", "BHZ", "--json"))
    assert set(figures) == {"concluded", "agreed", "rate", "ci95"}
    assert (figures["concluded"], figures["agreed"], figures["rate"]) == (83, 78, 0.94)
    # By hand: n = 83, p = 78/83, z = 1.96: (2np + z² ± z√(z² + 4np(1−p))) / 2(n + z²).
    n, p = 83, 78 / 83
    middle, spread = 2 * n * p + Z * Z, Z * math.sqrt(Z * Z + 4 * n * p * (1 - p))
    low, high = (middle - spread) / (2 * (n + Z * Z)), (middle + spread) / (2 * (n + Z * Z))
    assert figures["ci95"] == [round(low, 4), round(high, 4)] == [0.8666, 0.974]


def test_stats_command_period_with_no_conclusions():
    figures = json.loads(_stats("--since", "2019-01-01", "--until", "2019-12-31", "--json"))
    assert figures == {"concluded": 0, "agreed": 0, "rate": None, "ci95": None}


@pytest.mark.parametrize(
    "args",
    [
        ("--since", "2020-13-01"),
        ("--since", "yesterday"),
        ("--until", "2021-02-30"),
        ("--since", "2022-01-01", "--until", "2021-01-01"),
        ("--subdistrict", "NOPE"),
    ],
)
def test_stats_command_bad_dates_refused(args):
    with pytest.raises(CommandError):
        _stats(*args)


def test_demo_reports_say_the_same_from_the_monthly_counts_as_from_the_events():
    """No figure changed when the history came to be read from the monthly counts: every report of
    every subdistrict of the demo, monthly and daily, byte for byte (the figures a snapshot stores)."""
    import json

    from reports.services import report_material
    from reports.statistics import Period, collect, derive
    from reports.summary import reconcile

    assert reconcile() == []
    this_month = timezone.localdate().replace(day=1)
    months = [this_month.replace(year=this_month.year - 1)] + [
        (this_month - dt.timedelta(days=31 * n)).replace(day=1) for n in range(6, -1, -1)
    ]
    periods = [Period.monthly(m) for m in months] + [
        Period.daily(timezone.localdate() - dt.timedelta(days=n)) for n in (0, 9)
    ]
    compared = 0
    for subdistrict in Subdistrict.objects.order_by("code"):
        for period in periods:
            summary = json.dumps(derive(collect(subdistrict.pk, period, history="summary")), sort_keys=True)
            events = json.dumps(derive(collect(subdistrict.pk, period, history="events")), sort_keys=True)
            assert summary == events, (subdistrict.code, period)
            compared += 1
    assert compared == Subdistrict.objects.count() * len(periods) >= 2 * len(periods)
    # The snapshot's own figures (its material with the month's 研判) as well.
    baihuazhou = Subdistrict.objects.get(code="BHZ")
    last_month = Period.monthly(this_month - dt.timedelta(days=1))
    material = report_material(baihuazhou, last_month)
    assert material["counts"]["cumulative_concluded"]
    replayed = {**material, "counts": collect(baihuazhou.pk, last_month, history="events")["counts"]}
    assert json.dumps(derive(material), sort_keys=True) == json.dumps(derive(replayed), sort_keys=True)
