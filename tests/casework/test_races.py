"""Transitions racing on one case, in real threads on PostgreSQL: exactly one commits, every
other contender gets CaseConflict and writes nothing, and the events equal the committed changes.

Each contender loads the case before the barrier, as a page would, so all of them start from
the same status and version; the barrier then releases them together.
"""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from casework import services as case_services
from casework.enums import CaseStatus, Guidance, Level, Referral
from casework.exceptions import CaseConflict
from casework.models import CaseEvent, DisputeCase
from mediation import services as mediation_services
from mediation.enums import AgreementForm
from mediation.models import Agreement
from tests.factories import MediatorFactory, register
from tests.workflow import drive, log_session, snapshot

S = CaseStatus
transactional = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Contenders per race cycle through 2..8; 7 scenarios × 29 races ≈ 200 races in all.
RACES_PER_SCENARIO = 29


def contender_counts(races):
    return [2 + i % 7 for i in range(races)]


def load_case(pk: int) -> DisputeCase:
    return DisputeCase.objects.get(pk=pk)


def race(case_pk: int, contenders, load=load_case) -> list:
    """Run each `contender(case)` in its own thread, all released at once; return "ok" or the exception."""
    barrier = threading.Barrier(len(contenders))
    outcomes = [None] * len(contenders)

    def run(index, contender):
        try:
            case = load(case_pk)
            barrier.wait(timeout=30)
            contender(case)
            outcomes[index] = "ok"
        except Exception as exc:  # reported to the test, which says which ones were expected
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def assert_one_winner(outcomes) -> int:
    winners = [i for i, outcome in enumerate(outcomes) if outcome == "ok"]
    losers = [outcome for outcome in outcomes if outcome != "ok"]
    assert len(winners) == 1, outcomes
    assert all(type(loser) is CaseConflict for loser in losers), losers
    assert all(loser.message for loser in losers)
    return winners[0]


@pytest.fixture
def spares(db):
    """Mediators to reassign to, one per possible contender."""
    return [MediatorFactory() for _ in range(8)]


@pytest.fixture
def new_case(centre, mediator, co_mediator, grid):
    def make(state, **kwargs):
        return drive(state, centre=centre, lead=mediator, co=co_mediator, grid=grid, level=Level.COMMUNITY, **kwargs)

    return make


def _agree(actor):
    return lambda case: mediation_services.case_reach_agreement(
        case, actor=actor, form=AgreementForm.ORAL, terms="赔偿500元", signed_on=timezone.localdate()
    )


def _fail(actor):
    return lambda case: mediation_services.case_fail(case, actor=actor, reason="分歧大", guidance=Guidance.LITIGATION)


def _session(actor):
    return lambda case: log_session(case, actor)


def _accept(actor):
    return lambda case: case_services.case_accept(case, actor=actor, level=Level.COMMUNITY)


def _decline(actor):
    return lambda case: case_services.case_decline(case, actor=actor, reason="不属于调解范围", referral=Referral.COURT)


def _reassign(actor, to):
    return lambda case: mediation_services.case_reassign(case, actor=actor, mediator=to, reason="更换调解员")


def _withdraw(actor):
    return lambda case: case_services.case_withdraw(case, actor=actor, reason="当事人撤回")


def _escalate(actor):
    return lambda case: case_services.case_escalate(case, actor=actor, reason="社区调解未果")


def _start(actor):
    return lambda case: mediation_services.case_start(case, actor=actor)


def _close(actor):
    return lambda case: case_services.case_close(case, actor=actor)


def _extend(actor):
    return lambda case: case_services.case_extend_deadline(case, actor=actor, reason="案情复杂")


