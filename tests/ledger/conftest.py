"""What the ledger tests share: ledger workbooks written row by row (`xlsx`, `agreed_row`, a
realistic ledger with good and bad rows) and the `world` they are about."""

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from casework.personal_data import id_check_digit
from ledger.layout import COLUMNS
from tests.factories import PASSWORD

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


def timezone_date(moment):

    return timezone.localtime(moment).date()


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    """Each test's uploads in a directory of its own, not the checkout's var dir."""
    settings.MEDIA_ROOT = tmp_path / "media"
