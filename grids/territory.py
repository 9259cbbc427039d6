"""A whole territory from one XLSX workbook: a district, its subdistricts, communities, grids, and the
staff accounts with their roles and scopes (docs/deployment.md, "Setting up a district").

One sheet per kind (区, 街道, 社区, 网格, 人员; a 说明 sheet is ignored), a header row, one row per
thing. Every row is checked before anything is written (codes unique, parents in the file or the
database, roles known and importable, usernames free, phone and e-mail valid, no formula and no
control character); one problem refuses the whole file and names its sheet, row and column. A
file without problems is written in one transaction. Rows are matched by code (an account by
username): names are brought up to date, nothing is ever deleted, so a second import of the same
file changes nothing.

A new account gets no password at all (an unusable one) and must choose one: the import gives,
once, a link that sets it (Django's password-reset token: void once used, or after
PASSWORD_RESET_TIMEOUT). No password is ever in the workbook, on a screen or in a log.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from common import xlsx
from common.audit import audit, scope_of
from common.enums import AuditAction
from common.text import clean_text
from common.workbook import BoundedWorkbook

from .enums import DISTRICT_WIDE_ROLES, Role
from .models import Community, District, Grid, Subdistrict, User
from .services import MOBILE

# A district's territory and staff are a few hundred rows (tens of KB); far more is a wrong file.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# Codes go into case numbers and URLs: letters, digits, "-" and "_".
CODE = re.compile(r"[A-Za-z0-9_-]+")
# Several roles or grids in one cell: separated by any of these.
SEPARATORS = re.compile(r"[、,，;；\s]+")
# The roles an import gives. Mediators belong to a mediation organisation (set up with them on the
# mediators' pages) and administrators are made by hand: neither comes from a workbook.
IMPORTABLE_ROLES = (
    Role.DISTRICT_STAFF,
    Role.DISTRICT_LEADER,
    Role.CENTRE_STAFF,
    Role.LEADER,
    Role.COMMUNITY_STAFF,
    Role.GRID_WORKER,
)
SUBDISTRICT_ROLES = frozenset({Role.CENTRE_STAFF, Role.LEADER, Role.COMMUNITY_STAFF, Role.GRID_WORKER})


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool
    limit: int
    help: str
    example: str = ""


def _columns(*specs) -> tuple[Column, ...]:
    return tuple(Column(*spec) for spec in specs)


DISTRICT_COLUMNS = _columns(
    ("code", "区代码", True, 8, gettext_lazy("字母、数字、- 或 _，最长8位；已有的区按代码更新名称"), "EXQ"),
    ("name", "区名称", True, 64, gettext_lazy("全称，不与其他区重名"), "示例区"),
)
SUBDISTRICT_COLUMNS = _columns(
    ("code", "街道代码", True, 8, gettext_lazy("最长8位，案件编号以它开头（如 BHZ-2021-0042），定下后不再改"), "EXJD"),
    ("name", "街道名称", True, 64, gettext_lazy("全称，不与其他街道重名"), "示例街道"),
    ("district", "所属区代码", True, 8, gettext_lazy("本文件“区”表中的，或系统中已有的区"), "EXQ"),
)
COMMUNITY_COLUMNS = _columns(
    ("subdistrict", "所属街道代码", True, 8, gettext_lazy("本文件“街道”表中的，或系统中已有的街道"), "EXJD"),
    ("code", "社区代码", True, 16, gettext_lazy("最长16位，同一街道内不重复"), "EXSQ"),
    ("name", "社区名称", True, 64, gettext_lazy("同一街道内不重名"), "示例社区"),
)
GRID_COLUMNS = _columns(
    ("subdistrict", "所属街道代码", True, 8, gettext_lazy("网格所在社区的街道"), "EXJD"),
    ("community", "所属社区代码", True, 16, gettext_lazy("本文件“社区”表中的，或系统中已有的社区"), "EXSQ"),
    ("code", "网格代码", True, 24, gettext_lazy("最长24位，同一社区内不重复"), "EXSQ-01"),
    ("name", "网格名称", True, 64, gettext_lazy("如“示例社区第1网格”"), "示例社区第1网格"),
)
STAFF_COLUMNS = _columns(
    (
        "username",
        "用户名",
        True,
        150,
        gettext_lazy("登录名：字母、数字或 @ . + - _，不与已有账号重复（大小写视为相同）"),
        "example_leader",
    ),
    ("full_name", "姓名", True, 64, gettext_lazy("显示在页面与通知中"), "示例领导"),
    (
        "roles",
        "角色",
        True,
        200,
        gettext_lazy("区综治中心工作人员、区领导、综治中心工作人员、街道领导、社区干部、网格员；多个用顿号分隔"),
        "区领导",
    ),
    (
        "mobile",
        "手机号码",
        False,
        11,
        gettext_lazy("11位，以1开头；留空则不发短信（已有账号留空则不改）"),
        "13800000000",
    ),
    ("email", "电子邮箱", False, 254, gettext_lazy("留空则不发邮件（已有账号留空则不改）"), ""),
    ("district", "区代码", False, 8, gettext_lazy("区综治中心工作人员、区领导填写（其他角色留空）"), "EXQ"),
    ("subdistrict", "街道代码", False, 8, gettext_lazy("街道、社区、网格的人员填写"), ""),
    ("community", "社区代码", False, 16, gettext_lazy("社区干部、网格员填写"), ""),
    ("grids", "网格代码", False, 1000, gettext_lazy("网格员填写：该社区内负责的网格，多个用顿号分隔"), ""),
)

DISTRICTS, SUBDISTRICTS, COMMUNITIES, GRIDS, STAFF = "区", "街道", "社区", "网格", "人员"
NOTES = "说明"
SHEETS = {
    DISTRICTS: DISTRICT_COLUMNS,
    SUBDISTRICTS: SUBDISTRICT_COLUMNS,
    COMMUNITIES: COMMUNITY_COLUMNS,
    GRIDS: GRID_COLUMNS,
    STAFF: STAFF_COLUMNS,
}


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = self.sheet + (_("第%(row)s行") % {"row": self.row} if self.row else "")
        return f"{where}{f'“{self.column}”' if self.column else ''}：{self.message}"


@dataclass
class Change:
    sheet: str
    row: int
    action: str  # "create", "update" or "unchanged"
    label: str
    fields: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    """What an import found (problems), did or would do (changes), and, written, the new accounts' links."""

    problems: list[Problem] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    written: bool = False
    # (username, full name, path of the link that sets the password), for new accounts only.
    links: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def pending(self) -> int:
        """How many rows would create or change something (0: the file matches what is stored)."""
        return sum(change.action != "unchanged" for change in self.changes)

    def counts(self) -> list[tuple[str, int, int, int]]:
        """(sheet, created, updated, unchanged) per sheet, in the workbook's order."""
        tally = defaultdict(lambda: {"create": 0, "update": 0, "unchanged": 0})
        for change in self.changes:
            tally[change.sheet][change.action] += 1
        return [(sheet, tally[sheet]["create"], tally[sheet]["update"], tally[sheet]["unchanged"]) for sheet in SHEETS]


