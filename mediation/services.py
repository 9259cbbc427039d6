"""The mediator's side of the workflow: assignment (with 回避), sessions, agreement or
failure, follow-ups. State changes go through casework.services.apply_transition, the
one path by which a case changes state."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import calendar, permissions, writes
from casework import services as case_services
from casework.enums import (
    FOLLOW_UP_STATES,
    OPEN,
    SESSION_STATES,
    WITH_MEDIATOR,
    Guidance,
    MediatorSelection,
    RecordKind,
    Transition,
)
from casework.exceptions import CasePermissionDenied
from casework.models import Party
from casework.personal_data import normalize_id_number
from casework.services import apply_transition, local_date
from common.prepared import attached, detach

from .enums import AgreementForm, FollowUpMethod, JudicialConfirmation, SignatureMark
from .models import (
    Agreement,
    ConflictDeclaration,
    FollowUp,
    JudicialConfirmationEntry,
    MediationSession,
    Mediator,
    OrganizationConflict,
    SessionParty,
)
from .selectors import conflicted_co_mediators, mediator_conflicts, mediators_on_cases_of


def _text(value, field, message):
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: [message]})
    return value


def _check_mediator(mediator: Mediator, case, field="mediator"):
    if mediator is None:
        raise ValidationError({field: [_("请选择调解员。")]})
    if not (mediator.active and mediator.available):
        raise ValidationError({field: [_("%(name)s目前不在册或暂不接案。") % {"name": mediator.name}]})
    reasons = mediator_conflicts(mediator, case)
    if reasons:
        raise ValidationError(
            {field: [_("%(name)s须回避：%(why)s") % {"name": mediator.name, "why": "；".join(reasons)}]}
        )


def _selection(case, selection, chosen_by) -> dict:
    """art. 19: appointed by the committee or centre, or chosen by the parties (which of them)."""
    selection = selection or MediatorSelection.APPOINTED
    if selection not in MediatorSelection.values:
        raise ValidationError({"selection": [_("请选择调解员的产生方式。")]})
    ids = [getattr(p, "pk", p) for p in chosen_by or ()]
    if selection == MediatorSelection.APPOINTED:
        if ids:
            raise ValidationError({"chosen_by": [_("指派的调解员无需填写选定的当事人。")]})
        return {"selection": selection, "chosen_by": []}
    parties = set(case.parties.values_list("pk", flat=True))
    if not ids:
        raise ValidationError({"chosen_by": [_("请选择选定调解员的当事人。")]})
    if not set(ids) <= parties:
        raise ValidationError({"chosen_by": [_("当事人不属于本案。")]})
    return {"selection": selection, "chosen_by": sorted(set(ids))}


def case_assign(
    case,
    *,
    actor,
    mediator: Mediator,
    co_mediators=(),
    selection: str = MediatorSelection.APPOINTED,
    chosen_by=(),
    note="",
    at=None,
    imported=False,
):
    """分派: a lead mediator (and optionally co-mediators), none of them with a conflict of interest;
    appointed, or chosen by the parties (art. 19)."""
    case_services.require_transition(case, Transition.ASSIGN, actor=actor)
    _check_mediator(mediator, case)
    chosen = _selection(case, selection, chosen_by)
    # One place per person on a case: the lead is not also a co-mediator, nobody is named twice.
    co_mediators = list({m.pk: m for m in co_mediators if m.pk != mediator.pk}.values())
    for co in co_mediators:
        _check_mediator(co, case, field="co_mediators")
    with writes.atomic():
        apply_transition(
            case,
            Transition.ASSIGN,
            actor=actor,
            fields=["lead_mediator", "mediator_selection", "chosen_by"],
            args={"mediator": mediator, **chosen},
            note=note,
            at=at,
            data={"mediator": mediator.pk, "co_mediators": [m.pk for m in co_mediators], **chosen},
            imported=imported,
        )
        writes.set_co_mediators(case, co_mediators)
    return case


def case_reassign(
    case,
    *,
    actor,
    mediator: Mediator,
    reason: str,
    selection: str = MediatorSelection.APPOINTED,
    chosen_by=(),
    at=None,
    imported=False,
):
    """改派 (centre staff): a different lead mediator, with a reason; appointed or chosen (art. 19)."""
    writes.refuse_deferred()
    case_services.require_transition(case, Transition.REASSIGN, actor=actor)
    reason = _text(reason, "reason", _("请填写改派理由。"))
    if mediator is not None and mediator.pk == case.lead_mediator_id:
        raise ValidationError({"mediator": [_("请选择与当前主调解员不同的调解员。")]})
    _check_mediator(mediator, case)
    chosen = _selection(case, selection, chosen_by)
    # 回避 is rechecked for everyone on the case, not only the new lead: a co-mediator who may
    # no longer mediate it (a party added since, an organisation's declaration) leaves with the old lead.
    dropped = [co for co, _reasons in conflicted_co_mediators(case) if co.pk != mediator.pk]
    with writes.atomic():
        apply_transition(
            case,
            Transition.REASSIGN,
            actor=actor,
            fields=["lead_mediator", "mediator_selection", "chosen_by"],
            args={"mediator": mediator, **chosen},
            note=reason,
            at=at,
            data={
                "from_mediator": case.lead_mediator_id,
                "mediator": mediator.pk,
                "dropped_co_mediators": [co.pk for co in dropped],
                **chosen,
            },
            imported=imported,
        )
        # The new lead may have been a co-mediator; one person holds one place on a case.
        case.co_mediators.remove(mediator, *dropped)
        detach(case, "co_mediators")
    return case


def case_start(case, *, actor, note="", at=None, imported=False):
    """开始调解: counts one attempt at the case's current level (the "331" ladder)."""
    return apply_transition(
        case,
        Transition.START,
        actor=actor,
        fields=["community_attempts", "subdistrict_attempts", "district_attempts"],
        note=note,
        at=at,
        imported=imported,
    )


