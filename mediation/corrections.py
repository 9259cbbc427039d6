"""更正: a party's particulars, a session record (with its per-party 告知 and consent) or a follow-up
corrected by a new row that supersedes the old one (casework.services.supersede). The old row is
never changed (People's Mediation Law art. 27); the new one names who corrected it, when and why,
and the case's file gets a `correction` event. One mechanism serves the three kinds: each kind
says only how its new row is built and checked.

Centre staff correct (casework.permissions.can_correct_records), in any state of the case: a
closed file is corrected the same way, and the correction is itself on the file.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import permissions, writes
from casework import services as case_services
from casework.enums import CaseStatus, RecordKind
from casework.exceptions import CaseConflict, CasePermissionDenied
from casework.models import Party
from casework.personal_data import normalize_id_number
from common.prepared import attached
from common.text import clean_text

from .correctable import FOLLOW_UP_FIELDS, KINDS, PARTY_FIELDS, SESSION_FIELDS
from .models import FollowUp, MediationSession, SessionParty
from .services import follow_up_row, session_row

REASON_MAX = 200


def correction_target(case, kind: str, pk):
    """The row `pk` of `kind` on `case` (superseded or not): the model's DoesNotExist when there is
    none, which the views answer with 404 like any record outside the user's scope."""
    spec = KINDS.get(kind)
    if spec is None:
        raise Party.DoesNotExist
    return spec.model.all_rows.get(case_id=case.pk, pk=pk)


def _reason(reason) -> str:
    reason = clean_text(reason, field=_("更正理由")).strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationError({"reason": [_("请填写更正理由。")]})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": [_("更正理由最多%(n)d个字。") % {"n": REASON_MAX}]})
    return reason


def _correct(case, old, new, *, kind: str, actor, reason: str, at, children=()):
    """Insert `new`, superseding `old`, with its `children` (rows that belong to it), and the event."""
    changed = [f for f in KINDS[kind].fields if getattr(new, f) != getattr(old, f)]
    changed += ["party_notes"] if kind == "session" and _notes_differ(old, children) else []
    if not changed:
        raise ValidationError({"__all__": [_("更正内容与原记录相同，无需更正。")]})
    try:
        with writes.atomic():
            writes.save_new(new)
            for child in children:
                child.session = new
            SessionParty.objects.bulk_create(list(children))
            case_services.add_record(
                case,
                actor=actor,
                name=RecordKind.CORRECTION,
                allowed_states=CaseStatus.values,
                at=at,
                note=reason,
                data={"kind": kind, "old": old.pk, "new": new.pk, "fields": changed},
            )
    except IntegrityError:
        # Another correction of the same row won (a row is superseded once): this one is stale.
        case_services.raise_conflict(case)
    return new


def _notes_differ(old, children) -> bool:
    before = {(n.party_id, n.informed, n.informed_by, n.refused) for n in old.party_notes.all()}
    return before != {(n.party_id, n.informed, n.informed_by, n.refused) for n in children}


def _start(case, old, *, actor, reason, kind: str) -> str:
    """The checks every correction starts with; the reason, cleaned."""
    writes.refuse_deferred()
    if not permissions.can_correct_records(actor, case):
        raise CasePermissionDenied(_("只有综治中心工作人员可以更正案卷记录。"))
    if old is None or old.case_id != case.pk or not isinstance(old, KINDS[kind].model):
        raise ValidationError({"__all__": [_("要更正的记录不属于本案。")]})
    reason = _reason(reason)
    if KINDS[kind].model.all_rows.filter(supersedes=old).exists():
        raise CaseConflict(message=_("该记录已被更正，请在当前记录上更正。"))
    return reason


def party_correct(case, *, actor, party, reason: str, at=None, **values) -> Party:
    """更正当事人基本情况: the values given (blank = unchanged) over the current ones. A new ID number
    brings its own sex and date of birth, unless they are given too (then they must agree with it)."""
    reason = _start(case, party, actor=actor, reason=reason, kind="party")
    at = at or timezone.now()
    changes = {}
    for field in PARTY_FIELDS:
        raw = values.get(field)
        value = normalize_id_number(raw) if field == "id_number" else str(raw or "").strip()
        if value:
            changes[field] = value
    if "id_number" in changes and party.kind != "organisation":
        changes.setdefault("sex", "")
        changes.setdefault("birth_date", "")
    new = case_services.supersede(party, actor=actor, reason=reason, at=at, **changes)
    new.full_clean(exclude=["case", "supersedes", "corrected_by"])
    new.settle_particulars()
    return _correct(case, party, new, kind="party", actor=actor, reason=reason, at=at)


def session_correct(case, *, actor, session, reason: str, at=None, party_notes=None, **values) -> MediationSession:
    """更正调解记录: the sitting recorded again as it was, with its per-party notes (each party of
    the case now: told, by whom, refused), checked as a new record is."""
    reason = _start(case, session, actor=actor, reason=reason, kind="session")
    at = at or timezone.now()
    given = {
        "held_at": values.get("held_at", session.held_at),
        "location": values.get("location", session.location),
        "summary": values.get("summary", session.summary),
        "attendees": values.get("attendees", session.attendees),
        "public": values.get("public", session.public),
        "rights_explained": values.get("rights_explained", session.rights_explained),
        "rights_explained_by": values.get("rights_explained_by", session.rights_explained_by),
        "party_refused": values.get("party_refused", session.party_refused),
    }
    if party_notes is None and session.party_notes.exists():
        party_notes = _notes_as_given(case, session)
    checked, notes = session_row(case, presiding=session.presiding, party_notes=party_notes, at=at, **given)
    new = case_services.supersede(
        session, actor=actor, reason=reason, at=at, **{f: getattr(checked, f) for f in SESSION_FIELDS}
    )
    new.rights_explained_by = checked.rights_explained_by
    return _correct(case, session, new, kind="session", actor=actor, reason=reason, at=at, children=notes)


def follow_up_correct(case, *, actor, follow_up, reason: str, at=None, **values) -> FollowUp:
    """更正回访记录: the follow-up recorded again, checked as a new one is."""
    reason = _start(case, follow_up, actor=actor, reason=reason, kind="follow_up")
    at = at or timezone.now()
    given = {f: values.get(f, getattr(follow_up, f)) for f in FOLLOW_UP_FIELDS}
    checked = follow_up_row(case, at=at, **given)
    new = case_services.supersede(
        follow_up, actor=actor, reason=reason, at=at, **{f: getattr(checked, f) for f in FOLLOW_UP_FIELDS}
    )
    return _correct(case, follow_up, new, kind="follow_up", actor=actor, reason=reason, at=at)


def _notes_as_given(case, session) -> list[dict]:
    """The session's recorded per-party notes, each naming the party's current row."""
    current = {pk: party.pk for party in attached(case, "parties") for pk in party.lineage}
    return [
        {
            "party": current.get(n.party_id, n.party_id),
            "informed": n.informed,
            "informed_by": n.informed_by,
            "informed_at": n.informed_at,
            "refused": n.refused,
        }
        for n in session.party_notes.all()
    ]


CORRECT = {"party": party_correct, "session": session_correct, "follow_up": follow_up_correct}


def correct(case, kind: str, row, *, actor, reason: str, **values):
    """The correction of `row` (of `kind`) by the service of its kind: the one entry the web and the API use."""
    return CORRECT[kind](case, actor=actor, reason=reason, **{kind: row}, **values)
