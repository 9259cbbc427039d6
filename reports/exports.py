"""A snapshot as tables, and those tables as XLSX (openpyxl) and PDF (fpdf2).

Both exports are built from the same `tables()`, so they hold the same figures as
the page. The PDF embeds vendored fonts (static/fonts/README.md: Droid Sans Fallback
for Chinese, DejaVu Sans for digits and Latin): no network and no system font needed.
"""

import datetime as dt
import io
import itertools
import math
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from fpdf import FPDF
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Font

from common import xlsx

from . import statistics
from .analysis.judgement import JUDGED_DIMENSIONS, JUDGEMENT_TITLES
from .analysis.significance import ALPHA
from .charts import percent, report_charts

FONTS = Path(settings.BASE_DIR) / "static" / "fonts"
# The CJK font has one weight: headings are set apart by a fill, not bold.
HEADINGS = FontFace(emphasis="", fill_color=(230, 230, 230))


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list]
    widths: tuple | None = None  # the PDF's relative column widths; equal when not given


def rate_text(figure: dict) -> str:
    """ "94.0%（78/83）" with its 95% Wilson interval."""
    if not figure.get("concluded"):
        return "—（0 件办结）"
    low, high = figure["ci95"]
    counts = f"{figure['agreed']}/{figure['concluded']}"
    return f"{percent(figure['rate'])}（{counts}，95%区间 {percent(low)}–{percent(high)}）"


def share_text(figure: dict) -> str:
    """ "62.5%（5/8，95%区间 30.6%–86.3%）": a share with its count and interval."""
    if not figure.get("total"):
        return "—（0 件）"
    low, high = figure["ci95"]
    return f"{percent(figure['rate'])}（{figure['count']}/{figure['total']}，95%区间 {percent(low)}–{percent(high)}）"


BREAKDOWNS = [
    ("by_state", "期末在办案件按状态"),
    ("by_category", "新登记按类别"),
    ("by_community", "新登记按社区"),
    ("by_grid", "新登记按网格"),
    ("by_source", "新登记按来源"),
    ("by_risk", "新登记按风险等级"),
    ("by_mediator", "办结按调解员"),
    ("by_organization", "办结按调解组织"),
    ("withdrawn", "撤回（按撤回方）"),
    ("declined", "不予受理（按引导去向）"),
]


def _case_rows(rows):
    # The deadline as a date: a date cell in Excel, "2026-11-05" in the PDF.
    return [
        [
            r["number"],
            r["status_label"],
            r["community"],
            r["category"],
            dt.date.fromisoformat(r["due"]) if r["due"] else None,
            r["responsible"],
            "、".join(r["warning"]),
        ]
        for r in rows
    ]


def _value(value):
    """A figure that is undefined (no denominator) is an empty cell, never "None"."""
    return "" if value is None else value


def supervision_table(supervision: dict) -> Table:
    """The report's 督办 section (per case, as the figures count it)."""
    return Table(
        "督办",
        ["指标", "件数"],
        [
            ["本期督办案件", supervision["issued"]],
            ["督办按期答复", supervision["on_time"]],
            ["督办超期答复", supervision["late"]],
            ["督办按期答复率", percent(supervision["on_time_rate"])],
            ["期末督办未答复", supervision["unanswered"]],
            ["其中已过办理期限", supervision["overdue"]],
        ],
    )