def case_reach_agreement(
    case,
    *,
    actor,
    form: str,
    terms: str,
    signed_on: dt.date,
    performance_method: str = "",
    performance_deadline: dt.date | None = None,
    facts: str = "",
    responsibilities: str = "",
    disputed_matters: str = "",
    signatures=(),
    mediator_signed: bool = False,
    committee_sealed: bool = False,
    particulars=(),
    note: str = "",
    at=None,
    imported=False,
):
    """调解成功: the agreement joins the case, in effect from its signing; the follow-up and
    judicial-confirmation deadlines start.

    A written agreement (art. 29) names every party's particulars (`particulars` fills those the
    file lacks: [{"party": id, field: value}]), the main facts, the matters in dispute, each party's
    responsibility, the terms, how and by when they are performed, and records its signing: each
    party's mark (`signatures`: [{"party": id, "mark": SignatureMark}]), the mediator's signature and
    the committee's seal. An oral one (art. 28) records its content, the terms."""
    case_services.require_transition(case, Transition.REACH_AGREEMENT, actor=actor, imported=imported)
    at = at or timezone.now()
    if form not in AgreementForm.values:
        raise ValidationError({"form": [_("请选择书面协议或口头协议。")]})
    terms = _text(terms, "terms", _("请填写协议内容。"))
    if signed_on is None:
        raise ValidationError({"signed_on": [_("请填写签订日期。")]})
    if signed_on > local_date(at):
        raise ValidationError({"signed_on": [_("签订日期不能晚于今天。")]})
    parties = list(case.related("parties"))
    filled = _filled_particulars(parties, particulars, actor=actor, at=at, imported=imported)
    signatures = _signatures(parties, signatures)
    if form == AgreementForm.WRITTEN and not imported:
        _require_written(
            filled,
            signatures,
            facts=facts,
            disputed_matters=disputed_matters,
            responsibilities=responsibilities,
            performance_method=performance_method,
            performance_deadline=performance_deadline,
            mediator_signed=mediator_signed,
            committee_sealed=committee_sealed,
        )
    if performance_deadline is not None and performance_deadline < signed_on:
        raise ValidationError({"performance_deadline": [_("履行期限不能早于签订日期。")]})
    follow_up_due = calendar.add_working_days(local_date(at), settings.FENGQIAO_FOLLOW_UP_WORKING_DAYS)
    judicial_deadline = calendar.roll_to_working_day(
        signed_on + dt.timedelta(days=settings.FENGQIAO_JUDICIAL_CONFIRMATION_DAYS)
    )
    completed = [party.pk for party, row in filled if row is not party]
    with writes.atomic():
        apply_transition(
            case,
            Transition.REACH_AGREEMENT,
            actor=actor,
            fields=["outcome", "concluded_at", "follow_up_due"],
            args={"at": at, "follow_up_due": follow_up_due},
            note=note,
            at=at,
            data={
                "form": form,
                "signed_on": signed_on.isoformat(),
                # The parties whose particulars were completed (each superseded by a fuller row).
                **({"particulars_of": completed} if completed else {}),
            },
            imported=imported,
        )
        # Particulars first recorded with the agreement: a row that supersedes the registered one
        # (the registered one stays as it was); the signatures name the row the agreement names.
        renamed = {party.pk: writes.save_new(row).pk for party, row in filled if row is not party}
        signatures = [{**sig, "party": renamed.get(sig["party"], sig["party"])} for sig in signatures]
        writes.save_new(
            Agreement(
                case=case,
                form=form,
                facts=(facts or "").strip(),
                disputed_matters=(disputed_matters or "").strip(),
                responsibilities=(responsibilities or "").strip(),
                signatures=signatures,
                mediator_signed=bool(mediator_signed),
                committee_sealed=bool(committee_sealed),
                terms=terms,
                performance_method=(performance_method or "").strip(),
                performance_deadline=performance_deadline,
                signed_on=signed_on,
                judicial_deadline=judicial_deadline,
                recorded_by=actor,
                recorded_at=at,
            )
        )
    return case


