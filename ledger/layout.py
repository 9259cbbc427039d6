"""The ledger (台账) layout: one row per case, Chinese headers, shared by the importer,
the exporter and the template download, so that an export imports back unchanged.

docs/ledger.md documents every column and cell format; keep the two in step.
"""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from casework.enums import CaseStatus, Sex
from common import xlsx
from mediation.enums import SignatureMark

# The labelled particulars of a party in the 当事人 cell (项目=内容), and the signing words.
PARTICULAR_WORDS = {
    "民族": "ethnicity",
    "性别": "sex",
    "出生": "birth_date",
    "出生日期": "birth_date",
    "年龄": "age",
    "法定代表人": "legal_representative",
}
SEX_WORDS = {"男": Sex.MALE, "女": Sex.FEMALE}
# The label the export writes for each particular: the first one above.
PARTICULAR_LABELS = {}
for _word, _field in PARTICULAR_WORDS.items():
    PARTICULAR_LABELS.setdefault(_field, _word)
MARK_WORDS = {"签名": SignatureMark.SIGNATURE, "盖章": SignatureMark.SEAL, "按指印": SignatureMark.FINGERPRINT}
MEDIATOR_SIGNED_WORDS = frozenset({"调解员签名", "人民调解员签名"})
COMMITTEE_SEALED_WORDS = frozenset({"调委会盖章", "调解委员会盖章", "人民调解委员会盖章"})


SHEET_TITLE = "台账"
HELP_TITLE = "填写说明"
DATE_FORMAT = "yyyy-mm-dd"
# Separators inside a cell: parties by ";" (or a new line), fields of a record by "|".
PARTY_SEPARATOR = "；"
FIELD_SEPARATOR = "|"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    variants: tuple[str, ...] = ()
    required: bool = False
    width: int = 14
    help: str = ""