def tables(figures: dict) -> list[Table]:
    """Every table of a report, from the figures of the reader's view (case rows already narrowed)."""
    totals = figures["totals"]
    on_time = figures["on_time"]
    durations = figures["durations"]
    inspections = figures["inspections"]
    ladder = figures["ladder"]
    summary = [
        ["新登记案件", totals["registered"]],
        ["其中导入案件", totals["registered_imported"]],
        ["办结（调解成功＋调解不成）", totals["concluded"]],
        ["调解成功", totals["agreed"]],
        ["调解不成", totals["failed"]],
        ["撤回", totals["withdrawn"]],
        ["不予受理", totals["declined"]],
        ["期末在办案件", totals["open"]],
        ["期末逾期案件", totals["overdue"]],
        ["其中逾期未办结", totals["pending_overdue"]],
        ["期末预警案件", totals["warning"]],
        ["本期调解成功率", rate_text(figures["success_rate_period"])],
        [f"累计调解成功率（{figures['success_rate']['since']}起）", rate_text(figures["success_rate"])],
        ["本期第三方调解成功率", rate_text(figures["third_party"]["period"])],
        ["累计第三方调解成功率", rate_text(figures["third_party"]["cumulative"])],
        [
            f"第三方调解成功率（{figures['success_rate']['since']}起）",
            rate_text(figures.get("success_rate_third_party") or {}),
        ],
        [
            "按期办结率（逾期未结计入分母）",
            f"{percent(on_time['rate'])}（按期 {on_time['on_time']}，办结 {on_time['concluded']}，"
            f"逾期未结 {on_time['pending_overdue']}）",
        ],
        ["小事不出社区率", share_text(ladder["community"])],
        ["大事不出街道率", share_text(ladder["subdistrict"])],
        ["上报区 / 区层级办结", f"{ladder.get('referred_district', 0)} / " + share_text(ladder["district"])
         if "district" in ladder else "—"],
        ["引导至其他途径", share_text(ladder["referred"])],
        ["排查覆盖率", f"{percent(inspections['coverage'])}（{inspections['filed']}/{inspections['grids']}）"
         if inspections["required"] else "本期无需日查日报"],
        ["缺报 / 补报网格", f"{len(inspections['missing'])} / {len(inspections['late'])}"
         if inspections["required"] else "—"],
        # Found = registered + resolved on the spot + not pursued, over the returns filed on time.
        [f"排查发现纠纷（按时填报的 {inspections['filed']} 个网格）", inspections["disputes_found"]],
        ["其中：登记立案", inspections["cases_registered"]],
        ["其中：就地化解", inspections["resolved_on_spot"]],
        ["其中：未立案", inspections["not_pursued"]],
    ]  # fmt: skip
    result = [Table("概要", ["指标", "数值"], summary)]
    if "supervision" in figures:  # reports made before 督办 was counted have no such section
        result.append(supervision_table(figures["supervision"]))
    result.append(
        Table(
            "办结天数",
            ["办结件数", "中位数", "90分位", "平均"],
            [[durations["count"], _value(durations["p50"]), _value(durations["p90"]), _value(durations["mean"])]],
        )
    )
    for key, title in BREAKDOWNS:
        result.append(Table(title, ["名称", "件数"], [[row["label"], row["count"]] for row in figures[key]]))
    if "trend" in figures:
        result.append(
            Table(
                "近六个月趋势",
                ["月份", "新登记", "办结", "调解成功", "成功率"],
                [
                    [r["month"], r["registered"], r["concluded"], r["agreed"], _value(r["success_rate"])]
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
                ["调解员", "期末在办", "本期办结", "本期成功"],
                [[r["mediator"], r["open"], r["concluded"], r["agreed"]] for r in figures["mediators"]],
            )
        )
        follow_up = figures["follow_up"]
        result.append(
            Table(
                "回访满意度",
                ["回访次数", "协议已履行", "平均满意度", "满意率（4–5分）", "1分", "2分", "3分", "4分", "5分"],
                [
                    [
                        follow_up["count"],
                        follow_up["performed"],
                        _value(follow_up["mean"]),
                        _value(follow_up["satisfied_rate"]),
                        *follow_up["distribution"],
                    ]
                ],
            )
        )
    if figures.get("judgement"):
        result.extend(judgement_tables(figures["judgement"]))
    workers = lambda m: "、".join(m["workers"]) or "（未配备）"  # noqa: E731
    result.append(
        Table(
            "缺报网格",
            ["网格", "社区", "责任网格员"],
            [[m["grid"], m["community"], workers(m)] for m in inspections["missing"]],
        )
    )
    result.append(
        Table(
            "补报网格",
            ["网格", "社区", "责任网格员"],
            [[m["grid"], m["community"], workers(m)] for m in inspections["late"]],
        )
    )
    result.append(
        Table(
            "排查自报登记数与实际不符",
            ["网格", "社区", "责任网格员", "自报登记数", "实际登记数"],
            [[m["grid"], m["community"], workers(m), m["reported"], m["actual"]] for m in inspections["mismatched"]],
        )
    )
    case_headers = ["案件编号", "期末状态", "社区", "类别", "期限", "责任人", "预警原因"]
    result.append(Table("预警案件明细", case_headers, _case_rows(figures["warnings"])))
    result.append(Table("逾期案件明细", case_headers, _case_rows(figures["overdue_cases"])))
    return result


JUDGEMENT_HEADERS = [
    "名称", "本期",
    "去年同期", "速率比（同期）", "95%区间（同期）", "p（同期）", "q（同期）",
    "前三个月", "速率比（前3月）", "95%区间（前3月）", "p（前3月）", "q（前3月）",
    "显著上升",
]  # fmt: skip


# The intervals are the widest cells: wide enough for "1.78–512.97" on one line of the PDF.
JUDGEMENT_WIDTHS = (2.2, 1, 1, 1.2, 2.1, 1.1, 1.1, 1, 1.2, 2.1, 1.1, 1.1, 1.4)


def _comparison(c: dict) -> list:
    """One comparison as the 研判 page shows it: the baseline's count, the rate ratio with its exact
    95% interval (∞ with no case in the baseline), p and the BH-adjusted q; blank where none was made."""
    if c.get("p_rise") is None:
        return [c["baseline"], None, None, None, None]
    low, high = c["ci95"]
    ratio = "∞" if c["rate_ratio"] is None else c["rate_ratio"]
    interval = f"{low:.2f}–{'∞' if high is None else f'{high:.2f}'}"
    return [c["baseline"], ratio, interval, c["p_rise"], c["q_rise"]]


def judgement_tables(stored: dict) -> list[Table]:
    """The report's 研判 section, from what its snapshot stored (the 研判 page's own tables as of the
    month's end): nothing is counted or tested again here."""
    windows = stored["windows"]
    result = [
        Table(
            "研判·对照期间",
            ["期间", "起", "止"],
            [
                [label, dt.date.fromisoformat(windows[name]["start"]), dt.date.fromisoformat(windows[name]["end"])]
                for name, label in (("current", "本期"), ("last_year", "去年同期"), ("previous", "前三个月"))
            ],
        )
    ]
    rising = []
    for dimension in JUDGED_DIMENSIONS:
        rows = stored["tables"].get(dimension, [])
        title = JUDGEMENT_TITLES[dimension]
        result.append(
            Table(
                f"研判·{title}",
                JUDGEMENT_HEADERS,
                [
                    [
                        r["label"],
                        r["current"],
                        *_comparison(r["vs_year"]),
                        *_comparison(r["vs_previous"]),
                        "显著上升" if r["rising"] else "",
                    ]
                    for r in rows
                ],
                widths=JUDGEMENT_WIDTHS,
            )
        )
        rising += [[title.removeprefix("按"), r["label"], r["current"]] for r in rows if r["rising"]]
    result.append(Table("研判·显著上升", ["维度", "名称", "本期件数"], rising))
    # Masked identifiers and case numbers only: the export carries no party's name.
    result.append(
        Table(
            "研判·重点人员",
            ["证件/手机（脱敏）", "近12个月件数", "案件编号"],
            [
                [p["masked"], p["cases"], "、".join(number for _pk, number in p["case_list"])]
                for p in stored["repeat_parties"]
            ],
        )
    )
    result.append(
        Table(
            "研判·重复发生地",
            ["社区", "网格", "类别", "近12个月件数"],
            [[p["community__name"], p["grid__name"], p["category__name"], p["cases"]] for p in stored["repeat_places"]],
        )
    )
    return result


def _subtitle(snapshot, community_name=None) -> str:
    by = snapshot.generated_by.display_name if snapshot.generated_by else "系统"
    where = f"{snapshot.subdistrict.name}{f' · {community_name}' if community_name else ''}"
    return (
        f"{where} · 第{snapshot.version}版 · 生成于 {timezone.localtime(snapshot.generated_at):%Y-%m-%d %H:%M}"
        f" · {by} · {snapshot.reason}"
    )


# ---------------------------------------------------------------------------
# XLSX: one sheet per section, numbers as numbers, native charts, a 说明 sheet.


def _write_row(sheet, row: int, values, *, bold: bool = False):
    """Every cell of the workbook is written here, through common.xlsx (formula escaping, what XLSX
    cannot hold dropped)."""
    for column, value in enumerate(values, start=1):
        xlsx.put(
            sheet,
            row,
            column,
            _value(value),
            font=Font(bold=True) if bold else None,
            number_format="yyyy-mm-dd" if isinstance(value, dt.date) else None,
        )


def _sheet_name(title: str, used: set) -> str:
    name = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31]
    while name in used:
        name = name[:29] + f"{len(used)}"
    used.add(name)
    return name


