"""Every transition × every role, as the table below says; every requirement of each transition;
and a refused call writes nothing."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from casework import services as case_services
from casework.enums import CaseStatus, Level, Referral, Transition
from casework.exceptions import CasePermissionDenied, TransitionUnavailable
from casework.models import CaseEvent
from mediation import services as mediation_services
from mediation.enums import AgreementForm
from mediation.models import Agreement
from mediation.workflow import TRANSITION_SERVICES
from tests.workflow import assert_refused, fresh, log_follow_up, log_session, snapshot

S = CaseStatus
T = Transition

ROLES = ["centre", "leader", "community", "other_community", "gridworker", "lead", "co", "unrelated_mediator", "admin"]

# Who may run each transition on a community-level case of
# the community, with `lead` and `co` as the case's mediators.
ALLOWED = {
    T.ACCEPT: {"centre", "community"},
    T.DECLINE: {"centre", "community"},
    T.ASSIGN: {"centre", "community"},
    T.REASSIGN: {"centre"},
    T.START: {"lead"},
    T.REACH_AGREEMENT: {"lead", "co"},
    T.FAIL: {"lead", "co"},
    T.ESCALATE: {"centre", "community", "lead", "co"},  # from mediating; from failed without the mediators
    # The subdistrict's centre refers its own subdistrict-level case to the district.
    T.REFER_DISTRICT: {"centre"},
    T.WITHDRAW: {"centre", "lead", "co"},
    T.CLOSE: {"centre"},
    # 回避: the lead leaves, or centre staff record it for them.
    T.RECUSE: {"centre", "lead"},
}
# from → to, for each transition.
SOURCES = {
    T.ACCEPT: [S.REPORTED],
    T.DECLINE: [S.REPORTED],
    T.ASSIGN: [S.ACCEPTED],
    T.REASSIGN: [S.ASSIGNED, S.MEDIATING],
    T.START: [S.ASSIGNED],
    T.REACH_AGREEMENT: [S.MEDIATING],
    T.FAIL: [S.MEDIATING],
    # A community failure goes up the ladder too (issue 13): failed (community) → accepted (subdistrict).
    T.ESCALATE: [S.ACCEPTED, S.ASSIGNED, S.MEDIATING, S.FAILED],
    T.REFER_DISTRICT: [S.ACCEPTED, S.ASSIGNED, S.MEDIATING, S.FAILED],
    T.WITHDRAW: [S.REPORTED, S.ACCEPTED, S.ASSIGNED, S.MEDIATING],
    T.CLOSE: [S.AGREED, S.FAILED],
    T.RECUSE: [S.ASSIGNED, S.MEDIATING],
}
TARGET = {
    T.ACCEPT: S.ACCEPTED,
    T.DECLINE: S.DECLINED,
    T.ASSIGN: S.ASSIGNED,
    T.REASSIGN: S.ASSIGNED,
    T.START: S.MEDIATING,
    T.REACH_AGREEMENT: S.AGREED,
    T.FAIL: S.FAILED,
    T.ESCALATE: S.ACCEPTED,
    T.REFER_DISTRICT: S.ACCEPTED,
    T.WITHDRAW: S.WITHDRAWN,
    T.CLOSE: S.CLOSED,
    T.RECUSE: S.ACCEPTED,
}
# The source state the role sweep starts from: the latest one, so the case's mediators exist.
SWEEP_FROM = {name: sources[-1] for name, sources in SOURCES.items()} | {
    T.ESCALATE: S.MEDIATING,
    T.REFER_DISTRICT: S.MEDIATING,
}
# The level a transition's case is at (community, unless the transition needs another).
LEVEL = {T.REFER_DISTRICT: Level.SUBDISTRICT}
MEDIATOR_ONLY = {T.START, T.REACH_AGREEMENT, T.FAIL}
# States in which `drive` leaves the lead mediator on the case.
WITH_MEDIATORS = [S.ASSIGNED, S.MEDIATING, S.AGREED, S.FAILED, S.CLOSED, S.WITHDRAWN]


def valid_arguments(name, *, mediator, co_mediator, spare_mediator):
    return {
        T.ACCEPT: {"level": Level.COMMUNITY},
        T.DECLINE: {"reason": "属于劳动仲裁受理范围", "referral": Referral.ARBITRATION},
        T.ASSIGN: {"mediator": mediator, "co_mediators": [co_mediator]},
        T.REASSIGN: {"mediator": spare_mediator, "reason": "当事人申请更换调解员"},
        T.START: {},
        T.REACH_AGREEMENT: {"form": AgreementForm.ORAL, "terms": "赔偿500元", "signed_on": timezone.localdate()},
        T.FAIL: {"reason": "双方分歧较大", "guidance": "litigation"},
        T.ESCALATE: {"reason": "社区调解未果"},
        T.REFER_DISTRICT: {"reason": "街道无力化解"},
        T.WITHDRAW: {"reason": "申请人撤回申请"},
        T.CLOSE: {},
        T.RECUSE: {"reason": "与被申请人系亲属"},
    }[name]


@pytest.fixture
def perform(mediator, co_mediator, spare_mediator):
    def run(name, case, actor):
        kwargs = valid_arguments(name, mediator=mediator, co_mediator=co_mediator, spare_mediator=spare_mediator)
        return TRANSITION_SERVICES[name](case, actor=actor, **kwargs)

    return run


@pytest.fixture(autouse=True)
def in_a_district(district):
    """The subdistrict belongs to a district, so that it may refer cases up to it."""


def test_table_covers_every_transition_but_register():
    assert set(ALLOWED) == set(TRANSITION_SERVICES) == set(Transition) - {T.REGISTER}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(ALLOWED))
def test_transition_by_role_as_the_table_says(name, role, cast, case_at, perform):
    case = case_at(SWEEP_FROM[name], level=LEVEL.get(name, Level.COMMUNITY))
    actor = cast[role]
    before = snapshot(case)
    if role in ALLOWED[name]:
        perform(name, case, actor)
        after = fresh(case)
        assert after.status == TARGET[name]
        assert after.version > before["version"]
        event = CaseEvent.objects.filter(case=case).latest("id")
        # 回避退出 records the declaration, then the transition.
        written = 2 if name == T.RECUSE else 1
        assert CaseEvent.objects.filter(case=case).count() == before["events"] + written
        assert (event.name, event.actor, event.from_status, event.to_status) == (
            name,
            actor,
            SWEEP_FROM[name],
            TARGET[name],
        )
    else:
        with pytest.raises(CasePermissionDenied):
            perform(name, case, actor)
        assert snapshot(case) == before


@pytest.mark.parametrize(
    ("name", "state"),
    [(name, state) for name, sources in SOURCES.items() for state in sources if name not in MEDIATOR_ONLY],
)
def test_transition_from_every_source_state_by_centre(name, state, centre, case_at, perform):
    case = case_at(state, level=LEVEL.get(name, Level.COMMUNITY))
    perform(name, case, centre)
    assert fresh(case).status == TARGET[name]
    assert CaseEvent.objects.filter(case=case).latest("id").from_status == state


def _wrong_states(name):
    states = WITH_MEDIATORS if name in MEDIATOR_ONLY else list(S)
    return [state for state in states if state not in SOURCES[name]]


@pytest.mark.parametrize(("name", "state"), [(name, state) for name in ALLOWED for state in _wrong_states(name)])
def test_transition_from_wrong_state_unavailable(name, state, cast, case_at, perform):
    # An actor the table allows, so the refusal is about the state alone.
    actor = cast["lead"] if name in MEDIATOR_ONLY else cast["centre"]
    case = case_at(state, level=LEVEL.get(name, Level.COMMUNITY))
    before = snapshot(case)
    with pytest.raises(TransitionUnavailable) as refused:
        perform(name, case, actor)
    assert type(refused.value) is TransitionUnavailable
    assert snapshot(case) == before


@pytest.mark.parametrize("name", sorted(MEDIATOR_ONLY))
@pytest.mark.parametrize("state", [S.REPORTED, S.ACCEPTED, S.DECLINED])
def test_mediator_transition_before_assignment_denied(name, state, cast, case_at, perform):
    # Before assignment nobody is the case's mediator, so the mediator is refused as a stranger.
    case = case_at(state)
    with pytest.raises(CasePermissionDenied):
        perform(name, case, cast["lead"])


# Requirements of each transition


@pytest.mark.parametrize("name", [T.REACH_AGREEMENT, T.FAIL])
def test_conclusion_without_session_unavailable(name, cast, case_at, perform):
    case = case_at(S.MEDIATING, session=False)
    before = snapshot(case)
    with pytest.raises(TransitionUnavailable, match="至少需要一条调解记录"):
        perform(name, case, cast["lead"])
    assert snapshot(case) == before


def test_close_agreed_without_follow_up_unavailable(centre, case_at):
    case = case_at(S.AGREED, follow_up=False)
    before = snapshot(case)
    with pytest.raises(TransitionUnavailable, match="回访"):
        case_services.case_close(case, actor=centre)
    assert snapshot(case) == before


def test_close_agreed_after_follow_up_allowed(centre, mediator, case_at):
    case = case_at(S.AGREED, follow_up=False)
    log_follow_up(case, mediator.user)
    case_services.case_close(fresh(case), actor=centre)
    assert fresh(case).status == S.CLOSED


@pytest.mark.parametrize("state", [S.ACCEPTED, S.ASSIGNED, S.MEDIATING])
def test_escalate_subdistrict_level_unavailable(state, centre, case_at):
    case = case_at(state, level=Level.SUBDISTRICT)
    before = snapshot(case)
    with pytest.raises(TransitionUnavailable, match="社区层级"):
        case_services.case_escalate(case, actor=centre, reason="再上报")
    assert snapshot(case) == before


def test_escalate_releases_mediators_and_keeps_attempts(community_staff, centre, mediator, co_mediator, case_at):
    case = case_at(S.MEDIATING)
    assert (case.community_attempts, case.subdistrict_attempts) == (1, 0)
    case_services.case_escalate(case, actor=community_staff, reason="社区调解未果")
    case = fresh(case)
    assert (case.status, case.level, case.lead_mediator_id) == (S.ACCEPTED, Level.SUBDISTRICT, None)
    assert not case.co_mediators.exists()
    assert (case.community_attempts, case.subdistrict_attempts) == (1, 0)
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert sorted(event.data["released_mediators"]) == sorted([mediator.pk, co_mediator.pk])
    # The released mediators no longer act on it; the subdistrict's next attempt is counted apart.
    with pytest.raises(CasePermissionDenied):
        case_services.case_withdraw(case, actor=mediator.user, reason="撤回")
    mediation_services.case_assign(case, actor=centre, mediator=mediator)
    mediation_services.case_start(case, actor=mediator.user)
    case = fresh(case)
    assert (case.community_attempts, case.subdistrict_attempts) == (1, 1)


def test_escalate_without_reason_refused(community_staff, case_at):
    case = case_at(S.ACCEPTED)
    assert_refused(case, lambda: case_services.case_escalate(case, actor=community_staff, reason="  "), "reason")


def test_reassign_to_same_mediator_refused(centre, mediator, case_at):
    case = case_at(S.ASSIGNED)
    assert_refused(
        case, lambda: mediation_services.case_reassign(case, actor=centre, mediator=mediator, reason="更换"), "mediator"
    )


def test_reassign_without_reason_refused(centre, spare_mediator, case_at):
    case = case_at(S.MEDIATING)
    assert_refused(
        case, lambda: mediation_services.case_reassign(case, actor=centre, mediator=spare_mediator, reason=""), "reason"
    )


def test_reassign_to_co_mediator_makes_them_lead_only(centre, co_mediator, case_at):
    case = case_at(S.ASSIGNED)
    mediation_services.case_reassign(case, actor=centre, mediator=co_mediator, reason="由协助调解员主调")
    case = fresh(case)
    assert case.lead_mediator_id == co_mediator.pk
    assert not case.co_mediators.exists()


@pytest.mark.parametrize(
    ("reason", "referral", "field"),
    [("", Referral.COURT, "reason"), ("不属于调解范围", "", "referral"), ("不属于调解范围", "nowhere", "referral")],
)
def test_decline_without_reason_or_referral_refused(reason, referral, field, centre, case_at):
    case = case_at(S.REPORTED)
    assert_refused(
        case, lambda: case_services.case_decline(case, actor=centre, reason=reason, referral=referral), field
    )


def test_community_staff_accept_subdistrict_level_denied(community_staff, case_at):
    case = case_at(S.REPORTED)
    before = snapshot(case)
    with pytest.raises(CasePermissionDenied):
        case_services.case_accept(case, actor=community_staff, level=Level.SUBDISTRICT)
    assert snapshot(case) == before


def test_centre_accept_subdistrict_level_allowed(centre, case_at):
    case = case_at(S.REPORTED)
    case_services.case_accept(case, actor=centre, level=Level.SUBDISTRICT)
    assert fresh(case).level == Level.SUBDISTRICT


def test_accept_unknown_level_refused(centre, case_at):
    case = case_at(S.REPORTED)
    with pytest.raises(ValidationError) as refused:
        case_services.case_accept(case, actor=centre, level="province")
    assert "level" in refused.value.message_dict
    assert fresh(case).status == S.REPORTED


def test_community_staff_assign_subdistrict_level_denied(community_staff, mediator, case_at):
    case = case_at(S.ACCEPTED, level=Level.SUBDISTRICT)
    before = snapshot(case)
    with pytest.raises(CasePermissionDenied):
        mediation_services.case_assign(case, actor=community_staff, mediator=mediator)
    assert snapshot(case) == before


def test_assign_without_mediator_refused(centre, case_at):
    case = case_at(S.ACCEPTED)
    assert_refused(case, lambda: mediation_services.case_assign(case, actor=centre, mediator=None), "mediator")


@pytest.mark.parametrize(("name", "field"), [(T.FAIL, "reason"), (T.WITHDRAW, "reason")])
def test_reason_required(name, field, cast, case_at):
    case = case_at(S.MEDIATING)
    kwargs = {"guidance": "litigation"} if name == T.FAIL else {}
    assert_refused(case, lambda: TRANSITION_SERVICES[name](case, actor=cast["lead"], reason=" ", **kwargs), field)


def test_fail_without_valid_guidance_refused(mediator, case_at):
    case = case_at(S.MEDIATING)
    assert_refused(
        case,
        lambda: mediation_services.case_fail(case, actor=mediator.user, reason="分歧大", guidance="prayer"),
        "guidance",
    )


# Records: sessions while mediating, follow-ups after a conclusion


@pytest.mark.parametrize("state", [S.ASSIGNED, S.AGREED, S.FAILED, S.CLOSED, S.WITHDRAWN])
def test_session_outside_mediating_unavailable(state, mediator, case_at):
    case = case_at(state)
    before = snapshot(case)
    with pytest.raises(TransitionUnavailable, match="调解记录"):
        log_session(case, mediator.user)
    assert snapshot(case) == before


def test_session_by_unrelated_mediator_denied(other_mediator, case_at):
    case = case_at(S.MEDIATING)
    before = snapshot(case)
    with pytest.raises(CasePermissionDenied):
        log_session(case, other_mediator.user)
    assert snapshot(case) == before


def test_session_counts_and_logs(co_mediator, case_at):
    case = case_at(S.MEDIATING)
    before = snapshot(case)
    log_session(case, co_mediator.user)
    after = snapshot(case)
    assert after["sessions"] == before["sessions"] + 1
    assert after["counts"][0] == before["counts"][0] + 1
    assert after["events"] == before["events"] + 1
    assert after["status"] == S.MEDIATING


@pytest.mark.parametrize("state", [S.ACCEPTED, S.ASSIGNED, S.MEDIATING, S.WITHDRAWN])
def test_follow_up_outside_conclusion_unavailable(state, centre, case_at):
    case = case_at(state)
    before = snapshot(case)
    with pytest.raises(TransitionUnavailable, match="回访"):
        log_follow_up(case, centre)
    assert snapshot(case) == before


@pytest.mark.parametrize("state", [S.AGREED, S.FAILED, S.CLOSED])
def test_follow_up_after_conclusion_allowed(state, centre, case_at):
    case = case_at(state)
    before = snapshot(case)
    log_follow_up(case, centre)
    assert snapshot(case)["follow_ups"] == before["follow_ups"] + 1


def test_first_follow_up_discharges_follow_up_deadline(mediator, case_at):
    case = case_at(S.AGREED, follow_up=False)
    assert case.next_due == case.follow_up_due is not None
    log_follow_up(case, mediator.user)
    assert fresh(case).next_due is None


# The agreement


def test_written_agreement_requires_performance_method_and_deadline(mediator, case_at):
    case = case_at(S.MEDIATING)
    assert_refused(
        case,
        lambda: mediation_services.case_reach_agreement(
            case, actor=mediator.user, form=AgreementForm.WRITTEN, terms="赔偿500元", signed_on=timezone.localdate()
        ),
        "performance_method",
        "performance_deadline",
        "facts",
        "disputed_matters",
        "responsibilities",
        "signatures",
        "mediator_signed",
        "committee_sealed",
    )


@pytest.mark.parametrize(
    ("form", "terms", "signed_on", "field"),
    [
        ("video", "赔偿500元", dt.date(2025, 3, 3), "form"),
        (AgreementForm.ORAL, " ", dt.date(2025, 3, 3), "terms"),
        (AgreementForm.ORAL, "赔偿500元", None, "signed_on"),
        (AgreementForm.ORAL, "赔偿500元", dt.date(2999, 1, 1), "signed_on"),
    ],
)
def test_agreement_bad_particulars_refused(form, terms, signed_on, field, mediator, case_at):
    case = case_at(S.MEDIATING)
    assert_refused(
        case,
        lambda: mediation_services.case_reach_agreement(
            case, actor=mediator.user, form=form, terms=terms, signed_on=signed_on
        ),
        field,
    )


@pytest.mark.parametrize(
    ("signed_on", "deadline"),
    [
        # +30 days is a plain Monday.
        (dt.date(2025, 3, 1), dt.date(2025, 3, 31)),
        # +30 days is 2025-10-01, inside 国庆 (Oct 1–8): the first working day after is Thursday Oct 9.
        (dt.date(2025, 9, 1), dt.date(2025, 10, 9)),
        # +30 days is Saturday 2024-02-10, 春节 (Feb 10–17): the make-up Sunday Feb 18 is a working day.
        (dt.date(2024, 1, 11), dt.date(2024, 2, 18)),
        # +30 days is Sunday 2025-06-01, inside 端午 (May 31–Jun 2).
        (dt.date(2025, 5, 2), dt.date(2025, 6, 3)),
    ],
)
def test_judicial_confirmation_deadline_rolls_to_working_day(signed_on, deadline, mediator, case_at):
    case = case_at(S.MEDIATING)
    mediation_services.case_reach_agreement(
        case, actor=mediator.user, form=AgreementForm.ORAL, terms="赔偿500元", signed_on=signed_on
    )
    assert Agreement.objects.get(case=case).judicial_deadline == deadline


def test_follow_up_dated_before_conclusion_refused(mediator, case_at):
    case = case_at(S.AGREED, follow_up=False)
    concluded_on = timezone.localtime(case.concluded_at).date()
    assert_refused(
        case,
        lambda: mediation_services.follow_up_record(
            case, actor=mediator.user, date=concluded_on - dt.timedelta(days=1), performed=True, satisfaction=4
        ),
        "date",
    )


@pytest.mark.parametrize(("satisfaction", "method"), [(0, "phone"), (6, "phone"), (True, "phone"), (3, "pigeon")])
def test_follow_up_bad_input_refused(satisfaction, method, mediator, case_at):
    case = case_at(S.FAILED)
    field = "method" if method == "pigeon" else "satisfaction"
    assert_refused(
        case,
        lambda: mediation_services.follow_up_record(
            case,
            actor=mediator.user,
            date=timezone.localdate(),
            performed=False,
            satisfaction=satisfaction,
            method=method,
        ),
        field,
    )


@pytest.mark.parametrize("role", ["centre", "community", "lead", "co", "other_community", "gridworker"])
def test_a_community_failure_is_taken_up_by_the_community_or_the_centre_only(role, cast, case_at, perform):
    case = case_at(S.FAILED)
    if role in {"centre", "community"}:
        perform(T.ESCALATE, case, cast[role])
        assert fresh(case).status == S.ACCEPTED
    else:
        with pytest.raises(CasePermissionDenied):
            perform(T.ESCALATE, case, cast[role])
