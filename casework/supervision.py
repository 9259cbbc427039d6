"""督办: district staff order the subdistrict's centre to act on an overdue or early-warning case, by
a number of working days; the centre answers once with what was done. Both are append-only rows
with an event on the case's file, whose notice tells the other side."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.prepared import attached
from common.text import clean_text

from . import calendar
from .enums import OPEN
from .exceptions import CasePermissionDenied, TransitionUnavailable
from .models import SupervisionAnswer, SupervisionOrder
from .permissions import is_centre_staff_for, is_district_staff_for
from .services import record_event

# The timeline's names of the two events.
EVENT_LABELS = {"supervise": gettext_lazy("督办"), "supervision_answer": gettext_lazy("督办答复")}

# How long an order may give: from the next working day to six working weeks.
MAX_WORKING_DAYS = 30


def _required_text(value, *, key: str, label, limit: int) -> str:
    """Free text that must say something, within `limit` characters; else a ValidationError on `key`."""
    value = clean_text(value or "", field=label).strip()
    if not value:
        raise ValidationError({key: _("请填写“%(label)s”。") % {"label": label}})
    if len(value) > limit:
        raise ValidationError({key: _("“%(label)s”不能超过%(n)s字。") % {"label": label, "n": limit}})
    return value


def _record(case, actor, name: str, at, note: str, data: dict):
    """The event on the case's file: a record, the case's state unchanged (its notice tells the other side)."""
    return record_event(
        case, actor=actor, name=name, at=at, from_status=case.status, to_status=case.status, note=note, data=data
    )


def may_supervise(user, case) -> bool:
    return is_district_staff_for(user, case.subdistrict_id)


def unanswered(case) -> list:
    """The case's orders still waiting for an answer, from the orders loaded with the case."""
    return [order for order in attached(case, "supervision_orders") if not hasattr(order, "answer")]


def may_answer(user, case) -> bool:
    return is_centre_staff_for(user, case.subdistrict_id) and bool(unanswered(case))


def supervisable(case, today: dt.date) -> bool:
    """An open case that is overdue or carries an early warning."""
    return case.status in OPEN and (case.is_warning or case.is_overdue(today))


def supervision_issue(case, *, actor, instruction: str, working_days: int, at=None) -> SupervisionOrder:
    at = at or timezone.now()
    if not may_supervise(actor, case):
        raise CasePermissionDenied(_("只有本区综治中心工作人员可以督办案件。"))
    if not supervisable(case, timezone.localtime(at).date()):
        raise TransitionUnavailable(_("只能督办在办的超期或预警案件。"))
    instruction = _required_text(instruction, key="instruction", label=_("督办事项"), limit=500)
    if not isinstance(working_days, int) or not 1 <= working_days <= MAX_WORKING_DAYS:
        raise ValidationError({"working_days": _("办理期限须为1至%(n)s个工作日。") % {"n": MAX_WORKING_DAYS}})
    with transaction.atomic():
        order = SupervisionOrder.objects.create(
            case=case,
            issued_by=actor,
            issued_at=at,
            instruction=instruction,
            due=calendar.add_working_days(timezone.localtime(at).date(), working_days),
        )
        _record(case, actor, "supervise", at, instruction, {"order": order.pk, "due": order.due.isoformat()})
    return order


def supervision_answer(order: SupervisionOrder, *, actor, text: str, at=None) -> SupervisionAnswer:
    at = at or timezone.now()
    case = order.case
    if not is_centre_staff_for(actor, case.subdistrict_id):
        raise CasePermissionDenied(_("只有本街道综治中心工作人员可以答复督办。"))
    text = _required_text(text, key="text", label=_("办理情况"), limit=1000)
    try:
        with transaction.atomic():
            answer = SupervisionAnswer.objects.create(order=order, answered_by=actor, answered_at=at, text=text)
            data = {"order": order.pk, "issued_by": order.issued_by_id, "on_time": answer.on_time}
            _record(case, actor, "supervision_answer", at, text, data)
    except IntegrityError:
        raise TransitionUnavailable(_("此督办已答复，答复不能修改。")) from None
    return answer