class _Rows:
    """One sheet's rows as {key: text}, with the problems of their cells."""

    def __init__(self, sheet_name: str, columns: tuple[Column, ...], problems: list[Problem]):
        self.sheet, self.columns, self.problems = sheet_name, columns, problems
        # (row number, {key: text}, whether a cell of it was refused: then its other cells are kept
        # only so that what names it elsewhere in the file is not reported missing as well).
        self.rows: list[tuple[int, dict[str, str], bool]] = []
        self.missing = False

    def problem(self, row: int | None, key: str, message: str) -> None:
        header = next((c.header for c in self.columns if c.key == key), key)
        self.problems.append(Problem(self.sheet, row, header, message))


def _fold(header) -> str:
    return re.sub(r"[\s*＊]|（必填）|\(必填\)", "", str(header or ""))


def _text(value, column: Column, where: _Rows, row: int) -> str | None:
    """The cell as text, or None (its problem recorded)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        where.problem(row, column.key, _("应填写文字，不是逻辑值。"))
        return None
    if isinstance(value, int):
        value = str(value)
    elif isinstance(value, float):
        value = str(int(value)) if value.is_integer() else str(value)
    elif not isinstance(value, str):
        where.problem(row, column.key, _("应填写文字，不是日期或其他类型。"))
        return None
    try:
        value = clean_text(value, field=column.header).strip()
    except ValidationError as exc:
        where.problem(row, column.key, exc.messages[0])
        return None
    if len(value) > column.limit:
        where.problem(row, column.key, _("不能超过%(limit)s个字符。") % {"limit": column.limit})
        return None
    return value


def read_workbook(source) -> tuple[dict[str, _Rows], list[Problem]]:
    """Every sheet's rows, within the bounded reader's limits (WorkbookFileError for a file that cannot
    be read at all); a cell that holds a formula, a control character or the wrong type is a problem."""
    book = BoundedWorkbook(source)
    problems: list[Problem] = []
    sheets = {}
    try:
        for name, columns in SHEETS.items():
            rows = _Rows(name, columns, problems)
            sheets[name] = rows
            if name not in book.sheetnames:
                rows.missing = True
                problems.append(
                    Problem(name, None, "", _("缺少工作表“%(name)s”（请使用下载的模板）。") % {"name": name})
                )
                continue
            sheet = book[name]
            positions, cursor = None, 0
            for number, values in sheet.rows():
                # The sheet's formulas are noted as its rows are parsed, in order: this row's are the last.
                formulas = set()
                while cursor < len(sheet.formulas) and sheet.formulas[cursor][0] <= number:
                    if sheet.formulas[cursor][0] == number:
                        formulas.add(sheet.formulas[cursor][1] - 1)
                    cursor += 1
                if positions is None:
                    positions = _header(values, rows, number)
                    if positions is None:
                        break
                    continue
                record, bad = {}, False
                for column in columns:
                    index = positions.get(column.key)
                    if index is not None and index in formulas:
                        rows.problem(
                            number, column.key, _("单元格含公式：请填写文字或数值本身（复制后“选择性粘贴 → 值”）。")
                        )
                        bad = True
                        continue
                    raw = values[index] if index is not None and index < len(values) else None
                    text = _text(raw, column, rows, number)
                    bad |= text is None
                    record[column.key] = text or ""
                if not bad and not any(record.values()):
                    continue
                rows.rows.append((number, record, bad))
    finally:
        book.close()
    return sheets, problems


def _header(values, rows: _Rows, number: int) -> dict[str, int] | None:
    found = {_fold(value): i for i, value in enumerate(values) if value is not None}
    positions = {}
    for column in rows.columns:
        if column.header in found:
            positions[column.key] = found[column.header]
        elif column.required:
            rows.problem(number, column.key, _("缺少这一列的表头。"))
    if any(c.required and c.key not in positions for c in rows.columns):
        return None
    return positions


class _Planner:
    """Checks every row against the file and the database, and says what each would do."""

    def __init__(self, sheets: dict[str, _Rows], problems: list[Problem]):
        self.sheets, self.problems = sheets, problems
        self.changes: list[Change] = []
        self.districts: dict[str, dict] = {}
        self.subdistricts: dict[str, dict] = {}
        self.communities: dict[tuple[str, str], dict] = {}
        self.grids: dict[tuple[str, str, str], dict] = {}
        self.staff: dict[str, dict] = {}
        self.by_key: dict[str, dict] = {}
        # Whether a code the file names is in the database, asked once per code.
        self.known_codes: dict[str, dict[str, bool]] = {DISTRICTS: {}, SUBDISTRICTS: {}}
        self.bad_rows: set[tuple[str, int]] = set()

    def run(self) -> None:
        self._districts()
        self._subdistricts()
        self._communities()
        self._grids()
        self._staff()

    def _valid_rows(self, sheet: str):
        for number, record, bad in self.sheets[sheet].rows:
            if not bad:
                yield number, record

    @staticmethod
    def _key(sheet: str, record: dict):
        return {
            DISTRICTS: lambda r: r["code"],
            SUBDISTRICTS: lambda r: r["code"],
            COMMUNITIES: lambda r: (r["subdistrict"], r["code"]),
            GRIDS: lambda r: (r["subdistrict"], r["community"], r["code"]),
            STAFF: lambda r: r["username"].lower(),
        }[sheet](record)

    def _refused(self, sheet: str, key) -> bool:
        """Whether a row of the file names `key` but was refused (or its sheet is missing): what depends
        on it is then not reported as well, so that each mistake is listed once, where it is."""
        if self.sheets[sheet].missing:
            return True
        if sheet not in self.by_key:
            self.by_key[sheet] = {self._key(sheet, r): (n, bad) for n, r, bad in self.sheets[sheet].rows}
        found = self.by_key[sheet].get(key)
        return found is not None and (found[1] or (sheet, found[0]) in self.bad_rows)

    def _problem(self, sheet, row, key, message):
        self.bad_rows.add((sheet, row))
        self.sheets[sheet].problem(row, key, message)

    def _code(self, sheet, row, key, value) -> bool:
        if not CODE.fullmatch(value):
            self._problem(sheet, row, key, _("代码只能由字母、数字、- 或 _ 组成。"))
            return False
        return True

    def _required(self, sheet, row, record) -> bool:
        missing = [c for c in SHEETS[sheet] if c.required and not record[c.key]]
        for column in missing:
            self._problem(sheet, row, column.key, _("必填，不能为空。"))
        return not missing

    def _change(self, sheet, row, existing: dict | None, wanted: dict, label: str) -> None:
        """`existing`: the stored row's values of the fields in `wanted`, or None for a new one."""
        if existing is None:
            self.changes.append(Change(sheet, row, "create", label))
            return
        changed = [name for name, value in wanted.items() if existing[name] != value]
        self.changes.append(Change(sheet, row, "update" if changed else "unchanged", label, changed))

    @staticmethod
    def _named(existing) -> dict | None:
        return None if existing is None else {"name": existing.name}

    # The territory, top down: each level's parents are known before it is read.

    def _districts(self):
        rows = list(self._valid_rows(DISTRICTS))
        existing = {d.code: d for d in District.objects.filter(code__in=[r["code"] for _n, r in rows])}
        names = dict(District.objects.filter(name__in=[r["name"] for _n, r in rows]).values_list("name", "code"))
        seen_names = {}
        for number, record in rows:
            if not self._required(DISTRICTS, number, record) or not self._code(
                DISTRICTS, number, "code", record["code"]
            ):
                continue
            code, name = record["code"], record["name"]
            if code in self.districts:
                self._duplicate(DISTRICTS, number, "code", self.districts[code]["row"])
                continue
            if not self._name_free(DISTRICTS, number, name, code, names, seen_names):
                continue
            self.districts[code] = {"row": number, "name": name, "object": existing.get(code)}
            self._change(DISTRICTS, number, self._named(existing.get(code)), {"name": name}, f"{code} {name}")

    def _duplicate(self, sheet, number, key, first_row):
        self._problem(sheet, number, key, _("与第%(row)s行重复。") % {"row": first_row})

    def _name_free(self, sheet, number, name, code, names_in_db, seen, *, scope=None) -> bool:
        key = (scope, name)
        if key in seen:
            self._problem(sheet, number, "name", _("名称与第%(row)s行重复。") % {"row": seen[key]})
            return False
        seen[key] = number
        holder = names_in_db.get(name if scope is None else (scope, name))
        if holder is not None and holder != code:
            self._problem(sheet, number, "name", _("名称已被代码为 %(code)s 的另一条记录使用。") % {"code": holder})
            return False
        return True

    def _district_known(self, code: str) -> bool:
        if code not in self.known_codes[DISTRICTS]:
            self.known_codes[DISTRICTS][code] = District.objects.filter(code=code).exists()
        return code in self.districts or self.known_codes[DISTRICTS][code]

    def _subdistrict_known(self, code: str) -> bool:
        if code not in self.known_codes[SUBDISTRICTS]:
            self.known_codes[SUBDISTRICTS][code] = Subdistrict.objects.filter(code=code).exists()
        return code in self.subdistricts or self.known_codes[SUBDISTRICTS][code]

    def _subdistricts(self):
        rows = list(self._valid_rows(SUBDISTRICTS))
        existing = {
            s.code: s
            for s in Subdistrict.objects.filter(code__in=[r["code"] for _n, r in rows]).select_related("district")
        }
        names = dict(Subdistrict.objects.filter(name__in=[r["name"] for _n, r in rows]).values_list("name", "code"))
        known_districts = set(self.districts) | set(
            District.objects.filter(code__in=[r["district"] for _n, r in rows]).values_list("code", flat=True)
        )
        seen_names = {}
        for number, record in rows:
            if not self._required(SUBDISTRICTS, number, record):
                continue
            code, name, district = record["code"], record["name"], record["district"]
            if not self._code(SUBDISTRICTS, number, "code", code):
                continue
            if code in self.subdistricts:
                self._duplicate(SUBDISTRICTS, number, "code", self.subdistricts[code]["row"])
                continue
            if district not in known_districts:
                self._problem(
                    SUBDISTRICTS, number, "district", _("区 %(code)s 不在本文件中，系统中也没有。") % {"code": district}
                )
                continue
            if not self._name_free(SUBDISTRICTS, number, name, code, names, seen_names):
                continue
            current = existing.get(code)
            if current is not None and current.district is not None and current.district.code != district:
                self._problem(
                    SUBDISTRICTS,
                    number,
                    "district",
                    _("该街道已属于区 %(code)s，导入不会把街道移到另一个区。") % {"code": current.district.code},
                )
                continue
            self.subdistricts[code] = {"row": number, "name": name, "district": district, "object": current}
            stored = None
            if current is not None:
                stored = {"name": current.name, "district": current.district.code if current.district else None}
            self._change(SUBDISTRICTS, number, stored, {"name": name, "district": district}, f"{code} {name}")

    def _subdistrict_codes_known(self, codes) -> set[str]:
        return set(self.subdistricts) | set(Subdistrict.objects.filter(code__in=codes).values_list("code", flat=True))

    def _communities(self):
        rows = list(self._valid_rows(COMMUNITIES))
        known = self._subdistrict_codes_known({r["subdistrict"] for _n, r in rows})
        in_db = Community.objects.filter(subdistrict__code__in=known).select_related("subdistrict")
        existing = {(c.subdistrict.code, c.code): c for c in in_db}
        names = {(c.subdistrict.code, c.name): c.code for c in in_db}
        seen_names = {}
        for number, record in rows:
            if not self._required(COMMUNITIES, number, record):
                continue
            parent, code, name = record["subdistrict"], record["code"], record["name"]
            if not self._code(COMMUNITIES, number, "code", code):
                continue
            key = (parent, code)
            if key in self.communities:
                self._duplicate(COMMUNITIES, number, "code", self.communities[key]["row"])
                continue
            if parent not in known and self._refused(SUBDISTRICTS, parent):
                continue
            if parent not in known:
                self._problem(
                    COMMUNITIES,
                    number,
                    "subdistrict",
                    _("街道 %(code)s 不在本文件中，系统中也没有。") % {"code": parent},
                )
                continue
            if not self._name_free(COMMUNITIES, number, name, code, names, seen_names, scope=parent):
                continue
            self.communities[key] = {"row": number, "name": name, "object": existing.get(key)}
            self._change(COMMUNITIES, number, self._named(existing.get(key)), {"name": name}, f"{parent}/{code} {name}")
        self.community_objects = existing

    def _community_known(self, key) -> bool:
        return key in self.communities or key in self.community_objects

    def _grids(self):
        rows = list(self._valid_rows(GRIDS))
        self.grid_objects = {
            (g.community.subdistrict.code, g.community.code, g.code): g
            for g in Grid.objects.filter(
                community__subdistrict__code__in={r["subdistrict"] for _n, r in rows} | set(self.subdistricts)
            ).select_related("community__subdistrict")
        }
        for number, record in rows:
            if not self._required(GRIDS, number, record):
                continue
            parent = (record["subdistrict"], record["community"])
            code, name = record["code"], record["name"]
            if not self._code(GRIDS, number, "code", code):
                continue
            key = (*parent, code)
            if key in self.grids:
                self._duplicate(GRIDS, number, "code", self.grids[key]["row"])
                continue
            if not self._community_known(parent) and self._refused(COMMUNITIES, parent):
                continue
            if not self._community_known(parent):
                self._problem(
                    GRIDS,
                    number,
                    "community",
                    _("街道 %(subdistrict)s 的社区 %(code)s 不在本文件中，系统中也没有。")
                    % {"subdistrict": parent[0], "code": parent[1]},
                )
                continue
            self.grids[key] = {"row": number, "name": name, "object": self.grid_objects.get(key)}
            label = f"{'/'.join(parent)}/{code} {name}"
            self._change(GRIDS, number, self._named(self.grid_objects.get(key)), {"name": name}, label)

    # The people

    def _staff(self):
        rows = list(self._valid_rows(STAFF))
        lowered = {r["username"].lower() for _n, r in rows}
        existing = {
            u.username.lower(): u
            for u in User.objects.annotate(folded=Lower("username"))
            .filter(folded__in=lowered)
            .select_related("district", "subdistrict", "community__subdistrict")
            .prefetch_related(Prefetch("grids", queryset=Grid.objects.select_related("community__subdistrict")))
        }
        # A role by its value, or by its name as the template writes it (Chinese) or as this reader's
        # language shows it: the workbook does not change with the language of the page it is sent from.
        labels = {value: value for value in Role.values} | {str(label): value for value, label in Role.choices}
        with translation.override("zh-hans"):
            labels |= {str(label): value for value, label in Role.choices}
        for number, record in rows:
            if not self._required(STAFF, number, record):
                continue
            entry = self._account(number, record, existing, labels)
            if entry is not None:
                self.staff[record["username"].lower()] = entry

    def _account(self, number, record, existing, labels) -> dict | None:
        username = record["username"]
        folded = username.lower()
        problem = lambda key, message: self._problem(STAFF, number, key, message)  # noqa: E731
        try:
            UnicodeUsernameValidator()(username)
        except ValidationError:
            problem("username", _("用户名只能包含字母、数字和 @ . + - _。"))
            return None
        if folded in self.staff:
            self._duplicate(STAFF, number, "username", self.staff[folded]["row"])
            return None
        current = existing.get(folded)
        if current is not None and current.username != username:
            problem("username", _("已有账号 %(name)s，与它只差大小写。") % {"name": current.username})
            return None
        if current is not None and (current.is_staff or current.is_superuser or current.has_role(Role.ADMINISTRATOR)):
            problem("username", _("这是管理员账号，不能通过导入修改。"))
            return None
        roles, ok = [], True
        for token in filter(None, SEPARATORS.split(record["roles"])):
            role = labels.get(token)
            if role is None:
                problem("roles", _("未知角色“%(role)s”。") % {"role": token})
                ok = False
            elif role not in IMPORTABLE_ROLES:
                problem(
                    "roles", _("“%(role)s”不能通过导入设置（调解员随调解组织添加，管理员手工设置）。") % {"role": token}
                )
                ok = False
            elif role not in roles:
                roles.append(role)
        if not roles and ok:
            problem("roles", _("必填，不能为空。"))
        mobile, email = record["mobile"], record["email"]
        if mobile and not MOBILE.fullmatch(mobile):
            problem("mobile", _("手机号码为 11 位数字，以 1 开头。"))
            ok = False
        if email:
            try:
                EmailValidator()(email)
            except ValidationError:
                problem("email", _("请填写有效的电子邮箱地址。"))
                ok = False
        if not ok or not roles:
            return None
        scope = self._scope(number, record, roles)
        if scope is None:
            return None
        entry = {"row": number, "record": record, "roles": roles, "object": current, **scope}
        label = f"{username} {record['full_name']}"
        if current is None:
            self.changes.append(Change(STAFF, number, "create", label))
        else:
            kept = [r for r in current.roles or [] if r not in IMPORTABLE_ROLES]
            entry["roles"] = roles + [r for r in kept if r not in roles]
            before = (
                current.full_name,
                current.mobile if not mobile else mobile,
                current.email if not email else email,
                sorted(current.roles or []),
                current.district.code if current.district_id else "",
                current.subdistrict.code if current.subdistrict_id else "",
                (current.subdistrict.code, current.community.code) if current.community_id else None,
                sorted((g.community.subdistrict.code, g.community.code, g.code) for g in current.grids.all()),
            )
            after = (
                record["full_name"],
                mobile or current.mobile,
                email or current.email,
                sorted(entry["roles"]),
                scope["district"] or "",
                scope["subdistrict"] or "",
                scope["community"],
                sorted(scope["grids"]),
            )
            action = "unchanged" if before == after else "update"
            self.changes.append(Change(STAFF, number, action, label))
            entry["unchanged"] = action == "unchanged"
        return entry

    def _scope(self, number, record, roles) -> dict | None:
        """Where each role works: the district for district staff and leaders; the subdistrict for the
        rest; the community for community staff and grid workers; the grids for grid workers."""
        problem = lambda key, message: self._problem(STAFF, number, key, message)  # noqa: E731
        district, subdistrict = record["district"], record["subdistrict"]
        community, grid_cell = record["community"], record["grids"]
        wide = [r for r in roles if r in DISTRICT_WIDE_ROLES]
        local = [r for r in roles if r in SUBDISTRICT_ROLES]
        if wide and local:
            problem("roles", _("区级角色与街道、社区、网格的角色不能同属一个账号。"))
            return None
        if wide:
            if not district:
                problem("district", _("区综治中心工作人员、区领导须填写区代码。"))
                return None
            if subdistrict or community or grid_cell:
                problem("subdistrict", _("区级账号不填写街道、社区、网格代码。"))
                return None
            if not self._district_known(district):
                if self._refused(DISTRICTS, district):
                    return None
                problem("district", _("区 %(code)s 不在本文件中，系统中也没有。") % {"code": district})
                return None
            return {"district": district, "subdistrict": None, "community": None, "grids": []}
        if district:
            problem("district", _("只有区级账号填写区代码（街道的人员由街道代码确定所属的区）。"))
            return None
        if not subdistrict:
            problem("subdistrict", _("街道、社区、网格的人员须填写街道代码。"))
            return None
        if not self._subdistrict_known(subdistrict):
            if self._refused(SUBDISTRICTS, subdistrict):
                return None
            problem("subdistrict", _("街道 %(code)s 不在本文件中，系统中也没有。") % {"code": subdistrict})
            return None
        needs_community = Role.COMMUNITY_STAFF in roles or Role.GRID_WORKER in roles
        if needs_community and not community:
            problem("community", _("社区干部、网格员须填写社区代码。"))
            return None
        if community and not needs_community:
            problem("community", _("只有社区干部、网格员填写社区代码。"))
            return None
        if community and not self._community_known((subdistrict, community)):
            if self._refused(COMMUNITIES, (subdistrict, community)):
                return None
            problem(
                "community",
                _("街道 %(subdistrict)s 的社区 %(code)s 不在本文件中，系统中也没有。")
                % {"subdistrict": subdistrict, "code": community},
            )
            return None
        codes = [c for c in SEPARATORS.split(grid_cell) if c]
        if Role.GRID_WORKER in roles and not codes:
            problem("grids", _("网格员须填写负责的网格代码。"))
            return None
        if codes and Role.GRID_WORKER not in roles:
            problem("grids", _("只有网格员填写网格代码。"))
            return None
        grids = []
        for code in codes:
            key = (subdistrict, community, code)
            if key not in self.grids and key not in self.grid_objects and self._refused(GRIDS, key):
                return None
            if key not in self.grids and key not in self.grid_objects:
                problem("grids", _("社区 %(community)s 没有网格 %(code)s。") % {"community": community, "code": code})
                return None
            if key not in grids:
                grids.append(key)
        return {
            "district": None,
            "subdistrict": subdistrict,
            "community": (subdistrict, community) if Role.COMMUNITY_STAFF in roles else None,
            "grids": grids,
        }