CHARTED = {"近六个月趋势": "line", "新登记按类别": "bar", "新登记按社区": "bar", "期末在办案件按状态": "bar",
           "新登记按来源": "bar", "办结按调解员": "bar"}  # fmt: skip


def _add_chart(sheet, table: Table, kind: str):
    if not table.rows:
        return
    chart = LineChart() if kind == "line" else BarChart()
    chart.title = table.title
    chart.y_axis.title = "件数"
    chart.x_axis.title = table.headers[0]
    last_row = 3 + len(table.rows)
    series_columns = 4 if kind == "line" else 2  # the trend: new, concluded, agreed
    data = Reference(sheet, min_col=2, max_col=series_columns, min_row=3, max_row=last_row)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=4, max_row=last_row))
    chart.width, chart.height = 18, 9
    sheet.add_chart(chart, f"{chr(ord('A') + len(table.headers) + 1)}3")


def snapshot_xlsx(snapshot, figures: dict, community_name=None) -> bytes:
    workbook = Workbook()
    used: set[str] = set()
    for index, table in enumerate(tables(figures)):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        sheet.title = _sheet_name(table.title, used)
        _write_row(sheet, 1, [f"{snapshot.title} · {table.title}"], bold=True)
        _write_row(sheet, 2, [_subtitle(snapshot, community_name)])
        _write_row(sheet, 3, table.headers, bold=True)
        for offset, row in enumerate(table.rows):
            _write_row(sheet, 4 + offset, row)
        sheet.column_dimensions["A"].width = 32
        sheet.column_dimensions["B"].width = 40 if table.title == "概要" else 14
        if table.title in CHARTED:
            _add_chart(sheet, table, CHARTED[table.title])
    notes = workbook.create_sheet(_sheet_name("说明", used))
    _write_row(notes, 1, ["指标", "口径"], bold=True)
    for offset, (name, stock, definition) in enumerate(statistics.FIGURES.values()):
        _write_row(notes, 2 + offset, [name, definition + ("（期末存量，按案件日志还原至期末）" if stock else "")])
    extra = [
        ("调解成功率", "调解成功 ÷ 办结，附件数与95% Wilson区间。"),
        ("按期办结率", "按期办结 ÷（本期办结＋期末逾期未办结）。"),
        ("小事不出社区率", "社区层级办结 ÷（本期办结＋不予受理），附95% Wilson区间。"),
        ("大事不出街道率", "（社区＋街道层级办结）÷（本期办结＋不予受理），附95% Wilson区间。"),
        ("第三方调解", "主调解员为律师、社工或法律顾问的调解。"),
        ("排查发现纠纷", "按时填报的排查记录所报发现数 ＝ 登记立案 ＋ 就地化解（未立案即化解）＋ 未立案。"),
        (
            "研判",
            "本期新登记与去年同期、前三个月相比（按天数折算）：精确条件二项检验（单侧），速率比及其95%精确区间；"
            f"每张表的全部比较一起做 Benjamini–Hochberg 校正，q < {ALPHA} 才标为显著上升。报表生成时按月末计算并保存。",
        ),
        ("空白单元格", "分母为0、指标无定义时留空。"),
    ]
    start = 2 + len(statistics.FIGURES)
    for offset, row in enumerate(extra):
        _write_row(notes, start + offset, row)
    notes.column_dimensions["A"].width = 24
    notes.column_dimensions["B"].width = 90
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# PDF: the same sections; charts drawn with fpdf2's own vector drawing (no browser, no image
# library); every page names the report, its version and when it was generated.


