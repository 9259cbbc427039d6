"""Ledger import: read the sheet, check every row, then replay each good row through the services.

Each case is registered, accepted, assigned, mediated, concluded, followed up and
closed by the same services a user's clicks go through, at the ledger's historical
dates and with `imported=True`, so it arrives in the state its outcome implies, its
events say where they came from, and it counts in statistics like any other case.

The importing user (centre staff) is the actor of every step: nobody else touched
Fengqiao, and the ledger's mediators are recorded as the case's mediators. Steps only
a case's mediators may take live (start, agreement, failure) are open to centre staff
when replaying history (casework.permissions.can_transition, `imported=True`).

Modes: all-or-nothing (default: any bad row and nothing is written), valid rows only,
and a dry run, which replays inside a transaction that is rolled back, so it reports
what the services themselves would refuse as well.
"""

import datetime as dt
import re
import zipfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from casework import permissions
from casework import services as case_services
from casework.enums import CaseStatus, Guidance, Level, PartyKind, PartyRole, Referral, Risk, Source
from casework.exceptions import CaseError
from casework.models import Category, DisputeCase
from casework.personal_data import validate_id_number, validate_mobile
from grids.models import Community
from mediation import services as mediation_services
from mediation.enums import AgreementForm, FollowUpMethod
from mediation.models import Mediator

from .layout import COLUMN_BY_KEY, COLUMNS, DATE_KEYS, OUTCOME_WORDS, SHEET_TITLE, fold, match_headers, parse_date

S = CaseStatus
MAX_HEADER_SEARCH = 10
STEP = dt.timedelta(minutes=10)
IMPORT_NOTE = "据台账导入"


