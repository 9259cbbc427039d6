"""Every write to a case. There is exactly one path by which a case changes state:
`apply_transition`, called by the transition services here and in mediation.services.

Each service checks the actor's permission, runs the FSM transition, writes the case
with an UPDATE conditional on the version it was read with (optimistic locking), and
writes the CaseEvent, in one transaction. A lost race or a transition no longer
available raises and writes nothing. Writes go through `writes`, which can also collect
them for many new cases at once (a ledger import) and send them in bulk.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from common.prepared import attached, detach
from grids.models import Grid

from . import calendar, notices, permissions, versions, writes
from .enums import (
    ACCEPT_LEVELS,
    IN_MEDIATION,
    CaseStatus,
    Level,
    RecordKind,
    Referral,
    Risk,
    Source,
    Transition,
    WarningReason,
    WithdrawnBy,
)
from .exceptions import CaseConflict, CaseError, CasePermissionDenied, TransitionUnavailable
from .models import CaseEvent, CaseNumberCounter, Category, DisputeCase, Party
from .personal_data import normalize_id_number
from .selectors import latest_event, prior_cases_of_parties
from .tasks import warning_notice

_UNMET = {
    "has_session": _("至少需要一条调解记录。"),
    "is_community_level": _("只有社区层级的案件可以上报街道。"),
    "is_subdistrict_level": _("只有街道层级的案件可以上报区。"),
    "is_in_a_district": _("本街道尚未归属任何区，无法上报区。"),
    "has_follow_up_if_agreed": _("调解成功的案件结案前至少需要一次回访。"),
}


def local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def _require(value, field: str, message: str):
    if value in (None, "", [], ()):
        raise ValidationError({field: [message]})
    return value


def _choice(value, choices, field: str):
    if value not in choices.values:
        raise ValidationError({field: [_("“%(value)s”不是有效的选项。") % {"value": value}]})
    return value


def record_event(case, *, actor, name, at=None, from_status="", to_status="", note="", data=None, imported=False):
    """Append one event to the case's file, and tell the people in the loop of it (通知, once per
    event). Called only inside a service's transaction, so the notices commit with the change."""
    event = writes.save_new(
        CaseEvent(
            case=case,
            at=at or timezone.now(),
            actor=actor,
            name=name,
            from_status=from_status,
            to_status=to_status,
            note=note or "",
            data=data or {},
            imported=imported,
        )
    )
    if writes.current() is None:
        # Every change of a case comes with its event: kept figures over its cases are read again.
        versions.case_changed(case)
        # A ledger import replays history: nobody is told of events years old.
        if not imported:
            notices.event_notify(case, event)
    return event


def raise_conflict(case):
    """Reload the case and say who changed it and when."""
    case.refresh_from_db()
    event = latest_event(case.pk)
    if event is None:
        raise CaseConflict()
    raise CaseConflict(
        changed_by=str(event.actor) if event.actor else _("系统"), changed_at=timezone.localtime(event.at)
    )


def declared_transition(case, name: str):
    """The FSM's declaration of `name` out of the case's current state (with its conditions), or None.

    Read through django-fsm's public listing, so a library upgrade cannot silently change what it means.
    """
    if not can_proceed(getattr(case, name), check_conditions=False):
        return None
    candidates = [t for t in case.get_all_status_transitions() if t.name == name]
    # A declaration from this very state wins over a wildcard one.
    return next((t for t in candidates if t.source == case.status), None) or next(
        (t for t in candidates if t.source in ("*", "+")), None
    )


