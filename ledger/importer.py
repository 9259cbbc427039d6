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

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import permissions, writes
from casework.enums import CaseStatus
from casework.models import DisputeCase
from common.refusals import NotPermitted, Refusal
from common.workbook import BoundedWorkbook, WorkbookFileError

from .checks import LedgerRow, Problem, Reference, RowChecker
from .layout import COLUMN_BY_KEY, COLUMNS, SHEET_TITLE, fold, match_headers
from .replay import replay

# A file the ledger cannot read, by the name its callers (the upload, the import command) catch.
LedgerFileError = WorkbookFileError

MAX_HEADER_SEARCH = 10


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

    def as_data(self) -> dict:
        """As JSON-able data, for a background import's record (ledger.models.LedgerImport)."""
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict) -> "ImportReport":
        return cls(
            **{
                **data,
                "problems": [Problem(**p) for p in data["problems"]],
                "results": [RowResult(**r) for r in data["results"]],
            }
        )

    def summary(self) -> str:
        if self.written:
            verb = _("已导入")
        elif self.dry_run:
            verb = _("试导入（未写入）：将导入")
        else:
            verb = _("未写入任何数据：可导入")
        return _("共%(rows)s行，%(verb)s%(created)s件，已存在跳过%(skipped)s件，有误%(invalid)s行。") % {
            "rows": self.rows,
            "verb": verb,
            "created": self.created,
            "skipped": self.skipped,
            "invalid": self.invalid,
        }


# Reading the file


@dataclass
class Sheet:
    name: str
    header_row: int
    columns: dict[int, str]
    rows: list[tuple[int, dict[str, object]]]


def read_sheet(source, sheet_name: str | None = None) -> Sheet:
    """The ledger sheet's header and non-empty rows, or LedgerFileError saying what is wrong with the file
    (common.workbook reads it within bounds)."""
    workbook = BoundedWorkbook(source)
    try:
        worksheet, header_row, columns = _locate(workbook, sheet_name)
        rows = []
        for number, values in worksheet.rows(min_row=header_row + 1):
            cells = {key: values[i] for i, key in columns.items() if i < len(values)}
            if any(v not in (None, "") and str(v).strip() for v in cells.values()):
                rows.append((number, cells))
        return Sheet(worksheet.title, header_row, columns, rows)
    finally:
        workbook.close()


def _locate(workbook, sheet_name: str | None):
    """The worksheet holding the ledger, its header's row number and its columns."""
    if sheet_name:
        if sheet_name not in workbook.sheetnames:
            raise LedgerFileError(
                _("文件中没有工作表“%(sheet_name)s”（有：%(sheets)s）。")
                % {"sheet_name": sheet_name, "sheets": "、".join(workbook.sheetnames)}
            )
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
            _("未找到台账表头：第一行应为列名（案件编号、登记日期、社区、网格、当事人……），请使用下载的模板。")
        )
    worksheet, header_row, columns = best
    missing = _missing(columns)
    if missing:
        raise LedgerFileError(
            _("工作表“%(sheet)s”第%(header_row)s行的表头缺少必填列：%(columns)s。")
            % {"sheet": worksheet.title, "header_row": header_row, "columns": "、".join(missing)}
        )
    return best


def _find_header(worksheet):
    best = None
    for number, values in worksheet.rows(max_row=MAX_HEADER_SEARCH):
        columns = match_headers(values)
        if best is None or len(columns) > len(best[1]):
            best = (number, columns)
    return best


def _missing(columns: dict[int, str]) -> list[str]:
    present = set(columns.values())
    return [c.header for c in COLUMNS if c.required and c.key not in present]


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
    "facts": "facts",
    "disputed_matters": "disputed_matters",
    "responsibilities": "responsibilities",
    "signatures": "signing",
    "mediator_signed": "signing",
    "committee_sealed": "signing",
    "performance_deadline": "performance_deadline",
    "reason": "reason",
    "guidance": "route",
    "referral": "route",
    "date": "follow_ups",
    "satisfaction": "follow_ups",
    "method": "follow_ups",
}


def _service_problems(row: int, exc: Exception) -> list[Problem]:
    if isinstance(exc, Refusal):
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

    Raises LedgerFileError when the file cannot be read as a ledger, and NotPermitted
    when `user` is not centre staff of a subdistrict (only they may replay history).
    """
    if not permissions.is_own_centre_staff(user):
        raise NotPermitted(_("只有综治中心工作人员可以导入台账。"))
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
            message = _("案件编号“%(ref)s”与第%(row)s行重复。") % {"ref": ref, "row": seen[ref]}
            problems.append(Problem(row, COLUMN_BY_KEY["ref"].header, message))
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


# Cases written per bulk flush: progress moves in these steps, and memory stays bounded.
FLUSH_EVERY = 500


def _write(plans: list[LedgerRow], report: ImportReport, *, user, now, progress):
    results = {r.row: r for r in report.results}
    all_or_nothing = not report.valid_only
    try:
        with transaction.atomic(), writes.deferred_writes() as pending:
            pending.preload_parties(
                [p.get("id_number") for plan in plans for p in plan.parties],
                [p.get("phone") for plan in plans for p in plan.parties],
            )
            for done, plan in enumerate(plans, start=1):
                try:
                    # A refusal by the services drops that row's writes only.
                    with pending.row():
                        case = replay(plan, actor=user, now=now)
                except (ValidationError, Refusal) as exc:
                    report.problems.extend(_service_problems(plan.row, exc))
                    results[plan.row].action = "invalid"
                else:
                    results[plan.row].number = case.number
                    results[plan.row].status = case.status
                if done % FLUSH_EVERY == 0:
                    pending.flush()
                if progress:
                    progress(done, len(plans))
            if report.dry_run or (all_or_nothing and report.errors):
                raise _Rollback
    except _Rollback:
        report.written = False
    else:
        report.written = True
    report.problems.sort(key=lambda p: (p.row, p.warning))