class LedgerFileError(Exception):
    """The file as a whole cannot be read as a ledger (not xlsx, no such sheet, headers missing)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Problem:
    row: int  # the spreadsheet's own row number
    column: str  # the header as the layout names it; "" for the row as a whole
    message: str
    warning: bool = False


@dataclass
class RowResult:
    row: int
    ref: str
    action: str  # "create", "skip" (already imported) or "invalid"
    number: str = ""
    status: str = ""

    @property
    def status_label(self) -> str:
        return CaseStatus(self.status).label if self.status else ""


@dataclass
class Session:
    held_on: dt.date
    location: str
    summary: str


@dataclass
class FollowUp:
    date: dt.date
    method: str
    satisfaction: int
    performed: bool
    notes: str


@dataclass
class LedgerRow:
    """One row, checked and resolved to the objects the services take."""

    row: int
    ref: str
    status: str
    registered_on: dt.date
    grid: object
    category: Category
    source: str
    risk: str
    level: str
    description: str
    parties: list[dict]
    mediators: list[Mediator] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    terms: str = ""
    agreement_form: str = AgreementForm.ORAL
    performance_method: str = ""
    performance_deadline: dt.date | None = None
    concluded_on: dt.date | None = None
    reason: str = ""
    route: str = ""
    follow_ups: list[FollowUp] = field(default_factory=list)
    closed_on: dt.date | None = None


@dataclass
class ImportReport:
    sheet: str = ""
    dry_run: bool = False
    valid_only: bool = False
    written: bool = False
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    results: list[RowResult] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.warning]

    def count(self, action: str) -> int:
        return sum(1 for r in self.results if r.action == action)

    @property
    def created(self) -> int:
        return self.count("create")

    @property
    def skipped(self) -> int:
        return self.count("skip")

    @property
    def invalid(self) -> int:
        return self.count("invalid")

    def summary(self) -> str:
        if self.written:
            verb = "已导入"
        elif self.dry_run:
            verb = "试导入（未写入）：将导入"
        else:
            verb = "未写入任何数据：可导入"
        return f"共{self.rows}行，{verb}{self.created}件，已存在跳过{self.skipped}件，有误{self.invalid}行。"


# Words accepted in the choice columns (after folding), each mapped to its code.
def _words(choices, extra=None) -> dict[str, str]:
    words = {fold(label): value for value, label in choices.choices}
    words.update(extra or {})
    return words


SOURCE_WORDS = _words(
    Source,
    {
        "网格": Source.GRID_WORKER,
        "排查": Source.GRID_WORKER,
        "网格员": Source.GRID_WORKER,
        "来访": Source.WALK_IN,
        "来电": Source.HOTLINE,
        "热线": Source.HOTLINE,
        "12345": Source.HOTLINE,
        "转办": Source.REFERRAL,
        "交办": Source.REFERRAL,
        "公安": Source.POLICE,
        "派出所": Source.POLICE,
        "法院": Source.COURT,
        "诉前调解": Source.COURT,
    },
)
RISK_WORDS = _words(Risk, {"低": Risk.NORMAL, "中": Risk.ELEVATED, "高": Risk.MAJOR})
LEVEL_WORDS = _words(Level, {"社区级": Level.COMMUNITY, "街道级": Level.SUBDISTRICT})
REFERRAL_WORDS = _words(Referral, {"其他": Referral.OTHER, "法院起诉": Referral.COURT, "派出所": Referral.POLICE})
GUIDANCE_WORDS = _words(Guidance, {"起诉": Guidance.LITIGATION, "行政": Guidance.ADMINISTRATIVE, "无": Guidance.NONE})
FORM_WORDS = {
    "书面": AgreementForm.WRITTEN,
    "书面协议": AgreementForm.WRITTEN,
    "调解协议书": AgreementForm.WRITTEN,
    "口头": AgreementForm.ORAL,
    "口头协议": AgreementForm.ORAL,
    **_words(AgreementForm),
}
METHOD_WORDS = {
    "电话": FollowUpMethod.PHONE,
    "电话回访": FollowUpMethod.PHONE,
    "上门": FollowUpMethod.VISIT,
    "上门回访": FollowUpMethod.VISIT,
    "走访": FollowUpMethod.VISIT,
    "其他": FollowUpMethod.OTHER,
    "其他方式": FollowUpMethod.OTHER,
    "微信回访": FollowUpMethod.OTHER,
}
SATISFACTION_WORDS = {"非常满意": 5, "满意": 5, "基本满意": 4, "一般": 3, "不满意": 2, "很不满意": 1, "非常不满意": 1}
PERFORMED_WORDS = {
    "已履行": True,
    "履行完毕": True,
    "已兑现": True,
    "未履行": False,
    "部分履行": False,
    "未兑现": False,
}
_SATISFACTION = re.compile(r"^(?:满意度[:]?)?([1-5])分?$")
_ROLE = re.compile(r"^(申请人|被申请人|申请方|被申请方)\s*(?:\((单位|个人|自然人)\))?\s*:\s*(.*)$", re.S)
ROLE_WORDS = {
    "申请人": PartyRole.APPLICANT,
    "申请方": PartyRole.APPLICANT,
    "被申请人": PartyRole.RESPONDENT,
    "被申请方": PartyRole.RESPONDENT,
}
_MASKED_PHONE = re.compile(r"^[\d*]{11}$")
_ID_LIKE = re.compile(r"^[\dXx*]{15,18}$")
_DIGITS = re.compile(r"^\d{5,14}$")


def _compact(text) -> str:
    return re.sub(r"\s+", "", fold(text))


def _lookup(words: dict[str, str], text: str) -> str | None:
    return words.get(_compact(text))


def _records(value) -> list[list[str]]:
    """A multi-record cell (sessions, follow-ups): one record a line, fields by '|' (or by spaces)."""
    records = []
    for line in str(value or "").replace("｜", "|").splitlines():
        line = line.strip()
        if not line:
            continue
        parts = [p.strip() for p in line.split("|")] if "|" in line else line.split(None, 2)
        records.append(parts)
    return records


class Reference:
    """The subdistrict's territory, the categories and the mediators, read once for the whole file."""

    def __init__(self, subdistrict):
        self.subdistrict = subdistrict
        self.communities: dict[str, Community] = {}
        self.grids: dict[int, dict[str, object]] = defaultdict(dict)
        for community in Community.objects.filter(subdistrict=subdistrict).prefetch_related("grids"):
            for key in (community.name, community.code, community.name.removesuffix("社区")):
                self.communities.setdefault(_compact(key), community)
            for grid in community.grids.all():
                for key in (grid.name, grid.code):
                    self.grids[community.pk].setdefault(_compact(key), grid)
        self.categories: dict[str, Category] = {}
        for category in Category.objects.all():
            for key in (category.name, category.code, category.name.removesuffix("纠纷")):
                self.categories.setdefault(_compact(key), category)
        self.mediators: dict[str, list[Mediator]] = defaultdict(list)
        for mediator in Mediator.objects.select_related("organization"):
            self.mediators[_compact(mediator.name)].append(mediator)

    def grid_anywhere(self, text: str):
        key = _compact(text)
        return next((grids[key] for grids in self.grids.values() if key in grids), None)