class _ReportPDF(FPDF):
    running_head = ""

    def header(self):
        if self.page_no() > 1:
            self.set_font("cjk", size=8)
            self.set_text_color(110)
            self.cell(0, 6, self.running_head, new_x="LMARGIN", new_y="NEXT", align="R")
            self.set_text_color(0)

    def footer(self):
        self.set_y(-12)
        self.set_text_color(110)
        # The page-count alias is filled in with the font it was set in: a Latin one has the digits.
        head, number, tail = f"{self.running_head} · 第 ", f"{self.page_no()} / {{nb}}", " 页"
        self.set_font("latin", size=8)
        number_width = self.get_string_width(f"{self.page_no()} / 99")
        self.set_font("cjk", size=8)
        widths = (self.get_string_width(head), number_width, self.get_string_width(tail))
        self.set_x((self.w - sum(widths)) / 2)
        self.cell(widths[0], 8, head)
        self.set_font("latin", size=8)
        self.cell(widths[1], 8, number)
        self.set_font("cjk", size=8)
        self.cell(widths[2], 8, tail)
        self.set_text_color(0)


PALETTE = [(44, 127, 184), (192, 57, 43), (39, 174, 96), (243, 156, 18), (142, 68, 173)]


def _axis_top(peak: float, whole: bool) -> tuple[float, float]:
    """The axis's top and step: four steps, whole numbers for counts (no "1.5 件")."""
    if whole:
        step = max(1, math.ceil(peak / 4))
        return step * 4, step
    return peak, peak / 4


