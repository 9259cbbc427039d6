"""The 调解协议书 as a PDF (fpdf2, the vendored CJK font like the reports): the same text as the
printed page, with the signature block (parties, mediators, the committee's seal) kept whole on
one page: when it does not fit under the terms' end, the whole block moves to the next page."""

import datetime as dt
from pathlib import Path

from django.conf import settings
from fpdf import FPDF

from casework.enums import PartyKind, Sex

from .enums import SignatureMark

FONTS = Path(settings.BASE_DIR) / "static" / "fonts"
LINE = 7
SIGNATURE_ROW = 16


def _pdf() -> FPDF:
    pdf = FPDF(format="A4")
    # Chinese from the Droid fallback font; digits and Latin letters, which it lacks, from DejaVu.
    pdf.add_font("cjk", fname=str(FONTS / "DroidSansFallbackFull.ttf"))
    pdf.add_font("latin", fname=str(FONTS / "DejaVuSans.ttf"))
    pdf.set_fallback_fonts(["latin"])
    pdf.set_margins(22, 20, 22)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_author("枫桥矛盾纠纷调处系统")
    return pdf


def _heading(pdf: FPDF, text: str):
    pdf.set_font("cjk", size=12)
    pdf.ln(2)
    pdf.multi_cell(0, LINE, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=11)


def _paragraph(pdf: FPDF, text: str):
    pdf.multi_cell(0, LINE, text or "—", new_x="LMARGIN", new_y="NEXT")


def party_line(party, *, show_personal: bool) -> str:
    """A party as the agreement names it (art. 29): a person's sex, ethnicity, date of birth or age,
    ID number and address, an organisation's address and legal representative. Outside the case's
    own people the personal particulars are withheld and the ID number and phone masked."""
    details = [party.name + ("（单位）" if party.kind == PartyKind.ORGANISATION else "")]
    if show_personal:
        if party.kind == PartyKind.ORGANISATION:
            if party.legal_representative:
                details.append(f"法定代表人 {party.legal_representative}")
        else:
            details += [str(Sex(party.sex).label)] if party.sex in Sex.values else []
            details += [party.ethnicity] if party.ethnicity else []
            if party.birth_date:
                born = dt.date.fromisoformat(party.birth_date)
                details.append(f"{born.year}年{born.month}月{born.day}日出生")
            elif party.age:
                details.append(f"{party.age}岁")
    id_number = party.id_number if show_personal else party.masked_id_number
    phone = party.phone if show_personal else party.masked_phone
    if id_number:
        details.append(f"身份证号 {id_number}")
    if phone:
        details.append(f"联系电话 {phone}")
    if show_personal and party.address:
        details.append(f"{'地址' if party.kind == PartyKind.ORGANISATION else '住址'} {party.address}")
    return f"{party.get_role_display()}：{'，'.join(details)}"


def agreement_pdf(*, case, agreement, parties: list, mediators: list, organization: str, show_personal: bool) -> bytes:
    pdf = _pdf()
    pdf.set_title(f"人民调解协议书 {case.number}")
    pdf.add_page()
    pdf.set_font("cjk", size=20)
    pdf.cell(0, 14, "人民调解协议书", new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("cjk", size=10)
    pdf.cell(0, 6, f"编号：{case.number}", new_x="LMARGIN", new_y="NEXT", align="R")
    if organization:
        pdf.cell(0, 6, f"调解组织：{organization}", new_x="LMARGIN", new_y="NEXT", align="R")
    pdf.set_font("cjk", size=11)
    for party in parties:
        _paragraph(pdf, party_line(party, show_personal=show_personal))
    _heading(pdf, "纠纷的主要事实")
    _paragraph(pdf, agreement.facts)
    _heading(pdf, "争议事项")
    _paragraph(pdf, agreement.disputed_matters)
    _heading(pdf, "各方当事人的责任")
    _paragraph(pdf, agreement.responsibilities)
    _heading(pdf, "经调解，自愿达成如下协议")
    _paragraph(pdf, agreement.terms)
    _heading(pdf, "履行方式、时限")
    deadline = agreement.performance_deadline
    _paragraph(
        pdf,
        (agreement.performance_method or "—")
        + (f"，于{deadline.year}年{deadline.month}月{deadline.day}日前履行完毕" if deadline else ""),
    )
    judicial = agreement.judicial_deadline
    _paragraph(
        pdf,
        "本协议自各方当事人签名、盖章或者按指印，人民调解员签名并加盖人民调解委员会印章之日起生效。"
        f"双方当事人可以自本协议生效之日起三十日内（{judicial.year}年{judicial.month}月{judicial.day}日前）"
        "共同向人民法院申请司法确认。本协议书一式三份，双方当事人、人民调解委员会各执一份。",
    )
    _signatures(pdf, case=case, agreement=agreement, parties=parties, mediators=mediators, organization=organization)
    return bytes(pdf.output())


def signature_rows(*, agreement, parties, mediators, organization) -> list[str]:
    """The signature block, with what the record says was done: each party's mark, the mediator's
    signature, the committee's seal."""
    given = {row["party"]: row["mark"] for row in agreement.signatures or []}
    # A signature names the party's row at signing; a party corrected since is found by its lineage.
    marks = {p.pk: next((given[pk] for pk in p.lineage if pk in given), None) for p in parties}
    rows = [
        f"{p.get_role_display()} {p.name}（"
        + (f"已{SignatureMark(marks[p.pk]).label}" if marks[p.pk] in SignatureMark.values else "签名、盖章或按指印")
        + "）："
        for p in parties
    ]
    rows += [f"人民调解员（签名{'，已签' if agreement.mediator_signed else ''}）：{m.name}" for m in mediators]
    rows.append(f"{organization or '人民调解委员会'}（印章{'，已盖' if agreement.committee_sealed else ''}）：")
    return rows


def _signatures(pdf: FPDF, *, case, agreement, parties, mediators, organization):
    """The block is signed as one: it never starts on one page and ends on the next."""
    rows = signature_rows(agreement=agreement, parties=parties, mediators=mediators, organization=organization)
    # The oral agreement's note stays with the block it annotates.
    height = SIGNATURE_ROW * (len(rows) + 1) + 8 + (12 if agreement.form == "oral" else 0)
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()
    pdf.ln(8)
    pdf.set_font("cjk", size=11)
    for row in rows:
        pdf.cell(0, SIGNATURE_ROW - 4, row, new_x="LMARGIN", new_y="NEXT")
        y = pdf.get_y()
        pdf.line(pdf.l_margin + 60, y, pdf.w - pdf.r_margin, y)
        pdf.ln(4)
    signed = agreement.signed_on
    pdf.cell(
        0, SIGNATURE_ROW - 4, f"签订日期：{signed.year}年{signed.month}月{signed.day}日", new_x="LMARGIN", new_y="NEXT"
    )
    if agreement.form == "oral":
        pdf.set_font("cjk", size=9)
        pdf.multi_cell(0, 5, "注：本协议为口头协议，由调解员记录在案（人民调解法第二十八条）。")