class RowChecker:
    """Turns one row's cells into a LedgerRow, or into problems naming the column and what is wrong."""

    def __init__(self, reference: Reference, *, today: dt.date):
        self.reference = reference
        self.today = today

    def check(self, row: int, cells: dict[str, object]) -> tuple[LedgerRow | None, list[Problem]]:
        self.row, self.cells, self.problems = row, cells, []
        values = {key: self._value(key) for key in COLUMN_BY_KEY}
        for column in COLUMNS:
            if column.required and fold(cells.get(column.key)) == "":
                self.error(column.key, f"“{column.header}”不能为空。")
        ref = values["ref"]
        if ref and len(ref) > 64:
            self.error("ref", "案件编号不能超过64个字符。")
        community = self._community(values["community"])
        grid = self._grid(values["grid"], community)
        category = self._category(values["category"])
        source = self._choice("source", SOURCE_WORDS, default=Source.OTHER, contains=True)
        risk = self._choice("risk", RISK_WORDS, default=Risk.NORMAL)
        level = self._choice("level", LEVEL_WORDS, default=Level.SUBDISTRICT)
        form = self._choice("agreement_form", FORM_WORDS, default=AgreementForm.ORAL)
        parties = self._parties(values["parties"]) if values["parties"] else []
        mediators = self._mediators(values["mediator"])
        sessions = self._sessions()
        follow_ups = self._follow_ups()
        status = self._status(values["outcome"], mediators, sessions)
        plan = LedgerRow(
            row=row,
            ref=ref or "",
            status=status,
            registered_on=values["registered_on"],
            grid=grid,
            category=category,
            source=source,
            risk=risk,
            level=level,
            description=values["description"] or "",
            parties=parties,
            mediators=mediators,
            sessions=sessions,
            terms=values["terms"] or "",
            agreement_form=form,
            performance_method=values["performance_method"] or "",
            performance_deadline=values["performance_deadline"],
            concluded_on=values["concluded_on"],
            reason=values["reason"] or "",
            route=values["route"] or "",
            follow_ups=follow_ups,
            closed_on=values["closed_on"],
        )
        if status:
            self._consistency(plan)
        has_errors = any(not p.warning for p in self.problems)
        return (None if has_errors else plan), self.problems

    # Problems

    def error(self, key: str, message: str, *, warning=False):
        column = COLUMN_BY_KEY[key].header if key else ""
        self.problems.append(Problem(self.row, column, message, warning))

    def warn(self, key: str, message: str):
        self.error(key, message, warning=True)

    # Cells

    def _value(self, key: str):
        raw = self.cells.get(key)
        if key in DATE_KEYS:
            try:
                day = parse_date(raw)
            except (ValueError, OverflowError):
                self.error(key, f"无法识别的日期“{raw}”，请写作 2021-03-05、2021/3/5、2021年3月5日 或 20210305。")
                return None
            if day and day > self.today:
                self.error(key, f"日期{day:%Y-%m-%d}晚于今天。")
            return day
        if raw is None:
            return ""
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        if key in ("ref", "community", "grid", "category", "mediator"):
            return fold(raw)
        return str(raw).strip()

    def _community(self, text):
        if not text:
            return None
        community = self.reference.communities.get(_compact(text))
        if community is None:
            self.error("community", f"社区“{text}”不在本街道。")
        return community

    def _grid(self, text, community):
        if not text or community is None:
            return None
        grid = self.reference.grids[community.pk].get(_compact(text))
        if grid is None:
            if self.reference.grid_anywhere(text):
                self.error("grid", f"网格“{text}”不属于“{community.name}”。")
            else:
                self.error("grid", f"“{community.name}”下没有网格“{text}”。")
        return grid

    def _category(self, text):
        if not text:
            return None
        category = self.reference.categories.get(_compact(text))
        if category is None:
            self.error("category", f"未知的纠纷类别“{text}”。")
        elif not category.active:
            self.error("category", f"纠纷类别“{category.name}”已停用。")
        return category

    def _choice(self, key, words, *, default, contains=False):
        text = self._value(key)
        if not text:
            return default
        value = _lookup(words, text)
        if value is None and contains:
            value = next((v for w, v in words.items() if w in _compact(text)), None)
        if value is None:
            choices = "、".join(sorted({w for w in words if len(w) > 1}))
            self.error(key, f"“{text}”不是可选的值（{choices}）。")
        return value

    def _parties(self, text: str) -> list[dict]:
        parties = []
        entries = [e.strip() for e in re.split(r"[;\n]+", fold(text)) if e.strip()]
        for n, entry in enumerate(entries, start=1):
            match = _ROLE.match(entry)
            if not match:
                self.error("parties", f"第{n}名当事人“{entry[:30]}”应以“申请人:”或“被申请人:”开头。")
                continue
            role_word, kind_word, rest = match.groups()
            fields = [f.strip() for f in re.split(r"[,、]", rest)]
            name = fields[0]
            label = f"第{n}名当事人“{name}”" if name else f"第{n}名当事人"
            if not name:
                self.error("parties", f"{label}缺少姓名或名称。")
                continue
            party = {
                "role": ROLE_WORDS[role_word],
                "kind": PartyKind.ORGANISATION if kind_word == "单位" else PartyKind.PERSON,
                "name": name[:100],
                "phone": "",
                "id_number": "",
                "address": "",
            }
            address = []
            for item in fields[1:]:
                token = item.replace(" ", "")
                if not token:
                    continue
                if "*" in token and (_MASKED_PHONE.match(token) or _ID_LIKE.match(token)):
                    # A masked export: the real value is not in the file, so nothing is imported for it.
                    self.warn("parties", f"{label}的“{token}”已脱敏，不作为个人信息导入。")
                elif _ID_LIKE.match(token) and len(token) >= 15:
                    party["id_number"] = self._personal(label, token.upper(), validate_id_number)
                elif _DIGITS.match(token) or token.startswith("+86"):
                    if party["phone"]:
                        self.error("parties", f"{label}填写了多个手机号码。")
                    party["phone"] = self._personal(label, token.removeprefix("+86"), validate_mobile)
                else:
                    address.append(item)
            party["address"] = "，".join(address)[:200]
            parties.append(party)
        if entries and not any(p["role"] == PartyRole.APPLICANT for p in parties):
            self.error("parties", "至少需要一名申请人。")
        return parties

    def _personal(self, label, value, validator) -> str:
        try:
            validator(value)
        except ValidationError as exc:
            self.error("parties", f"{label}：“{value}”{exc.messages[0]}")
            return ""
        return value

    def _mediators(self, text) -> list[Mediator]:
        found = []
        for name in (n for n in re.split(r"[、,;/\s]+", text or "") if n):
            candidates = self.reference.mediators.get(_compact(name), [])
            if not candidates:
                self.error("mediator", f"调解员“{name}”不在系统中，请先在调解员名册中登记。")
            elif len(candidates) > 1:
                self.error("mediator", f"系统中有{len(candidates)}名调解员叫“{name}”，无法确定是哪一位。")
            elif not (candidates[0].active and candidates[0].available):
                self.error("mediator", f"调解员“{name}”目前不在册或暂不接案。")
            else:
                found.append(candidates[0])
        return found

    def _sessions(self) -> list[Session]:
        sessions = []
        for n, parts in enumerate(_records(self.cells.get("sessions")), start=1):
            if len(parts) < 3 or not parts[1] or not "".join(parts[2:]).strip():
                self.error("sessions", f"第{n}条调解记录应写作“日期|地点|调解情况”。")
                continue
            try:
                held_on = parse_date(parts[0])
            except ValueError:
                held_on = None
            if held_on is None:
                self.error("sessions", f"第{n}条调解记录的日期“{parts[0]}”无法识别。")
                continue
            sessions.append(Session(held_on, parts[1][:100], "|".join(parts[2:]).strip()))
        return sessions

    def _follow_ups(self) -> list[FollowUp]:
        follow_ups = []
        for n, parts in enumerate(_records(self.cells.get("follow_ups")), start=1):
            try:
                day = parse_date(parts[0])
            except ValueError:
                day = None
            if day is None:
                self.error("follow_ups", f"第{n}条回访的日期“{parts[0]}”无法识别。")
                continue
            method, satisfaction, performed, notes = FollowUpMethod.PHONE, None, None, []
            for part in parts[1:]:
                word = _compact(part)
                if word in METHOD_WORDS:
                    method = METHOD_WORDS[word]
                elif _SATISFACTION.match(word):
                    satisfaction = int(_SATISFACTION.match(word).group(1))
                elif word in SATISFACTION_WORDS:
                    satisfaction = SATISFACTION_WORDS[word]
                elif word in PERFORMED_WORDS:
                    performed = PERFORMED_WORDS[word]
                elif part:
                    notes.append(part)
            if satisfaction is None:
                self.error("follow_ups", f"第{n}条回访缺少满意度（1-5，或满意、基本满意、一般、不满意）。")
            if performed is None:
                self.error("follow_ups", f"第{n}条回访须注明“已履行”或“未履行”。")
            if satisfaction is not None and performed is not None:
                follow_ups.append(FollowUp(day, method, satisfaction, performed, " ".join(notes)))
        return follow_ups

    def _status(self, text, mediators, sessions) -> str | None:
        if text:
            status = _lookup(OUTCOME_WORDS, text)
            if status is None:
                self.error("outcome", f"无法识别的调解结果“{text}”（可填：{'、'.join(OUTCOME_WORDS)}）。")
            return status
        # A blank outcome means the case is still under way: as far as the ledger's records go.
        if sessions:
            return S.MEDIATING
        return S.ASSIGNED if mediators else S.REPORTED

    def _consistency(self, plan: LedgerRow):
        """What the outcome requires of the other columns, and dates in a possible order."""
        status, registered = plan.status, plan.registered_on
        concluded = status in (S.AGREED, S.FAILED)
        mediated = status in (S.MEDIATING, S.AGREED, S.FAILED)
        word = self.cells.get("outcome") or CaseStatus(status).label
        if status in (S.ASSIGNED, S.MEDIATING, S.AGREED, S.FAILED) and not plan.mediators:
            if not self._value("mediator"):
                self.error("mediator", f"调解结果为“{word}”时须填写调解员。")
        if status in (S.REPORTED, S.ACCEPTED, S.DECLINED) and plan.mediators:
            self.warn("mediator", f"调解结果为“{word}”，调解员不导入。")
        if plan.sessions and not (mediated or (status == S.WITHDRAWN and plan.mediators)):
            self.error("sessions", f"调解结果为“{word}”的案件不应有调解记录。")
        if concluded and not plan.sessions:
            self.error("sessions", f"调解结果为“{word}”时至少需要一条调解记录。")
        if concluded and plan.concluded_on is None and not self._value_error("concluded_on"):
            self.error("concluded_on", f"调解结果为“{word}”时须填写办结日期。")
        if status == S.AGREED and not plan.terms:
            self.error("terms", "调解成功时须填写协议内容。")
        if status != S.AGREED and plan.terms:
            self.warn("terms", "只有调解成功的案件导入协议内容。")
        if status == S.AGREED and plan.agreement_form == AgreementForm.WRITTEN:
            if not plan.performance_method:
                self.error("performance_method", "书面协议须载明履行方式。")
            if plan.performance_deadline is None:
                self.error("performance_deadline", "书面协议须载明履行期限。")
        if status in (S.DECLINED, S.WITHDRAWN, S.FAILED) and not plan.reason:
            self.error("reason", f"调解结果为“{word}”时须填写处理说明（理由）。")
        if plan.route:
            words = REFERRAL_WORDS if status == S.DECLINED else GUIDANCE_WORDS if status == S.FAILED else None
            value = _lookup(words, plan.route) if words else None
            if value is None:
                self.error("route", f"“{plan.route}”不是调解结果为“{word}”时可填的引导途径。")
            plan.route = value or ""
        if plan.follow_ups and not concluded:
            self.error("follow_ups", f"调解结果为“{word}”的案件不应有回访。")
        if plan.closed_on and not concluded:
            self.error("closed_on", f"调解结果为“{word}”的案件不能结案。")
        if registered is None:
            return
        if plan.concluded_on and plan.concluded_on < registered:
            self.error("concluded_on", f"办结日期{plan.concluded_on:%Y-%m-%d}早于登记日期{registered:%Y-%m-%d}。")
            return
        end = plan.concluded_on if concluded else self.today
        for n, session in enumerate(plan.sessions, start=1):
            if not registered <= session.held_on <= end:
                self.error("sessions", f"第{n}条调解记录的日期{session.held_on:%Y-%m-%d}不在登记日期与办结日期之间。")
        for n, follow_up in enumerate(plan.follow_ups, start=1):
            if plan.concluded_on and not plan.concluded_on <= follow_up.date <= self.today:
                self.error("follow_ups", f"第{n}条回访的日期{follow_up.date:%Y-%m-%d}早于办结日期。")
        if plan.performance_deadline and plan.concluded_on and plan.performance_deadline < plan.concluded_on:
            self.error("performance_deadline", "履行期限不能早于办结（协议签订）日期。")
        if plan.closed_on and plan.concluded_on:
            if plan.closed_on < plan.concluded_on:
                self.error("closed_on", "结案日期不能早于办结日期。")
            elif status == S.AGREED and not any(f.date <= plan.closed_on for f in plan.follow_ups):
                self.error("closed_on", "调解成功的案件结案前至少需要一次回访。")

    def _value_error(self, key) -> bool:
        header = COLUMN_BY_KEY[key].header
        return any(p.column == header and not p.warning for p in self.problems)


