"""Reads of the mediation side: who may be assigned to a case, and why not."""

import datetime as dt

from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from casework.enums import CONCLUDED, WITH_MEDIATOR, CaseStatus, Outcome, RecordKind, Transition
from casework.models import CaseEvent, DisputeCase, Party, SupervisionOrder
from casework.personal_data import mask_id_number, mask_phone
from casework.selectors import case_list_related, cases_visible_to
from casework.supervision import EVENT_LABELS as SUPERVISION_LABELS
from common.prepared import Prepared, attach, attached, attached_as, together

from .correctable import KINDS
from .enums import JudicialConfirmation
from .models import (
    Agreement,
    ConflictDeclaration,
    FollowUp,
    MediationOrganization,
    MediationSession,
    Mediator,
    OrganizationConflict,
)
from .names import normalise, organisation_core


def _digits(phone: str) -> str:
    return "".join(ch for ch in phone or "" if ch.isdigit())[-11:]


def _party_matches(name: str, parties) -> bool:
    """`name` (a person or an organisation) is one of `parties`, after normalisation."""
    folded, core = normalise(name), organisation_core(name)
    return any(
        normalise(p.name) == folded or (p.kind == "organisation" and organisation_core(p.name) == core) for p in parties
    )


def mediator_conflicts(mediator: Mediator, case, *, parties=None, declarations=None, org_conflicts=None) -> list[str]:
    """回避: the reasons `mediator` may not mediate `case` (empty when there are none).

    Names are compared normalised (mediation.names): spaces, punctuation, full-width and
    traditional characters do not hide a match, nor does an organisation's legal-form suffix.
    `parties`, `declarations` and `org_conflicts` may be passed in when checking many mediators
    against one case, so the check costs no query per mediator.
    """
    parties = list(case.related("parties")) if parties is None else parties
    if declarations is None:
        declarations = list(case.related("conflicts"))
    if org_conflicts is None:
        # Prefetched where many mediators are checked one by one (a ledger import).
        org_conflicts = list(mediator.organization.conflicts.all()) if mediator.organization_id else []
    reasons = []
    people = {normalise(p.name) for p in parties if p.kind == "person"}
    organisations = {organisation_core(p.name) for p in parties if p.kind == "organisation"}
    phones = {_digits(p.phone) for p in parties if p.phone}
    if normalise(mediator.name) in people or (mediator.phone and _digits(mediator.phone) in phones):
        reasons.append(f"{mediator.name}本人是本案当事人")
    if mediator.organization_id and organisation_core(mediator.organization.name) in organisations:
        reasons.append(f"所属组织“{mediator.organization.name}”是本案当事人")
    reasons.extend(f"已声明回避：{d.reason}" for d in declarations if d.mediator_id == mediator.pk)
    reasons.extend(
        f"所属组织已就当事人“{c.party_name}”声明回避：{c.reason}"
        for c in org_conflicts
        if c.organization_id == mediator.organization_id and _party_matches(c.party_name, parties)
    )
    return reasons


def conflicted_co_mediators(case) -> list[tuple[Mediator, list[str]]]:
    """The case's co-mediators who may not (or may no longer) mediate it, with why."""
    parties = list(attached(case, "parties"))
    declarations = list(ConflictDeclaration.objects.filter(case=case))
    org_conflicts = list(OrganizationConflict.objects.all())
    found = []
    for co in case.co_mediators.select_related("organization"):
        reasons = mediator_conflicts(co, case, parties=parties, declarations=declarations, org_conflicts=org_conflicts)
        if reasons:
            found.append((co, reasons))
    return found


def mediators_on_cases_of(organization, party_name: str, *, subdistrict_id) -> list[tuple]:
    """(case, mediator) for each of `organization`'s mediators at work on a case of the subdistrict
    that `party_name` is a party to; co-mediators before the lead, so the lead's leaving comes last."""
    cases = (
        DisputeCase.objects.filter(subdistrict_id=subdistrict_id, status__in=WITH_MEDIATOR)
        .filter(Q(lead_mediator__organization=organization) | Q(co_mediators__organization=organization))
        .distinct()
        .select_related("lead_mediator")
        .prefetch_related("parties", "co_mediators")
    )
    found = []
    for case in cases:
        if not _party_matches(party_name, case.parties.all()):
            continue
        found.extend((case, co) for co in case.co_mediators.all() if co.organization_id == organization.pk)
        if case.lead_mediator and case.lead_mediator.organization_id == organization.pk:
            found.append((case, case.lead_mediator))
    return found