def _chart_pdf(pdf: FPDF, chart: dict):
    """A chart drawn as vectors: bars, lines or heat-map cells, with axes, values and a legend."""
    if chart["type"] == "heatmap":
        return _heatmap_pdf(pdf, chart)
    categories = chart["categories"]
    series = chart["series"]
    values = [v or 0 for s in series for v in s["data"]]
    left, width, height = pdf.l_margin + 12, pdf.epw - 16, 50
    if pdf.will_page_break(height + 30):  # the title stays with its chart
        pdf.add_page()
    pdf.set_font("cjk", size=10)
    pdf.cell(0, 7, chart["title"], new_x="LMARGIN", new_y="NEXT")
    if not categories or not any(values):
        pdf.set_font("cjk", size=8)
        pdf.cell(0, 6, "本期无数据", new_x="LMARGIN", new_y="NEXT")
        return
    top = pdf.get_y() + 2
    whole = all(isinstance(v, int) for v in values)
    peak, step = _axis_top(max(values), whole)
    pdf.set_draw_color(120)
    pdf.line(left, top, left, top + height)
    pdf.line(left, top + height, left + width, top + height)
    pdf.set_font("cjk", size=7)
    for n in range(5):  # y axis: five gridlines with their values
        value = step * n
        y = top + height - height * value / peak
        pdf.set_draw_color(225)
        pdf.line(left, y, left + width, y)
        pdf.set_xy(left - 12, y - 2)
        pdf.cell(11, 4, f"{value:g}" if whole else f"{value:.1f}", align="R")
    slot = width / len(categories)
    if chart["type"] == "line":
        for index, s in enumerate(series):
            pdf.set_draw_color(*PALETTE[index % len(PALETTE)])
            pdf.set_line_width(0.6)
            points = [
                (left + slot * (i + 0.5), top + height - height * (v or 0) / peak) for i, v in enumerate(s["data"])
            ]
            for (x1, y1), (x2, y2) in itertools.pairwise(points):
                pdf.line(x1, y1, x2, y2)
            for (x, y), v in zip(points, s["data"], strict=True):
                pdf.set_xy(x - 5, y - 5)
                pdf.cell(10, 4, str(v), align="C")
        pdf.set_line_width(0.2)
    else:
        bar = slot * 0.7 / len(series)
        for index, s in enumerate(series):
            pdf.set_fill_color(*PALETTE[index % len(PALETTE)])
            for i, v in enumerate(s["data"]):
                h = height * (v or 0) / peak
                x = left + slot * i + slot * 0.15 + bar * index
                pdf.rect(x, top + height - h, bar, h, style="F")
                pdf.set_xy(x - 2, top + height - h - 4)
                pdf.cell(bar + 4, 4, "" if v is None else f"{v:g}", align="C")
    labels_y = top + height + 1
    pdf.set_font("cjk", size=7)
    for i, label in enumerate(categories):
        pdf.set_xy(left + slot * i, labels_y)
        pdf.cell(slot, 4, str(label)[: max(2, int(slot / 2.5))], align="C")
    pdf.set_xy(left, labels_y + 5)
    pdf.set_font("cjk", size=8)
    for index, s in enumerate(series):  # the legend
        pdf.set_fill_color(*PALETTE[index % len(PALETTE)])
        pdf.rect(pdf.get_x(), pdf.get_y() + 1, 3, 3, style="F")
        pdf.set_x(pdf.get_x() + 4)
        pdf.cell(28, 5, s["name"])
    _reset_pen(pdf)
    pdf.set_xy(pdf.l_margin, labels_y + 12)