COLUMNS: tuple[Column, ...] = (
    Column(
        "ref",
        "案件编号",
        ("编号", "台账编号", "案号", "纠纷编号"),
        True,
        16,
        _("台账中的编号，在本街道内唯一；重复导入以此去重。"),
    ),
    Column(
        "registered_on",
        "登记日期",
        ("登记时间", "受理登记日期", "日期"),
        True,
        12,
        _("如 2021-03-05、2021/3/5、2021年3月5日、20210305 或 Excel 日期。"),
    ),
    Column("community", "社区", ("所属社区", "社区名称"), True, 12, _("社区名称（可省略“社区”二字）。")),
    Column("grid", "网格", ("所属网格", "网格名称"), True, 14, _("该社区下的网格名称或代码。")),
    Column(
        "parties",
        "当事人",
        ("当事人信息", "当事人及联系方式", "当事人情况"),
        True,
        40,
        _(
            "每人一段，以分号或换行分隔：身份:姓名,手机,身份证号,住址。身份为申请人或被申请人，单位写作“被申请人(单位)”。"
            "调解协议书所需的其他事项写作“项目=内容”：民族=汉族、性别=男、出生=1980-01-01、年龄=45、法定代表人=姓名"
            "（性别、出生日期可由身份证号得出，不得与之矛盾）。"
        ),
    ),
    Column(
        "category",
        "纠纷类别",
        ("纠纷类型", "类别", "案件类别"),
        True,
        12,
        _("如 邻里纠纷、婚姻家庭、物业纠纷（可省略“纠纷”二字）。"),
    ),
    Column(
        "source",
        "来源",
        ("纠纷来源", "案件来源"),
        False,
        12,
        _("网格排查、群众来访、12345热线、部门转办、公安移交、法院委派、其他；空白为“其他”。"),
    ),
    Column("description", "纠纷简要情况", ("简要案情", "纠纷情况", "案情简介", "基本情况"), True, 40, _("必填。")),
    Column(
        "mediator",
        "调解员",
        ("调解人员", "承办调解员"),
        False,
        14,
        _("系统中已登记的调解员姓名；多人以“、”分隔，第一位为主调解员。"),
    ),
    Column(
        "sessions",
        "调解记录",
        ("调解过程", "调解情况"),
        False,
        48,
        _("每次调解一行：日期|地点|调解情况。"),
    ),
    Column(
        "outcome",
        "调解结果",
        ("结果", "办理结果", "办理状态", "状态"),
        False,
        12,
        _("调解成功、调解不成、调解中、已分派、已受理、已登记、撤回、不予受理；空白时按有无调解记录/调解员推定。"),
    ),
    Column("terms", "协议内容", ("调解协议内容", "协议"), False, 40, _("调解成功时必填。")),
    Column(
        "concluded_on",
        "办结日期",
        ("办结时间", "结束日期"),
        False,
        12,
        _("调解成功/不成的日期（必填）；撤回、不予受理的日期（选填）。"),
    ),
    Column(
        "follow_ups",
        "回访",
        ("回访情况", "回访记录"),
        False,
        40,
        _("每次回访一行：日期|电话回访/上门回访/其他|满意度1-5（或满意、基本满意、一般、不满意）|已履行/未履行|情况。"),
    ),
    # Optional columns beyond the classic ledger; the export always writes them so a round trip is exact.
    Column("risk", "风险等级", ("风险",), False, 10, _("一般、较大、重大；空白为一般。")),
    Column("level", "调解层级", ("层级",), False, 10, _("社区或街道；空白为街道。")),
    Column(
        "reason",
        "处理说明",
        ("不予受理理由", "撤回理由", "调解不成原因"),
        False,
        30,
        _("不予受理、撤回、调解不成的理由（此三种结果必填）。"),
    ),
    Column(
        "route",
        "引导途径",
        ("告知途径", "引导至"),
        False,
        12,
        _("不予受理：法院、公安、信访、仲裁、其他部门；调解不成：诉讼、仲裁、行政途径、无。"),
    ),
    Column(
        "agreement_form",
        "协议形式",
        ("协议类型",),
        False,
        10,
        _("书面或口头；空白为口头。书面协议须填履行方式和履行期限。"),
    ),
    Column("facts", "纠纷主要事实", ("主要事实",), False, 30, _("调解协议载明的纠纷主要事实。")),
    Column("disputed_matters", "争议事项", (), False, 20, _("调解协议载明的争议事项。")),
    Column("responsibilities", "当事人责任", ("各方责任", "各方当事人的责任"), False, 20, _("各方当事人的责任。")),
    Column(
        "signing",
        "签署情况",
        ("签署",),
        False,
        24,
        _("以“、”分隔：当事人姓名加签名/盖章/按指印（如 张三签名），以及“调解员签名”“调委会盖章”。"),
    ),
    Column("performance_method", "履行方式", (), False, 12, _("书面协议必填。")),
    Column("performance_deadline", "履行期限", (), False, 12, _("书面协议必填，日期。")),
    Column("closed_on", "结案日期", ("归档日期",), False, 12, _("填写则导入后结案；调解成功的案件结案前须有回访。")),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
DATE_KEYS = frozenset({"registered_on", "concluded_on", "performance_deadline", "closed_on"})

# What the 调解结果 cell says, mapped to the state the case arrives in.
OUTCOME_WORDS = {
    "已登记": CaseStatus.REPORTED,
    "待受理": CaseStatus.REPORTED,
    "已受理": CaseStatus.ACCEPTED,
    "待分派": CaseStatus.ACCEPTED,
    "已分派": CaseStatus.ASSIGNED,
    "待调解": CaseStatus.ASSIGNED,
    "调解中": CaseStatus.MEDIATING,
    "正在调解": CaseStatus.MEDIATING,
    "调解成功": CaseStatus.AGREED,
    "成功": CaseStatus.AGREED,
    "达成协议": CaseStatus.AGREED,
    "调解不成": CaseStatus.FAILED,
    "调解不成功": CaseStatus.FAILED,
    "调解失败": CaseStatus.FAILED,
    "不成功": CaseStatus.FAILED,
    "撤回": CaseStatus.WITHDRAWN,
    "已撤回": CaseStatus.WITHDRAWN,
    "不予受理": CaseStatus.DECLINED,
}
# The export's word for each state (closed cases say their outcome and carry a 结案日期).
STATUS_WORDS = {
    CaseStatus.REPORTED: "已登记",
    CaseStatus.ACCEPTED: "已受理",
    CaseStatus.ASSIGNED: "已分派",
    CaseStatus.MEDIATING: "调解中",
    CaseStatus.AGREED: "调解成功",
    CaseStatus.FAILED: "调解不成",
    CaseStatus.WITHDRAWN: "撤回",
    CaseStatus.DECLINED: "不予受理",
}

_SPACES = re.compile(r"\s+")
_DECORATION = re.compile(r"[*＊]|[(（][^)）]*[)）]$")


def fold(value) -> str:
    """Full-width digits, letters and punctuation to their ASCII forms, outer spaces trimmed.

    For structured cells (dates, phones, headers, choices); free text keeps its own punctuation.
    """
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


def header_key(text) -> str:
    """A header cell reduced for matching: folded, spaces, '*' and a trailing '（选填）' removed."""
    return _DECORATION.sub("", _SPACES.sub("", fold(text)))


HEADER_LOOKUP = {header_key(name): c.key for c in COLUMNS for name in (c.header, *c.variants)}


def match_headers(cells) -> dict[int, str]:
    """Column index -> key for the header cells this layout knows (the first occurrence wins)."""
    found: dict[int, str] = {}
    for index, cell in enumerate(cells):
        key = HEADER_LOOKUP.get(header_key(cell))
        if key and key not in found.values():
            found[index] = key
    return found


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_date(value) -> dt.date | None:
    """A date from a cell: an Excel date, an Excel serial number, or text in the usual forms.

    Returns None for an empty cell; raises ValueError for anything it cannot read.
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = int(value)
        if 19000101 <= number <= 21001231:
            return parse_date(str(number))
        if 1 <= number < 2958466:
            return _EXCEL_EPOCH + dt.timedelta(days=number)
        raise ValueError(value)
    text = _SPACES.sub("", fold(value)) if "年" in str(value) else fold(value)
    if not text:
        return None
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            return dt.date(year, month, day)
    raise ValueError(value)


def _help_rows():
    yield ("列名", "必填", "可接受的列名写法", "填写说明")
    for column in COLUMNS:
        yield (
            column.header,
            "是" if column.required else "",
            "、".join(column.variants),
            str(column.help),
        )
    yield ()
    yield ("示例", "", "", "")
    for key, value in EXAMPLE.items():
        yield (COLUMN_BY_KEY[key].header, "", "", value)


EXAMPLE = {
    "ref": "HSM-2021-001",
    "registered_on": "2021-03-05",
    "community": "火神庙社区",
    "grid": "火神庙第1网格",
    "parties": "申请人:张三,13800138000,360102198001011234；被申请人:李四,13900139000",
    "category": "邻里纠纷",
    "source": "网格排查",
    "description": "楼上装修漏水影响楼下住户。",
    "mediator": "王立言",
    "sessions": "2021-03-06|第三方调解室|听取双方陈述，释法明理。",
    "outcome": "调解成功",
    "terms": "被申请人于十五日内赔偿申请人3000元。",
    "concluded_on": "2021-03-10",
    "follow_ups": "2021-03-25|电话回访|满意度5|已履行|双方表示满意。",
}


HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)


def header_font(column: Column) -> Font:
    """Required columns in red, as the template's legend says."""
    return Font(bold=True, color="C00000" if column.required else "000000")


def style_sheet(sheet) -> None:
    """Header row bold and frozen, sensible widths."""
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font, cell.fill, cell.alignment = header_font(column), HEADER_FILL, HEADER_ALIGNMENT
        sheet.column_dimensions[cell.column_letter].width = column.width
    sheet.freeze_panes = "A2"


def new_workbook() -> tuple[Workbook, object]:
    """A workbook with the ledger sheet (headers written) and the 填写说明 sheet."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    xlsx.append(sheet, [c.header for c in COLUMNS])
    style_sheet(sheet)
    help_sheet = workbook.create_sheet(HELP_TITLE)
    for row in _help_rows():
        xlsx.append(help_sheet, list(row))
    for letter, width in zip("ABCD", (14, 6, 30, 90), strict=True):
        help_sheet.column_dimensions[letter].width = width
    return workbook, sheet


def write_template(target) -> None:
    """The empty ledger to fill in: headers, drop-downs for the choice columns, and the 填写说明 sheet."""
    workbook, sheet = new_workbook()
    choices = {
        "outcome": ["调解成功", "调解不成", "调解中", "已分派", "已受理", "已登记", "撤回", "不予受理"],
        "source": ["网格排查", "群众来访", "12345热线", "部门转办", "公安移交", "法院委派", "其他"],
        "risk": ["一般", "较大", "重大"],
        "level": ["社区", "街道"],
        "agreement_form": ["书面", "口头"],
    }
    for index, column in enumerate(COLUMNS, start=1):
        if column.key in choices:
            letter = sheet.cell(row=1, column=index).column_letter
            validation = DataValidation(
                type="list", formula1='"' + ",".join(choices[column.key]) + '"', allow_blank=True
            )
            validation.add(f"{letter}2:{letter}10000")
            sheet.add_data_validation(validation)
    workbook.save(target)