# The particulars an agreement may supply for a party, beside those given at registration.
AGREEMENT_PARTICULARS = ("id_number", "address", *case_services.PARTICULARS)


def _filled_particulars(parties, given, *, actor, at, imported=False) -> list[tuple]:
    """(party, its row for the agreement) for each party: the party itself, or, when `given` fills
    blanks, a new row superseding it (casework.services.supersede; a recorded value is not changed
    here, that is a correction). Sex and birth are checked against the ID number."""
    by_party = {}
    for index, row in enumerate(given or ()):
        if not isinstance(row, dict) or row.get("party") not in {p.pk for p in parties}:
            raise ValidationError({f"particulars[{index}]": [_("请指明本案的当事人。")]})
        by_party[row["party"]] = row
    filled, errors = [], {}
    for index, party in enumerate(parties):
        if imported:
            filled.append((party, party))
            continue
        row, values = by_party.get(party.pk, {}), {}
        for field in AGREEMENT_PARTICULARS:
            value = normalize_id_number(row.get(field)) if field == "id_number" else str(row.get(field) or "").strip()
            if value and not getattr(party, field):
                values[field] = value
        candidate = case_services.supersede(
            party, actor=actor, at=at, reason=_("签订调解协议时补充当事人基本情况"), **values
        )
        try:
            if values:
                candidate.full_clean(exclude=["case", "supersedes", "corrected_by"])
            candidate.settle_particulars()  # sex and birth from the ID number, or refused against it
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors[f"parties[{index}].{field}"] = [f"{party.name}：{m}" for m in messages]
        changed = any(getattr(candidate, f) != getattr(party, f) for f in AGREEMENT_PARTICULARS)
        current = candidate if changed else party
        filled.append((party, current))
    if errors:
        raise ValidationError(errors)
    return filled


def _signatures(parties, given) -> list[dict]:
    marks, ids = {}, {p.pk for p in parties}
    for index, row in enumerate(given or ()):
        if not isinstance(row, dict) or row.get("party") not in ids or row.get("mark") not in SignatureMark.values:
            raise ValidationError({f"signatures[{index}]": [_("请指明本案的当事人及签署方式（签名、盖章或按指印）。")]})
        marks[row["party"]] = row["mark"]
    return [{"party": p.pk, "mark": marks[p.pk]} for p in parties if p.pk in marks]


