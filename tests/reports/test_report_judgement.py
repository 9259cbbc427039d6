"""The monthly report's 研判 section: the 研判 page's own tables, frozen as of the month's end, for the
subdistrict and, in a community's view, for that community only."""

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from casework.models import DisputeCase
from grids import services as grid_services
from reports import selectors, services
from reports.analysis import judgement
from tests.factories import category, register
from tests.reports.conftest import monthly_return

pytestmark = pytest.mark.django_db
OCTOBER = dt.date(2025, 10, 1)


def moment(year, month, day):
    return timezone.make_aware(dt.datetime(year, month, day, 10))


@pytest.fixture
def rise(centre, grid, other_grid):
    """Labour disputes jump in `grid`'s community in October 2025 (12, against 1 a year before and
    2 in the three months before); neighbour disputes hold steady in the other community."""
    labour = category("labour")
    for day in range(1, 13):
        register(centre, grid, category=labour, at=moment(2025, 10, day))
    register(centre, grid, category=labour, at=moment(2024, 10, 5))
    register(centre, grid, category=labour, at=moment(2025, 8, 5))
    register(centre, grid, category=labour, at=moment(2025, 9, 5))
    for month in (7, 8, 9, 10):
        register(centre, other_grid, at=moment(2025, month, 3))
    register(centre, other_grid, at=moment(2024, 10, 3))


def row(table, label):
    (found,) = [r for r in table if r["label"] == label]
    return found


def test_the_monthly_report_carries_the_judgement_pages_tables_as_of_the_months_end(rise, subdistrict, centre):
    snapshot = services.report_ensure(subdistrict=subdistrict, kind="monthly", period=OCTOBER, now=moment(2025, 11, 1))
    stored = snapshot.figures["judgement"]
    # The same code as the 研判 page, over the subdistrict's cases, as of 10-31.
    page = judgement.judgement(DisputeCase.objects.filter(subdistrict=subdistrict), OCTOBER, dt.date(2025, 10, 31))
    assert stored["windows"]["current"] == {"start": "2025-10-01", "end": "2025-10-31"}
    assert stored["windows"]["previous"] == {"start": "2025-07-01", "end": "2025-09-30"}
    for dimension in ("category", "community", "grid"):
        assert [(r["key"], r["current"], r["rising"]) for r in stored["tables"][dimension]] == [
            (r["key"], r["current"], r["rising"]) for r in page["tables"][dimension]
        ]
    labour = row(stored["tables"]["category"], "劳动争议")
    assert (labour["current"], labour["vs_year"]["current"], labour["vs_year"]["baseline"]) == (12, 12, 1)
    assert labour["rising"] and labour["vs_previous"]["rising"] and labour["vs_previous"]["q_rise"] < 0.05
    # Steady: one a month, never flagged.
    assert not row(stored["tables"]["category"], "邻里纠纷")["rising"]


def test_a_communitys_view_has_its_own_judgement(rise, subdistrict, community_staff, community, other_community):
    snapshot = services.report_ensure(subdistrict=subdistrict, kind="monthly", period=OCTOBER, now=moment(2025, 11, 1))
    mine = selectors.view_figures(community_staff, snapshot)["judgement"]
    assert [r["label"] for r in mine["tables"]["community"]] == [community.name]
    assert [r["label"] for r in mine["tables"]["category"]] == ["劳动争议"]  # the other community's are not here


def test_the_report_page_shows_the_section_with_drill_downs(rise, subdistrict, client, leader):
    snapshot = services.report_ensure(subdistrict=subdistrict, kind="monthly", period=OCTOBER, now=moment(2025, 11, 1))
    client.force_login(leader)
    html = client.get(f"/reports/{snapshot.pk}/").content.decode()
    assert "研判：与去年同期、前三个月相比" in html and "显著上升" in html
    # The tables in the 研判 page's order, whatever order the stored JSON kept.
    section = html[html.index('id="section-judgement"') :]
    assert section.index("按纠纷类别") < section.index("按社区") < section.index("按网格")
    labour = category("labour")
    assert f"category={labour.pk}&amp;registered_after=2025-10-01&amp;registered_before=2025-10-31" in html


@pytest.fixture
def october_with_spot(rise, subdistrict, grid_worker, grid):
    """The rise, plus October's return of `grid`: 5 found, 2 registered, 2 resolved on the spot, so 1
    not pursued."""
    inspection = monthly_return(grid_worker, grid, found=5, registered=2, period=OCTOBER, at=moment(2025, 10, 30))
    for day in (20, 21):
        grid_services.spot_resolution_add(
            actor=grid_worker,
            inspection=inspection,
            what="楼道堆物引发口角",
            place="3栋",
            resolved_by="网格员",
            resolved_on=dt.date(2025, 10, day),
            at=moment(2025, 10, 30),
        )
    return services.report_ensure(subdistrict=subdistrict, kind="monthly", period=OCTOBER, now=moment(2025, 11, 1))


def test_the_xlsx_carries_the_judgement_and_the_screening_split(october_with_spot, client, centre):
    client.force_login(centre)
    response = client.get(reverse("reports:xlsx", args=[october_with_spot.pk]))
    workbook = load_workbook(io.BytesIO(response.content))
    summary = {row[0]: row[1] for row in workbook["概要"].iter_rows(min_row=4, values_only=True)}
    assert summary["排查发现纠纷（按时填报的 1 个网格）"] == 5
    assert (summary["其中：登记立案"], summary["其中：就地化解"], summary["其中：未立案"]) == (2, 2, 1)
    # The stored 研判 rows, as the page shows them: counts and tests as numbers.
    stored = row(october_with_spot.figures["judgement"]["tables"]["category"], "劳动争议")
    rows = {r[0]: r for r in workbook["研判·按纠纷类别"].iter_rows(min_row=4, values_only=True)}
    labour = rows["劳动争议"]
    assert labour[:3] == ("劳动争议", 12, 1)
    assert labour[3] == stored["vs_year"]["rate_ratio"] and labour[6] == stored["vs_year"]["q_rise"]
    assert labour[7] == 2 and labour[11] == stored["vs_previous"]["q_rise"] < 0.05 and labour[12] == "显著上升"
    assert rows["邻里纠纷"][12] is None  # steady: not flagged
    rising = list(workbook["研判·显著上升"].iter_rows(min_row=4, values_only=True))
    assert ("纠纷类别", "劳动争议", 12) in rising
    assert [r[0] for r in workbook["研判·对照期间"].iter_rows(min_row=4, values_only=True)] == [
        "本期",
        "去年同期",
        "前三个月",
    ]


def test_the_pdf_carries_the_judgement_and_the_screening_split(october_with_spot, client, leader):
    client.force_login(leader)
    response = client.get(reverse("reports:pdf", args=[october_with_spot.pk]))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "排查发现纠纷（按时填报的 1 个网格）" in text
    for label, value in (("其中：登记立案", 2), ("其中：就地化解", 2), ("其中：未立案", 1)):
        assert re.search(rf"{label}\s*{value}\b", text), label
    assert "研判·按纠纷类别" in text and "研判·重复发生地" in text and "显著上升" in text
    stored = row(october_with_spot.figures["judgement"]["tables"]["category"], "劳动争议")
    low, high = stored["vs_previous"]["ci95"]
    assert re.search(r"劳动争议\s*12\s*1\b", text)
    assert f"{low:.2f}–{high:.2f}" in text