# Reading the file


@dataclass
class Sheet:
    name: str
    header_row: int
    columns: dict[int, str]
    rows: list[tuple[int, dict[str, object]]]


def read_sheet(source, sheet_name: str | None = None) -> Sheet:
    """The ledger sheet's header and non-empty rows, or LedgerFileError saying what is wrong with the file."""
    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise LedgerFileError(
            "无法读取文件：请上传 Excel 2007 及以上版本的 .xlsx 文件（.xls 请先另存为 .xlsx）。"
        ) from exc
    try:
        if sheet_name:
            if sheet_name not in workbook.sheetnames:
                raise LedgerFileError(f"文件中没有工作表“{sheet_name}”（有：{'、'.join(workbook.sheetnames)}）。")
            worksheets = [workbook[sheet_name]]
        else:
            # The sheet called 台账 first, then the others in order: the first with a ledger header wins.
            names = sorted(workbook.sheetnames, key=lambda n: n != SHEET_TITLE)
            worksheets = [workbook[n] for n in names]
        best = None
        for worksheet in worksheets:
            found = _find_header(worksheet)
            if found and (best is None or len(found[1]) > len(best[2])):
                best = (worksheet, *found)
            if best and _missing(best[2]) == []:
                break
        if best is None or len(best[2]) < 3:
            raise LedgerFileError(
                "未找到台账表头：第一行应为列名（案件编号、登记日期、社区、网格、当事人……），请使用下载的模板。"
            )
        worksheet, header_row, columns = best
        missing = _missing(columns)
        if missing:
            raise LedgerFileError(f"工作表“{worksheet.title}”第{header_row}行的表头缺少必填列：{'、'.join(missing)}。")
        rows = []
        for number, values in enumerate(worksheet.iter_rows(min_row=header_row + 1, values_only=True), header_row + 1):
            cells = {key: values[i] for i, key in columns.items() if i < len(values)}
            if any(v not in (None, "") and str(v).strip() for v in cells.values()):
                rows.append((number, cells))
        return Sheet(worksheet.title, header_row, columns, rows)
    finally:
        workbook.close()


