import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from reports import services
from tests.factories import PASSWORD
from tests.reports.conftest import MARCH, monthly_return

pytestmark = pytest.mark.django_db


@pytest.fixture
def march(world, grid_worker, grid):
    monthly_return(grid_worker, grid, found=2, registered=1)
    return services.report_ensure(kind="monthly", period=MARCH)


def cells(workbook) -> dict:
    """First-column label -> second-column value, over the report sheet."""
    sheet = workbook["报表"]
    return {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and row[0] is not None}


def test_xlsx_opens_and_holds_the_figures(client, centre, march, world):
    client.login(username=centre.username, password=PASSWORD)
    response = client.get(reverse("reports:xlsx", args=[march.pk]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    figures = cells(workbook)
    assert workbook["报表"]["A1"].value == march.title
    assert figures["新登记案件"] == 6 and figures["办结（调解成功＋调解不成）"] == 3 and figures["逾期案件"] == 3
    assert figures["本期调解成功率"].startswith("66.7%（2/3，95%区间 20.8%–93.8%")
    assert figures["按期办结率（逾期未结计入分母）"].startswith("60.0%")
    assert figures["登记至办结天数 中位数 / 90分位 / 平均"] == "20.0 / 26.4 / 18.7"
    assert figures[world["A"].category.name] == 5  # the category breakdown
    assert world["F"].number in figures  # the early-warning list, inside the centre's scope
    assert figures["排查覆盖率"].startswith("33.3%（1/3")


def test_xlsx_case_lists_keep_to_the_readers_scope(client, community_staff, march, world):
    client.login(username=community_staff.username, password=PASSWORD)
    workbook = load_workbook(io.BytesIO(client.get(reverse("reports:xlsx", args=[march.pk])).content))
    figures = cells(workbook)
    assert world["F"].number not in figures and world["C"].number in figures
    assert figures["新登记案件"] == 6  # the aggregate figures are the report's own


def test_pdf_has_its_title_and_pages(client, leader, march):
    client.login(username=leader.username, password=PASSWORD)
    response = client.get(reverse("reports:pdf", args=[march.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert reader.metadata.title == march.title
    assert len(reader.pages) >= 2
    first = reader.pages[0].extract_text()
    assert march.title in first and "66.7%" in first
    last = reader.pages[-1].extract_text()
    assert f"{len(reader.pages)} / {len(reader.pages)}" in last  # the footer: page n of n
