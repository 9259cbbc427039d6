"""States, transitions and the other choices of a dispute case. A leaf module: imports nothing of ours."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseStatus(models.TextChoices):
    REPORTED = "reported", _("已登记")
    ACCEPTED = "accepted", _("已受理")
    DECLINED = "declined", _("不予受理")
    ASSIGNED = "assigned", _("已分派")
    MEDIATING = "mediating", _("调解中")
    AGREED = "agreed", _("调解成功")
    FAILED = "failed", _("调解不成")
    WITHDRAWN = "withdrawn", _("已撤回")
    CLOSED = "closed", _("已结案")


# The groups of states: every other module names these, never its own tuple of states.
TERMINAL = frozenset({CaseStatus.DECLINED, CaseStatus.WITHDRAWN, CaseStatus.CLOSED})
OPEN = frozenset(set(CaseStatus) - TERMINAL)
# States in which the conclusion deadline runs (accepted and not yet concluded); the deadline may be extended.
IN_MEDIATION = frozenset({CaseStatus.ACCEPTED, CaseStatus.ASSIGNED, CaseStatus.MEDIATING})
# A mediator holds the case (a concluded case waiting to be closed is the centre's): the "调解中"
# queue, a mediator's load.
WITH_MEDIATOR = frozenset({CaseStatus.ASSIGNED, CaseStatus.MEDIATING})
CONCLUDED = frozenset({CaseStatus.AGREED, CaseStatus.FAILED})
# Open and not yet concluded: reported or in mediation.
NOT_YET_CONCLUDED = frozenset(OPEN - CONCLUDED)
# An agreement's judicial-confirmation window (art. 33) runs in these: agreed, closed since or not.
JUDICIAL_WINDOW_STATES = frozenset({CaseStatus.AGREED, CaseStatus.CLOSED})
# Sessions are logged while mediating; follow-ups after a conclusion.
SESSION_STATES = frozenset({CaseStatus.MEDIATING})
FOLLOW_UP_STATES = frozenset({CaseStatus.AGREED, CaseStatus.FAILED, CaseStatus.CLOSED})

# The deadline that runs in each deadline-bearing state, by the DisputeCase field that holds it:
# acceptance, then conclusion, then (after an agreement) the follow-up, until the first follow-up.
DEADLINE_FIELDS = {
    CaseStatus.REPORTED: "accept_due",
    **dict.fromkeys(IN_MEDIATION, "conclude_due"),
    CaseStatus.AGREED: "follow_up_due",
}
DEADLINE_STATES = frozenset(DEADLINE_FIELDS)


def running_deadline(status: str, follow_up_count: int = 0) -> str | None:
    """The field of the one deadline running in `status` (accept_due, conclude_due, follow_up_due), or None.

    DisputeCase.current_due reads it; so does everything that needs the rule without a case object.
    """
    if status == CaseStatus.AGREED and follow_up_count:
        return None
    return DEADLINE_FIELDS.get(status)


class Transition(models.TextChoices):
    REGISTER = "register", _("登记")
    ACCEPT = "accept", _("受理")
    DECLINE = "decline", _("不予受理")
    ASSIGN = "assign", _("分派")
    REASSIGN = "reassign", _("改派")
    START = "start", _("开始调解")
    REACH_AGREEMENT = "reach_agreement", _("达成协议")
    FAIL = "fail", _("调解不成")
    ESCALATE = "escalate", _("上报街道")
    # The rung above the subdistrict: a case it could not settle (or cannot handle) goes to the district.
    REFER_DISTRICT = "refer_district", _("上报区")
    WITHDRAW = "withdraw", _("撤回")
    CLOSE = "close", _("结案")
    # 回避: the lead mediator declared a conflict; the case waits for a new lead.
    RECUSE = "recuse", _("回避退出")


class RecordKind(models.TextChoices):
    """Events that add a record to a case without changing its state."""

    SESSION = "session", _("调解记录")
    FOLLOW_UP = "follow_up", _("回访")
    EXTEND = "extend_deadline", _("延长办理期限")
    JUDICIAL_CONFIRMATION = "judicial_confirmation", _("司法确认")
    CONFLICT = "conflict_declared", _("回避声明")
    CORRECTION = "correction", _("更正")


class WithdrawnBy(models.TextChoices):
    """Whose decision a withdrawal was: mediation is voluntary, so a party may end it at any time;
    the centre or the mediator may also end a case (it no longer needs or suits mediation)."""

    PARTY = "party", _("当事人")
    CENTRE = "centre", _("综治中心")
    MEDIATOR = "mediator", _("调解员")


class Level(models.TextChoices):
    COMMUNITY = "community", _("社区")
    SUBDISTRICT = "subdistrict", _("街道")
    # Reached only by a referral from the subdistrict, never chosen at acceptance.
    DISTRICT = "district", _("区")


# The levels a case may be accepted at: the district takes cases only as the subdistrict refers them up.
ACCEPT_LEVELS = (Level.COMMUNITY, Level.SUBDISTRICT)


class Risk(models.TextChoices):
    NORMAL = "normal", _("一般")
    ELEVATED = "elevated", _("较大")
    MAJOR = "major", _("重大")


class Source(models.TextChoices):
    GRID_WORKER = "grid_worker", _("网格排查")
    WALK_IN = "walk_in", _("群众来访")
    HOTLINE = "hotline", _("12345热线")
    REFERRAL = "referral", _("部门转办")
    POLICE = "police", _("公安移交")
    COURT = "court", _("法院委派")
    OTHER = "other", _("其他")


class Referral(models.TextChoices):
    COURT = "court", _("法院")
    POLICE = "police", _("公安")
    PETITION = "petition", _("信访")
    ARBITRATION = "arbitration", _("仲裁")
    OTHER = "other", _("其他部门")


class Guidance(models.TextChoices):
    LITIGATION = "litigation", _("诉讼")
    ARBITRATION = "arbitration", _("仲裁")
    ADMINISTRATIVE = "administrative", _("行政途径")
    NONE = "none", _("无")


class MediatorSelection(models.TextChoices):
    """How the lead mediator came to the case (People's Mediation Law art. 19)."""

    APPOINTED = "appointed", _("调解组织指派")
    CHOSEN = "chosen", _("当事人选定")


class Outcome(models.TextChoices):
    AGREED = "agreed", _("调解成功")
    FAILED = "failed", _("调解不成")


class PartyRole(models.TextChoices):
    APPLICANT = "applicant", _("申请人")
    RESPONDENT = "respondent", _("被申请人")


class PartyKind(models.TextChoices):
    PERSON = "person", _("自然人")
    ORGANISATION = "organisation", _("单位")


class Sex(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class WarningReason(models.TextChoices):
    MAJOR_RISK = "major_risk", _("重大风险")
    MANY_PARTIES = "many_parties", _("群体性（5人以上）")
    REPEAT = "repeat", _("重复纠纷（12个月内2次以上）")


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("法定节假日")
    WORKDAY = "workday", _("调休上班")