def _require_written(filled, signatures, **given) -> None:
    """Art. 29: refused, naming each missing particular, unless the written agreement holds them all."""
    errors = {}
    for index, (party, current) in enumerate(filled):
        for field in current.missing_particulars():
            label = Party._meta.get_field(field).verbose_name
            if field == "birth_date":
                label = _("出生日期或年龄")
            errors[f"parties[{index}].{field}"] = [
                _("书面协议须载明当事人“%(name)s”的%(what)s。") % {"name": party.name, "what": label}
            ]
    for field, message in (
        ("facts", _("书面协议须载明纠纷的主要事实。")),
        ("disputed_matters", _("书面协议须载明争议事项。")),
        ("responsibilities", _("书面协议须载明各方当事人的责任。")),
        ("performance_method", _("书面协议须载明履行方式。")),
    ):
        if not (given[field] or "").strip():
            errors[field] = [message]
    if given["performance_deadline"] is None:
        errors["performance_deadline"] = [_("书面协议须载明履行期限。")]
    signed = {row["party"] for row in signatures}
    unsigned = [party.name for party, _current in filled if party.pk not in signed]
    if unsigned:
        message = _("书面协议须由各方当事人签名、盖章或按指印：%(who)s未签署。")
        errors["signatures"] = [message % {"who": "、".join(unsigned)}]
    if not given["mediator_signed"]:
        errors["mediator_signed"] = [_("书面协议须由人民调解员签名。")]
    if not given["committee_sealed"]:
        errors["committee_sealed"] = [_("书面协议须加盖人民调解委员会印章。")]
    if errors:
        raise ValidationError(errors)


def case_fail(case, *, actor, reason: str, guidance: str, note="", at=None, imported=False):
    """调解不成: mediation ends and the parties are told of other routes (art. 26)."""
    case_services.require_transition(case, Transition.FAIL, actor=actor, imported=imported)
    reason = _text(reason, "reason", _("请填写调解不成的原因。"))
    if guidance not in Guidance.values:
        raise ValidationError({"guidance": [_("请选择告知当事人的其他途径。")]})
    at = at or timezone.now()
    return apply_transition(
        case,
        Transition.FAIL,
        actor=actor,
        fields=["outcome", "concluded_at", "fail_reason", "guidance"],
        args={"at": at, "reason": reason, "guidance": guidance},
        note=note or reason,
        at=at,
        data={"guidance": guidance},
        imported=imported,
    )


def session_log(
    case,
    *,
    actor,
    held_at: dt.datetime,
    location: str,
    summary: str,
    public: bool,
    rights_explained: bool,
    rights_explained_by: str = "",
    attendees: str = "",
    party_refused: bool = False,
    presiding: Mediator | None = None,
    party_notes: list[dict] | None = None,
    at=None,
    imported=False,
) -> MediationSession:
    """调解记录: a sitting, logged while the case is being mediated.

    `party_notes`, one dict per party ({"party", "informed", "informed_by", "refused"}), records
    告知 and consent party by party; the session's rights_explained (every party of the case told)
    and party_refused (someone refused) are then derived from them, not taken from the flags.
    """
    if not permissions.can_log_session(actor, case):
        raise CasePermissionDenied(_("只有本案调解员或综治中心工作人员可以记录调解情况。"))
    at = at or timezone.now()
    if party_notes is not None:
        writes.refuse_deferred()
    session, notes = session_row(
        case,
        held_at=held_at,
        location=location,
        summary=summary,
        public=public,
        rights_explained=rights_explained,
        rights_explained_by=rights_explained_by,
        attendees=attendees,
        party_refused=party_refused,
        presiding=presiding,
        party_notes=party_notes,
        at=at,
    )
    session.recorded_by, session.recorded_at = actor, at
    with writes.atomic():
        session = writes.save_new(session)
        if notes:
            for note in notes:
                note.session = session
            SessionParty.objects.bulk_create(notes)
        case_services.add_record(
            case,
            actor=actor,
            name=RecordKind.SESSION,
            allowed_states=SESSION_STATES,
            counter="session_count",
            at=at,
            note=session.summary[:200],
            data={
                "session": session.pk,
                "public": session.public,
                "rights_explained": session.rights_explained,
                "party_refused": session.party_refused,
            },
            imported=imported,
        )
    return session