def assignment_options(case):
    """Every active mediator with the reasons (if any) they cannot take `case`, for the assignment form."""
    parties = list(attached(case, "parties"))
    declarations = list(ConflictDeclaration.objects.filter(case=case))
    org_conflicts = list(OrganizationConflict.objects.all())
    options = []
    for mediator in Mediator.objects.filter(active=True).select_related("organization").order_by("name"):
        reasons = mediator_conflicts(
            mediator, case, parties=parties, declarations=declarations, org_conflicts=org_conflicts
        )
        if not mediator.available:
            reasons.append(f"{mediator.name}暂不接案")
        options.append((mediator, reasons))
    return options


# The corrections a page shows without a query of their own: each row comes with the rows it
# superseded, this many deep, in the same query (a longer chain reads the rest as it is walked).
HISTORY_DEPTH = 3


def with_history(*related: str) -> list[str]:
    """select_related() names for a correctable row: `related`, who corrected it, and the rows it
    superseded (HISTORY_DEPTH deep) each with who corrected it."""
    names, path = [*related, "corrected_by"], ""
    for _level in range(HISTORY_DEPTH):
        path += "supersedes"
        names += [path, f"{path}__corrected_by"]
        path += "__"
    return names


def current_parties_of_cases():
    """The parties as the file says now (no superseded row), in the order every page lists them,
    with what each said before: the case page, the API and the 协议书 read parties through it."""
    return Party.objects.select_related(*with_history()).order_by("role", "id")


def correction_history(case) -> dict:
    """What each corrected record said before: {(kind, current id): [step, …] newest first}, each
    step {"old": the superseded row, "by": the row that replaced it (who, when, why), "fields":
    [(label, old value, new value)]}, also set on each corrected row as `corrections` (for the
    templates). Read from the rows loaded with the case (case_page_related): no query."""
    current = {
        "party": list(attached(case, "parties")),
        "session": list(attached(case, "sessions")),
        "follow_up": list(attached(case, "follow_ups")),
    }
    history = {}
    for kind, rows in current.items():
        spec = KINDS[kind]
        for row in rows:
            if row.supersedes_id is None:
                continue
            steps, new = [], row
            while new.supersedes_id is not None:
                old = new.supersedes
                fields = [
                    (spec.model._meta.get_field(f).verbose_name, _shown(old, f), _shown(new, f))
                    for f in spec.fields
                    if getattr(old, f) != getattr(new, f)
                ]
                steps.append({"old": old, "by": new, "fields": fields})
                new = old
            history[(kind, row.pk)] = row.corrections = steps
    return history


def _shown(row, field: str):
    """A recorded value as the history shows it: choices by their label, personal data masked."""
    value = getattr(row, field)
    if field == "id_number":
        return mask_id_number(value) or "—"
    if field == "phone":
        return mask_phone(value) or "—"
    if field == "address":
        return _("（已隐藏）") if value else "—"
    display = getattr(row, f"get_{field}_display", None)
    if display is not None and value not in ("", None):
        return display()
    if isinstance(value, bool):
        return _("是") if value else _("否")
    return value if value not in ("", None) else "—"


# What a case's page shows beside the case's own row: its rows joined (select_related), and each
# related list with the queryset it is read by and the field that links it to the case.
CASE_JOINS = (
    "subdistrict",
    "community",
    "grid",
    "category",
    "registered_by",
    "lead_mediator__organization",
    "agreement",
)
CASE_LISTS = {
    "co_mediators": (lambda: Mediator.objects.select_related("organization"), "co_cases"),
    "parties": (current_parties_of_cases, "case_id"),
    "events": (lambda: CaseEvent.objects.select_related("actor").order_by("at", "id"), "case_id"),
    "sessions": (lambda: MediationSession.objects.select_related(*with_history("presiding")), "case_id"),
    "follow_ups": (lambda: FollowUp.objects.select_related(*with_history("recorded_by")), "case_id"),
}
SUPERVISION_LIST = (
    lambda: SupervisionOrder.objects.select_related("issued_by", "answer__answered_by"),
    "case_id",
)