def check_transition(case, name: str, *, actor, imported=False) -> None:
    """Raise unless `actor` may run transition `name` on `case` as it was read (403, then 409)."""
    if not permissions.can_transition(actor, case, name, imported=imported):
        raise CasePermissionDenied(_("您无权对此案件执行“%(name)s”。") % {"name": Transition(name).label})
    fsm_transition = declared_transition(case, name)
    if fsm_transition is None:
        raise TransitionUnavailable(
            _("案件当前状态为“%(status)s”，不能执行“%(name)s”。")
            % {"status": case.get_status_display(), "name": Transition(name).label}
        )
    for condition in fsm_transition.conditions:
        if not condition(case):
            raise TransitionUnavailable(_UNMET.get(condition.__name__, _("此操作的条件尚未满足。")))
    if name == Transition.REACH_AGREEMENT and not imported:
        _require_voluntary_and_informed(case)


def _require_voluntary_and_informed(case) -> None:
    """Mediation is voluntary (People's Mediation Law art. 3, 17) and the parties are told first
    (若干规定 art. 30): an agreement needs a sitting at which every party was told and none
    refused, and a party's clear refusal ends mediation (fail, with guidance, or withdraw).

    Reads the sessions as read with the case (on the case page, with its row). A replayed
    paper ledger (imported) records what was done and is not held to it.
    """
    sessions = list(attached(case, "sessions"))
    refusal = next((s for s in sessions if s.party_refused), None)
    if refusal is not None:
        raise TransitionUnavailable(
            _(
                "当事人已明确拒绝调解（%(day)s 的调解记录），调解不能继续，不能达成协议："
                "请以“调解不成”（告知其他解决途径）或“撤回”结束本案。"
            )
            % {"day": local_date(refusal.held_at).isoformat()}
        )
    if not any(s.rights_explained for s in sessions):
        raise TransitionUnavailable(
            _("尚无每位当事人均已被告知调解的性质、效力及其权利义务的调解记录（若干规定第三十条），不能达成协议。")
        )


def require_transition(case, name: str, *, actor, imported=False) -> None:
    """check_transition, for a service about to run `name`: a refusal decided on a copy of the case
    that is no longer current is a lost race (CaseConflict), since it may rest on what changed
    meanwhile (the co-mediators an escalation released)."""
    try:
        check_transition(case, name, actor=actor, imported=imported)
    except CaseError:
        if writes.current() is None and not DisputeCase.objects.filter(pk=case.pk, version=case.version).exists():
            raise_conflict(case)
        raise


def apply_transition(
    case, name: str, *, actor, fields=(), args=None, note="", at=None, data=None, imported=False
) -> DisputeCase:
    """Run FSM transition `name` with `args`, write `fields` with the status, write the event."""
    require_transition(case, name, actor=actor, imported=imported)
    at = at or timezone.now()
    from_status = case.status
    with writes.atomic():
        getattr(case, name)(**(args or {}))
        case.next_due = case.current_due()
        _write_case(case, ["status", "next_due", *fields])
        record_event(
            case,
            actor=actor,
            name=name,
            at=at,
            from_status=from_status,
            to_status=case.status,
            note=note,
            data=data,
            imported=imported,
        )
    return case


def _write_case(case, fields) -> None:
    """Write `fields` of a changed case unless it changed since it was read (then CaseConflict):
    UPDATE … WHERE id = %s AND version = %s, bumping the version."""
    pending = writes.current()
    if pending is not None:
        pending.claim(case, increments=["version"], cleared=[])
        return
    values = {}
    for name in fields:
        attname = DisputeCase._meta.get_field(name).attname
        values[attname] = getattr(case, attname)
    claimed = DisputeCase.objects.filter(pk=case.pk, version=case.version).update(version=F("version") + 1, **values)
    if not claimed:
        raise_conflict(case)
    case.version += 1


