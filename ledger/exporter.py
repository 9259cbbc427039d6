"""Ledger export: any queryset of cases, written in the layout the importer reads.

Personal data are masked (138****5678), as everywhere but on the case page. A full
export, asked for by centre staff to move or back up a ledger, carries ID numbers and
phones of the cases casework.permissions.can_export_personal_data allows. A masked
value is not personal data any more; importing such a file keeps the parties' names
and roles and leaves their phones and ID numbers empty (with a warning per value).
"""

from django.db.models import Prefetch
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from casework import permissions
from casework.enums import CaseStatus, Guidance, Level, PartyKind, PartyRole, Referral, Risk, Sex, Source
from casework.models import Party
from common import xlsx
from mediation.enums import AgreementForm, FollowUpMethod
from mediation.models import FollowUp, MediationSession

from .layout import (
    COLUMNS,
    DATE_FORMAT,
    DATE_KEYS,
    FIELD_SEPARATOR,
    HEADER_ALIGNMENT,
    HEADER_FILL,
    MARK_WORDS,
    PARTICULAR_LABELS,
    PARTY_SEPARATOR,
    SHEET_TITLE,
    STATUS_WORDS,
    header_font,
)

CHUNK = 2000
ROLE_WORDS = {PartyRole.APPLICANT: "申请人", PartyRole.RESPONDENT: "被申请人"}
FORM_WORDS = {AgreementForm.WRITTEN: "书面", AgreementForm.ORAL: "口头"}
METHOD_WORDS = {FollowUpMethod.PHONE: "电话回访", FollowUpMethod.VISIT: "上门回访", FollowUpMethod.OTHER: "其他"}


def ledger_queryset(cases):
    """Everything a ledger row shows, loaded with the rows: a fixed number of queries per chunk."""
    return cases.select_related("community", "grid", "category", "lead_mediator", "agreement").prefetch_related(
        Prefetch("parties", queryset=Party.objects.order_by("role", "id")),
        "co_mediators",
        Prefetch("sessions", queryset=MediationSession.objects.order_by("held_at", "id")),
        Prefetch("follow_ups", queryset=FollowUp.objects.order_by("date", "id")),
    )


def _day(moment):
    return timezone.localtime(moment).date() if moment else None


def _party(party: Party, unmasked: bool) -> str:
    role = ROLE_WORDS.get(party.role, party.role)
    if party.kind == PartyKind.ORGANISATION:
        role += "(单位)"
    fields = [party.name]
    if party.phone:
        fields.append(party.phone if unmasked else party.masked_phone)
    if party.id_number:
        fields.append(party.id_number if unmasked else party.masked_id_number)
    if party.address:
        fields.append(party.address.replace(",", "，"))
    if unmasked:
        # The art. 29 particulars, labelled; sex and birth only where no ID number carries them.
        derived = ("sex", "birth_date") if party.id_number else ()
        for field_name, word in PARTICULAR_LABELS.items():
            value = getattr(party, field_name)
            if value and field_name not in derived:
                value = str(Sex(value).label) if field_name == "sex" else value
                fields.append(f"{word}={value.replace(',', '，')}")
    return f"{role}:{','.join(fields)}"


def _signing(agreement, parties) -> str:
    # A signature names the party's row at signing; a party corrected since is found by its lineage.
    names = {pk: p.name for p in parties for pk in p.lineage}
    words = {mark: word for word, mark in MARK_WORDS.items()}
    tokens = [f"{names[row['party']]}{words[row['mark']]}" for row in agreement.signatures if row["party"] in names]
    tokens += ["调解员签名"] if agreement.mediator_signed else []
    tokens += ["调委会盖章"] if agreement.committee_sealed else []
    return "、".join(tokens)


def _agreement(case):
    try:
        return case.agreement
    except case.__class__.agreement.RelatedObjectDoesNotExist:
        return None


