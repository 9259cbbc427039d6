"""Who may see and do what to a case: one set of predicates for views, the API and the FSM.

These take already-loaded objects and read attributes only; the queryset form of
`can_view_case` is `casework.selectors.cases_visible_to`, and the two must agree
(tests/casework/test_scope.py checks that they do).
"""

from grids.enums import Role
from grids.permissions import active as _active
from grids.permissions import is_district_reader_for, is_grid_worker_for

from .enums import ACCEPT_LEVELS, CaseStatus, Level, Transition


def is_centre_staff_for(user, subdistrict_id) -> bool:
    return _active(user) and user.has_role(Role.CENTRE_STAFF) and user.subdistrict_id == subdistrict_id


def is_own_centre_staff(user) -> bool:
    """Centre staff of the subdistrict the user belongs to (the subdistrict-wide work: ledger imports)."""
    return bool(user.subdistrict_id) and is_centre_staff_for(user, user.subdistrict_id)


def is_leader_for(user, subdistrict_id) -> bool:
    return _active(user) and user.has_role(Role.LEADER) and user.subdistrict_id == subdistrict_id


def is_district_staff_for(user, subdistrict_id) -> bool:
    """The district centre's staff (区综治中心) over this subdistrict; its leaders only read."""
    return is_district_reader_for(user, subdistrict_id) and user.has_role(Role.DISTRICT_STAFF)


def holds_case(user, case) -> bool:
    """Staff of the centre that has the case in hand: the district's once the subdistrict referred it
    up, otherwise the subdistrict's. The subdistrict keeps reading a case it referred up, but no
    longer runs it."""
    if case.level == Level.DISTRICT:
        return is_district_staff_for(user, case.subdistrict_id)
    return is_centre_staff_for(user, case.subdistrict_id)


def is_community_staff_for(user, community_id) -> bool:
    return _active(user) and user.has_role(Role.COMMUNITY_STAFF) and user.community_id == community_id


def is_lead_mediator(user, case) -> bool:
    return (
        _active(user)
        and user.has_role(Role.MEDIATOR)
        and case.lead_mediator_id is not None
        and case.lead_mediator.user_id == user.id
    )


def is_case_mediator(user, case) -> bool:
    return _active(user) and user.has_role(Role.MEDIATOR) and user.id in case.mediator_user_ids()


def can_register_in(user, grid) -> bool:
    return (
        is_grid_worker_for(user, grid.id)
        or is_community_staff_for(user, grid.community_id)
        or is_centre_staff_for(user, grid.community.subdistrict_id)
    )


def can_view_case(user, case) -> bool:
    return (
        is_centre_staff_for(user, case.subdistrict_id)
        or is_leader_for(user, case.subdistrict_id)
        or is_district_reader_for(user, case.subdistrict_id)
        or is_community_staff_for(user, case.community_id)
        or is_grid_worker_for(user, case.grid_id)
        or is_case_mediator(user, case)
    )


def can_see_personal_data(user, case) -> bool:
    """Full ID numbers and phones: centre staff, the district's staff holding a case referred up to
    them, and the case's own mediators only."""
    return is_centre_staff_for(user, case.subdistrict_id) or holds_case(user, case) or is_case_mediator(user, case)


def can_export_personal_data(user, case) -> bool:
    """Full ID numbers and phones in a file: outside the case page personal data are masked for
    everyone; centre staff may ask for them in full to move a ledger (an audited export)."""
    return is_centre_staff_for(user, case.subdistrict_id)


# Who may run each transition (the rest, state and requirements, is the FSM's job). Keyed by the
# same names as the workflow table, mediation/workflow.py (tests/mediation/test_workflow.py).
_RULES = {
    Transition.ACCEPT: lambda u, c: (
        is_centre_staff_for(u, c.subdistrict_id) or is_community_staff_for(u, c.community_id)
    ),
    Transition.DECLINE: lambda u, c: (
        is_centre_staff_for(u, c.subdistrict_id) or is_community_staff_for(u, c.community_id)
    ),
    Transition.ASSIGN: lambda u, c: (
        holds_case(u, c) or (is_community_staff_for(u, c.community_id) and c.level == Level.COMMUNITY)
    ),
    Transition.REASSIGN: holds_case,
    Transition.START: is_lead_mediator,
    Transition.REACH_AGREEMENT: is_case_mediator,
    Transition.FAIL: is_case_mediator,
    # A failure is taken up the ladder by the community's staff or the centre; its mediators have
    # concluded (they escalate only while the case is theirs to mediate).
    Transition.ESCALATE: lambda u, c: (
        is_centre_staff_for(u, c.subdistrict_id)
        or is_community_staff_for(u, c.community_id)
        or (is_case_mediator(u, c) and c.status != CaseStatus.FAILED)
    ),
    # The subdistrict's centre refers its own cases up; the district takes them, it does not reach down.
    Transition.REFER_DISTRICT: lambda u, c: is_centre_staff_for(u, c.subdistrict_id),
    Transition.WITHDRAW: lambda u, c: holds_case(u, c) or is_case_mediator(u, c),
    Transition.CLOSE: holds_case,
    # 回避 is declared by the mediator concerned, or by centre staff on their behalf.
    Transition.RECUSE: lambda u, c: is_lead_mediator(u, c) or holds_case(u, c),
}


# Steps only the case's mediators take live. When centre staff replay a paper ledger's
# history (imported=True, ledger), they enter these on the mediators' behalf.
_REPLAYABLE_BY_CENTRE = frozenset({Transition.START, Transition.REACH_AGREEMENT, Transition.FAIL})


def can_transition(user, case, name: str, *, imported: bool = False) -> bool:
    rule = _RULES.get(name)
    if rule and rule(user, case):
        return True
    return imported and name in _REPLAYABLE_BY_CENTRE and is_centre_staff_for(user, case.subdistrict_id)


def can_accept_at_level(user, case, level: str) -> bool:
    """Community staff accept community-level cases only; the subdistrict level is the centre's; the
    district level is reached by a referral only."""
    if level not in ACCEPT_LEVELS:
        return False
    return is_centre_staff_for(user, case.subdistrict_id) or (
        level == Level.COMMUNITY and is_community_staff_for(user, case.community_id)
    )


def can_log_session(user, case) -> bool:
    return is_case_mediator(user, case) or holds_case(user, case)


def can_correct_records(user, case) -> bool:
    """Corrections of the file (a party's particulars, a session, a follow-up): the centre's staff,
    who answer for the file; mediators and community staff see the history, and ask them."""
    return is_centre_staff_for(user, case.subdistrict_id)


def can_record_follow_up(user, case) -> bool:
    return is_case_mediator(user, case) or holds_case(user, case)


def can_extend_deadline(user, case) -> bool:
    return holds_case(user, case)