def session_row(
    case,
    *,
    held_at,
    location,
    summary,
    public,
    rights_explained,
    rights_explained_by="",
    attendees="",
    party_refused=False,
    presiding=None,
    party_notes=None,
    at,
) -> tuple[MediationSession, list]:
    """A sitting's record (unsaved) and its per-party notes, checked: for a new record and for the
    correction of one alike."""
    errors = {}
    if held_at is None:
        errors["held_at"] = [_("请填写调解时间。")]
    elif held_at > at + dt.timedelta(minutes=5):
        errors["held_at"] = [_("调解时间不能晚于现在。")]
    elif local_date(held_at) < local_date(case.registered_at):
        # A sitting of this case cannot predate the case: a mistyped year is refused, not kept
        # (and a year before 1901 has no valid ISO 8601 offset in Asia/Shanghai).
        errors["held_at"] = [_("调解时间不能早于案件登记日期。")]
    if not (location or "").strip():
        errors["location"] = [_("请填写调解地点。")]
    if not (summary or "").strip():
        errors["summary"] = [_("请填写调解情况。")]
    notes = None
    if party_notes is not None:
        notes, note_errors = _party_notes(case, party_notes, held_at)
        errors.update(note_errors)
        if not note_errors:
            told = {n.party_id for n in notes if n.informed}
            rights_explained = told == {p.pk for p in attached(case, "parties")}
            party_refused = any(n.refused for n in notes)
            rights_explained_by = "、".join(dict.fromkeys(n.informed_by for n in notes if n.informed))
    if rights_explained and not (rights_explained_by or "").strip():
        errors["rights_explained_by"] = [_("请填写告知人。")]
    if errors:
        raise ValidationError(errors)
    session = MediationSession(
        case=case,
        held_at=held_at,
        location=location.strip(),
        attendees=(attendees or "").strip(),
        presiding=presiding or case.lead_mediator,
        public=public,
        rights_explained=rights_explained,
        rights_explained_by=(rights_explained_by or "").strip(),
        party_refused=party_refused,
        summary=summary.strip(),
    )
    return session, notes or []


def _party_notes(case, party_notes, held_at) -> tuple[list, dict]:
    """SessionParty rows (unsaved) from the notes, or the errors that refuse them."""
    parties = {p.pk: p for p in attached(case, "parties")}
    notes, seen = [], set()
    for note in party_notes:
        party = note.get("party")
        party_id = getattr(party, "pk", party)
        if party_id not in parties:
            return [], {"party_notes": [_("当事人不属于本案。")]}
        if party_id in seen:
            return [], {"party_notes": [_("同一当事人只能记录一次。")]}
        seen.add(party_id)
        informed = bool(note.get("informed"))
        informed_by = (note.get("informed_by") or "").strip()
        if informed and not informed_by:
            return [], {
                "rights_explained_by": [_("请填写告知人（向%(name)s告知）。") % {"name": parties[party_id].name}]
            }
        notes.append(
            SessionParty(
                party_id=party_id,
                informed=informed,
                informed_by=informed_by if informed else "",
                informed_at=(note.get("informed_at") or held_at) if informed else None,
                refused=bool(note.get("refused")),
            )
        )
    return notes, {}


def follow_up_record(
    case,
    *,
    actor,
    date: dt.date,
    performed: bool,
    satisfaction: int,
    method: str = FollowUpMethod.PHONE,
    notes: str = "",
    at=None,
    imported=False,
) -> FollowUp:
    """回访: after a conclusion; the first one discharges the follow-up deadline."""
    if not permissions.can_record_follow_up(actor, case):
        raise CasePermissionDenied(_("只有本案调解员或综治中心工作人员可以记录回访。"))
    at = at or timezone.now()
    follow_up = follow_up_row(
        case, date=date, performed=performed, satisfaction=satisfaction, method=method, notes=notes, at=at
    )
    follow_up.recorded_by, follow_up.recorded_at = actor, at
    with writes.atomic():
        follow_up = writes.save_new(follow_up)
        case_services.add_record(
            case,
            actor=actor,
            name=RecordKind.FOLLOW_UP,
            allowed_states=FOLLOW_UP_STATES,
            counter="follow_up_count",
            at=at,
            note=follow_up.notes[:200],
            data={"follow_up": follow_up.pk, "performed": performed, "satisfaction": satisfaction},
            imported=imported,
        )
    return follow_up