def ledger_row(case, *, unmasked: bool) -> dict:
    """One case as the ledger's cells, keyed like layout.COLUMNS."""
    agreement = _agreement(case)
    status = case.status
    if status == CaseStatus.CLOSED:
        status = case.outcome
    reason, route = "", ""
    if case.status == CaseStatus.DECLINED:
        reason, route = case.decline_reason, str(Referral(case.referral).label) if case.referral else ""
    elif case.status == CaseStatus.WITHDRAWN:
        reason = case.withdraw_reason
    elif case.outcome == "failed":
        reason, route = case.fail_reason, str(Guidance(case.guidance).label) if case.guidance else ""
    mediators = [case.lead_mediator, *case.co_mediators.all()] if case.lead_mediator_id else []
    return {
        "ref": case.external_ref or case.number,
        "registered_on": _day(case.registered_at),
        "community": case.community.name,
        "grid": case.grid.name,
        "parties": PARTY_SEPARATOR.join(_party(p, unmasked) for p in case.parties.all()),
        "category": case.category.name,
        "source": str(Source(case.source).label),
        "description": case.description,
        "mediator": "、".join(m.name for m in mediators),
        "sessions": "\n".join(
            FIELD_SEPARATOR.join((f"{_day(s.held_at):%Y-%m-%d}", s.location, _one_line(s.summary)))
            for s in case.sessions.all()
        ),
        "outcome": STATUS_WORDS[status],
        "terms": agreement.terms if agreement else "",
        "concluded_on": _day(case.concluded_at),
        "follow_ups": "\n".join(_follow_up(f) for f in case.follow_ups.all()),
        "risk": str(Risk(case.risk).label),
        "level": str(Level(case.level).label) if case.level else "",
        "reason": reason,
        "route": route,
        "agreement_form": FORM_WORDS[agreement.form] if agreement else "",
        "performance_method": agreement.performance_method if agreement else "",
        "facts": agreement.facts if agreement else "",
        "disputed_matters": agreement.disputed_matters if agreement else "",
        "responsibilities": agreement.responsibilities if agreement else "",
        "signing": _signing(agreement, case.parties.all()) if agreement else "",
        "performance_deadline": agreement.performance_deadline if agreement else None,
        "closed_on": _day(case.closed_at),
    }


def _one_line(text: str) -> str:
    """Sessions and follow-ups are one a line in their cell, so their text keeps to one line."""
    return " ".join(text.split())


def _follow_up(follow_up) -> str:
    fields = [
        f"{follow_up.date:%Y-%m-%d}",
        METHOD_WORDS[follow_up.method],
        f"满意度{follow_up.satisfaction}",
        "已履行" if follow_up.performed else "未履行",
    ]
    if follow_up.notes:
        fields.append(_one_line(follow_up.notes))
    return FIELD_SEPARATOR.join(fields)


def export_ledger(cases, *, user, target, full: bool = False, counts: dict | None = None) -> int:
    """Write `cases` (already scoped to what `user` may see) as a ledger XLSX to `target`; return the row count.

    `full`: personal data unmasked where `user` may export them (else masked regardless).

    `counts`, if given, receives how many rows carry unmasked personal data (for the export's audit entry)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_TITLE)
    sheet.freeze_panes = "A2"
    header = []
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
        header.append(
            xlsx.cell(sheet, column.header, font=header_font(column), fill=HEADER_FILL, alignment=HEADER_ALIGNMENT)
        )
    sheet.append(header)
    count = unmasked_rows = 0
    for case in ledger_queryset(cases).iterator(chunk_size=CHUNK):
        unmasked = full and permissions.can_export_personal_data(user, case)
        unmasked_rows += unmasked
        row = ledger_row(case, unmasked=unmasked)
        sheet.append(
            [xlsx.cell(sheet, row[c.key], number_format=DATE_FORMAT if c.key in DATE_KEYS else None) for c in COLUMNS]
        )
        count += 1
    workbook.save(target)
    if counts is not None:
        counts["unmasked"] = unmasked_rows
    return count
