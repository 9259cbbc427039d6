"""A snapshot as tables, and those tables as XLSX (openpyxl) and PDF (fpdf2).

Both exports are built from the same `tables()`, so they hold the same figures as
the page. The PDF embeds vendored fonts (static/fonts/README.md: Droid Sans Fallback
for Chinese, DejaVu Sans for digits and Latin): no network and no system font needed.
"""

import io
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from fpdf import FPDF
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.styles import Font

FONTS = Path(settings.BASE_DIR) / "static" / "fonts"
# The CJK font has one weight: headings are set apart by a fill, not bold.
HEADINGS = FontFace(emphasis="", fill_color=(230, 230, 230))


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list]


def percent(rate) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def rate_text(figure: dict) -> str:
    """ "94.0%（78/83）" with its 95% Wilson interval."""
    if not figure.get("concluded"):
        return "—（0 件办结）"
    low, high = figure["ci95"]
    counts = f"{figure['agreed']}/{figure['concluded']}"
    return f"{percent(figure['rate'])}（{counts}，95%区间 {percent(low)}–{percent(high)}）"


BREAKDOWNS = [
    ("by_state", "在办案件按状态"),
    ("by_category", "新登记按类别"),
    ("by_community", "新登记按社区"),
    ("by_grid", "新登记按网格"),
    ("by_source", "新登记按来源"),
    ("by_risk", "新登记按风险等级"),
    ("by_mediator", "办结按调解员"),
    ("by_organization", "办结按调解组织"),
]


def _case_rows(rows, visible_ids):
    return [
        [r["number"], r["status"], r["community"], r["category"], r["next_due"] or "", "、".join(r["warning"])]
        for r in rows
        if r["id"] in visible_ids
    ]


def tables(figures: dict, visible_ids=frozenset()) -> list[Table]:
    """Every table of a report. Case lists hold only the cases in `visible_ids` (the reader's scope)."""
    totals = figures["totals"]
    on_time = figures["on_time"]
    durations = figures["durations"]
    inspections = figures["inspections"]
    summary = [
        ["新登记案件", totals["registered"]],
        ["办结（调解成功＋调解不成）", totals["concluded"]],
        ["调解成功", totals["agreed"]],
        ["调解不成", totals["failed"]],
        ["在办案件", totals["open"]],
        ["逾期案件", totals["overdue"]],
        ["预警案件", totals["warning"]],
        ["本期调解成功率", rate_text(figures["success_rate_period"])],
        [f"累计调解成功率（{figures['success_rate']['since']}起）", rate_text(figures["success_rate"])],
        [
            "按期办结率（逾期未结计入分母）",
            f"{percent(on_time['rate'])}（按期 {on_time['on_time']}，办结 {on_time['concluded']}，"
            f"逾期未结 {on_time['pending_overdue']}）",
        ],
        ["登记至办结天数 中位数 / 90分位 / 平均", f"{durations['p50']} / {durations['p90']} / {durations['mean']}"],
        [
            "排查覆盖率",
            f"{percent(inspections['coverage'])}（{inspections['filed']}/{inspections['grids']} 个网格，"
            f"零报告 {inspections['zero_reports']}）"
            if inspections["required"]
            else "本期无需日查日报",
        ],
        ["缺报网格", len(inspections["missing"])],
    ]
    result = [Table("概要", ["指标", "数值"], summary)]
    for key, title in BREAKDOWNS:
        result.append(Table(title, ["名称", "件数"], [[row["label"], row["count"]] for row in figures[key]]))
    if "trend" in figures:
        result.append(
            Table(
                "近六个月趋势",
                ["月份", "新登记", "办结", "调解成功", "成功率"],
                [
                    [r["month"], r["registered"], r["concluded"], r["agreed"], percent(r["success_rate"])]
                    for r in figures["trend"]
                ],
            )
        )
        result.append(
            Table(
                "热点（社区×类别）",
                ["社区", "类别", "件数"],
                [[r["community"], r["category"], r["count"]] for r in figures["hot_spots"]],
            )
        )
        result.append(
            Table(
                "调解员工作量与结果",
                ["调解员", "所属组织", "在办", "本期办结", "本期成功"],
                [
                    [r["mediator"], r["organization"], r["open"], r["concluded"], r["agreed"]]
                    for r in figures["mediators"]
                ],
            )
        )
        follow_up = figures["follow_up"]
        result.append(
            Table(
                "回访满意度",
                ["回访次数", "协议已履行", "平均满意度", "满意率（4–5分）", "1–5分分布"],
                [
                    [
                        follow_up["count"],
                        follow_up["performed"],
                        follow_up["mean"] if follow_up["mean"] is not None else "—",
                        percent(follow_up["satisfied_rate"]),
                        " / ".join(str(n) for n in follow_up["distribution"]),
                    ]
                ],
            )
        )
    result.append(
        Table(
            "缺报网格",
            ["网格", "社区", "责任网格员"],
            [[m["grid"], m["community"], "、".join(m["workers"]) or "（未配备）"] for m in inspections["missing"]],
        )
    )
    case_headers = ["案件编号", "状态", "社区", "类别", "期限", "预警原因"]
    result.append(Table("预警案件明细", case_headers, _case_rows(figures["warnings"], visible_ids)))
    result.append(Table("逾期案件明细", case_headers, _case_rows(figures["overdue_cases"], visible_ids)))
    return result