def follow_up_row(case, *, date, performed, satisfaction, method, notes, at) -> FollowUp:
    """A follow-up's record (unsaved), checked: for a new record and for the correction of one alike."""
    errors = {}
    if date is None:
        errors["date"] = [_("请填写回访日期。")]
    elif date > local_date(at):
        errors["date"] = [_("回访日期不能晚于今天。")]
    elif case.concluded_at and date < local_date(case.concluded_at):
        # A follow-up (回访) comes after the conclusion it follows up.
        errors["date"] = [_("回访日期不能早于办结日期。")]
    if not isinstance(satisfaction, int) or isinstance(satisfaction, bool) or not 1 <= satisfaction <= 5:
        errors["satisfaction"] = [_("满意度为1到5的整数。")]
    if method not in FollowUpMethod.values:
        errors["method"] = [_("请选择回访方式。")]
    if errors:
        raise ValidationError(errors)
    return FollowUp(
        case=case, date=date, method=method, performed=performed, satisfaction=satisfaction, notes=(notes or "").strip()
    )


def conflict_declare(case, *, actor, mediator: Mediator, reason: str, at=None) -> ConflictDeclaration:
    """回避声明: by the mediator themself, or by centre staff on their behalf.

    Declared after assignment, it removes the mediator from the case at once: a lead's case
    returns to `accepted` for a new lead (the 回避退出 transition; the attempt made stays
    counted), a co-mediator is dropped. The centre is told by the declaration's event (casework
    notices). After a conclusion the record of who mediated stands (follow-ups, statistics): the
    declaration is recorded and the centre told.
    """
    writes.refuse_deferred()
    own = mediator.user_id == actor.id
    if not (own or permissions.holds_case(actor, case)):
        raise CasePermissionDenied(_("只有调解员本人或综治中心工作人员可以声明回避。"))
    reason = _text(reason, "reason", _("请填写回避理由。"))
    at = at or timezone.now()
    is_lead = case.lead_mediator_id == mediator.pk
    is_co = not is_lead and case.co_mediators.filter(pk=mediator.pk).exists()
    with writes.atomic():
        declaration, created = ConflictDeclaration.objects.get_or_create(
            mediator=mediator, case=case, defaults={"reason": reason, "declared_by": actor, "declared_at": at}
        )
        if not created:
            return declaration
        removed = ""
        # While a mediator's work on the case is under way, a conflict takes them off it at once.
        if case.status in WITH_MEDIATOR and is_co:
            removed = "co"
        elif case.status in WITH_MEDIATOR and is_lead:
            removed = "lead"
        case_services.add_record(
            case,
            actor=actor,
            name=RecordKind.CONFLICT,
            allowed_states=OPEN,
            at=at,
            note=reason,
            data={"mediator": mediator.pk, "removed": removed},
        )
        if removed == "co":
            case.co_mediators.remove(mediator)
            detach(case, "co_mediators")
        elif removed == "lead":
            apply_transition(
                case,
                Transition.RECUSE,
                actor=actor,
                fields=["lead_mediator", "mediator_selection", "chosen_by"],
                note=reason,
                at=at,
                data={"from_mediator": mediator.pk, "reassignment": True},
            )
    return declaration


def case_recuse(case, *, actor, reason: str, note="", at=None, imported=False):
    """回避退出: the lead mediator declares a conflict and leaves; the case awaits a new lead."""
    case_services.require_transition(case, Transition.RECUSE, actor=actor)
    conflict_declare(case, actor=actor, mediator=case.lead_mediator, reason=reason, at=at)
    return case