def _reset_pen(pdf: FPDF):
    """Drawing colours are the document's state: the tables after a chart must not inherit them."""
    pdf.set_draw_color(0)
    pdf.set_fill_color(255)
    pdf.set_text_color(0)


LOW, HIGH = (238, 245, 251), PALETTE[0]


def _heatmap_pdf(pdf: FPDF, chart: dict):
    rows, columns = chart["rows"], chart["categories"]
    cells = {(x, y): v for x, y, v in chart["series"][0]["data"]}
    peak = max(cells.values(), default=0)
    if not peak:
        return
    cell_h = 6
    if pdf.will_page_break(cell_h * (len(rows) + 2) + 8):
        pdf.add_page()
    pdf.set_font("cjk", size=10)
    pdf.cell(0, 7, chart["title"], new_x="LMARGIN", new_y="NEXT")
    label_width = 26
    cell_w = min(18, (pdf.epw - label_width) / max(len(columns), 1))
    pdf.set_font("cjk", size=7)
    x0, y0 = pdf.l_margin, pdf.get_y()
    for i, name in enumerate(columns):
        pdf.set_xy(x0 + label_width + cell_w * i, y0)
        pdf.cell(cell_w, cell_h, str(name)[:4], align="C")
    for j, name in enumerate(rows):
        y = y0 + cell_h * (j + 1)
        pdf.set_xy(x0, y)
        pdf.set_text_color(0)
        pdf.cell(label_width, cell_h, str(name))
        for i in range(len(columns)):
            value = cells.get((i, j), 0)
            share = value / peak
            pdf.set_fill_color(*(round(lo + (hi - lo) * share) for lo, hi in zip(LOW, HIGH, strict=True)))
            pdf.rect(x0 + label_width + cell_w * i, y, cell_w, cell_h, style="F")
            pdf.set_xy(x0 + label_width + cell_w * i, y)
            pdf.set_text_color(*((255, 255, 255) if share > 0.6 else (0, 0, 0)))
            pdf.cell(cell_w, cell_h, str(value) if value else "", align="C")
    _reset_pen(pdf)
    pdf.set_xy(pdf.l_margin, y0 + cell_h * (len(rows) + 1) + 3)


def _table_pdf(pdf: FPDF, table: Table):
    pdf.ln(3)
    pdf.set_font("cjk", size=12)
    pdf.cell(0, 8, table.title, new_x="LMARGIN", new_y="NEXT")
    # A wide table (the 研判's thirteen columns) in a smaller size, so that its numbers keep to one line.
    pdf.set_font("cjk", size=9 if len(table.headers) <= 8 else 6)
    if not table.rows:
        pdf.cell(0, 6, "（无）", new_x="LMARGIN", new_y="NEXT")
        return
    with pdf.table(first_row_as_headings=True, line_height=6, headings_style=HEADINGS, col_widths=table.widths) as grid:
        for row in [table.headers, *table.rows]:
            cells = grid.row()
            for value in row:
                cells.cell("—" if value is None or value == "" else str(value))