def _subtitle(snapshot) -> str:
    by = snapshot.generated_by.display_name if snapshot.generated_by else "系统"
    return (
        f"第{snapshot.version}版 · 生成于 {timezone.localtime(snapshot.generated_at):%Y-%m-%d %H:%M} · {by}"
        f" · {snapshot.reason}"
    )


def snapshot_xlsx(snapshot, visible_ids=frozenset()) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "报表"
    sheet.append([snapshot.title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([_subtitle(snapshot)])
    for table in tables(snapshot.figures, visible_ids):
        sheet.append([])
        sheet.append([table.title])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
        sheet.append(table.headers)
        for row in table.rows:
            sheet.append(row)
    sheet.column_dimensions["A"].width = 36
    sheet.column_dimensions["B"].width = 48
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class _ReportPDF(FPDF):
    def footer(self):
        self.set_y(-12)
        # The page-count alias is filled in with the font it was set in: a Latin one has the digits.
        self.set_font("latin", size=8)
        self.cell(0, 8, f"{self.page_no()} / {{nb}}", align="C")


def snapshot_pdf(snapshot, visible_ids=frozenset()) -> bytes:
    pdf = _ReportPDF(format="A4")
    pdf.set_title(str(snapshot.title))
    pdf.set_author("枫桥矛盾纠纷调处系统")
    # Chinese from the Droid fallback font; digits and Latin letters, which it lacks, from DejaVu.
    pdf.add_font("cjk", fname=str(FONTS / "DroidSansFallbackFull.ttf"))
    pdf.add_font("latin", fname=str(FONTS / "DejaVuSans.ttf"))
    pdf.set_fallback_fonts(["latin"])
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_page()
    pdf.set_font("cjk", size=16)
    pdf.cell(0, 10, str(snapshot.title), new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("cjk", size=9)
    pdf.multi_cell(0, 6, _subtitle(snapshot), new_x="LMARGIN", new_y="NEXT", align="C")
    for index, table in enumerate(tables(snapshot.figures, visible_ids)):
        if index == 1:
            # The summary stands on the first page; the detail tables follow.
            pdf.add_page()
        pdf.ln(3)
        pdf.set_font("cjk", size=12)
        pdf.cell(0, 8, table.title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=9)
        if not table.rows:
            pdf.cell(0, 6, "（无）", new_x="LMARGIN", new_y="NEXT")
            continue
        with pdf.table(first_row_as_headings=True, line_height=6, headings_style=HEADINGS) as grid:
            for row in [table.headers, *table.rows]:
                cells = grid.row()
                for value in row:
                    cells.cell(str(value))
    return bytes(pdf.output())