def _write(plan: _Planner, actor) -> list[tuple[str, str, str]]:
    districts = {}
    for code, entry in plan.districts.items():
        districts[code] = _upsert(District, entry["object"], code=code, name=entry["name"])
    subdistricts = {}
    for code, entry in plan.subdistricts.items():
        parent = districts.get(entry["district"]) or District.objects.get(code=entry["district"])
        subdistricts[code] = _upsert(Subdistrict, entry["object"], code=code, name=entry["name"], district_id=parent.pk)

    def subdistrict(code):
        if code not in subdistricts:
            subdistricts[code] = Subdistrict.objects.get(code=code)
        return subdistricts[code]

    communities = dict(plan.community_objects)
    for (parent, code), entry in plan.communities.items():
        communities[(parent, code)] = _upsert(
            Community, entry["object"], subdistrict_id=subdistrict(parent).pk, code=code, name=entry["name"]
        )
    grids = dict(plan.grid_objects)
    for (sub, comm, code), entry in plan.grids.items():
        grids[(sub, comm, code)] = _upsert(
            Grid, entry["object"], community_id=communities[(sub, comm)].pk, code=code, name=entry["name"]
        )

    def district(code):
        if code not in districts:
            districts[code] = District.objects.get(code=code)
        return districts[code]

    links = []
    for entry in plan.staff.values():
        if entry.get("unchanged"):
            continue
        record, user = entry["record"], entry["object"]
        before = scope_of(user) if user is not None else None
        created = user is None
        if created:
            user = User(username=record["username"], must_change_password=True)
            user.set_unusable_password()
        user.full_name = record["full_name"]
        user.mobile = record["mobile"] or user.mobile
        user.email = record["email"] or user.email
        user.roles = entry["roles"]
        user.district = district(entry["district"]) if entry["district"] else None
        user.subdistrict = subdistrict(entry["subdistrict"]) if entry["subdistrict"] else None
        user.community = communities[entry["community"]] if entry["community"] else None
        user.save()
        user.grids.set([grids[key] for key in entry["grids"]])
        after = scope_of(user)
        if before != after:
            detail = {"user": user.get_username(), "before": before, "after": after, "via": "territory_import"}
            audit(AuditAction.ROLES_CHANGED, actor=actor, target=f"user:{user.pk}", detail=detail)
        if created:
            links.append((user.username, user.full_name, password_set_path(user)))
    return links


