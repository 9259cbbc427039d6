import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from reports import services
from tests.factories import PASSWORD
from tests.reports.conftest import MARCH, monthly_return

pytestmark = pytest.mark.django_db


@pytest.fixture
def march(world, grid_worker, grid, subdistrict):
    monthly_return(grid_worker, grid, found=2, registered=1)
    return services.report_ensure(subdistrict=subdistrict, kind="monthly", period=MARCH)


def cells(sheet) -> dict:
    """First-column label -> second-column value (rows from the 4th: title, subtitle, headers first)."""
    return {row[0]: row[1] for row in sheet.iter_rows(min_row=4, values_only=True) if row and row[0] is not None}


def every_value(workbook):
    return [value for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for value in row]


def test_xlsx_has_a_sheet_per_section_charts_numbers_and_no_none(client, centre, march, world):
    client.login(username=centre.username, password=PASSWORD)
    response = client.get(reverse("reports:xlsx", args=[march.pk]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert {"概要", "近六个月趋势", "新登记按类别", "说明", "逾期案件明细"} <= set(workbook.sheetnames)
    summary = cells(workbook["概要"])
    assert workbook["概要"]["A1"].value == f"{march.title} · 概要"
    assert summary["新登记案件"] == 6 and summary["办结（调解成功＋调解不成）"] == 3 and summary["期末逾期案件"] == 2
    assert summary["本期调解成功率"].startswith("66.7%（2/3，95%区间 20.8%–93.8%")
    assert summary["按期办结率（逾期未结计入分母）"].startswith("60.0%")
    assert summary["撤回"] == 1 and summary["不予受理"] == 0
    [durations] = list(workbook["办结天数"].iter_rows(min_row=4, values_only=True))
    assert durations == (3, 20.0, 26.4, 18.7)  # numbers, not text
    assert cells(workbook["新登记按类别"])[world["A"].category.name] == 5
    assert world["F"].number in cells(workbook["预警案件明细"])
    overdue = {row[0]: row[4] for row in workbook["逾期案件明细"].iter_rows(min_row=4, values_only=True)}
    assert isinstance(overdue[world["E"].number], dt.datetime)  # a date cell (openpyxl reads it as datetime)
    assert len(workbook["近六个月趋势"]._charts) == 1 and len(workbook["新登记按类别"]._charts) == 1
    values = every_value(workbook)
    assert "None" not in [str(v) for v in values if v is not None]
    # The trend's success rate of a month without conclusions is an empty cell.
    trend = list(workbook["近六个月趋势"].iter_rows(min_row=4, values_only=True))
    assert trend[0][4] is None and trend[-1][4] == 0.6667
    assert "按期办结率" in [row[0] for row in workbook["说明"].iter_rows(values_only=True)]


def test_xlsx_of_community_staff_is_their_communitys_view(client, community_staff, march, world):
    client.login(username=community_staff.username, password=PASSWORD)
    workbook = load_workbook(io.BytesIO(client.get(reverse("reports:xlsx", args=[march.pk])).content))
    assert world["F"].number not in every_value(workbook)
    assert cells(workbook["概要"])["新登记案件"] == 4  # A B C G


def test_pdf_has_its_sections_charts_and_version_on_every_page(client, leader, march):
    client.login(username=leader.username, password=PASSWORD)
    response = client.get(reverse("reports:pdf", args=[march.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert reader.metadata.title == march.title
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) >= 3
    assert march.title in pages[0] and "66.7%" in pages[0] and "None" not in "".join(pages)
    assert "近六个月趋势" in "".join(pages) and "调处层级" in "".join(pages)
    for number, text in enumerate(pages, start=1):
        assert f"第{march.version}版" in text and re.search(rf"第 {number} / {len(pages)}\s+页", text), number