def organization_conflict_declare(*, actor, organization, party_name: str, reason: str, at=None):
    """组织回避 (centre staff, for the organisation): an organisation declares an interest in a
    party; none of its mediators is offered for that party's cases, and any of them working on
    such a case of the subdistrict leaves it as if they had declared a conflict themself."""
    if not permissions.is_centre_staff_for(actor, actor.subdistrict_id):
        raise CasePermissionDenied(_("只有综治中心工作人员可以登记组织回避声明。"))
    party_name = _text(party_name, "party_name", _("请填写当事人名称。"))
    reason = _text(reason, "reason", _("请填写回避理由。"))
    at = at or timezone.now()
    with writes.atomic():
        declaration = OrganizationConflict.objects.create(
            organization=organization, party_name=party_name, reason=reason, declared_by=actor, declared_at=at
        )
        for case, mediator in mediators_on_cases_of(organization, party_name, subdistrict_id=actor.subdistrict_id):
            conflict_declare(
                case,
                actor=actor,
                mediator=mediator,
                reason=_("所属组织就当事人“%(party)s”声明回避：%(reason)s") % {"party": party_name, "reason": reason},
                at=at,
            )
    return declaration


def judicial_confirmation_record(
    case, *, actor, status: str, applied_on=None, court: str = "", answered_on=None, note: str = "", at=None
) -> JudicialConfirmationEntry:
    """司法确认 (art. 33): whether the parties applied, where, and the court's answer. Each call
    appends an entry (the history is kept whole); the agreement's status mirrors the latest. Going
    back to 未申请 (an application withdrawn, or recorded in error) says why in `note`."""
    writes.refuse_deferred()
    if not permissions.can_record_follow_up(actor, case):
        raise CasePermissionDenied(_("只有本案调解员或综治中心工作人员可以记录司法确认情况。"))
    agreement = Agreement.objects.filter(case=case).first()
    if agreement is None:
        raise ValidationError({"status": [_("本案没有调解协议。")]})
    if status not in JudicialConfirmation.values:
        raise ValidationError({"status": [_("请选择司法确认状态。")]})
    if status != JudicialConfirmation.NOT_APPLIED and applied_on is None:
        raise ValidationError({"applied_on": [_("请填写申请日期。")]})
    if status in (JudicialConfirmation.CONFIRMED, JudicialConfirmation.REJECTED) and answered_on is None:
        raise ValidationError({"answered_on": [_("请填写法院裁定日期。")]})
    note = (note or "").strip()
    if len(note) > 200:
        raise ValidationError({"note": [_("说明不能超过200字。")]})
    previous = agreement.judicial_confirmation
    if status == JudicialConfirmation.NOT_APPLIED and previous != status and not note:
        raise ValidationError({"note": [_("改为未申请时，请说明原因（如当事人撤回申请、原记录有误）。")]})
    at = at or timezone.now()
    # The dates follow one another: signed, applied, answered, and none of them tomorrow.
    if applied_on and not agreement.signed_on <= applied_on <= local_date(at):
        raise ValidationError({"applied_on": [_("申请日期应在协议签订日期与今天之间。")]})
    if answered_on and not (applied_on or agreement.signed_on) <= answered_on <= local_date(at):
        raise ValidationError({"answered_on": [_("裁定日期应在申请日期与今天之间。")]})
    with writes.atomic():
        entry = JudicialConfirmationEntry.objects.create(
            agreement=agreement,
            status=status,
            applied_on=applied_on,
            court=(court or "").strip(),
            answered_on=answered_on,
            note=note,
            recorded_by=actor,
            recorded_at=at,
        )
        if previous != status:
            Agreement.objects.filter(pk=agreement.pk).update(judicial_confirmation=status)
        case_services.add_record(
            case,
            actor=actor,
            name=RecordKind.JUDICIAL_CONFIRMATION,
            allowed_states=FOLLOW_UP_STATES,
            at=at,
            # The reports replay these events as the answers stood at a period's end.
            data={
                "entry": entry.pk,
                "status": status,
                "from_status": previous,
                "applied_on": applied_on.isoformat() if applied_on else None,
                "court": entry.court,
                "answered_on": answered_on.isoformat() if answered_on else None,
                "note": note,
                "late": bool(applied_on and applied_on > agreement.judicial_deadline),
            },
        )
    return entry