def add_record(case, *, actor, name, allowed_states, counter=None, at=None, note="", data=None, imported=False):
    """Count a record (session, follow-up …) on the case and log it, if the case is still in an allowed state.

    A conditional UPDATE claims the case row, so a record cannot slip in after a
    concurrent transition moved the case on. Call inside the caller's atomic block.
    """
    if case.status not in allowed_states:
        # Refused as what it is (a record the state does not take), not as a lost race.
        raise TransitionUnavailable(
            _("案件当前状态为“%(status)s”，不能添加“%(name)s”。")
            % {"status": case.get_status_display(), "name": RecordKind(name).label}
        )
    increments = ["version", *([counter] if counter else [])]
    # A follow-up discharges the follow-up deadline, the only one that runs after a conclusion.
    cleared = ["next_due"] if counter == "follow_up_count" else []
    pending = writes.current()
    if pending is not None:
        pending.claim(case, increments=increments, cleared=cleared)
    else:
        updates = {name: F(name) + 1 for name in increments} | dict.fromkeys(cleared)
        claimed = DisputeCase.objects.filter(pk=case.pk, status__in=allowed_states).update(**updates)
        if not claimed:
            raise_conflict(case)
        # Only what the UPDATE touched: a full refresh would drop the loaded relations (the mediators).
        case.refresh_from_db(fields=["status", "next_due", *increments])
    return record_event(
        case,
        actor=actor,
        name=name,
        at=at,
        from_status=case.status,
        to_status=case.status,
        note=note,
        data=data,
        imported=imported,
    )


def supersede(old, *, actor, reason: str, at, **changes):
    """A new row that supersedes `old` (a casework.models.Correctable), `changes` over its values:
    the old row is never changed (the file keeps everything); the new one names who, when and why.
    Unsaved: the caller validates and inserts it (writes.save_new) in its own transaction."""
    values = {
        f.attname: getattr(old, f.attname)
        for f in old._meta.concrete_fields
        if not f.primary_key and f.name not in ("supersedes", "earlier")
    }
    new = type(old)(**values)
    for name, value in changes.items():
        setattr(new, name, value)
    new.supersedes = old
    new.earlier = [*(old.earlier or []), old.pk]
    new.corrected_by, new.corrected_at, new.correction_reason = actor, at, reason
    return new


def _next_number(subdistrict, year: int) -> str:
    pending = writes.current()
    if pending is not None:
        # Locked once for the many cases being written, and saved with them.
        counter = pending.counter(subdistrict, year)
    else:
        counter, _created = CaseNumberCounter.objects.select_for_update().get_or_create(
            subdistrict=subdistrict, year=year
        )
    counter.last_number += 1
    if pending is None:
        counter.save(update_fields=["last_number"])
    return f"{subdistrict.code}-{year}-{counter.last_number:04d}"


# A case's parties: more than this is a data error or an attack, not a dispute (a group dispute of
# hundreds is registered as one case per household or building, with the others named in it).
MAX_PARTIES = 200
PARTIES_LIMIT_MESSAGE = format_lazy(gettext_lazy("一件案件最多登记{}名当事人。"), MAX_PARTIES)


# A party's particulars beyond name, ID number, phone and address (art. 29), each optional at registration.
PARTICULARS = ("sex", "ethnicity", "birth_date", "age", "legal_representative")


def _clean_parties(parties: list[dict]) -> list[Party]:
    if not parties:
        raise ValidationError({"parties": [_("至少需要一名当事人。")]})
    if len(parties) > MAX_PARTIES:
        raise ValidationError({"parties": [PARTIES_LIMIT_MESSAGE]})
    cleaned, errors = [], {}
    for index, data in enumerate(parties):
        party = Party(
            role=data.get("role", ""),
            kind=data.get("kind") or "person",
            name=(data.get("name") or "").strip(),
            id_number=normalize_id_number(data.get("id_number") or ""),
            phone=(data.get("phone") or "").strip(),
            address=(data.get("address") or "").strip(),
            **{f: str(data.get(f) or "").strip() for f in PARTICULARS},
        )
        try:
            party.full_clean(exclude=["case"])
            party.settle_particulars()
        except ValidationError as exc:
            errors[f"parties[{index}]"] = [f"{k}: {m}" for k, msgs in exc.message_dict.items() for m in msgs]
        cleaned.append(party)
    if errors:
        raise ValidationError(errors)
    if not any(p.role == "applicant" for p in cleaned):
        raise ValidationError({"parties": [_("至少需要一名申请人。")]})
    return cleaned