def _pdf_start(report, title: str, subtitle: str, orientation: str = "portrait") -> FPDF:
    """A report's PDF with its first page begun: the title, and a running head naming its version."""
    pdf = _ReportPDF(format="A4", orientation=orientation)
    pdf.running_head = (
        f"{title} · 第{report.version}版 · 生成于 {timezone.localtime(report.generated_at):%Y-%m-%d %H:%M}"
    )
    pdf.set_title(str(title))
    pdf.set_author("枫桥矛盾纠纷调处系统")
    # Chinese from the Droid fallback font; digits and Latin letters, which it lacks, from DejaVu.
    pdf.add_font("cjk", fname=str(FONTS / "DroidSansFallbackFull.ttf"))
    pdf.add_font("latin", fname=str(FONTS / "DejaVuSans.ttf"))
    pdf.set_fallback_fonts(["latin"])
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_page()
    pdf.set_font("cjk", size=16)
    pdf.cell(0, 10, str(title), new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("cjk", size=9)
    pdf.multi_cell(0, 6, subtitle, new_x="LMARGIN", new_y="NEXT", align="C")
    return pdf


def snapshot_pdf(snapshot, figures: dict, community_name=None) -> bytes:
    title = f"{snapshot.title}{f'（{community_name}）' if community_name else ''}"
    pdf = _pdf_start(snapshot, title, _subtitle(snapshot, community_name))
    all_tables = tables(figures)
    _table_pdf(pdf, all_tables[0])
    pdf.add_page()
    pdf.set_font("cjk", size=12)
    pdf.cell(0, 8, "图表", new_x="LMARGIN", new_y="NEXT")
    for chart in report_charts(figures):
        _chart_pdf(pdf, chart)
    pdf.add_page()
    for table in all_tables[1:]:
        _table_pdf(pdf, table)
    return bytes(pdf.output())


# ---------------------------------------------------------------------------
# The district's monthly report: its subdistricts side by side, and the district's own row.

DISTRICT_HEADERS = ["街道", "新登记", "办结", "期末在办", "期末逾期", "累计调解成功率", "累计第三方调解成功率",
                    "按期办结率", "小事不出社区率", "大事不出街道率", "上报区", "区层级办结", "缺报网格", "本期督办",
                    "督办逾期未答复"]  # fmt: skip


def _district_row(name: str, row: dict) -> list:
    n, on_time, ladder = row["counts"], row["on_time"], row["ladder"]
    return [
        name, n["registered"], n["concluded"], n["open"], n["overdue"], rate_text(row["success_rate"]),
        rate_text(row["third_party"]), f"{percent(on_time['rate'])}（{on_time['on_time']}/{on_time['of']}）",
        share_text(ladder["community"]), share_text(ladder["subdistrict"]), ladder["referred_district"],
        share_text(ladder["district"]), n["inspections_missing_count"],
        # A district report made before 督办 was counted has no such counts.
        n.get("supervision_issued", ""), n.get("supervision_overdue", ""),
    ]  # fmt: skip


def district_table(report) -> Table:
    figures = report.figures
    rows = [_district_row(row["name"], row) for row in figures["subdistricts"]]
    rows.append(_district_row(f"{report.district.name}（全区）", figures["district"]))
    return Table(title="各街道并列", headers=DISTRICT_HEADERS, rows=rows)


def _district_subtitle(report) -> str:
    sources = "、".join(f"{row['name']}第{row['version']}版" for row in report.figures["subdistricts"])
    generated = timezone.localtime(report.generated_at)
    return (
        f"{report.district.name} · 第{report.version}版 · 生成于 {generated:%Y-%m-%d %H:%M}"
        f" · {report.reason} · 据各街道月报：{sources}"
    )


def district_xlsx(report) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    table = district_table(report)
    sheet.title = table.title
    _write_row(sheet, 1, [f"{report.title} · {table.title}"], bold=True)
    _write_row(sheet, 2, [_district_subtitle(report)])
    _write_row(sheet, 3, table.headers, bold=True)
    for offset, row in enumerate(table.rows):
        _write_row(sheet, 4 + offset, row)
    sheet.column_dimensions["A"].width = 24
    notes = workbook.create_sheet("说明")
    _write_row(notes, 1, ["指标", "口径"], bold=True)
    for offset, row in enumerate(
        [
            ("来源", "各街道同月月报（最新版本）的计数；全区为各街道计数之和。"),
            ("比率", "由计数重新计算（非各街道比率的平均），附95% Wilson区间。"),
            ("累计调解成功率", f"{report.figures['since']}起累计调解成功 ÷ 累计办结。"),
            ("大事不出街道率", "（社区＋街道层级办结）÷（本期办结＋不予受理）；上报区后办结的计入区层级。"),
        ]
    ):
        _write_row(notes, 2 + offset, row)
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 80
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def district_pdf(report) -> bytes:
    pdf = _pdf_start(report, report.title, _district_subtitle(report), orientation="landscape")
    _table_pdf(pdf, district_table(report))
    return bytes(pdf.output())
