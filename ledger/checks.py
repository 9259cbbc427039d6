"""Checking one ledger row: every cell read tolerantly, every problem named by row and column,
and the row resolved to the territory, category and mediators the services take."""

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from casework.enums import CONCLUDED, CaseStatus, Guidance, Level, PartyKind, PartyRole, Referral, Risk, Source
from casework.models import Category
from casework.personal_data import mask_id_number, mask_phone, validate_id_number, validate_mobile
from common.text import clean_text
from grids.models import Community
from mediation.enums import AgreementForm, FollowUpMethod
from mediation.models import Mediator

from .layout import (
    COLUMN_BY_KEY,
    COLUMNS,
    COMMITTEE_SEALED_WORDS,
    DATE_KEYS,
    MARK_WORDS,
    MEDIATOR_SIGNED_WORDS,
    OUTCOME_WORDS,
    PARTICULAR_WORDS,
    SEX_WORDS,
    fold,
    parse_date,
)

S = CaseStatus


@dataclass
class Problem:
    row: int  # the spreadsheet's own row number
    column: str  # the header as the layout names it; "" for the row as a whole
    message: str
    warning: bool = False


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
    facts: str = ""
    disputed_matters: str = ""
    responsibilities: str = ""
    # The signing: party names with their mark, and whether the mediator signed and the committee sealed.
    signing: dict = field(default_factory=dict)
    concluded_on: dt.date | None = None
    reason: str = ""
    route: str = ""
    follow_ups: list[FollowUp] = field(default_factory=list)
    closed_on: dt.date | None = None


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
        # The organisations' 回避 declarations too: each assignment checks them without a query.
        for mediator in Mediator.objects.select_related("organization").prefetch_related("organization__conflicts"):
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
        self.row, self.problems = row, []
        self.cells = self._text(cells)
        values = {key: self._value(key) for key in COLUMN_BY_KEY}
        for column in COLUMNS:
            if column.required and fold(cells.get(column.key)) == "":
                self.error(column.key, _("“%(column)s”不能为空。") % {"column": column.header})
        ref = values["ref"]
        if ref and len(ref) > 64:
            self.error("ref", _("案件编号不能超过64个字符。"))
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
            facts=values["facts"] or "",
            disputed_matters=values["disputed_matters"] or "",
            responsibilities=values["responsibilities"] or "",
            signing=self._signing(values["signing"] or "", parties),
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

    def _text(self, cells: dict[str, object]) -> dict[str, object]:
        """Text cells through common.text, like a form's fields: a cell holding a control character
        is a problem naming its column (and reads as empty, so that it is not reported twice)."""
        cleaned = {}
        for key, raw in cells.items():
            if isinstance(raw, str):
                try:
                    raw = clean_text(raw, field=COLUMN_BY_KEY[key].header)
                except ValidationError as exc:
                    self.error(key, exc.messages[0])
                    raw = None
            cleaned[key] = raw
        return cleaned

    def _value(self, key: str):
        raw = self.cells.get(key)
        if key in DATE_KEYS:
            try:
                day = parse_date(raw)
            except (ValueError, OverflowError):
                self.error(
                    key,
                    _("无法识别的日期“%(raw)s”，请写作 2021-03-05、2021/3/5、2021年3月5日 或 20210305。")
                    % {"raw": raw},
                )
                return None
            # What happened cannot be later than today; a performance deadline (履行期限) may be.
            if day and day > self.today and key != "performance_deadline":
                self.error(key, _("日期%(day)s晚于今天。") % {"day": day.isoformat()})
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
            self.error("community", _("社区“%(text)s”不在本街道。") % {"text": text})
        return community

    def _grid(self, text, community):
        if not text or community is None:
            return None
        grid = self.reference.grids[community.pk].get(_compact(text))
        if grid is None:
            if self.reference.grid_anywhere(text):
                self.error(
                    "grid", _("网格“%(text)s”不属于“%(community)s”。") % {"text": text, "community": community.name}
                )
            else:
                self.error(
                    "grid", _("“%(community)s”下没有网格“%(text)s”。") % {"community": community.name, "text": text}
                )
        return grid

    def _category(self, text):
        if not text:
            return None
        category = self.reference.categories.get(_compact(text))
        if category is None:
            self.error("category", _("未知的纠纷类别“%(text)s”。") % {"text": text})
        elif not category.active:
            self.error("category", _("纠纷类别“%(category)s”已停用。") % {"category": category.name})
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
            self.error(key, _("“%(text)s”不是可选的值（%(choices)s）。") % {"text": text, "choices": choices})
        return value

    def _parties(self, text: str) -> list[dict]:
        parties = []
        entries = [e.strip() for e in re.split(r"[;\n]+", fold(text)) if e.strip()]
        for n, entry in enumerate(entries, start=1):
            match = _ROLE.match(entry)
            if not match:
                self.error(
                    "parties",
                    _("第%(n)s名当事人“%(entry)s”应以“申请人:”或“被申请人:”开头。") % {"n": n, "entry": entry[:30]},
                )
                continue
            role_word, kind_word, rest = match.groups()
            fields = [f.strip() for f in re.split(r"[,、]", rest)]
            name = fields[0]
            label = _("第%(n)s名当事人“%(name)s”") % {"n": n, "name": name} if name else _("第%(n)s名当事人") % {"n": n}
            if not name:
                self.error("parties", _("%(label)s缺少姓名或名称。") % {"label": label})
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
                    self.warn(
                        "parties",
                        _("%(label)s的“%(token)s”已脱敏，不作为个人信息导入。") % {"label": label, "token": token},
                    )
                elif "=" in token:
                    self._particular(party, label, token)
                elif _ID_LIKE.match(token) and len(token) >= 15:
                    party["id_number"] = self._personal(label, token.upper(), validate_id_number, mask_id_number)
                elif _DIGITS.match(token) or token.startswith("+86"):
                    if party["phone"]:
                        self.error("parties", _("%(label)s填写了多个手机号码。") % {"label": label})
                    party["phone"] = self._personal(label, token.removeprefix("+86"), validate_mobile, mask_phone)
                else:
                    address.append(item)
            party["address"] = "，".join(address)[:200]
            parties.append(party)
        if entries and not any(p["role"] == PartyRole.APPLICANT for p in parties):
            self.error("parties", _("至少需要一名申请人。"))
        return parties

    def _particular(self, party: dict, label, token: str) -> None:
        """A labelled particular of a party (民族=汉族, 性别=男, 出生=1980-01-01, 年龄=45, 法定代表人=…)."""
        key, _sep, value = token.partition("=")
        field_name = PARTICULAR_WORDS.get(key)
        if field_name == "sex":
            value = SEX_WORDS.get(value, "")
        elif field_name == "birth_date":
            try:
                value = parse_date(value).isoformat()
            except (ValueError, OverflowError, AttributeError):
                value = ""
        if not field_name or not value:
            self.error("parties", _("%(label)s的“%(token)s”无法识别。") % {"label": label, "token": token[:30]})
            return
        party[field_name] = value

    def _signing(self, text: str, parties: list[dict]) -> dict:
        """签署情况: “张三签名、李四按指印、调解员签名、调委会盖章”."""
        signing = {"marks": {}, "mediator_signed": False, "committee_sealed": False}
        names = {p["name"] for p in parties}
        for token in (t.strip() for t in re.split(r"[、,;\n]+", fold(text)) if t.strip()):
            if token in MEDIATOR_SIGNED_WORDS:
                signing["mediator_signed"] = True
            elif token in COMMITTEE_SEALED_WORDS:
                signing["committee_sealed"] = True
            else:
                word = next((w for w in MARK_WORDS if token.endswith(w)), None)
                name = token[: -len(word)] if word else ""
                if name in names:
                    signing["marks"][name] = MARK_WORDS[word]
                else:
                    message = _("“%(token)s”无法识别：应为当事人姓名加签名、盖章或按指印。")
                    self.error("signing", message % {"token": token[:30]})
        return signing

    def _personal(self, label, value, validator, mask) -> str:
        try:
            validator(value)
        except ValidationError as exc:
            # Masked: the report is kept with the upload and read by the centre, unlike the case page's reveal.
            self.error("parties", f"{label}：“{mask(value)}”{exc.messages[0]}")
            return ""
        return value

    def _mediators(self, text) -> list[Mediator]:
        found = []
        for name in (n for n in re.split(r"[、,;/\s]+", text or "") if n):
            candidates = self.reference.mediators.get(_compact(name), [])
            if not candidates:
                self.error("mediator", _("调解员“%(name)s”不在系统中，请先在调解员名册中登记。") % {"name": name})
            elif len(candidates) > 1:
                self.error(
                    "mediator",
                    _("系统中有%(count)s名调解员叫“%(name)s”，无法确定是哪一位。")
                    % {"count": len(candidates), "name": name},
                )
            elif not (candidates[0].active and candidates[0].available):
                self.error("mediator", _("调解员“%(name)s”目前不在册或暂不接案。") % {"name": name})
            else:
                found.append(candidates[0])
        return found

    def _record_date(self, key, parts, label) -> dt.date | None:
        """The date that opens a session or follow-up line, or None with the problem noted."""
        try:
            day = parse_date(parts[0])
        except ValueError:
            day = None
        if day is None:
            self.error(key, _("%(label)s的日期“%(value)s”无法识别。") % {"label": label, "value": parts[0]})
        return day

    def _sessions(self) -> list[Session]:
        sessions = []
        for n, parts in enumerate(_records(self.cells.get("sessions")), start=1):
            if len(parts) < 3 or not parts[1] or not "".join(parts[2:]).strip():
                self.error("sessions", _("第%(n)s条调解记录应写作“日期|地点|调解情况”。") % {"n": n})
                continue
            held_on = self._record_date("sessions", parts, _("第%(n)s条调解记录") % {"n": n})
            if held_on is None:
                continue
            sessions.append(Session(held_on, parts[1][:100], "|".join(parts[2:]).strip()))
        return sessions

    def _follow_ups(self) -> list[FollowUp]:
        follow_ups = []
        for n, parts in enumerate(_records(self.cells.get("follow_ups")), start=1):
            day = self._record_date("follow_ups", parts, _("第%(n)s条回访") % {"n": n})
            if day is None:
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
                self.error(
                    "follow_ups", _("第%(n)s条回访缺少满意度（1-5，或满意、基本满意、一般、不满意）。") % {"n": n}
                )
            if performed is None:
                self.error("follow_ups", _("第%(n)s条回访须注明“已履行”或“未履行”。") % {"n": n})
            if satisfaction is not None and performed is not None:
                follow_ups.append(FollowUp(day, method, satisfaction, performed, " ".join(notes)))
        return follow_ups

    def _status(self, text, mediators, sessions) -> str | None:
        if text:
            status = _lookup(OUTCOME_WORDS, text)
            if status is None:
                self.error(
                    "outcome",
                    _("无法识别的调解结果“%(text)s”（可填：%(choices)s）。")
                    % {"text": text, "choices": "、".join(OUTCOME_WORDS)},
                )
            return status
        # A blank outcome means the case is still under way: as far as the ledger's records go.
        if sessions:
            return S.MEDIATING
        return S.ASSIGNED if mediators else S.REPORTED

    def _consistency(self, plan: LedgerRow):
        """What the outcome requires of the other columns, and dates in a possible order."""
        status, registered = plan.status, plan.registered_on
        concluded = status in CONCLUDED
        mediated = status in (S.MEDIATING, S.AGREED, S.FAILED)
        word = self.cells.get("outcome") or CaseStatus(status).label
        if status in (S.ASSIGNED, S.MEDIATING, S.AGREED, S.FAILED) and not plan.mediators:
            if not self._value("mediator"):
                self.error("mediator", _("调解结果为“%(word)s”时须填写调解员。") % {"word": word})
        if status in (S.REPORTED, S.ACCEPTED, S.DECLINED) and plan.mediators:
            self.warn("mediator", _("调解结果为“%(word)s”，调解员不导入。") % {"word": word})
        if plan.sessions and status == S.ACCEPTED and plan.level == Level.SUBDISTRICT and not plan.mediators:
            # A case mediated at the community and escalated (上报) waits, accepted again, for the
            # subdistrict's mediator; the layout does not carry that step, so its sittings stay out.
            message = _("调解结果为“%(word)s”的案件（如上报街道后待分派）不导入调解记录。")
            self.warn("sessions", message % {"word": word})
            plan.sessions = []
        elif plan.sessions and not (mediated or (status == S.WITHDRAWN and plan.mediators)):
            self.error("sessions", _("调解结果为“%(word)s”的案件不应有调解记录。") % {"word": word})
        if concluded and not plan.sessions:
            self.error("sessions", _("调解结果为“%(word)s”时至少需要一条调解记录。") % {"word": word})
        if concluded and plan.concluded_on is None and not self._value_error("concluded_on"):
            self.error("concluded_on", _("调解结果为“%(word)s”时须填写办结日期。") % {"word": word})
        if status == S.AGREED and not plan.terms:
            self.error("terms", _("调解成功时须填写协议内容。"))
        if status != S.AGREED and plan.terms:
            self.warn("terms", _("只有调解成功的案件导入协议内容。"))
        if status == S.AGREED and plan.agreement_form == AgreementForm.WRITTEN:
            if not plan.performance_method:
                self.error("performance_method", _("书面协议须载明履行方式。"))
            if plan.performance_deadline is None:
                self.error("performance_deadline", _("书面协议须载明履行期限。"))
        if status in (S.DECLINED, S.WITHDRAWN, S.FAILED) and not plan.reason:
            self.error("reason", _("调解结果为“%(word)s”时须填写处理说明（理由）。") % {"word": word})
        if plan.route:
            words = REFERRAL_WORDS if status == S.DECLINED else GUIDANCE_WORDS if status == S.FAILED else None
            value = _lookup(words, plan.route) if words else None
            if value is None:
                self.error(
                    "route",
                    _("“%(route)s”不是调解结果为“%(word)s”时可填的引导途径。") % {"route": plan.route, "word": word},
                )
            plan.route = value or ""
        if plan.follow_ups and not concluded:
            self.error("follow_ups", _("调解结果为“%(word)s”的案件不应有回访。") % {"word": word})
        if plan.closed_on and not concluded:
            self.error("closed_on", _("调解结果为“%(word)s”的案件不能结案。") % {"word": word})
        if registered is None:
            return
        if plan.concluded_on and plan.concluded_on < registered:
            self.error(
                "concluded_on",
                _("办结日期%(concluded)s早于登记日期%(registered)s。")
                % {"concluded": plan.concluded_on.isoformat(), "registered": registered.isoformat()},
            )
            return
        end = plan.concluded_on if concluded else self.today
        for n, session in enumerate(plan.sessions, start=1):
            if not registered <= session.held_on <= end:
                self.error(
                    "sessions",
                    _("第%(n)s条调解记录的日期%(date)s不在登记日期与办结日期之间。")
                    % {"n": n, "date": session.held_on.isoformat()},
                )
        for n, follow_up in enumerate(plan.follow_ups, start=1):
            if plan.concluded_on and not plan.concluded_on <= follow_up.date <= self.today:
                self.error(
                    "follow_ups",
                    _("第%(n)s条回访的日期%(date)s早于办结日期。") % {"n": n, "date": follow_up.date.isoformat()},
                )
        if plan.performance_deadline and plan.concluded_on and plan.performance_deadline < plan.concluded_on:
            self.error("performance_deadline", _("履行期限不能早于办结（协议签订）日期。"))
        if plan.closed_on and plan.concluded_on:
            if plan.closed_on < plan.concluded_on:
                self.error("closed_on", _("结案日期不能早于办结日期。"))
            elif status == S.AGREED and not any(f.date <= plan.closed_on for f in plan.follow_ups):
                self.error("closed_on", _("调解成功的案件结案前至少需要一次回访。"))

    def _value_error(self, key) -> bool:
        header = COLUMN_BY_KEY[key].header
        return any(p.column == header and not p.warning for p in self.problems)