def warning_reasons(*, risk: str, parties: list[Party], registered_at: dt.datetime) -> list:
    """预警: major risk, a group dispute (≥5 parties), or a party with another case in the last 12 months."""
    reasons = []
    if risk == Risk.MAJOR:
        reasons.append(WarningReason.MAJOR_RISK.value)
    if len(parties) >= settings.FENGQIAO_WARNING_MIN_PARTIES:
        reasons.append(WarningReason.MANY_PARTIES.value)
    since = registered_at - dt.timedelta(days=settings.FENGQIAO_REPEAT_WINDOW_DAYS)
    id_numbers, phones = [p.id_number for p in parties], [p.phone for p in parties]
    pending = writes.current()
    if pending is not None:
        repeat = pending.has_prior_case(id_numbers=id_numbers, phones=phones, since=since, until=registered_at)
    else:
        prior = prior_cases_of_parties(id_numbers=id_numbers, phones=phones, since=since)
        repeat = prior.filter(registered_at__lte=registered_at).exists()
    if repeat:
        reasons.append(WarningReason.REPEAT.value)
    return reasons


def case_register(
    *,
    actor,
    grid: Grid,
    category: Category,
    source: str,
    risk: str,
    description: str,
    parties: list[dict],
    occurred_on: dt.date | None = None,
    external_ref: str | None = None,
    note: str = "",
    at: dt.datetime | None = None,
    imported: bool = False,
) -> DisputeCase:
    """登记: a new case in `reported`, numbered, with its parties, deadline and warning flags."""
    if not permissions.can_register_in(actor, grid):
        raise CasePermissionDenied(_("您无权在网格“%(grid)s”登记案件。") % {"grid": grid})
    _require(category, "category", _("请选择纠纷类别。"))
    if not category.active:
        raise ValidationError({"category": [_("该纠纷类别已停用。")]})
    _choice(source, Source, "source")
    _choice(risk, Risk, "risk")
    description = _require((description or "").strip(), "description", _("请填写纠纷简要情况。"))
    at = at or timezone.now()
    if occurred_on and occurred_on > local_date(at):
        raise ValidationError({"occurred_on": [_("发生日期不能晚于登记日期。")]})
    party_rows = _clean_parties(parties)
    subdistrict = grid.community.subdistrict
    with writes.atomic():
        year = local_date(at).year
        case = DisputeCase(
            number=_next_number(subdistrict, year),
            year=year,
            external_ref=external_ref,
            subdistrict=subdistrict,
            community=grid.community,
            grid=grid,
            category=category,
            source=source,
            risk=risk,
            description=description,
            occurred_on=occurred_on,
            registered_at=at,
            registered_by=actor,
            accept_due=calendar.add_working_days(local_date(at), settings.FENGQIAO_ACCEPT_WORKING_DAYS),
            party_count=len(party_rows),
        )
        case.warning_reasons = warning_reasons(risk=risk, parties=party_rows, registered_at=at)
        case.is_warning = bool(case.warning_reasons)
        case.next_due = case.current_due()
        writes.save_new(case)
        for party in party_rows:
            party.case = case
        writes.save_new_many(party_rows)
        record_event(
            case,
            actor=actor,
            name=Transition.REGISTER,
            at=at,
            to_status=case.status,
            note=note,
            data={"warning": case.warning_reasons} if case.warning_reasons else {},
            imported=imported,
        )
        if case.is_warning and not imported:
            # 预警 notices go out at once, from a worker. robust: a broker that is down must not
            # fail the registration (the hourly sweep catches up).
            transaction.on_commit(
                lambda: warning_notice.apply_async(args=[case.pk], ignore_result=True, expires=86400),
                robust=True,
            )
    return case


