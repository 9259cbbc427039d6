"""Ledger (台账) import and export: a realistic ledger with good and bad rows, modes, round trips, scope."""

import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook

from casework.enums import CaseStatus
from casework.models import CaseEvent, DisputeCase
from casework.personal_data import id_check_digit
from reports.ledger.exporter import export_ledger
from reports.ledger.importer import LedgerFileError, import_ledger
from reports.ledger.layout import COLUMNS

HEADERS = [c.header for c in COLUMNS]


def person_id(seed: int) -> str:
    first17 = f"36010219800101{seed:03d}"
    return first17 + id_check_digit(first17)


def xlsx(rows, *, headers=HEADERS, title_rows=()) -> io.BytesIO:
    """A ledger workbook: optional title rows, the header row, then one row per dict (keyed by header)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "台账"
    for row in title_rows:
        sheet.append(row)
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(h) for h in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


@pytest.fixture
def ledger_world(centre, community, grid, sibling_grid, other_grid, mediator, other_mediator):
    return {"centre": centre, "community": community, "grid": grid, "other_grid": other_grid, "mediator": mediator}


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
        "调解记录": "2021-03-06|第三方调解室|听取双方陈述，释法明理。",
        "调解结果": "调解成功",
        "协议内容": "被申请人于十五日内赔偿申请人3000元。",
        "办结日期": "2021-03-10",
        "回访": "2021-03-25|电话回访|满意度5|已履行|双方表示满意。",
    }
    row.update(over)
    return row