def alternate(n, first, second, actors):
    """n contenders running `first` and `second` in turn, each pair by the next actor."""
    return [
        (label, make(actors[i // 2 % len(actors)]))
        for i, (label, make) in zip(range(n), [first, second] * n, strict=False)
    ]


@pytest.fixture
def scenarios(centre, community_staff, mediator, co_mediator, spares):
    """name -> (state the case starts in, contenders for n threads: [(label, callable)])."""
    lead, co = mediator.user, co_mediator.user
    return {
        "start_vs_start": (S.ASSIGNED, lambda n: [("start", _start(lead))] * n),
        "accept_vs_decline": (
            S.REPORTED,
            lambda n: alternate(n, ("accept", _accept), ("decline", _decline), [centre, community_staff]),
        ),
        "reassign_vs_reassign": (S.ASSIGNED, lambda n: [("reassign", _reassign(centre, spares[i])) for i in range(n)]),
        "agreement_vs_fail": (
            S.MEDIATING,
            lambda n: alternate(n, ("reach_agreement", _agree), ("fail", _fail), [lead, co]),
        ),
        "session_vs_fail": (
            S.MEDIATING,
            # One session: two sessions are two records and may both be kept.
            lambda n: [("session", _session(lead))] + [("fail", _fail(co if i % 2 else lead)) for i in range(n - 1)],
        ),
        # Not a session: a session and a deadline extension are both kept, whichever comes first.
        "everything_from_mediating": (
            S.MEDIATING,
            lambda n: [
                [
                    ("reach_agreement", _agree(lead)),
                    ("withdraw", _withdraw(centre)),
                    ("reassign", _reassign(centre, spares[i])),
                    ("escalate", _escalate(community_staff)),
                    ("fail", _fail(co)),
                    ("extend_deadline", _extend(centre)),
                ][i % 6]
                for i in range(n)
            ],
        ),
        "close_vs_close": (S.FAILED, lambda n: [("close", _close(centre))] * n),
    }


TARGET = {
    "start": S.MEDIATING,
    "accept": S.ACCEPTED,
    "decline": S.DECLINED,
    "reassign": S.ASSIGNED,
    "reach_agreement": S.AGREED,
    "fail": S.FAILED,
    "session": S.MEDIATING,
    "withdraw": S.WITHDRAWN,
    "escalate": S.ACCEPTED,
    "close": S.CLOSED,
    "extend_deadline": S.MEDIATING,
}


@transactional
@pytest.mark.parametrize(
    "scenario",
    [
        "start_vs_start",
        "accept_vs_decline",
        "reassign_vs_reassign",
        "agreement_vs_fail",
        "session_vs_fail",
        "everything_from_mediating",
        "close_vs_close",
    ],
)
def test_race_exactly_one_commits(scenario, scenarios, new_case):
    state, contenders_for = scenarios[scenario]
    committed = 0
    for n in contender_counts(RACES_PER_SCENARIO):
        case = new_case(state)
        before = snapshot(case)
        contenders = contenders_for(n)
        winner = assert_one_winner(race(case.pk, [run for _label, run in contenders]))
        committed += 1
        name = contenders[winner][0]
        after = snapshot(case)
        # One committed change: one event, one version, and the winner's state.
        assert after["events"] == before["events"] + 1
        assert CaseEvent.objects.filter(case_id=case.pk).latest("id").name == name
        assert after["version"] == before["version"] + 1
        assert after["status"] == TARGET[name]
        assert after["agreements"] == before["agreements"] + (name == "reach_agreement")
        assert after["sessions"] == before["sessions"] + (name == "session")
        assert after["counts"][0] == after["sessions"]
    assert committed == RACES_PER_SCENARIO


@transactional
def test_race_reassign_winner_is_the_lead(centre, new_case, spares):
    # Same status on both sides: only the version tells the loser, and the winner's choice stands.
    case = new_case(S.ASSIGNED)
    outcomes = race(case.pk, [_reassign(centre, spares[0]), _reassign(centre, spares[1])])
    winner = assert_one_winner(outcomes)
    assert DisputeCase.objects.get(pk=case.pk).lead_mediator_id == spares[winner].pk
    assert CaseEvent.objects.filter(case_id=case.pk, name="reassign").count() == 1


@pytest.mark.django_db
def test_stale_copy_after_same_status_transition_conflicts(centre, case_at, spare_mediator, other_mediator):
    # Two pages opened on one assigned case; the first reassigns, the second's reassign must not win.
    first = DisputeCase.objects.get(pk=case_at(S.ASSIGNED).pk)
    second = DisputeCase.objects.get(pk=first.pk)
    mediation_services.case_reassign(first, actor=centre, mediator=spare_mediator, reason="更换")
    before = snapshot(first)
    with pytest.raises(CaseConflict) as lost:
        mediation_services.case_reassign(second, actor=centre, mediator=other_mediator, reason="再次更换")
    assert centre.display_name in lost.value.message
    assert snapshot(first) == before
    assert DisputeCase.objects.get(pk=first.pk).lead_mediator_id == spare_mediator.pk


@pytest.mark.django_db
def test_stale_copy_after_state_change_conflicts(centre, mediator, case_at):
    first = DisputeCase.objects.get(pk=case_at(S.MEDIATING).pk)
    second = DisputeCase.objects.get(pk=first.pk)
    case_services.case_withdraw(first, actor=centre, reason="撤回")
    before = snapshot(first)
    with pytest.raises(CaseConflict):
        mediation_services.case_reach_agreement(
            second, actor=mediator.user, form=AgreementForm.ORAL, terms="赔偿", signed_on=dt.date(2025, 3, 3)
        )
    assert snapshot(first) == before
    assert not Agreement.objects.filter(case_id=first.pk).exists()


@pytest.mark.django_db
def test_stale_copy_refused_for_what_changed_conflicts(community_staff, co_mediator, new_case):
    # The co-mediator's page was read before an escalation released them: the refusal rests on what
    # changed meanwhile, so it is a lost race like any other (everything_from_mediating, escalate then fail).
    first = DisputeCase.objects.get(pk=new_case(S.MEDIATING).pk)
    second = DisputeCase.objects.get(pk=first.pk)
    _escalate(community_staff)(first)
    before = snapshot(first)
    with pytest.raises(CaseConflict) as lost:
        _fail(co_mediator.user)(second)
    assert type(lost.value) is CaseConflict and community_staff.display_name in lost.value.message
    assert snapshot(first) == before


@transactional
def test_race_registrations_get_distinct_consecutive_numbers(centre, grid):
    # Eight registrations at once in a year with no number issued yet: the counter row is
    # created by one of them and locked by all, so no number is issued twice or skipped.
    at = timezone.make_aware(dt.datetime(2019, 6, 3, 10))
    outcomes = race(grid.pk, [lambda _case: register(centre, grid, at=at)] * 8, load=lambda pk: None)
    assert outcomes == ["ok"] * 8
    numbers = sorted(DisputeCase.objects.filter(year=2019).values_list("number", flat=True))
    assert numbers == [f"BHZ-2019-{n:04d}" for n in range(1, 9)]
    assert CaseEvent.objects.filter(case__year=2019, name="register").count() == 8