def case_accept(case, *, actor, level: str, note="", at=None, imported=False) -> DisputeCase:
    """受理: the level decides who mediates; the conclusion deadline starts. The district level is
    reached only by the subdistrict's referral (上报区)."""
    _choice(level, Level, "level")
    if level not in ACCEPT_LEVELS:
        raise ValidationError({"level": [_("区层级的案件只能由街道上报，不能直接受理。")]})
    if permissions.can_transition(actor, case, Transition.ACCEPT) and not permissions.can_accept_at_level(
        actor, case, level
    ):
        raise CasePermissionDenied(_("社区干部只能受理社区层级的案件，街道层级由综治中心受理。"))
    at = at or timezone.now()
    due = calendar.conclusion_due(local_date(at))
    return apply_transition(
        case,
        Transition.ACCEPT,
        actor=actor,
        fields=["level", "accepted_at", "conclude_due"],
        args={"level": level, "at": at, "conclude_due": due},
        note=note,
        at=at,
        data={"level": level},
        imported=imported,
    )


def case_decline(case, *, actor, reason: str, referral: str, at=None, imported=False) -> DisputeCase:
    """不予受理, saying where the parties are referred to."""
    reason = _require((reason or "").strip(), "reason", _("请填写不予受理的理由。"))
    _choice(referral, Referral, "referral")
    return apply_transition(
        case,
        Transition.DECLINE,
        actor=actor,
        fields=["decline_reason", "referral"],
        args={"reason": reason, "referral": referral},
        note=reason,
        at=at,
        data={"referral": referral},
        imported=imported,
    )


def _handed_up(case, at) -> tuple[list, dict]:
    """What a level hands up the ladder with a case: the mediators it releases, and its leg (its
    deadline, the days it held the case, whether it ran late). The leg ends at its failure, or now."""
    released = sorted(m.pk for m in attached(case, "co_mediators")) + (
        [case.lead_mediator_id] if case.lead_mediator_id else []
    )
    leg_end = local_date(case.concluded_at if case.status == CaseStatus.FAILED and case.concluded_at else at)
    leg = {
        "due": case.conclude_due.isoformat() if case.conclude_due else None,
        "days": (leg_end - local_date(case.accepted_at)).days if case.accepted_at else None,
        "overdue": bool(case.conclude_due and leg_end > case.conclude_due),
    }
    return released, leg


def _hand_up(case, name, *, actor, reason, at, leg_key: str, leg_fields: list, imported) -> DisputeCase:
    """Move a case one rung up (escalate, refer_district): the receiving level's clock starts now,
    the leg of the level it leaves is kept (on the case and in the event), its mediators are released,
    and a failure taken up is open again."""
    writes.refuse_deferred()
    at = at or timezone.now()
    released, leg = _handed_up(case, at)
    due = calendar.conclusion_due(local_date(at))
    data = {"released_mediators": released, leg_key: leg, "deadline": {"from": leg["due"], "to": due.isoformat()}}
    fields = ["level", "lead_mediator", "mediator_selection", "chosen_by", "conclude_due", "conclude_extended"]
    fields += leg_fields
    if case.status == CaseStatus.FAILED:
        data[f"{leg_key}_failure"] = {
            "concluded_at": case.concluded_at.isoformat() if case.concluded_at else None,
            "reason": case.fail_reason,
            "guidance": case.guidance,
        }
        fields += ["outcome", "concluded_at"]
    args = {"at": at, "conclude_due": due, f"{leg_key}_days": leg["days"], f"{leg_key}_overdue": leg["overdue"]}
    with writes.atomic():
        apply_transition(
            case, name, actor=actor, fields=fields, args=args, note=reason, at=at, data=data, imported=imported
        )
        case.co_mediators.clear()
        detach(case, "co_mediators")
    return case