def _find_header(worksheet):
    best = None
    for number, values in enumerate(worksheet.iter_rows(max_row=MAX_HEADER_SEARCH, values_only=True), start=1):
        columns = match_headers(values)
        if best is None or len(columns) > len(best[1]):
            best = (number, columns)
    return best


def _missing(columns: dict[int, str]) -> list[str]:
    present = set(columns.values())
    return [c.header for c in COLUMNS if c.required and c.key not in present]


# Replaying a row through the services


class Clock:
    """Historical moments for one case: the ledger's dates at working hours, each step after the last."""

    def __init__(self, now: dt.datetime):
        self.now = now
        self.cursor: dt.datetime | None = None

    def on(self, day: dt.date | None, hour: int = 9) -> dt.datetime:
        if day is None:
            return self.next()
        moment = min(timezone.make_aware(dt.datetime.combine(day, dt.time(hour))), self.now)
        if self.cursor is not None:
            moment = max(moment, self.cursor + STEP)
        self.cursor = moment
        return moment

    def next(self) -> dt.datetime:
        self.cursor = self.cursor + STEP
        return self.cursor


def replay(plan: LedgerRow, *, actor, now: dt.datetime) -> DisputeCase:
    """One ledger row through the services, from registration to the state its outcome implies."""
    clock = Clock(now)
    common = {"actor": actor, "imported": True}
    case = case_services.case_register(
        grid=plan.grid,
        category=plan.category,
        source=plan.source,
        risk=plan.risk,
        description=plan.description,
        parties=plan.parties,
        external_ref=plan.ref,
        note=IMPORT_NOTE,
        at=clock.on(plan.registered_on),
        **common,
    )
    status = plan.status
    if status == S.REPORTED:
        return case
    if status == S.DECLINED:
        return case_services.case_decline(
            case,
            reason=plan.reason,
            referral=plan.route or Referral.OTHER,
            at=clock.on(plan.concluded_on, 17),
            **common,
        )
    case_services.case_accept(case, level=plan.level, note=IMPORT_NOTE, at=clock.next(), **common)
    if status == S.ACCEPTED:
        return case
    lead, co = (plan.mediators[0], plan.mediators[1:]) if plan.mediators else (None, [])
    if lead is not None:
        mediation_services.case_assign(
            case, mediator=lead, co_mediators=co, note=IMPORT_NOTE, at=clock.next(), **common
        )
    if lead is not None and (plan.sessions or status not in (S.ASSIGNED, S.WITHDRAWN)):
        mediation_services.case_start(case, note=IMPORT_NOTE, at=clock.next(), **common)
    for session in plan.sessions:
        held_at = clock.on(session.held_on, 10)
        mediation_services.session_log(
            case,
            held_at=held_at,
            location=session.location,
            summary=session.summary,
            public=False,
            rights_explained=False,
            attendees="",
            at=held_at,
            **common,
        )
    if status == S.WITHDRAWN:
        return case_services.case_withdraw(case, reason=plan.reason, at=clock.on(plan.concluded_on, 17), **common)
    if status in (S.ASSIGNED, S.MEDIATING):
        return case
    concluded_at = clock.on(plan.concluded_on, 17)
    if status == S.AGREED:
        mediation_services.case_reach_agreement(
            case,
            form=plan.agreement_form,
            terms=plan.terms,
            signed_on=plan.concluded_on,
            performance_method=plan.performance_method,
            performance_deadline=plan.performance_deadline,
            note=IMPORT_NOTE,
            at=concluded_at,
            **common,
        )
    else:
        mediation_services.case_fail(
            case, reason=plan.reason, guidance=plan.route or Guidance.NONE, at=concluded_at, **common
        )
    follow_ups = sorted(plan.follow_ups, key=lambda f: f.date)
    closing = [f for f in follow_ups if plan.closed_on is None or f.date <= plan.closed_on]
    for follow_up in closing:
        _follow_up(case, follow_up, clock, common)
    if plan.closed_on:
        case_services.case_close(case, note=IMPORT_NOTE, at=clock.on(plan.closed_on, 17), **common)
        for follow_up in follow_ups[len(closing) :]:
            _follow_up(case, follow_up, clock, common)
    return case