def case_page_related(qs):
    """Everything a case's page shows (the web page and the API's case detail alike): parties, events,
    mediators, sessions, agreement and follow-ups, loaded with the case in a fixed number of queries,
    each list hung on the case as a plain list (common.prepared.attached reads it back).
    The judicial-confirmation history is read from the events (`judicial_history`)."""
    lists = [Prefetch(name, queryset=read(), to_attr=attached_as(name)) for name, (read, _link) in CASE_LISTS.items()]
    return qs.select_related(*CASE_JOINS).prefetch_related(*lists)


def _prepared(read, link):
    return Prepared(lambda value: read().filter(**{link: value}))


# The case page is opened far more than anything else of a case: its statements are compiled once
# (common.prepared), each run binding the case's id. They are the same statements, row for row, as
# case_page_related's select_related and prefetches.
_CASE_ROW = Prepared(None)
_CASE_LIST_READS = {name: _prepared(*read) for name, read in CASE_LISTS.items()}
_SUPERVISION_READ = _prepared(*SUPERVISION_LIST)


def _scope_key(scope) -> tuple:
    """What decides the SQL of the visible cases: their WHERE and how it joins (cheap to compile)."""
    query = scope.query
    where = query.get_compiler(scope.db).compile(query.where)
    joins = tuple((alias, getattr(join, "join_type", None)) for alias, join in query.alias_map.items())
    return where[0], tuple(where[1]), joins


def case_page(user, pk: int, *, supervision: bool = True):
    """One case visible to `user`, with everything its page shows, or DisputeCase.DoesNotExist.
    `supervision`: with its supervision orders and their answers (the web page shows them; the API's
    case detail does not carry them).

    The same rows as case_page_related(cases_visible_to(user)) with the supervision orders
    prefetched, read by prepared statements sent together: the case's row under the user's scope
    (compiled once per scope) and each list of the case, hung on it as case_page_related hangs them."""
    scope = cases_visible_to(user)
    if scope.query.is_empty():
        raise DisputeCase.DoesNotExist
    pk = DisputeCase._meta.pk.get_prep_value(pk)
    row = _CASE_ROW.statement(
        key=_scope_key(scope),
        build=lambda value: scope.select_related(*CASE_JOINS).filter(pk=value).order_by(),
        using=scope.db,
    )
    lists = dict(_CASE_LIST_READS)
    if supervision:
        lists["supervision_orders"] = _SUPERVISION_READ
    # The lists go with the case's row; they are read only when the row is found (in the user's scope).
    statements = [(row, pk), *((read.statement(using=scope.db), pk) for read in lists.values())]
    found, *rows = together(statements, using=scope.db, first_found=True)
    if not found:
        raise DisputeCase.DoesNotExist
    case = found[0]
    for name, related in zip(lists, rows, strict=True):
        attach(case, name, related)
    return case


def case_agreement(case):
    """The case's agreement when it was loaded with the case (None when there is none)."""
    try:
        return case.agreement
    except Agreement.DoesNotExist:
        return None


def case_timeline(case) -> list[dict]:
    """One timeline: every event, each with the session, agreement or follow-up it recorded."""
    # An event names the row it recorded; a corrected record is shown as it reads now, at that place.
    sessions = {s.pk: s for s in attached(case, "sessions")}
    follow_ups = {f.pk: f for f in attached(case, "follow_ups")}
    session_of = {pk: s.pk for s in sessions.values() for pk in s.lineage}
    follow_up_of = {pk: f.pk for f in follow_ups.values() for pk in f.lineage}
    agreement = case_agreement(case)
    labels = {**dict(Transition.choices), **dict(RecordKind.choices), **SUPERVISION_LABELS}
    items = []
    for event in attached(case, "events"):
        item = {"event": event, "label": labels.get(event.name, event.name), "is_record": not event.is_transition}
        if event.from_status and event.to_status and event.from_status != event.to_status:
            item["change"] = (CaseStatus(event.from_status).label, CaseStatus(event.to_status).label)
        if event.name == RecordKind.SESSION:
            item["session"] = sessions.pop(session_of.get(event.data.get("session")), None)
        elif event.name == RecordKind.FOLLOW_UP:
            item["follow_up"] = follow_ups.pop(follow_up_of.get(event.data.get("follow_up")), None)
        elif event.name == Transition.REACH_AGREEMENT:
            item["agreement"] = agreement
        elif event.name == RecordKind.JUDICIAL_CONFIRMATION:
            item["judicial"] = judicial_step(event)
        items.append(item)
    # Records whose event does not name them (e.g. imported from a ledger) still belong in the file.
    for session in sessions.values():
        items.append({"event": None, "at": session.recorded_at, "label": RecordKind.SESSION.label, "session": session})
    for follow_up in follow_ups.values():
        items.append(
            {"event": None, "at": follow_up.recorded_at, "label": RecordKind.FOLLOW_UP.label, "follow_up": follow_up}
        )
    items.sort(key=lambda i: i["event"].at if i["event"] else i["at"])
    return items


