"""The 调解协议书: names the mediation organisation, keeps the signature block on one page (print
and PDF), and its PDF download is audited like the print."""

import io

from django.urls import reverse
from pypdf import PdfReader

from casework.enums import CaseStatus
from common.models import AuditEntry
from mediation.documents import agreement_pdf, signature_rows
from mediation.models import Agreement


def _pages(body: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(body)).pages]


def test_the_print_names_the_organisation_and_keeps_the_signatures_together(client, centre, walk, mediator):
    case = walk(CaseStatus.AGREED)
    client.force_login(centre)
    body = client.get(reverse("mediation:agreement", args=[case.pk])).content.decode()
    organization = mediator.organization.name
    assert f"调解组织：{organization}" in body and f"{organization}（印章）" in body
    assert reverse("mediation:agreement_pdf", args=[case.pk]) in body


def test_the_pdf_is_audited_like_the_print_and_holds_the_agreement(client, centre, walk):
    case = walk(CaseStatus.AGREED)
    client.force_login(centre)
    before = AuditEntry.objects.filter(action="personal_data_revealed").count()
    response = client.get(reverse("mediation:agreement_pdf", args=[case.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert AuditEntry.objects.filter(action="personal_data_revealed").count() == before + 1
    text = "".join(_pages(response.content))
    assert "人民调解协议书" in text and case.number in text and "印章" in text


def test_a_long_agreement_moves_the_whole_signature_block_to_the_next_page(centre, walk):
    case = walk(CaseStatus.AGREED)
    agreement = Agreement.objects.get(case=case)
    parties, mediators, organization = list(case.parties.all()), [case.lead_mediator], "百花洲人民调解委员会"
    rows = [
        row.rstrip("：")
        for row in signature_rows(agreement=agreement, parties=parties, mediators=mediators, organization=organization)
    ]
    page_counts = set()
    # Terms of every length from a few lines to two pages: wherever the terms end, the block is whole.
    for lines in range(5, 80, 4):
        agreement.terms = "\n".join(f"第{i}条 双方同意按期履行。" for i in range(lines))
        body = agreement_pdf(
            case=case,
            agreement=agreement,
            parties=parties,
            mediators=mediators,
            organization=organization,
            show_personal=False,
        )
        pages = [page.replace("\n", "") for page in _pages(body)]
        page_counts.add(len(pages))
        assert all(row in pages[-1] for row in rows), lines
        assert "签订日期" in pages[-1] and "口头协议" in pages[-1]  # the oral note stays with the block
        assert not any(row in page for row in rows for page in pages[:-1]), lines
    assert len(page_counts) > 1  # some lengths did push the block over