def _follow_up(case, follow_up: FollowUp, clock: Clock, common: dict):
    mediation_services.follow_up_record(
        case,
        date=follow_up.date,
        performed=follow_up.performed,
        satisfaction=follow_up.satisfaction,
        method=follow_up.method,
        notes=follow_up.notes,
        at=clock.on(follow_up.date, 10),
        **common,
    )


# Where a service's field errors land in the ledger's columns.
_FIELD_COLUMNS = {
    "parties": "parties",
    "description": "description",
    "category": "category",
    "mediator": "mediator",
    "co_mediators": "mediator",
    "held_at": "sessions",
    "location": "sessions",
    "summary": "sessions",
    "terms": "terms",
    "signed_on": "concluded_on",
    "form": "agreement_form",
    "performance_method": "performance_method",
    "performance_deadline": "performance_deadline",
    "reason": "reason",
    "guidance": "route",
    "referral": "route",
    "date": "follow_ups",
    "satisfaction": "follow_ups",
    "method": "follow_ups",
}


def _service_problems(row: int, exc: Exception) -> list[Problem]:
    if isinstance(exc, CaseError):
        return [Problem(row, COLUMN_BY_KEY["outcome"].header, exc.message)]
    problems = []
    for name, messages in getattr(exc, "message_dict", {"": exc.messages}).items():
        key = _FIELD_COLUMNS.get(name.split("[")[0], "")
        column = COLUMN_BY_KEY[key].header if key else ""
        problems.extend(Problem(row, column, str(m)) for m in messages)
    return problems


