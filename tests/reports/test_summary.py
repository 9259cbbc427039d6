"""The reports' history table: kept true by the database's triggers on every write path,
reconciled against the cases, and giving the very figures the replayed events give."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from casework import services as case_services
from casework import writes
from casework.enums import CaseStatus, Guidance, Level
from casework.models import DisputeCase
from grids.enums import Role
from mediation import services as mediation_services
from mediation.enums import MediatorKind
from reports import summary
from reports.models import MonthlyCount
from reports.statistics import Period, collect, derive, history_ids, restrict
from tests.factories import (
    CommunityFactory,
    GridFactory,
    MediatorFactory,
    SubdistrictFactory,
    UserFactory,
    category,
    register,
)
from tests.workflow import drive, log_session

S = CaseStatus


def at(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, day, hour))


def assert_true_to_the_cases():
    assert summary.reconcile() == []
    # Not vacuous: the table holds what the cases count for.
    assert MonthlyCount.objects.filter(measure="registered").exists()


def conclude_again(case, *, actor, lead, agree: bool, when: dt.datetime):
    """A failure at community level taken up the ladder (reopened) and concluded again at the subdistrict."""
    case.refresh_from_db()
    mediation_services.case_assign(case, actor=actor, mediator=lead, at=when)
    mediation_services.case_start(case, actor=lead.user, at=when + dt.timedelta(hours=1))
    case.refresh_from_db()
    log_session(case, lead.user, held_at=when + dt.timedelta(hours=2), at=when + dt.timedelta(hours=2))
    case.refresh_from_db()
    if agree:
        mediation_services.case_reach_agreement(
            case,
            actor=lead.user,
            form="oral",
            terms="赔偿500元",
            signed_on=timezone.localtime(when).date(),
            at=when + dt.timedelta(hours=3),
        )
    else:
        mediation_services.case_fail(
            case, actor=lead.user, reason="分歧大", guidance=Guidance.LITIGATION, at=when + dt.timedelta(hours=3)
        )
    case.refresh_from_db()
    return case


@pytest.fixture
def edge_cases(centre, community_staff, mediator, other_mediator, grid, sibling_grid, other_grid):
    """Every shape the history has to count, checked against the cases after each write path."""
    lawyer = MediatorFactory(kind=MediatorKind.LAWYER)
    mediator.kind = MediatorKind.PEOPLES_MEDIATOR  # not a third party: the lead at the conclusion decides
    mediator.save()
    cases = {}
    # Registered in one month, concluded in another; agreed and failed; a third party; never concluded.
    cases["across"] = drive(
        S.AGREED, centre=centre, lead=lawyer, grid=grid, at=at(2025, 1, 20), concluded=at(2025, 3, 5)
    )
    assert_true_to_the_cases()
    cases["failed"] = drive(
        S.FAILED, centre=centre, lead=mediator, grid=other_grid, at=at(2025, 2, 3), concluded=at(2025, 2, 20)
    )
    cases["open"] = drive(S.MEDIATING, centre=centre, lead=mediator, grid=sibling_grid, at=at(2025, 3, 1))
    cases["withdrawn"] = drive(
        S.WITHDRAWN, centre=centre, lead=mediator, grid=grid, at=at(2025, 2, 1), concluded=at(2025, 2, 9)
    )
    cases["declined"] = drive(S.DECLINED, centre=centre, lead=mediator, grid=grid, at=at(2025, 2, 2))
    assert_true_to_the_cases()
    # Failed at community level in February, escalated (reopened) in March, agreed at the subdistrict in
    # April with a lawyer: as of February a failure, from April an agreement, counted once.
    cases["reopened"] = drive(
        S.FAILED,
        centre=centre,
        lead=mediator,
        grid=grid,
        level=Level.COMMUNITY,
        at=at(2025, 2, 4),
        concluded=at(2025, 2, 25),
    )
    case_services.case_escalate(cases["reopened"], actor=community_staff, reason="请街道协调", at=at(2025, 3, 2))
    assert_true_to_the_cases()
    conclude_again(cases["reopened"], actor=centre, lead=lawyer, agree=True, when=at(2025, 4, 8))
    assert_true_to_the_cases()
    # Failed and reconcluded in the same month: that month counts it once, as it ended.
    cases["same_month"] = drive(
        S.FAILED,
        centre=centre,
        lead=other_mediator,
        grid=sibling_grid,
        level=Level.COMMUNITY,
        at=at(2025, 3, 3),
        concluded=at(2025, 3, 10),
    )
    case_services.case_escalate(cases["same_month"], actor=community_staff, reason="请街道协调", at=at(2025, 3, 11))
    conclude_again(cases["same_month"], actor=centre, lead=mediator, agree=False, when=at(2025, 3, 12))
    # Reassigned before the conclusion: the lead then is the one that counts.
    case = drive(S.MEDIATING, centre=centre, lead=mediator, grid=grid, at=at(2025, 3, 4))
    mediation_services.case_reassign(case, actor=centre, mediator=lawyer, reason="当事人申请", at=at(2025, 3, 6))
    case.refresh_from_db()
    mediation_services.case_start(case, actor=lawyer.user, at=at(2025, 3, 6, 11))
    case.refresh_from_db()
    log_session(case, lawyer.user, held_at=at(2025, 3, 6, 12), at=at(2025, 3, 6, 12))
    case.refresh_from_db()
    mediation_services.case_reach_agreement(
        case, actor=lawyer.user, form="oral", terms="赔偿500元", signed_on=dt.date(2025, 3, 7), at=at(2025, 3, 7)
    )
    cases["reassigned"] = case
    # Another subdistrict's cases count for it, not for ours.
    elsewhere = GridFactory(community=CommunityFactory(subdistrict=SubdistrictFactory(code="YZ", name="豫章街道")))
    their_centre = UserFactory(roles=[Role.CENTRE_STAFF], subdistrict=elsewhere.community.subdistrict)
    cases["elsewhere"] = drive(
        S.AGREED, centre=their_centre, lead=mediator, grid=elsewhere, at=at(2025, 3, 2), concluded=at(2025, 3, 9)
    )
    assert_true_to_the_cases()
    return cases


MONTHS = [Period.monthly(dt.date(2025, month, 1)) for month in range(1, 7)]
DAYS = [Period.daily(dt.date(2025, month, day)) for month, day in ((2, 24), (3, 1), (3, 11), (3, 31), (4, 8))]


def as_text(material: dict) -> str:
    return json.dumps(derive(material), sort_keys=True, ensure_ascii=False)


def test_the_history_from_the_table_is_the_history_from_the_events(edge_cases, subdistrict, community):
    for period in MONTHS + DAYS:
        from_table = collect(subdistrict.pk, period, history="summary")
        from_events = collect(subdistrict.pk, period, history="events")
        assert from_table["counts"] == from_events["counts"], period
        assert as_text(from_table) == as_text(from_events), period
        assert as_text(restrict(from_table, community.pk)) == as_text(restrict(from_events, community.pk))
    april = derive(collect(subdistrict.pk, Period.monthly(dt.date(2025, 4, 1))))
    # across (agreed), failed, same_month (failed), reassigned (agreed), reopened (agreed at last).
    assert april["success_rate"]["concluded"] == 5 and april["success_rate"]["agreed"] == 3
    # Third party: across and reassigned (a lawyer's), reopened (a lawyer's at last); not same_month, which
    # other_mediator failed first but `mediator` (a people's mediator) concluded last.
    assert (april["third_party"]["cumulative"]["concluded"], april["third_party"]["cumulative"]["agreed"]) == (3, 3)
    february = derive(collect(subdistrict.pk, Period.monthly(dt.date(2025, 2, 1))))
    assert (february["success_rate"]["concluded"], february["success_rate"]["agreed"]) == (2, 0)
    march = {row["month"]: row for row in derive(collect(subdistrict.pk, MONTHS[3]))["trend"]}
    assert (march["2025-03"]["concluded"], march["2025-03"]["agreed"]) == (3, 2)


def test_a_mediators_kind_changed_moves_the_cases_they_led(edge_cases, subdistrict):
    april = Period.monthly(dt.date(2025, 4, 1))
    before = derive(collect(subdistrict.pk, april))["third_party"]["cumulative"]
    lawyer = edge_cases["across"].lead_mediator
    lawyer.kind = MediatorKind.PEOPLES_MEDIATOR
    lawyer.save()
    assert_true_to_the_cases()
    after = derive(collect(subdistrict.pk, april))["third_party"]["cumulative"]
    assert (before["concluded"], after["concluded"]) == (3, 0)
    assert as_text(collect(subdistrict.pk, april)) == as_text(collect(subdistrict.pk, april, history="events"))


def test_a_history_figure_drills_down_to_the_cases_it_counted_then(edge_cases, subdistrict):
    cases = edge_cases
    february, april = Period.monthly(dt.date(2025, 2, 1)), Period.monthly(dt.date(2025, 4, 1))
    assert history_ids(subdistrict.pk, february, "cumulative_concluded") == sorted(
        [cases["failed"].pk, cases["reopened"].pk]
    )
    assert cases["reopened"].pk in history_ids(subdistrict.pk, april, "cumulative_third_party_agreed")
    assert history_ids(subdistrict.pk, april, "concluded@2025-03") == sorted(
        [cases["across"].pk, cases["same_month"].pk, cases["reassigned"].pk]
    )


def test_a_bulk_write_and_a_correction_keep_the_counts_true(centre, mediator, grid, other_grid, subdistrict):
    # The ledger's way: every row collected, then inserted in bulk.
    with writes.deferred_writes() as pending:
        for day in (3, 4, 5):
            case = register(centre, grid, at=at(2025, 5, day), imported=True)
            case_services.case_accept(case, actor=centre, level=Level.COMMUNITY, at=at(2025, 5, day, 11), imported=True)
            mediation_services.case_assign(
                case, actor=centre, mediator=mediator, at=at(2025, 5, day, 12), imported=True
            )
            mediation_services.case_start(case, actor=centre, at=at(2025, 5, day, 13), imported=True)
            mediation_services.session_log(
                case,
                actor=centre,
                held_at=at(2025, 5, day, 14),
                location="调解室",
                summary="听取双方陈述",
                public=False,
                rights_explained=False,
                at=at(2025, 5, day, 14),
                imported=True,
            )
            mediation_services.case_fail(
                case, actor=centre, reason="分歧大", guidance=Guidance.LITIGATION, at=at(2025, 6, day), imported=True
            )
        pending.flush()
    assert MonthlyCount.objects.filter(measure="cumulative", month=dt.date(2025, 6, 1)).exists()
    assert_true_to_the_cases()
    # A correction of where, what and when a case was registered moves what it counts for.
    case = DisputeCase.objects.filter(subdistrict=subdistrict).order_by("pk").first()
    DisputeCase.objects.filter(pk=case.pk).update(
        community_id=other_grid.community_id,
        grid=other_grid,
        category=category("family"),
        registered_at=at(2025, 4, 30),
    )
    assert_true_to_the_cases()
    counts = collect(subdistrict.pk, Period.monthly(dt.date(2025, 6, 1)), history="summary")["counts"]
    assert counts["cumulative_concluded"] == {str(grid.community_id): 2, str(other_grid.community_id): 1}


def test_reconcile_reports_every_difference_and_fix_rewrites_the_month(centre, mediator, grid):
    drive(S.AGREED, centre=centre, lead=mediator, grid=grid, at=at(2025, 1, 6), concluded=at(2025, 1, 20))
    assert_true_to_the_cases()
    with connection.cursor() as cursor:
        # A count gone wrong, a count lost and a count that should not be there.
        cursor.execute("UPDATE reports_monthlycount SET count = count + 2 WHERE measure = 'registered'")
        cursor.execute("DELETE FROM reports_monthlycount WHERE measure = 'concluded'")
        cursor.execute(
            "INSERT INTO reports_monthlycount (month, subdistrict_id, community_id, category_id, measure, outcome,"
            " third_party, count) VALUES ('2024-07-01', 1, 1, 1, 'registered', '', false, 1)"
        )
    out = io.StringIO()
    call_command("reconcile_summary", stdout=out)
    assert "3 differences found" in out.getvalue()
    assert "counted 3, cases say 1" in out.getvalue()
    call_command("reconcile_summary", "--fix", stdout=io.StringIO())
    assert_true_to_the_cases()
    out = io.StringIO()
    call_command("reconcile_summary", "--from", "2025-01", stdout=out)
    assert "0 differences found" in out.getvalue()


def test_the_nightly_task_repairs_the_table(centre, mediator, grid):
    from reports.tasks import reconcile_summary

    drive(S.FAILED, centre=centre, lead=mediator, grid=grid, at=at(2025, 1, 6), concluded=at(2025, 1, 20))
    MonthlyCount.objects.filter(measure="cumulative").update(count=0)
    assert reconcile_summary.apply().get() == 1
    assert_true_to_the_cases()


def test_a_history_drill_down_says_each_cases_state_at_the_period_end(edge_cases, subdistrict, centre):
    from reports import selectors
    from reports.services import report_generate

    snapshot, _created = report_generate(
        kind="monthly", period=dt.date(2025, 4, 1), subdistrict=subdistrict, now=at(2025, 5, 2)
    )
    ids = selectors.figure_ids(centre, snapshot, "cumulative_concluded")
    assert {edge_cases[k].pk for k in ("failed", "reopened")} <= set(ids)
    # A case the month did not touch (here: as if) is not among its stored states; the events say it.
    snapshot.material = {**snapshot.material, "then": {}}
    then = selectors.states_then(snapshot, ids)
    assert then[edge_cases["failed"].pk] == S.FAILED
    assert then[edge_cases["reopened"].pk] == S.AGREED
