"""Ledger (台账) import and export: a realistic ledger with good and bad rows, the three modes,
re-import, round trip, scope and masking, the pages and the command."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from casework.enums import CaseStatus, Level
from casework.models import CaseEvent, DisputeCase, Party
from casework.personal_data import id_check_digit, mask_id_number, mask_phone
from grids.enums import Role
from ledger.exporter import export_ledger
from ledger.importer import LedgerFileError, import_ledger
from ledger.layout import COLUMNS, parse_date
from mediation.models import FollowUp, MediationSession
from reports.statistics import success_rate
from tests.factories import PASSWORD, GridFactory, SubdistrictFactory, UserFactory, case_in_state, register

HEADERS = [c.header for c in COLUMNS]


def person_id(seed: int) -> str:
    first17 = f"36010219800101{seed:03d}"
    return first17 + id_check_digit(first17)


def bad_check_digit(seed: int) -> str:
    good = person_id(seed)
    return good[:17] + ("1" if good[17] != "1" else "2")


def xlsx(rows, *, headers=HEADERS, title_rows=(), sheet="台账") -> io.BytesIO:
    """A ledger workbook: optional title rows, the header row, then one row per dict keyed by header."""
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for row in title_rows:
        worksheet.append(row)
    worksheet.append(headers)
    for row in rows:
        worksheet.append([row.get(h) for h in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "台账.xlsx"
    return buffer


def read_rows(content: bytes) -> list[dict]:
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def agreed_row(world, ref="TZ-001", **over):
    row = {
        "案件编号": ref,
        "登记日期": "2021-03-05",
        "社区": world["community"].name,
        "网格": world["grid"].name,
        "当事人": f"申请人:张三,13800138000,{person_id(1)}；被申请人:李四,13900139000",
        "纠纷类别": "邻里纠纷",
        "来源": "网格排查",
        "纠纷简要情况": "楼上装修漏水影响楼下住户。",
        "调解员": world["mediator"].name,
        "调解记录": "2021-03-06|第三方调解室|听取双方陈述，释法明理。\n2021-03-09|社区调解室|双方达成一致。",
        "调解结果": "调解成功",
        "协议内容": "被申请人于十五日内赔偿申请人3000元。",
        "办结日期": "2021-03-10",
        "回访": "2021-03-25|电话回访|满意度5|已履行|双方表示满意。",
        "结案日期": "2021-03-26",
    }
    row.update(over)
    return row


# A row that never reached mediation: the mediation columns blank.
NOT_MEDIATED = dict.fromkeys(["调解员", "调解记录", "调解结果", "协议内容", "办结日期", "回访", "结案日期"], "")


def bare_row(world, ref, **over):
    return agreed_row(world, ref, **{**NOT_MEDIATED, **over})


@pytest.fixture
def world(centre, community, other_community, grid, sibling_grid, other_grid, mediator, other_mediator):
    return {
        "centre": centre,
        "community": community,
        "other_community": other_community,
        "grid": grid,
        "sibling_grid": sibling_grid,
        "other_grid": other_grid,
        "mediator": mediator,
        "other_mediator": other_mediator,
    }


def good_rows(world):
    """Six good rows in six ways of writing a ledger: every outcome, dates in every accepted form."""
    return [
        # Excel date cells, full-width digits in the phone, spaces around the community.
        agreed_row(
            world,
            "TZ-001",
            登记日期=dt.datetime(2021, 3, 5),
            社区=f"  {world['community'].name} ",
            当事人=f"申请人：张三，１３８００１３８０００，{person_id(1)}；被申请人(单位)：某物业公司",
        ),
        agreed_row(
            world,
            "TZ-002",
            登记日期="2021/4/1",
            调解记录="2021年4月2日|第三方调解室|调解未果。",
            调解结果="调解不成",
            协议内容="",
            办结日期=20210405,
            回访="",
            结案日期="",
            处理说明="双方分歧较大。",
            引导途径="诉讼",
        ),
        bare_row(world, "TZ-003", 登记日期="2021年5月6日", 调解员=world["mediator"].name, 调解结果="调解中"),
        bare_row(
            world,
            "TZ-004",
            调解结果="不予受理",
            办结日期="2021-03-06",
            处理说明="属于劳动仲裁受理范围。",
            引导途径="仲裁",
        ),
        bare_row(world, "TZ-005", 调解结果="撤回", 处理说明="双方已自行和解。"),
        bare_row(world, "TZ-006", 网格=world["sibling_grid"].name),
    ]


def bad_rows(world):
    """One mistake per row, each with the column the report must name."""
    return [
        (agreed_row(world, "BAD-01", 登记日期="2021-13-45"), "登记日期"),
        (agreed_row(world, "BAD-02", 社区="不存在社区"), "社区"),
        (agreed_row(world, "BAD-03", 网格=world["other_grid"].name), "网格"),
        (agreed_row(world, "BAD-04", 当事人=f"申请人:张三,13800138000,{bad_check_digit(2)}"), "当事人"),
        (agreed_row(world, "BAD-05", 当事人="申请人:张三,1380013800"), "当事人"),
        (agreed_row(world, "BAD-06", 纠纷类别="宠物纠纷"), "纠纷类别"),
        (agreed_row(world, "BAD-07", 纠纷简要情况=""), "纠纷简要情况"),
        (agreed_row(world, "BAD-08", 调解员="不存在的人"), "调解员"),
        (agreed_row(world, "BAD-09", 办结日期="2021-03-01"), "办结日期"),
    ]


def realistic_ledger(world):
    """A title row above the header, good and bad rows interleaved, a blank row; returns file and bad rows."""
    rows, bad = [], {}
    goods = good_rows(world)
    for index, (row, column) in enumerate(bad_rows(world)):
        if index < len(goods):
            rows.append(goods[index])
        rows.append(row)
        bad[row["案件编号"]] = column
    rows.insert(4, {})
    first_data_row = 3  # title row, header row
    numbers = {}
    for offset, row in enumerate(rows):
        if row:
            numbers[row["案件编号"]] = first_data_row + offset
    return xlsx(rows, title_rows=[["百花洲街道矛盾纠纷排查调处台账（2021年）"]]), numbers, bad


def test_parse_date_accepts_the_usual_forms():
    expected = dt.date(2021, 3, 5)
    for value in (
        "2021-03-05",
        "2021/3/5",
        "2021年3月5日",
        "2021 年 3 月 5 日",
        "20210305",
        20210305,
        "２０２１－０３－０５",
        "2021.3.5",
        dt.datetime(2021, 3, 5, 8),
        expected,
        44260,
    ):
        assert parse_date(value) == expected, value
    assert parse_date("") is None and parse_date(None) is None
    for value in ("2021-13-45", "去年三月", "03/05/2021"):
        with pytest.raises(ValueError):
            parse_date(value)


def test_import_names_every_bad_row_and_column_and_writes_nothing(world):
    source, numbers, bad = realistic_ledger(world)
    report = import_ledger(source, user=world["centre"])
    assert not report.written
    assert DisputeCase.objects.count() == 0 and CaseEvent.objects.count() == 0
    errors = {(p.row, p.column) for p in report.errors}
    for ref, column in bad.items():
        assert (numbers[ref], column) in errors, (ref, column, report.errors)
    # Only the bad rows are named, and every good row is recognised as such.
    assert {p.row for p in report.errors} == {numbers[ref] for ref in bad}
    assert report.created == 6 and report.invalid == len(bad)
    messages = " ".join(p.message for p in report.errors)
    assert "校验码" in messages and "不在本街道" in messages and "不属于" in messages and "早于登记日期" in messages
    # The report is kept with an upload: a wrong ID number or phone is named masked, not in full.
    assert bad_check_digit(2) not in messages and "1380013800" not in messages
    assert mask_id_number(bad_check_digit(2)) in messages and mask_phone("1380013800") in messages


def test_import_valid_only_writes_the_good_rows_in_their_states(world):
    source, _numbers, bad = realistic_ledger(world)
    report = import_ledger(source, user=world["centre"], valid_only=True)
    assert report.written and report.created == 6 and report.invalid == len(bad)
    cases = {c.external_ref: c for c in DisputeCase.objects.all()}
    assert set(cases) == {f"TZ-00{n}" for n in range(1, 7)}
    assert {ref: c.status for ref, c in cases.items()} == {
        "TZ-001": CaseStatus.CLOSED,
        "TZ-002": CaseStatus.FAILED,
        "TZ-003": CaseStatus.MEDIATING,
        "TZ-004": CaseStatus.DECLINED,
        "TZ-005": CaseStatus.WITHDRAWN,
        "TZ-006": CaseStatus.REPORTED,
    }
    agreed = cases["TZ-001"]
    assert agreed.outcome == "agreed" and agreed.agreement.terms.startswith("被申请人于十五日内")
    assert timezone_date(agreed.registered_at) == dt.date(2021, 3, 5)
    assert timezone_date(agreed.concluded_at) == dt.date(2021, 3, 10)
    assert timezone_date(agreed.closed_at) == dt.date(2021, 3, 26)
    assert agreed.lead_mediator == world["mediator"] and agreed.session_count == 2 and agreed.follow_up_count == 1
    parties = {(p.role, p.kind, p.name, p.phone, p.id_number) for p in agreed.parties.all()}
    assert parties == {
        ("applicant", "person", "张三", "13800138000", person_id(1)),
        ("respondent", "organisation", "某物业公司", "", ""),
    }
    assert cases["TZ-002"].fail_reason == "双方分歧较大。" and cases["TZ-002"].guidance == "litigation"
    assert timezone_date(cases["TZ-002"].concluded_at) == dt.date(2021, 4, 5)
    assert cases["TZ-004"].referral == "arbitration"
    assert cases["TZ-006"].grid == world["sibling_grid"]
    # Every step went through the services as an imported event, in historical order.
    events = CaseEvent.objects.filter(case=agreed).order_by("at", "id")
    assert [e.name for e in events] == [
        "register",
        "accept",
        "assign",
        "start",
        "session",
        "session",
        "reach_agreement",
        "follow_up",
        "close",
    ]
    assert all(e.imported and e.actor == world["centre"] for e in events)
    assert [e.at for e in events] == sorted(e.at for e in events)
    assert not CaseEvent.objects.filter(imported=False).exists()
    # Imported cases count in statistics like any other.
    rate = success_rate()
    assert (rate.concluded, rate.agreed) == (2, 1)


def timezone_date(moment):
    from django.utils import timezone

    return timezone.localtime(moment).date()


def test_import_dry_run_writes_nothing_but_reports_what_would_happen(world):
    source, _numbers, bad = realistic_ledger(world)
    counters = DisputeCase.objects.count(), CaseEvent.objects.count(), Party.objects.count()
    for valid_only in (False, True):
        source.seek(0)
        report = import_ledger(source, user=world["centre"], dry_run=True, valid_only=valid_only)
        assert not report.written and report.dry_run
        assert report.created == 6 and report.invalid == len(bad)
        assert {r.status for r in report.results if r.action == "create"} >= {CaseStatus.CLOSED, CaseStatus.FAILED}
        assert "试导入" in report.summary()
    assert (DisputeCase.objects.count(), CaseEvent.objects.count(), Party.objects.count()) == counters
    assert not MediationSession.objects.exists() and not FollowUp.objects.exists()


def test_import_dry_run_reports_what_the_services_refuse(world):
    # The mediator is a party: 回避 is the services' rule, found by replaying inside the rolled-back transaction.
    row = agreed_row(world, 当事人=f"申请人:{world['mediator'].name},13800138000；被申请人:李四")
    report = import_ledger(xlsx([row]), user=world["centre"], dry_run=True)
    assert [(p.row, p.column) for p in report.errors] == [(2, "调解员")]
    assert "回避" in report.errors[0].message and report.invalid == 1
    assert not DisputeCase.objects.exists()


def test_reimport_of_the_same_file_is_a_no_op(world):
    rows = good_rows(world)
    import_ledger(xlsx(rows), user=world["centre"])
    counts = DisputeCase.objects.count(), CaseEvent.objects.count(), Party.objects.count(), FollowUp.objects.count()
    report = import_ledger(xlsx(rows), user=world["centre"])
    assert report.skipped == 6 and report.created == 0 and not report.errors
    assert (
        DisputeCase.objects.count(),
        CaseEvent.objects.count(),
        Party.objects.count(),
        FollowUp.objects.count(),
    ) == counts


def test_import_rejects_a_duplicate_number_within_the_file(world):
    report = import_ledger(xlsx([agreed_row(world, "TZ-1"), agreed_row(world, "TZ-1")]), user=world["centre"])
    assert [(p.row, p.column) for p in report.errors] == [(3, "案件编号")]
    assert not DisputeCase.objects.exists()


def test_import_checks_what_the_outcome_requires(world):
    rows = [
        agreed_row(world, "R1", 协议内容=""),
        agreed_row(world, "R2", 调解记录=""),
        agreed_row(world, "R3", 调解结果="调解不成", 协议内容="", 回访="", 结案日期="", 处理说明=""),
        agreed_row(world, "R4", 回访="", 结案日期="2021-03-26"),
        agreed_row(world, "R5", 调解结果="大概成功了"),
        agreed_row(world, "R6", 回访="2021-03-25|电话回访|已履行"),
        agreed_row(world, "R7", 协议形式="书面"),
    ]
    report = import_ledger(xlsx(rows), user=world["centre"])
    by_row = {(p.row, p.column) for p in report.errors}
    assert by_row >= {
        (2, "协议内容"),
        (3, "调解记录"),
        (4, "处理说明"),
        (5, "结案日期"),
        (6, "调解结果"),
        (7, "回访"),
        (8, "履行方式"),
        (8, "履行期限"),
    }


def ledger_cases(queryset):
    """What must survive a round trip, per case, keyed by nothing that the round trip changes."""
    out = []
    for case in queryset.select_related("community", "grid", "category", "lead_mediator").order_by(
        "registered_at", "id"
    ):
        agreement = getattr(case, "agreement", None) if case.outcome == "agreed" else None
        out.append(
            {
                "status": case.status,
                "outcome": case.outcome,
                "category": case.category.code,
                "community": case.community_id,
                "grid": case.grid_id,
                "source": case.source,
                "risk": case.risk,
                "level": case.level,
                "description": case.description,
                "registered": timezone_date(case.registered_at),
                "concluded": case.concluded_at and timezone_date(case.concluded_at),
                "closed": case.closed_at and timezone_date(case.closed_at),
                "mediators": [m.name for m in ([case.lead_mediator] if case.lead_mediator else [])]
                + sorted(m.name for m in case.co_mediators.all()),
                "parties": sorted((p.role, p.kind, p.name, p.phone, p.id_number) for p in case.parties.all()),
                "sessions": [
                    (timezone_date(s.held_at), s.location, s.summary) for s in case.sessions.order_by("held_at")
                ],
                "follow_ups": [
                    (f.date, f.method, f.satisfaction, f.performed, f.notes) for f in case.follow_ups.order_by("date")
                ],
                "terms": agreement and (agreement.form, agreement.terms, agreement.performance_method),
                "reasons": (case.decline_reason, case.referral, case.fail_reason, case.guidance, case.withdraw_reason),
            }
        )
    return out


def renumber(content: bytes, prefix: str) -> io.BytesIO:
    """The same ledger under other ledger numbers (as if it came from another register)."""
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook.active
    for (cell,) in sheet.iter_rows(min_row=2, max_col=1):
        cell.value = prefix + str(cell.value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def test_round_trip_export_then_import_yields_the_same_cases(world):
    centre, mediator = world["centre"], world["mediator"]
    import_ledger(xlsx(good_rows(world)), user=centre)
    row = agreed_row(
        world,
        "TZ-W",
        协议形式="书面",
        履行方式="银行转账",
        履行期限="2021-03-25",
        调解员=f"{mediator.name}、{world['other_mediator'].name}",
        风险等级="较大",
        调解层级="社区",
    )
    import_ledger(xlsx([row]), user=centre)
    # Cases made in Fengqiao itself travel too, under their system number.
    for state in (CaseStatus.ACCEPTED, CaseStatus.AGREED, CaseStatus.CLOSED):
        case_in_state(state, centre=centre, mediator=mediator, grid=world["other_grid"], level=Level.SUBDISTRICT)
    before = ledger_cases(DisputeCase.objects.all())
    out = io.BytesIO()
    cases = DisputeCase.objects.order_by("registered_at", "id")
    assert export_ledger(cases, user=centre, target=out, full=True) == 10

    # Exported and imported unchanged: every row is already there, nothing new.
    again = import_ledger(io.BytesIO(out.getvalue()), user=centre)
    assert again.skipped == 10 and again.created == 0 and not again.errors
    assert DisputeCase.objects.count() == 10

    # Under other numbers the same ledger makes ten new cases equal to the first ten.
    report = import_ledger(renumber(out.getvalue(), "RT-"), user=centre)
    assert report.written and report.created == 10, report.errors
    copies = DisputeCase.objects.filter(external_ref__startswith="RT-")
    originals = DisputeCase.objects.exclude(pk__in=copies.values("pk"))
    assert ledger_cases(copies) == before == ledger_cases(originals)


def test_an_export_of_live_cases_imports_whole_escalated_and_future_deadlines_included(world):
    """What Fengqiao itself makes goes out and comes back: a case escalated after community
    mediation (accepted again, with sittings and no mediator) and an agreement whose
    performance deadline is still ahead."""
    from casework.services import case_escalate
    from tests.workflow import drive

    centre, mediator = world["centre"], world["mediator"]
    escalated = drive(CaseStatus.MEDIATING, centre=centre, lead=mediator, co=None, grid=world["grid"])
    case_escalate(escalated, actor=centre, reason="社区调解不成，上报街道")
    ahead = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    today = dt.date.today().isoformat()
    import_ledger(
        xlsx(
            [
                agreed_row(
                    world,
                    "F-1",
                    协议形式="书面",
                    履行方式="分期付款",
                    履行期限=ahead,
                    办结日期=today,
                    回访="",
                    结案日期="",
                    登记日期=today,
                    调解记录=f"{today}|调解室|调解。",
                )
            ]
        ),
        user=centre,
    )
    out = io.BytesIO()
    assert export_ledger(DisputeCase.objects.order_by("registered_at", "id"), user=centre, target=out, full=True) == 2
    report = import_ledger(renumber(out.getvalue(), "RT-"), user=centre)
    assert report.written and report.created == 2 and not report.errors, report.errors
    assert [(p.column, "不导入调解记录" in p.message) for p in report.warnings] == [("调解记录", True)]
    copy = DisputeCase.objects.get(external_ref=f"RT-{escalated.number}")
    assert copy.status == CaseStatus.ACCEPTED and copy.level == Level.SUBDISTRICT and copy.session_count == 0
    agreement = DisputeCase.objects.get(external_ref="RT-F-1").agreement
    assert agreement.performance_deadline.isoformat() == ahead


def test_export_scope_and_masking(world, community_staff, leader):
    centre = world["centre"]
    rows = [
        agreed_row(world, "IN-1"),
        agreed_row(
            world,
            "OUT-1",
            社区=world["other_community"].name,
            网格=world["other_grid"].name,
            当事人=f"申请人:王五,13700137000,{person_id(3)}",
        ),
    ]
    import_ledger(xlsx(rows), user=centre)

    def export_as(user, full=False):
        out = io.BytesIO()
        export_ledger(cases_of(user), user=user, target=out, full=full)
        return read_rows(out.getvalue())

    from casework.selectors import cases_visible_to

    def cases_of(user):
        return cases_visible_to(user).order_by("registered_at", "id")

    # Masked for everyone by default, centre staff included (the spec: everywhere but the case page).
    default = export_as(centre)
    assert [r["案件编号"] for r in default] == ["IN-1", "OUT-1"]
    assert "138****8000" in default[0]["当事人"] and "13800138000" not in default[0]["当事人"]
    full = export_as(centre, full=True)
    assert [r["案件编号"] for r in full] == ["IN-1", "OUT-1"]
    assert "13800138000" in full[0]["当事人"] and person_id(1) in full[0]["当事人"]

    own = export_as(community_staff)
    assert [r["案件编号"] for r in own] == ["IN-1"]
    assert "138****8000" in own[0]["当事人"] and "13800138000" not in own[0]["当事人"]
    assert person_id(1) not in own[0]["当事人"] and "3601**********" in own[0]["当事人"]

    # Asking for a full export does not unmask anything for someone who is not centre staff.
    assert export_as(community_staff, full=True) == own
    masked = export_as(leader, full=True)
    assert len(masked) == 2 and all("****" in r["当事人"] for r in masked)

    # A masked export imports back as names and roles only: masked values are not personal data.
    workbook = load_workbook_from_rows(own, prefix="M-")
    report = import_ledger(workbook, user=centre)
    assert report.created == 1 and not report.errors
    assert any("已脱敏" in w.message for w in report.warnings)
    copy = DisputeCase.objects.get(external_ref="M-IN-1")
    assert {(p.name, p.phone, p.id_number) for p in copy.parties.all()} == {("张三", "", ""), ("李四", "", "")}


def load_workbook_from_rows(rows, *, prefix):
    return xlsx([{**r, "案件编号": prefix + r["案件编号"]} for r in rows])


def test_export_of_a_mediator_holds_only_their_own_cases_masked(world):
    import_ledger(
        xlsx([agreed_row(world, "A"), agreed_row(world, "B", 调解员=world["other_mediator"].name)]),
        user=world["centre"],
    )
    from casework.selectors import cases_visible_to

    user = world["mediator"].user
    out = io.BytesIO()
    export_ledger(cases_visible_to(user), user=user, target=out, full=True)
    rows = read_rows(out.getvalue())
    # Their own case's parties in full are on the case page, not in a file.
    assert [r["案件编号"] for r in rows] == ["A"] and "138****8000" in rows[0]["当事人"]


def test_export_query_count_does_not_grow_per_row(world, django_assert_max_num_queries):
    centre = world["centre"]
    import_ledger(xlsx([agreed_row(world, "Q-1")]), user=centre)
    from casework.selectors import cases_visible_to

    with django_assert_max_num_queries(6):
        export_ledger(cases_visible_to(centre), user=centre, target=io.BytesIO())
    import_ledger(xlsx([agreed_row(world, f"Q-{n}") for n in range(2, 30)]), user=centre)
    with django_assert_max_num_queries(6):
        assert export_ledger(cases_visible_to(centre), user=centre, target=io.BytesIO()) == 29


# Pages


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def test_upload_page_refuses_everyone_but_centre_staff(
    client, world, community_staff, leader, grid_worker, administrator
):
    for user in (community_staff, leader, grid_worker, administrator, world["mediator"].user):
        login(client, user)
        assert client.get(reverse("ledger:upload")).status_code == 403
        response = client.post(reverse("ledger:upload"), {"file": xlsx([agreed_row(world)]), "mode": "all"})
        assert response.status_code == 403
    assert not DisputeCase.objects.exists()


def upload_and_import(client, data) -> str:
    """Post an upload; the worker's job (run here, in-process) imports it; the import's page afterwards."""
    from ledger import jobs
    from ledger.models import LedgerImport

    response = client.post(reverse("ledger:upload"), data)
    assert response.status_code == 302, response.content.decode()[:500]
    job = LedgerImport.objects.order_by("-requested_at").first()
    assert response["Location"] == reverse("ledger:import", args=[job.pk])
    jobs.import_run(job.pk)
    page = client.get(response["Location"])
    assert page.status_code == 200
    return page.content.decode()


def test_upload_page_dry_run_then_import(client, world):
    login(client, world["centre"])
    assert client.get(reverse("ledger:upload")).status_code == 200
    source, numbers, _bad = realistic_ledger(world)
    page = upload_and_import(client, {"file": source, "mode": "valid", "dry_run": "on"})
    assert "试导入" in page and "不在本街道" in page and f"<td>{numbers['BAD-02']}</td>" in page
    assert not DisputeCase.objects.exists()
    source, _numbers, _bad = realistic_ledger(world)
    page = upload_and_import(client, {"file": source, "mode": "all"})
    assert "未导入" in page and not DisputeCase.objects.exists()
    source, _numbers, _bad = realistic_ledger(world)
    page = upload_and_import(client, {"file": source, "mode": "valid"})
    assert "已新建" in page and DisputeCase.objects.count() == 6
    # The uploads are on record (who, which file, how, what came of it); the files themselves are not kept.
    from ledger.models import LedgerImport

    jobs = LedgerImport.objects.order_by("requested_at")
    assert [(j.dry_run, j.valid_only, j.state, j.report["written"]) for j in jobs] == [
        (True, True, "done", False),
        (False, False, "done", False),
        (False, True, "done", True),
    ]
    assert all(j.content is None and len(j.sha256) == 64 and j.size > 0 for j in jobs)
    listing = client.get(reverse("ledger:upload")).content.decode()
    assert listing.count(reverse("ledger:import", args=[jobs[0].pk])) == 1


def test_import_page_shows_progress_and_only_to_whom_it_belongs(client, world, community_staff):
    from django.core.cache import cache

    from ledger import jobs
    from ledger.models import LedgerImport

    login(client, world["centre"])
    response = client.post(reverse("ledger:upload"), {"file": xlsx([agreed_row(world)]), "mode": "all"})
    job = LedgerImport.objects.get()
    assert job.state == "queued" and bytes(job.content).startswith(b"PK")
    page = client.get(response["Location"]).content.decode()
    assert "等待后台处理" in page and 'hx-trigger="every 1s"' in page
    # What the worker's progress callback leaves in the shared cache while it imports.
    LedgerImport.objects.filter(pk=job.pk).update(state="running")
    cache.set(jobs._progress_key(job.pk), {"done": 100, "total": 250})
    assert "正在导入" in client.get(response["Location"]).content.decode()
    fragment = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "已处理 100 / 250 行" in fragment and "<html" not in fragment
    jobs.import_run(job.pk)
    fragment = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "已新建" in fragment and "every 1s" not in fragment
    assert jobs.import_run(job.pk).state == "done" and DisputeCase.objects.count() == 1  # redelivered: nothing
    # Another subdistrict's staff, or anyone else: no such page.
    other = UserFactory(
        username="centre-y", roles=[Role.CENTRE_STAFF], subdistrict=SubdistrictFactory(code="YY", name="另一街道")
    )
    for user in (community_staff, other, world["mediator"].user):
        login(client, user)
        assert client.get(response["Location"]).status_code == 404


def test_upload_that_cannot_be_queued_or_is_stuck_says_so_and_is_sent_again(
    client, world, django_capture_on_commit_callbacks
):
    from celery import Celery

    from config.celery import app
    from ledger import jobs
    from ledger.models import LedgerImport

    login(client, world["centre"])
    # A broker nobody listens on: the upload ends at once, saying so, and keeps no file.
    down = Celery("down", broker="redis://127.0.0.1:9/0", set_as_current=False)
    down.conf.broker_connection_retry = False
    down.conf.task_publish_retry = False
    down.set_current()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("ledger:upload"), {"file": xlsx([agreed_row(world)]), "mode": "all"})
    finally:
        app.set_current()
    job = LedgerImport.objects.get()
    assert job.state == "failed" and job.content is None and "后台服务暂时无法连接" in job.error
    assert "后台服务暂时无法连接" in client.get(response["Location"]).content.decode()

    # An upload that has waited too long: the page says the background service may be down, and
    # the sweep sends it again, until its attempts are used up.
    stuck = jobs.import_request(
        user=world["centre"], upload=xlsx([agreed_row(world, "S-1")]), valid_only=False, dry_run=False
    )
    LedgerImport.objects.filter(pk=stuck.pk).update(requested_at=timezone.now() - dt.timedelta(minutes=15))
    assert "后台处理迟迟没有开始" in client.get(reverse("ledger:import", args=[stuck.pk])).content.decode()
    assert jobs.import_sweep() == [str(stuck.pk)]
    LedgerImport.objects.filter(pk=stuck.pk).update(state="running", attempts=jobs.MAX_ATTEMPTS)
    assert jobs.import_sweep() == []
    stuck.refresh_from_db()
    assert stuck.state == "failed" and "多次尝试" in stuck.error and stuck.content is None
    assert not DisputeCase.objects.exists()


def test_upload_page_rejects_bad_files_with_a_clear_message(client, world):
    login(client, world["centre"])
    cases = [
        (io.BytesIO(b"not a spreadsheet"), "ledger.xlsx", "无法读取文件"),
        (io.BytesIO("案件编号,登记日期".encode()), "ledger.csv", ".xlsx"),
        (xlsx([{"名字": "张三"}], headers=["名字", "电话", "地址"]), "ledger.xlsx", "未找到台账表头"),
        (xlsx([], headers=["案件编号", "登记日期", "社区", "网格"]), "ledger.xlsx", "缺少必填列"),
    ]
    for content, name, message in cases:
        content.name = name
        response = client.post(reverse("ledger:upload"), {"file": content, "mode": "all"})
        assert response.status_code == 400, name
        assert message in response.content.decode(), (name, message)
    from ledger.models import LedgerImport

    assert not DisputeCase.objects.exists() and not LedgerImport.objects.exists()


def test_import_refuses_a_missing_sheet_and_non_centre_users(world, community_staff):
    with pytest.raises(LedgerFileError, match="没有工作表"):
        import_ledger(xlsx([agreed_row(world)]), user=world["centre"], sheet="2022年")
    with pytest.raises(PermissionError):
        import_ledger(xlsx([agreed_row(world)]), user=community_staff)


def test_template_download_is_an_importable_empty_ledger(client, world):
    login(client, world["centre"])
    response = client.get(reverse("ledger:template"))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in workbook["台账"][1]] == HEADERS and "填写说明" in workbook.sheetnames
    report = import_ledger(io.BytesIO(response.content), user=world["centre"])
    assert report.rows == 0 and not report.problems


def test_export_page_filters_within_scope(client, world, community_staff):
    import_ledger(
        xlsx(
            [
                agreed_row(world, "F-1"),
                agreed_row(
                    world,
                    "F-2",
                    登记日期="2021-06-01",
                    调解记录="2021-06-02|调解室|调解。",
                    办结日期="2021-06-03",
                    回访="2021-06-10|电话回访|满意|已履行",
                    结案日期="2021-06-11",
                ),
                agreed_row(world, "F-3", 社区=world["other_community"].name, 网格=world["other_grid"].name),
            ]
        ),
        user=world["centre"],
    )
    login(client, community_staff)
    response = client.get(reverse("ledger:export"))
    assert response.status_code == 200
    assert [r["案件编号"] for r in read_rows(response.content)] == ["F-1", "F-2"]
    response = client.get(reverse("ledger:export"), {"registered_from": "2021-05-01"})
    assert [r["案件编号"] for r in read_rows(response.content)] == ["F-2"]
    # Asking for another community's cases gives nothing of them.
    response = client.get(reverse("ledger:export"), {"community": world["other_community"].pk})
    assert response.status_code == 400 or read_rows(response.content) == []
    login(client, world["centre"])
    response = client.get(reverse("ledger:export"), {"community": world["other_community"].pk, "status": "closed"})
    assert [r["案件编号"] for r in read_rows(response.content)] == ["F-3"]
    response = client.get(reverse("ledger:export"), {"registered_from": "2021-06-01", "registered_to": "2021-01-01"})
    assert response.status_code == 400 and "不能晚于" in response.content.decode()


def _audited_exports():
    from common.models import AuditAction, AuditEntry

    entries = AuditEntry.objects.filter(action=AuditAction.EXPORTED).order_by("id")
    return [(e.target, e.detail["rows"], e.detail["masked"]) for e in entries]


def test_export_page_full_personal_data_is_centre_staff_only_and_audited(client, world, community_staff):
    import_ledger(xlsx([agreed_row(world, "P-1")]), user=world["centre"])
    login(client, world["centre"])
    masked = read_rows(client.get(reverse("ledger:export")).content)
    full = read_rows(client.get(reverse("ledger:export"), {"full": "on"}).content)
    assert "138****8000" in masked[0]["当事人"] and "13800138000" in full[0]["当事人"]
    assert "导出完整身份证号" in client.get(reverse("ledger:upload")).content.decode()
    login(client, community_staff)
    response = client.get(reverse("ledger:export"), {"full": "on"})
    assert response.status_code == 200 and "138****8000" in read_rows(response.content)[0]["当事人"]
    assert _audited_exports() == [("ledger", 1, True), ("ledger", 1, False), ("ledger", 1, True)]


def test_queue_and_report_figures_export_in_the_ledger_layout(client, world, community_staff, leader):
    from reports.services import report_generate

    rows = [
        agreed_row(world, "Q-1"),
        bare_row(world, "Q-2", 调解结果="撤回", 处理说明="双方已自行和解。"),
        agreed_row(world, "Q-3", 社区=world["other_community"].name, 网格=world["other_grid"].name),
    ]
    import_ledger(xlsx(rows), user=world["centre"])
    login(client, community_staff)
    queue = client.get(reverse("casework:queue"), {"tab": "all"})
    assert reverse("ledger:export_queue") in queue.content.decode()
    response = client.get(reverse("ledger:export_queue"), {"tab": "all", "status": "closed"})
    exported = read_rows(response.content)
    assert list(exported[0]) == HEADERS and [r["案件编号"] for r in exported] == ["Q-1"]
    assert "138****8000" in exported[0]["当事人"]
    # The other community's case is not in this user's queue, whatever the filter says.
    response = client.get(reverse("ledger:export_queue"), {"tab": "all", "community": world["other_community"].pk})
    assert [r["案件编号"] for r in read_rows(response.content)] == []

    snapshot, _created = report_generate(kind="monthly", period=dt.date(2021, 3, 1), actor=world["centre"])
    login(client, leader)
    page = client.get(reverse("reports:cases", args=[snapshot.pk]), {"figure": "registered"})
    assert reverse("ledger:export_report", args=[snapshot.pk]) in page.content.decode()
    response = client.get(reverse("ledger:export_report", args=[snapshot.pk]), {"figure": "registered"})
    assert sorted(r["案件编号"] for r in read_rows(response.content)) == ["Q-1", "Q-2", "Q-3"]
    assert client.get(reverse("ledger:export_report", args=[snapshot.pk]), {"figure": "nonsense"}).status_code == 404
    login(client, world["mediator"].user)
    assert client.get(reverse("ledger:export_report", args=[snapshot.pk]), {"figure": "registered"}).status_code == 404


# The command


def test_import_ledger_command_modes_and_progress(tmp_path, world):
    source, _numbers, bad = realistic_ledger(world)
    path = tmp_path / "台账.xlsx"
    path.write_bytes(source.getvalue())
    out, err = io.StringIO(), io.StringIO()
    call_command("import_ledger", str(path), "--dry-run", "--user", world["centre"].username, stdout=out, stderr=err)
    assert "[15/15]" not in out.getvalue()  # dry run of all-or-nothing: only the good rows are replayed
    assert "[6/6]" in out.getvalue() and "试导入" in out.getvalue() and "第3行" not in err.getvalue()
    assert err.getvalue().count("错误") >= len(bad) and not DisputeCase.objects.exists()
    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command("import_ledger", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert not DisputeCase.objects.exists()
    out = io.StringIO()
    call_command("import_ledger", str(path), "--valid-only", "-v", "2", stdout=out, stderr=io.StringIO())
    assert DisputeCase.objects.count() == 6 and "第3行 TZ-001: create" in out.getvalue()
    with pytest.raises(CommandError, match="没有工作表"):
        call_command("import_ledger", str(path), "--sheet", "无此表", stdout=io.StringIO())
    # Recorded like uploads on the ledger page (a file that is no ledger is not).
    from ledger.models import LedgerImport

    recorded = LedgerImport.objects.order_by("requested_at")
    assert [(j.filename, j.dry_run, j.valid_only, j.state, j.report["written"]) for j in recorded] == [
        (path.name, True, False, "done", False),
        (path.name, False, False, "done", False),
        (path.name, False, True, "done", True),
    ]


def test_import_ledger_command_writes_the_template(tmp_path):
    path = tmp_path / "模板.xlsx"
    call_command("import_ledger", str(path), "--template", stdout=io.StringIO())
    assert [c.value for c in load_workbook(path)["台账"][1]] == HEADERS


def test_import_ledger_command_needs_a_centre_user(tmp_path, world):
    UserFactory(username="centre2", roles=[Role.CENTRE_STAFF], subdistrict=world["centre"].subdistrict)
    path = tmp_path / "l.xlsx"
    path.write_bytes(xlsx([agreed_row(world)]).getvalue())
    with pytest.raises(CommandError, match="--user"):
        call_command("import_ledger", str(path), stdout=io.StringIO())
    with pytest.raises(CommandError, match="不存在"):
        call_command("import_ledger", str(path), "--user", "nobody", stdout=io.StringIO())
    UserFactory(username="someone", roles=[Role.COMMUNITY_STAFF], community=world["community"])
    with pytest.raises(CommandError, match="只有综治中心"):
        call_command("import_ledger", str(path), "--user", "someone", stdout=io.StringIO())
    assert not DisputeCase.objects.exists()


def test_import_into_another_subdistrict_uses_its_own_territory(world):
    other = SubdistrictFactory(code="XYZ", name="另一街道")
    community = world["community"].__class__.objects.create(subdistrict=other, code="x1", name=world["community"].name)
    grid = GridFactory(community=community, name=world["grid"].name)
    user = UserFactory(username="centre-x", roles=[Role.CENTRE_STAFF], subdistrict=other)
    report = import_ledger(xlsx([agreed_row(world, "TZ-001")]), user=user)
    assert report.written and report.created == 1
    case = DisputeCase.objects.get(subdistrict=other)
    assert case.grid == grid and case.number.startswith("XYZ-2021-")
    # The same ledger number in the first subdistrict is a different case.
    assert import_ledger(xlsx([agreed_row(world, "TZ-001")]), user=world["centre"]).created == 1


def test_import_valid_only_undoes_a_row_the_services_refuse_halfway(world):
    # The refusal (回避, at assignment) comes after the case was registered: the whole row is undone.
    conflict = agreed_row(world, "C-2", 当事人=f"申请人:{world['mediator'].name},13800138000；被申请人:李四")
    rows = [agreed_row(world, "C-1"), conflict, agreed_row(world, "C-3")]
    report = import_ledger(xlsx(rows), user=world["centre"], valid_only=True)
    assert report.written and report.created == 2 and [(p.row, p.column) for p in report.errors] == [(3, "调解员")]
    assert sorted(DisputeCase.objects.values_list("external_ref", flat=True)) == ["C-1", "C-3"]
    assert Party.objects.count() == 4 and not Party.objects.filter(name=world["mediator"].name).exists()
    assert CaseEvent.objects.count() == 2 * 9
    assert all(c.status == CaseStatus.CLOSED for c in DisputeCase.objects.all())


# Bulk writing: the import runs the services with their writes collected (casework.writes) and
# sent per table; it must leave exactly what the same services leave writing row by row.


def _fields(obj, ids: dict) -> dict:
    values = {}
    for f in obj._meta.concrete_fields:
        if f.attname in ("id", "case_id"):
            continue
        value = getattr(obj, f.attname)
        if f.attname == "data":
            value = {k: ids.get((k, v), v) if isinstance(v, int) else v for k, v in value.items()}
        values[f.attname] = value
    return values


def _snapshot() -> list[dict]:
    """Every case with everything the services wrote for it, without the primary keys."""
    cases = DisputeCase.objects.order_by("number").prefetch_related(
        "parties", "events", "sessions", "follow_ups", "co_mediators"
    )
    snapshot = []
    for case in cases:
        sessions = sorted(case.sessions.all(), key=lambda s: s.pk)
        follow_ups = sorted(case.follow_ups.all(), key=lambda f: f.pk)
        # An event names its session or follow-up by key: compare by position instead.
        ids = {("session", s.pk): f"session#{n}" for n, s in enumerate(sessions)}
        ids |= {("follow_up", f.pk): f"follow_up#{n}" for n, f in enumerate(follow_ups)}
        agreement = getattr(case, "agreement", None)
        snapshot.append(
            {
                "case": _fields(case, ids),
                "co_mediators": sorted(m.pk for m in case.co_mediators.all()),
                "parties": [_fields(p, ids) for p in sorted(case.parties.all(), key=lambda p: p.pk)],
                "events": [_fields(e, ids) for e in sorted(case.events.all(), key=lambda e: e.pk)],
                "sessions": [_fields(s, ids) for s in sessions],
                "follow_ups": [_fields(f, ids) for f in follow_ups],
                "agreement": _fields(agreement, ids) if agreement else None,
            }
        )
    return snapshot


def _replay_row_by_row(source, user):
    """The same checked rows through the same services, each write sent as it is made."""
    from django.db import transaction
    from django.utils import timezone

    from ledger.checks import Reference, RowChecker
    from ledger.importer import read_sheet
    from ledger.replay import replay

    checker = RowChecker(Reference(user.subdistrict), today=timezone.localdate())
    now = timezone.now()
    for row, cells in read_sheet(source).rows:
        plan, problems = checker.check(row, cells)
        assert plan is not None, problems
        with transaction.atomic():
            replay(plan, actor=user, now=now)


def repeat_ledger(world):
    """Every outcome, co-mediators, and parties met again: within this ledger and from an earlier case."""
    # The co-mediator named twice: one place on the case, as a live assignment gives.
    both = f"{world['mediator'].name}、{world['other_mediator'].name}、{world['other_mediator'].name}"
    return [
        *good_rows(world),
        agreed_row(world, "TZ-101", 调解员=both, 当事人="申请人:王五,13700137000；被申请人:赵六"),
        # Within twelve months of PRE-1 (phone 13600136000), and after it.
        bare_row(world, "TZ-102", 登记日期="2021-06-01", 当事人="申请人:钱七,13600136000"),
        bare_row(world, "TZ-103", 登记日期="2022-09-01", 当事人="申请人:钱七,13600136000"),
        # Before PRE-1 was registered: not a repeat of it.
        bare_row(world, "TZ-104", 登记日期="2020-12-01", 当事人="申请人:孙八,13600136000"),
    ]


def test_bulk_import_leaves_what_the_services_leave_row_by_row(world):
    from django.db import transaction

    earlier = bare_row(world, "PRE-1", 登记日期="2021-01-10", 当事人="申请人:钱七,13600136000")
    assert import_ledger(xlsx([earlier]), user=world["centre"]).created == 1
    rows = repeat_ledger(world)
    with transaction.atomic():
        report = import_ledger(xlsx(rows), user=world["centre"])
        assert report.written and report.created == len(rows), report.errors
        bulk = _snapshot()
        transaction.set_rollback(True)
    _replay_row_by_row(xlsx(rows), world["centre"])
    one_by_one = _snapshot()
    assert len(bulk) == len(rows) + 1
    assert bulk == one_by_one
    # The repeat-dispute warning saw the earlier case, the ledger's own earlier rows, and nothing later.
    flagged = {c["case"]["external_ref"]: c["case"]["is_warning"] for c in bulk}
    assert flagged["TZ-102"] and flagged["TZ-002"] and not flagged["TZ-104"] and not flagged["TZ-101"]
    by_ref = {c["case"]["external_ref"]: c for c in bulk}
    assert by_ref["TZ-101"]["co_mediators"] == [world["other_mediator"].pk]
    assert by_ref["TZ-101"]["events"][-1]["data"] == {}  # closing
    assert [e["data"].get("session") for e in by_ref["TZ-101"]["events"] if e["name"] == "session"] == [
        "session#0",
        "session#1",
    ]


def test_bulk_import_numbers_follow_on_with_no_gap_for_a_refused_row(world):
    conflict = agreed_row(world, "C-2", 当事人=f"申请人:{world['mediator'].name},13800138000；被申请人:李四")
    import_ledger(xlsx([agreed_row(world, "C-0")]), user=world["centre"])
    report = import_ledger(
        xlsx([agreed_row(world, "C-1"), conflict, bare_row(world, "C-3", 登记日期="2022-01-04")]),
        user=world["centre"],
        valid_only=True,
    )
    assert report.created == 2
    numbers = dict(DisputeCase.objects.values_list("external_ref", "number"))
    assert numbers == {"C-0": "BHZ-2021-0001", "C-1": "BHZ-2021-0002", "C-3": "BHZ-2022-0001"}
    # A case registered live afterwards takes the next number: the counters were saved with the cases.
    live = register(world["centre"], world["grid"], at=dt.datetime(2021, 8, 2, 9, tzinfo=dt.UTC))
    assert live.number == "BHZ-2021-0003"


def test_bulk_import_queries_do_not_grow_with_the_rows(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(rows):
        with CaptureQueriesContext(connection) as captured:
            report = import_ledger(xlsx(rows), user=world["centre"])
        assert report.created == len(rows), report.errors
        return len(captured)

    small = queries([agreed_row(world, f"S-{n}", 当事人=f"申请人:甲{n},1380013{n:04d}") for n in range(5)])
    large = queries([agreed_row(world, f"L-{n}", 当事人=f"申请人:乙{n},1390013{n:04d}") for n in range(60)])
    # Reading the reference data, the preloads, one INSERT per table: 12 times the rows, a few more queries.
    assert small <= 40
    assert large <= small + 3


def test_accepted_with_sittings_is_an_escalation_only_at_the_subdistrict_without_a_mediator(world):
    sittings = {
        "调解结果": "已受理",
        "调解记录": "2021-03-06|调解室|调解。",
        "协议内容": "",
        "办结日期": "",
        "回访": "",
        "结案日期": "",
    }
    escalated = agreed_row(world, "E-1", 调解员="", 调解层级="街道", **sittings)
    mistyped = agreed_row(world, "E-2", 调解层级="社区", **sittings)  # with its mediator: meant 调解中?
    report = import_ledger(xlsx([escalated, mistyped]), user=world["centre"], valid_only=True)
    assert [(p.row, p.column) for p in report.errors] == [(3, "调解记录")]
    assert [(p.row, p.column) for p in report.warnings if p.column == "调解记录"] == [(2, "调解记录")]
    assert list(DisputeCase.objects.values_list("external_ref", "status", "session_count")) == [("E-1", "accepted", 0)]
