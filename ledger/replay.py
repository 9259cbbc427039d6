"""Replaying a checked ledger row through the services, at the ledger's historical dates.

Each step is the service a user's click would call, with `at=` the historical moment
and `imported=True`, so the case arrives in the state its outcome implies and every
event says it came from a ledger. The importing centre-staff user is the actor.
"""

import datetime as dt

from django.utils import timezone

from casework import services as case_services
from casework.enums import WITH_MEDIATOR, CaseStatus, Guidance, Referral
from casework.models import DisputeCase
from mediation import services as mediation_services

from .checks import FollowUp, LedgerRow

S = CaseStatus
STEP = dt.timedelta(minutes=10)
IMPORT_NOTE = "据台账导入"


class Clock:
    """Historical moments for one case: the ledger's dates at working hours, each step after the last."""

    def __init__(self, now: dt.datetime):
        self.now = now
        self.cursor: dt.datetime | None = None

    def on(self, day: dt.date | None, hour: int = 9) -> dt.datetime:
        if day is None:
            return self.next()
        moment = min(timezone.make_aware(dt.datetime.combine(day, dt.time(hour))), self.now)
        if self.cursor is not None:
            moment = max(moment, self.cursor + STEP)
        self.cursor = moment
        return moment

    def next(self) -> dt.datetime:
        self.cursor = self.cursor + STEP
        return self.cursor


def replay(plan: LedgerRow, *, actor, now: dt.datetime) -> DisputeCase:
    """One ledger row through the services, from registration to the state its outcome implies."""
    clock = Clock(now)
    common = {"actor": actor, "imported": True}
    case = case_services.case_register(
        grid=plan.grid,
        category=plan.category,
        source=plan.source,
        risk=plan.risk,
        description=plan.description,
        parties=plan.parties,
        external_ref=plan.ref,
        note=IMPORT_NOTE,
        at=clock.on(plan.registered_on),
        **common,
    )
    status = plan.status
    if status == S.REPORTED:
        return case
    if status == S.DECLINED:
        return case_services.case_decline(
            case,
            reason=plan.reason,
            referral=plan.route or Referral.OTHER,
            at=clock.on(plan.concluded_on, 17),
            **common,
        )
    case_services.case_accept(case, level=plan.level, note=IMPORT_NOTE, at=clock.next(), **common)
    if status == S.ACCEPTED:
        return case
    lead, co = (plan.mediators[0], plan.mediators[1:]) if plan.mediators else (None, [])
    if lead is not None:
        mediation_services.case_assign(
            case, mediator=lead, co_mediators=co, note=IMPORT_NOTE, at=clock.next(), **common
        )
    if lead is not None and (plan.sessions or status not in (S.ASSIGNED, S.WITHDRAWN)):
        mediation_services.case_start(case, note=IMPORT_NOTE, at=clock.next(), **common)
    for session in plan.sessions:
        held_at = clock.on(session.held_on, 10)
        mediation_services.session_log(
            case,
            held_at=held_at,
            location=session.location,
            summary=session.summary,
            public=False,
            rights_explained=False,
            attendees="",
            at=held_at,
            **common,
        )
    if status == S.WITHDRAWN:
        return case_services.case_withdraw(case, reason=plan.reason, at=clock.on(plan.concluded_on, 17), **common)
    if status in WITH_MEDIATOR:
        return case
    concluded_at = clock.on(plan.concluded_on, 17)
    if status == S.AGREED:
        mediation_services.case_reach_agreement(
            case,
            form=plan.agreement_form,
            terms=plan.terms,
            signed_on=plan.concluded_on,
            performance_method=plan.performance_method,
            performance_deadline=plan.performance_deadline,
            facts=plan.facts,
            disputed_matters=plan.disputed_matters,
            responsibilities=plan.responsibilities,
            signatures=[
                {"party": party.pk, "mark": plan.signing["marks"][party.name]}
                for party in case.related("parties")
                if party.name in plan.signing.get("marks", {})
            ],
            mediator_signed=plan.signing.get("mediator_signed", False),
            committee_sealed=plan.signing.get("committee_sealed", False),
            note=IMPORT_NOTE,
            at=concluded_at,
            **common,
        )
    else:
        mediation_services.case_fail(
            case, reason=plan.reason, guidance=plan.route or Guidance.NONE, at=concluded_at, **common
        )
    follow_ups = sorted(plan.follow_ups, key=lambda f: f.date)
    closing = [f for f in follow_ups if plan.closed_on is None or f.date <= plan.closed_on]
    for follow_up in closing:
        _follow_up(case, follow_up, clock, common)
    if plan.closed_on:
        case_services.case_close(case, note=IMPORT_NOTE, at=clock.on(plan.closed_on, 17), **common)
        for follow_up in follow_ups[len(closing) :]:
            _follow_up(case, follow_up, clock, common)
    return case


def _follow_up(case, follow_up: FollowUp, clock: Clock, common: dict):
    mediation_services.follow_up_record(
        case,
        date=follow_up.date,
        performed=follow_up.performed,
        satisfaction=follow_up.satisfaction,
        method=follow_up.method,
        notes=follow_up.notes,
        at=clock.on(follow_up.date, 10),
        **common,
    )