def case_escalate(case, *, actor, reason: str, at=None, imported=False) -> DisputeCase:
    """上报: a community-level case goes to the subdistrict; its mediators are released. A failure
    at community level may be taken up too (failed → accepted at the subdistrict). The subdistrict's
    conclusion clock starts now; the community's leg ends at its failure, or now, and is judged
    against the community's deadline."""
    reason = _require((reason or "").strip(), "reason", _("请填写上报理由。"))
    fields = ["escalated_at", "community_conclude_due", "community_days", "community_overdue"]
    return _hand_up(
        case, Transition.ESCALATE, actor=actor, reason=reason, at=at, leg_key="community", leg_fields=fields,
        imported=imported,
    )  # fmt: skip


def case_refer_district(case, *, actor, reason: str, at=None, imported=False) -> DisputeCase:
    """上报区: a subdistrict-level case the subdistrict could not settle (failed) or cannot handle goes
    to the district's centre, which assigns its own mediators on its own conclusion clock. Only a
    district-level failure ends the ladder. The subdistrict's leg is kept and judged against its deadline."""
    reason = _require((reason or "").strip(), "reason", _("请填写上报区的理由。"))
    fields = ["referred_at", "subdistrict_conclude_due", "subdistrict_days", "subdistrict_overdue"]
    return _hand_up(
        case, Transition.REFER_DISTRICT, actor=actor, reason=reason, at=at, leg_key="subdistrict",
        leg_fields=fields, imported=imported,
    )  # fmt: skip


def case_withdraw(case, *, actor, reason: str, by: str = "", at=None, imported=False) -> DisputeCase:
    """撤回: a party withdraws or refuses mediation (it is voluntary, art. 3 and 17), or the centre or
    the mediator ends the case. `by` says whose decision it was (WithdrawnBy); the one recording it
    is often not the one deciding, so it is stated, not inferred: left empty, the event says nothing."""
    reason = _require((reason or "").strip(), "reason", _("请填写撤回理由。"))
    if by:
        _choice(by, WithdrawnBy, "by")
    return apply_transition(
        case,
        Transition.WITHDRAW,
        actor=actor,
        fields=["withdraw_reason"],
        args={"reason": reason},
        note=reason,
        at=at,
        data={"by": by} if by else None,
        imported=imported,
    )


def case_close(case, *, actor, note="", at=None, imported=False) -> DisputeCase:
    """结案: after agreement (and a follow-up) or failure."""
    at = at or timezone.now()
    return apply_transition(
        case,
        Transition.CLOSE,
        actor=actor,
        fields=["closed_at"],
        args={"at": at},
        note=note,
        at=at,
        imported=imported,
    )


def case_extend_deadline(case, *, actor, reason: str, at=None) -> DisputeCase:
    """Extend the conclusion deadline once, by the default span counted from the deadline, with a reason
    (centre staff)."""
    writes.refuse_deferred()
    if not permissions.can_extend_deadline(actor, case):
        raise CasePermissionDenied(_("只有综治中心工作人员可以延长办理期限。"))
    reason = _require((reason or "").strip(), "reason", _("请填写延期理由。"))
    if case.status not in IN_MEDIATION:
        raise TransitionUnavailable(_("只有办理中的案件可以延期。"))
    if case.conclude_extended:
        raise TransitionUnavailable(_("办理期限只能延长一次。"))
    at = at or timezone.now()
    old_due = case.conclude_due
    new_due = calendar.conclusion_due(old_due)
    with writes.atomic():
        claimed = DisputeCase.objects.filter(pk=case.pk, version=case.version, conclude_extended=False).update(
            conclude_due=new_due, next_due=new_due, conclude_extended=True, version=F("version") + 1
        )
        if not claimed:
            raise_conflict(case)
        case.refresh_from_db()
        record_event(
            case,
            actor=actor,
            name=RecordKind.EXTEND,
            at=at,
            from_status=case.status,
            to_status=case.status,
            note=reason,
            data={"from": old_due.isoformat(), "to": new_due.isoformat()},
        )
    return case
