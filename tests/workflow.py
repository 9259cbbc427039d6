"""Walking a case through the real services to any state (`drive`: the one helper for it, never
assigning the status), the records on the way, and `snapshot`, everything a refused call must
leave as it was."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from casework import services as case_services
from casework.enums import CaseStatus, Guidance, Level, Referral
from casework.models import CaseEvent, DisputeCase
from mediation import services as mediation_services
from mediation.models import Agreement, FollowUp, MediationSession
from tests.factories import register

S = CaseStatus


def log_session(case, actor, *, held_at=None, **extra):
    return mediation_services.session_log(
        case,
        actor=actor,
        held_at=held_at or timezone.now() - dt.timedelta(hours=1),
        location="第三方调解室",
        summary="听取双方陈述",
        public=False,
        rights_explained=True,
        rights_explained_by="调解员",
        **extra,
    )


def log_follow_up(case, actor):
    return mediation_services.follow_up_record(
        case, actor=actor, date=timezone.localdate(), performed=True, satisfaction=5
    )


def drive(
    state,
    *,
    centre,
    lead,
    grid,
    co=None,
    level=Level.SUBDISTRICT,
    session=True,
    follow_up=False,
    at=None,
    concluded=None,
    **registration,
):
    """The one way the tests make a case in `state`: registered by centre staff (with `registration`,
    e.g. category or source), walked through the real services, loaded afresh.

    From `assigned` on it has `lead` as lead mediator (and `co` as co-mediator); from `mediating`
    on, one session unless `session=False`. `withdrawn` is reached from `mediating`, `closed` from
    `agreed` after a follow-up (`agreed` has one only with `follow_up=True`). It is registered `at`
    (ten days ago by default); with `concluded`, the steps up to the conclusion are spread evenly
    between the two, else they happen now.
    """
    registered = at or timezone.now() - dt.timedelta(days=10)
    step = (concluded - registered) / 5 if concluded else None

    def when(n):
        return registered + n * step if step else None

    case = register(centre, grid, at=registered, **registration)
    if state == S.REPORTED:
        return fresh(case)
    if state == S.DECLINED:
        case_services.case_decline(case, actor=centre, reason="不属于调解范围", referral=Referral.COURT, at=concluded)
        return fresh(case)
    case_services.case_accept(case, actor=centre, level=level, at=when(1))
    if state == S.ACCEPTED:
        return fresh(case)
    mediation_services.case_assign(case, actor=centre, mediator=lead, co_mediators=[co] if co else [], at=when(2))
    if state == S.ASSIGNED:
        return fresh(case)
    mediation_services.case_start(case, actor=lead.user, at=when(3))
    if session:
        log_session(case, lead.user, **({"held_at": when(4), "at": when(4)} if step else {}))
    if state == S.MEDIATING:
        return fresh(case)
    if state == S.WITHDRAWN:
        case_services.case_withdraw(case, actor=centre, reason="当事人撤回", at=concluded)
        return fresh(case)
    if state == S.FAILED:
        mediation_services.case_fail(case, actor=lead.user, reason="分歧大", guidance=Guidance.LITIGATION, at=concluded)
        return fresh(case)
    signed_on = timezone.localtime(concluded).date() if concluded else timezone.localdate()
    mediation_services.case_reach_agreement(
        case, actor=lead.user, form="oral", terms="赔偿500元", signed_on=signed_on, at=concluded
    )
    if follow_up or state == S.CLOSED:
        log_follow_up(case, lead.user)
    if state == S.AGREED:
        return fresh(case)
    if state == S.CLOSED:
        case_services.case_close(case, actor=centre)
        return fresh(case)
    raise ValueError(state)


def fresh(case):
    """The case as a new request would load it."""
    return DisputeCase.objects.get(pk=case.pk)


def snapshot(case) -> dict:
    """Everything a refused call must leave as it was."""
    row = DisputeCase.objects.get(pk=case.pk)
    return {
        "status": row.status,
        "version": row.version,
        "level": row.level,
        "lead": row.lead_mediator_id,
        "co": sorted(row.co_mediators.values_list("pk", flat=True)),
        "outcome": row.outcome,
        "concluded_at": row.concluded_at,
        "closed_at": row.closed_at,
        "attempts": (row.community_attempts, row.subdistrict_attempts),
        "counts": (row.session_count, row.follow_up_count),
        "events": CaseEvent.objects.filter(case_id=row.pk).count(),
        "agreements": Agreement.objects.filter(case_id=row.pk).count(),
        "sessions": MediationSession.objects.filter(case_id=row.pk).count(),
        "follow_ups": FollowUp.objects.filter(case_id=row.pk).count(),
    }


def assert_refused(case, call, *fields) -> ValidationError:
    """`call()` raises a ValidationError naming each of `fields`, and leaves the case as it was."""
    before = snapshot(case)
    with pytest.raises(ValidationError) as refused:
        call()
    assert set(fields) <= set(refused.value.message_dict), refused.value.message_dict
    assert snapshot(case) == before
    return refused.value


def person_id(seed: int, born: str = "19800101", male: bool = True) -> str:
    """A valid ID number (GB 11643) for a person born on `born`; the sequence's last digit gives the sex."""
    from casework.personal_data import id_check_digit

    first17 = f"360102{born}{seed % 100:02d}{1 if male else 2}"
    return first17 + id_check_digit(first17)


def written_agreement(case, *, signed_on=None, **extra) -> dict:
    """The keyword arguments of a complete written agreement (art. 29) for `case`: every party's
    missing particulars supplied, every party signed, the mediator's signature and the seal."""
    signed_on = signed_on or timezone.localdate()
    parties = list(case.parties.all())
    particulars = []
    for index, party in enumerate(parties):
        if party.kind == "organisation":
            row = {"address": "南昌市东湖区八一大道1号", "legal_representative": "周法人"}
        else:
            row = {"ethnicity": "汉族", "address": "南昌市东湖区百花洲路2号", "id_number": person_id(index)}
        particulars.append({"party": party.pk, **row})
    return {
        "form": "written",
        "terms": "甲方赔偿乙方500元",
        "signed_on": signed_on,
        "facts": "楼上卫生间漏水，致楼下天花板受损",
        "disputed_matters": "维修费用与赔偿数额",
        "responsibilities": "甲方负主要责任",
        "performance_method": "银行转账",
        "performance_deadline": signed_on + dt.timedelta(days=15),
        "signatures": [{"party": p.pk, "mark": "signature"} for p in parties],
        "mediator_signed": True,
        "committee_sealed": True,
        "particulars": particulars,
        **extra,
    }
