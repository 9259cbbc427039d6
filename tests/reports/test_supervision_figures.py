"""督办 in the reports: orders issued in the period, answers on time and late, orders unanswered
(and past their day) at the period's end — counted by case over the world of tests/reports/conftest.py,
drilled to the cases, shown on the page and in both exports, the same however late the report."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from casework.supervision import supervision_answer, supervision_issue
from grids.enums import Role
from reports import services, statistics
from reports.statistics import Period
from tests.factories import PASSWORD, DistrictFactory, SubdistrictFactory, UserFactory
from tests.reports.conftest import MARCH, at

pytestmark = pytest.mark.django_db

APRIL = MARCH.replace(month=4)


@pytest.fixture
def orders(world, subdistrict, centre):
    """E (overdue since mid-March) and F (major risk) supervised in March:

    | order | case | issued | working days → due | answered |
    |---|---|---|---|---|
    | 1 | F | 03-17 | 2 → 03-19 | 03-18 (on time) |
    | 2 | E | 03-20 | 3 → 03-25 | 03-27 (late) |
    | 3 | F | 03-26 | 5 → 04-02 | never |
    | 4 | E | 03-24 | 1 → 03-25 | never (overdue at March's end) |
    | 5 | E | 03-28 | 1 → 03-31 | 04-01 (late, in April) |
    """
    subdistrict.district = DistrictFactory()
    subdistrict.save(update_fields=["district"])
    staff = UserFactory(username="district", roles=[Role.DISTRICT_STAFF], district=subdistrict.district)
    plan = [("F", (3, 17), 2, (3, 18)), ("E", (3, 20), 3, (3, 27)), ("F", (3, 26), 5, None),
            ("E", (3, 24), 1, None), ("E", (3, 28), 1, (4, 1))]  # fmt: skip
    made = []
    for name, issued, days, answered in plan:
        order = supervision_issue(world[name], actor=staff, instruction="请办理", working_days=days, at=at(*issued))
        if answered:
            supervision_answer(order, actor=centre, text="已办理", at=at(*answered))
        made.append(order)
    return made


def test_march_and_april_counted_by_hand(world, orders, subdistrict):
    assert [o.due.isoformat()[5:] for o in orders] == ["03-19", "03-25", "04-02", "03-25", "03-31"]
    e, f = world["E"].pk, world["F"].pk
    march = statistics.collect(subdistrict.pk, Period.monthly(MARCH))["sets"]
    assert march["supervision_issued"] == sorted([e, f])
    assert march["supervision_on_time"] == [f] and march["supervision_late"] == [e]
    assert march["supervision_unanswered"] == sorted([e, f])  # F's order 3, E's orders 4 and 5
    assert march["supervision_overdue"] == [e]  # order 4; order 5's day was March's last
    figures = statistics.report_figures(Period.monthly(MARCH), subdistrict.pk)
    assert figures["supervision"] == {
        "issued": 2, "on_time": 1, "late": 1, "unanswered": 2, "overdue": 1, "on_time_rate": 0.5,
    }  # fmt: skip
    april = statistics.report_figures(Period.monthly(APRIL), subdistrict.pk)["supervision"]
    assert april == {"issued": 0, "on_time": 0, "late": 1, "unanswered": 2, "overdue": 2, "on_time_rate": 0.0}
    # A daily report counts the day's: order 2's late answer on 03-27.
    day = statistics.report_figures(Period.daily(MARCH.replace(day=27)), subdistrict.pk)["supervision"]
    assert (day["issued"], day["on_time"], day["late"], day["unanswered"]) == (0, 0, 1, 2)


def test_a_community_view_keeps_only_its_cases(world, orders, subdistrict, grid):
    material = statistics.collect(subdistrict.pk, Period.monthly(MARCH))
    mine = statistics.derive(statistics.restrict(material, grid.community_id))["supervision"]
    other = statistics.derive(statistics.restrict(material, world["E"].community_id))["supervision"]
    assert mine["issued"] == 0 and other["issued"] == 2


def test_the_page_drills_to_the_cases_and_the_exports_carry_the_section(client, world, orders, subdistrict, leader):
    snapshot = services.report_ensure(subdistrict=subdistrict, kind="monthly", period=MARCH)
    # Answered since: the stored report still says what March's end said.
    supervision_answer(orders[3], actor=world["E"].registered_by, text="补答复")
    client.login(username=leader.username, password=PASSWORD)
    page = client.get(reverse("reports:detail", args=[snapshot.pk])).content.decode()
    assert 'id="section-supervision"' in page and "figure=supervision_overdue" in page
    drill = client.get(reverse("reports:cases", args=[snapshot.pk]), {"figure": "supervision_overdue"})
    assert drill.status_code == 200
    listed = drill.content.decode()
    assert world["E"].number in listed and world["F"].number not in listed
    workbook = load_workbook(io.BytesIO(client.get(reverse("reports:xlsx", args=[snapshot.pk])).content))
    rows = {r[0]: r[1] for r in workbook["督办"].iter_rows(min_row=4, values_only=True) if r and r[0]}
    assert rows["本期督办案件"] == 2 and rows["期末督办未答复"] == 2 and rows["其中已过办理期限"] == 1
    assert rows["督办按期答复率"] == "50.0%"
    pdf = PdfReader(io.BytesIO(client.get(reverse("reports:pdf", args=[snapshot.pk])).content))
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "督办按期答复率" in text and "期末督办未答复" in text


def test_the_district_report_sums_each_subdistricts_supervision(client, world, orders, subdistrict):
    from reports import district as district_reports

    neighbour = SubdistrictFactory(code="YZJ", name="豫章街道", district=subdistrict.district)
    for sub in (subdistrict, neighbour):
        services.report_ensure(subdistrict=sub, kind="monthly", period=MARCH)
    report = district_reports.district_report_ensure(subdistrict.district, MARCH)
    rows = {row["name"]: row["counts"] for row in report.figures["subdistricts"]}
    assert (rows[subdistrict.name]["supervision_issued"], rows[subdistrict.name]["supervision_overdue"]) == (2, 1)
    assert rows["豫章街道"]["supervision_issued"] == 0
    assert report.figures["district"]["counts"]["supervision_unanswered"] == 2
    client.force_login(orders[0].issued_by)
    page = client.get(reverse("reports:district_detail", args=[report.pk])).content.decode()
    assert "督办（逾期未答复）" in page and "figure=supervision_overdue" in page
    sheet = load_workbook(io.BytesIO(client.get(reverse("reports:district_xlsx", args=[report.pk])).content)).active
    header, *rows = list(sheet.iter_rows(min_row=3, values_only=True))
    issued, overdue = header.index("本期督办"), header.index("督办逾期未答复")
    assert {row[0]: (row[issued], row[overdue]) for row in rows}[subdistrict.name] == (2, 1)
