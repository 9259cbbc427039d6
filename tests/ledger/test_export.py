"""ledger.exporter and its pages: the round trip (export, then import, gives the same cases),
scope and masking, the audited full export, the queue's and a report figure's exports."""

import datetime as dt
import io

from django.urls import reverse
from openpyxl import load_workbook

from casework.enums import CaseStatus, Level
from casework.models import DisputeCase
from ledger.exporter import export_ledger
from ledger.importer import import_ledger
from tests.ledger.conftest import (
    HEADERS,
    agreed_row,
    bare_row,
    good_rows,
    login,
    person_id,
    read_rows,
    timezone_date,
    xlsx,
)
from tests.workflow import drive


def ledger_cases(queryset):
    """What must survive a round trip, per case, keyed by nothing that the round trip changes."""
    out = []
    for case in queryset.select_related("community", "grid", "category", "lead_mediator").order_by(
        "registered_at", "id"
    ):
        agreement = getattr(case, "agreement", None) if case.outcome == "agreed" else None
        names = {p.pk: p.name for p in case.parties.all()}
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
                "parties": sorted(
                    (
                        p.role,
                        p.kind,
                        p.name,
                        p.phone,
                        p.id_number,
                        p.address,
                        p.sex,
                        p.ethnicity,
                        p.birth_date,
                        p.age,
                        p.legal_representative,
                    )
                    for p in case.parties.all()
                ),
                "sessions": [
                    (timezone_date(s.held_at), s.location, s.summary) for s in case.sessions.order_by("held_at")
                ],
                "follow_ups": [
                    (f.date, f.method, f.satisfaction, f.performed, f.notes) for f in case.follow_ups.order_by("date")
                ],
                "terms": agreement and (agreement.form, agreement.terms, agreement.performance_method),
                "art29": agreement
                and (
                    agreement.facts,
                    agreement.disputed_matters,
                    agreement.responsibilities,
                    sorted((names[s["party"]], s["mark"]) for s in agreement.signatures),
                    agreement.mediator_signed,
                    agreement.committee_sealed,
                ),
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
        # The art. 29 particulars and the signing travel too.
        当事人=f"申请人:张三,13800138000,{person_id(1)},民族=汉族,南昌市百花洲路1号；"
        "被申请人(单位):南昌某物业有限公司,南昌市中山路8号,法定代表人=周某；被申请人:王五,性别=女,年龄=45,民族=回族",
        纠纷主要事实="楼上装修漏水",
        争议事项="维修费用",
        当事人责任="物业公司负主要责任",
        签署情况="张三签名、南昌某物业有限公司盖章、王五按指印、调解员签名、调委会盖章",
    )
    import_ledger(xlsx([row]), user=centre)
    # Cases made in Fengqiao itself travel too, under their system number.
    for state in (CaseStatus.ACCEPTED, CaseStatus.AGREED, CaseStatus.CLOSED):
        drive(state, centre=centre, lead=mediator, grid=world["other_grid"])
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
    written = DisputeCase.objects.get(external_ref="RT-TZ-W")
    parties = {p.name: p for p in written.parties.all()}
    assert (parties["张三"].ethnicity, parties["张三"].sex, parties["张三"].address) == (
        "汉族",
        "male",
        "南昌市百花洲路1号",
    )
    assert parties["南昌某物业有限公司"].legal_representative == "周某"
    assert (parties["王五"].sex, parties["王五"].age, parties["王五"].ethnicity) == ("female", "45", "回族")
    agreement = written.agreement
    assert (agreement.facts, agreement.disputed_matters, agreement.responsibilities) == (
        "楼上装修漏水",
        "维修费用",
        "物业公司负主要责任",
    )
    assert {s["mark"] for s in agreement.signatures} == {"signature", "seal", "fingerprint"}
    assert agreement.mediator_signed and agreement.committee_sealed


def test_an_export_of_live_cases_imports_whole_escalated_and_future_deadlines_included(world):
    """What Fengqiao itself makes goes out and comes back: a case escalated after community
    mediation (accepted again, with sittings and no mediator) and an agreement whose
    performance deadline is still ahead."""
    from casework.services import case_escalate

    centre, mediator = world["centre"], world["mediator"]
    escalated = drive(CaseStatus.MEDIATING, centre=centre, lead=mediator, grid=world["grid"], level=Level.COMMUNITY)
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

    # Masked for everyone by default, centre staff included (in full only on the case page).
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