def _upsert(model, current, **values):
    if current is None:
        return model.objects.create(**values)
    changed = [name for name, value in values.items() if getattr(current, name) != value]
    for name in changed:
        setattr(current, name, values[name])
    if changed:
        current.save(update_fields=[name.removesuffix("_id") if name.endswith("_id") else name for name in changed])
    return current


def password_set_path(user) -> str:
    """The one-time link that lets a new account choose its password (void once used)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("grids:password_set", args=[uid, default_token_generator.make_token(user)])


def import_territory(source, *, actor=None, dry_run: bool = False, progress=None) -> Outcome:
    """Check the workbook and, unless `dry_run` or anything is wrong, write it in one transaction.
    WorkbookFileError when the file cannot be read at all (not an XLSX, over the reader's limits)."""
    say = progress or (lambda message: None)
    say(_("读取工作簿……"))
    sheets, problems = read_workbook(source)
    say(", ".join(f"{name} {len(rows.rows)}" for name, rows in sheets.items()))
    outcome = Outcome(problems=problems)
    try:
        with transaction.atomic():
            plan = _Planner(sheets, problems)
            say(_("逐行检查……"))
            plan.run()
            outcome.changes = sorted(plan.changes, key=lambda c: (list(SHEETS).index(c.sheet), c.row))
            outcome.problems = sorted(problems, key=lambda p: (list(SHEETS).index(p.sheet), p.row or 0, p.column))
            if outcome.problems or dry_run:
                return outcome
            say(_("写入……"))
            outcome.links = _write(plan, actor)
            outcome.written = True
    except IntegrityError:
        # Another import (or an administrator) wrote the same code between the check and the write.
        outcome.written, outcome.links = False, []
        outcome.problems = [Problem("", None, "", _("导入时数据被同时修改，未写入任何内容；请重新导入。"))]
    return outcome


def write_template(target) -> None:
    """The workbook to fill in: each sheet's headers, one example row that imports as it is, and 说明."""
    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for name, columns in SHEETS.items():
        sheet = book.create_sheet(name)
        for index, column in enumerate(columns, 1):
            xlsx.put(sheet, 1, index, column.header + ("*" if column.required else ""), font=bold)
            xlsx.put(sheet, 2, index, column.example or None)
            sheet.column_dimensions[get_column_letter(index)].width = max(12, len(column.header) * 3)
    notes = book.create_sheet(NOTES)
    xlsx.put(notes, 1, 1, _("工作表"), font=bold)
    xlsx.put(notes, 1, 2, _("列"), font=bold)
    xlsx.put(notes, 1, 3, _("说明"), font=bold)
    line = 2
    general = [
        _("每个工作表第1行为表头（带 * 的列必填），从第2行起每行一条；第2行是示例，可直接导入，也可改写或删除。"),
        _(
            "按代码匹配已有的区、街道、社区、网格（账号按用户名）：只新建或更新名称，从不删除；同一文件导入两次，第二次不作改动。"
        ),
        _("任一行有误则整个文件不导入；先“试导入”查看将新建、更新的内容和错误清单（工作表、行、列、原因）。"),
        _(
            "新账号没有密码：导入后为每个新账号给出一次性的设置密码链接，请当面或经可靠渠道交给本人；工作簿中不填写任何密码。"
        ),
        _("不要使用公式：含公式的单元格会被拒绝。"),
    ]
    for text in general:
        xlsx.put(notes, line, 3, text)
        line += 1
    for name, columns in SHEETS.items():
        for column in columns:
            xlsx.put(notes, line, 1, name)
            xlsx.put(notes, line, 2, column.header)
            xlsx.put(notes, line, 3, str(column.help))
            line += 1
    notes.column_dimensions["C"].width = 90
    book.save(target)