class _Rollback(Exception):
    pass


def import_ledger(
    source,
    *,
    user,
    sheet: str | None = None,
    dry_run: bool = False,
    valid_only: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Check every row of the ledger in `source` (a path or file), then import as the mode says.

    Raises LedgerFileError when the file cannot be read as a ledger, and PermissionError
    when `user` is not centre staff of a subdistrict (only they may replay history).
    """
    if not (user.subdistrict_id and permissions.is_centre_staff_for(user, user.subdistrict_id)):
        raise PermissionError("只有综治中心工作人员可以导入台账。")
    data = read_sheet(source, sheet)
    report = ImportReport(sheet=data.name, dry_run=dry_run, valid_only=valid_only, rows=len(data.rows))
    reference = Reference(user.subdistrict)
    now = timezone.now()
    checker = RowChecker(reference, today=timezone.localdate(now))
    existing = _existing_refs(user.subdistrict, [_ref(cells) for _row, cells in data.rows])
    seen: dict[str, int] = {}
    plans = []
    for row, cells in data.rows:
        ref = _ref(cells)
        if ref and ref in existing:
            report.results.append(RowResult(row, ref, "skip", number=existing[ref]))
            continue
        plan, problems = checker.check(row, cells)
        if ref and ref in seen:
            problems.append(Problem(row, COLUMN_BY_KEY["ref"].header, f"案件编号“{ref}”与第{seen[ref]}行重复。"))
            plan = None
        seen.setdefault(ref, row)
        report.problems.extend(problems)
        if plan is None:
            report.results.append(RowResult(row, ref, "invalid"))
        else:
            report.results.append(RowResult(row, ref, "create", status=plan.status))
            plans.append(plan)
    if report.errors and not (valid_only or dry_run):
        return report
    _write(plans, report, user=user, now=now, progress=progress)
    return report


def _ref(cells) -> str:
    value = cells.get("ref")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return fold(value)


def _existing_refs(subdistrict, refs: list[str]) -> dict[str, str]:
    """Ledger numbers already in the subdistrict, as an external ref or as the system number -> case number."""
    refs = [r for r in refs if r]
    if not refs:
        return {}
    found = {}
    rows = DisputeCase.objects.filter(Q(external_ref__in=refs) | Q(number__in=refs), subdistrict=subdistrict)
    for external_ref, number in rows.values_list("external_ref", "number"):
        found[number] = number
        if external_ref:
            found[external_ref] = number
    return found


class RowSavepoint:
    """One savepoint per ledger row, with the services' own nested savepoints switched off inside it.

    Every service opens `transaction.atomic()`, and inside the import's transaction each
    of those is a SAVEPOINT and a RELEASE: two round trips per step, some twenty per case,
    close to half of an import's time. Inside a row they protect nothing the row's own
    savepoint does not: when a service refuses, the whole row is rolled back to here and
    Django's "needs rollback" mark, set by the savepoint-less inner blocks, is cleared.
    The switch is on this connection only and is restored on exit.
    """

    NAME = "ledger_row"

    def __init__(self):
        self.connection = transaction.get_connection()

    def __enter__(self):
        self._execute(f"SAVEPOINT {self.NAME}")
        self.connection.features.uses_savepoints = False
        return self

    def __exit__(self, exc_type, exc, tb):
        del self.connection.features.uses_savepoints  # back to the backend's class attribute
        if exc_type is None:
            self._execute(f"RELEASE SAVEPOINT {self.NAME}")
            return False
        self._execute(f"ROLLBACK TO SAVEPOINT {self.NAME}")
        transaction.set_rollback(False)
        return False

    def _execute(self, sql):
        with self.connection.cursor() as cursor:
            cursor.execute(sql)


def _write(plans: list[LedgerRow], report: ImportReport, *, user, now, progress):
    results = {r.row: r for r in report.results}
    all_or_nothing = not report.valid_only
    try:
        with transaction.atomic():
            for done, plan in enumerate(plans, start=1):
                try:
                    # A refusal by the services undoes that row only.
                    with RowSavepoint():
                        case = replay(plan, actor=user, now=now)
                except (ValidationError, CaseError) as exc:
                    report.problems.extend(_service_problems(plan.row, exc))
                    results[plan.row].action = "invalid"
                else:
                    results[plan.row].number = case.number
                    results[plan.row].status = case.status
                if progress:
                    progress(done, len(plans))
            if report.dry_run or (all_or_nothing and report.errors):
                raise _Rollback
    except _Rollback:
        report.written = False
    else:
        report.written = True
    report.problems.sort(key=lambda p: (p.row, p.warning))
