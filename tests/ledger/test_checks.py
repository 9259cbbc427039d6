"""ledger.checks: every bad row named with its column, what an outcome requires, the
territory of the importing subdistrict."""

from casework.models import CaseEvent, DisputeCase
from casework.personal_data import mask_id_number, mask_phone
from grids.enums import Role
from ledger.importer import import_ledger
from tests.factories import GridFactory, SubdistrictFactory, UserFactory
from tests.ledger.conftest import agreed_row, bad_check_digit, realistic_ledger, xlsx


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


def test_the_art29_particulars_and_the_signing_are_checked(world):
    from tests.ledger.conftest import person_id

    rows = [
        agreed_row(world, "TZ-P1", 当事人=f"申请人:张三,{person_id(1)},籍贯=江西；被申请人:李四"),
        agreed_row(world, "TZ-P2", 当事人=f"申请人:张三,{person_id(1)},性别=不详；被申请人:李四"),
        agreed_row(world, "TZ-P3", 签署情况="赵六签名、调解员签名"),
    ]
    report = import_ledger(xlsx(rows), user=world["centre"])
    assert not report.written and DisputeCase.objects.count() == 0
    by_row = {p.row: p for p in report.errors}
    messages = [p.message for p in report.errors]
    assert any("籍贯=江西" in m for m in messages) and any("性别=不详" in m for m in messages)
    assert any("赵六签名" in m and p.column == "签署情况" for p in report.errors for m in [p.message])
    assert len(by_row) == 3
    # The ID number says 1980-01-01: a date of birth that contradicts it is refused when replayed.
    row = agreed_row(world, "TZ-P4", 当事人=f"申请人:张三,{person_id(1)},出生=1981-02-03；被申请人:李四")
    report = import_ledger(xlsx([row]), user=world["centre"])
    assert not report.written and DisputeCase.objects.count() == 0
    assert any("与身份证号不符" in p.message for p in report.errors), report.errors