def judicial_step(event) -> dict:
    """One judicial-confirmation entry as its event on the case's file carries it (the same step,
    appended in the same transaction): the case page and the API's case detail have the events
    loaded already."""
    data = event.data or {}

    def day(key):
        return dt.date.fromisoformat(data[key]) if data.get(key) else None

    status = data.get("status")
    return {
        "entry": data.get("entry"),
        "at": event.at,
        "by": event.actor,
        "status": status,
        "status_label": JudicialConfirmation(status).label if status in JudicialConfirmation.values else status,
        "applied_on": day("applied_on"),
        "court": data.get("court") or "",
        "answered_on": day("answered_on"),
        "note": data.get("note") or "",
    }


def judicial_history(case) -> list[dict]:
    """Every judicial-confirmation step of the case, oldest first (from its loaded events)."""
    return [judicial_step(e) for e in attached(case, "events") if e.name == RecordKind.JUDICIAL_CONFIRMATION]


def next_step(row, user) -> str:
    """What a mediator's case needs next, in the words of the "my cases" list (a casework.rows.CaseRow)."""
    if row.status == CaseStatus.ASSIGNED:
        if row.lead_user_id == user.id:
            return _("开始调解")
        return _("等待主调解员开始调解")
    if row.status == CaseStatus.MEDIATING:
        return _("记录调解情况") if row.session_count == 0 else _("记录调解情况或调解结果")
    if row.status == CaseStatus.AGREED and row.follow_up_count == 0:
        return _("回访")
    if row.status in CONCLUDED:
        return _("等待综治中心结案")
    return row.status_label


def my_cases(user):
    """A mediator's open cases, the most urgent deadline first."""
    return case_list_related(cases_visible_to(user).involving_mediator_user(user.id).open()).order_by(
        F("next_due").asc(nulls_last=True), "registered_at", "id"
    )


def _count(model, **match):
    """A correlated COUNT, so several counts over different relations do not multiply each other."""
    return Coalesce(
        Subquery(
            model.objects.filter(**match).order_by().values(next(iter(match))).annotate(n=Count("pk")).values("n")[:1]
        ),
        0,
    )


def mediator_statistics(subdistrict_id):
    """Every mediator with open load, concluded and agreed cases (as lead, in the subdistrict), conflicts declared."""
    cases = Q(lead_cases__subdistrict_id=subdistrict_id)
    return (
        Mediator.objects.select_related("organization")
        .annotate(
            open_load=Count("lead_cases", filter=cases & Q(lead_cases__status__in=WITH_MEDIATOR)),
            concluded=Count("lead_cases", filter=cases & Q(lead_cases__concluded_at__isnull=False)),
            agreed=Count("lead_cases", filter=cases & Q(lead_cases__outcome=Outcome.AGREED)),
            conflicts_declared=_count(ConflictDeclaration, mediator=OuterRef("pk")),
        )
        .order_by("-active", "name", "id")
    )


def organization_statistics(subdistrict_id):
    """Every organisation with its mediators and their cases (as lead, in the subdistrict)."""
    cases = Q(mediators__lead_cases__subdistrict_id=subdistrict_id)
    return MediationOrganization.objects.annotate(
        mediator_count=_count(Mediator, organization=OuterRef("pk")),
        available_count=_count(Mediator, organization=OuterRef("pk"), active=True, available=True),
        open_load=Count("mediators__lead_cases", filter=cases & Q(mediators__lead_cases__status__in=WITH_MEDIATOR)),
        concluded=Count("mediators__lead_cases", filter=cases & Q(mediators__lead_cases__concluded_at__isnull=False)),
        agreed=Count("mediators__lead_cases", filter=cases & Q(mediators__lead_cases__outcome=Outcome.AGREED)),
    ).order_by("-active", "name")


def conflicts_of(mediator):
    return (
        ConflictDeclaration.objects.filter(mediator=mediator)
        .select_related("case", "declared_by")
        .order_by("-declared_at")
    )
