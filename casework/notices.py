"""The notices a case sends: its workflow's events, its deadlines and early warnings (预警, 督办).

Each is once-only per (user, kind, key) however often it is sent (common.notices.notify), so the
scheduled sweeps may run twice, or be redelivered, without telling anyone twice.
"""

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from common.enums import NoticeKind
from common.notices import notify
from grids.enums import Role
from grids.models import Subdistrict, User
from grids.selectors import users_with_roles

from . import calendar
from .enums import RecordKind, WarningReason
from .models import DisputeCase, SupervisionOrder


def warning_notify(*, case_id: int) -> list:
    """预警: tell the centre staff of an early-warning case at once (once per case)."""
    case = DisputeCase.objects.filter(pk=case_id, is_warning=True).select_related("community", "category").first()
    if case is None:
        return []
    return notify(
        _staff_of(case.subdistrict_id),
        kind=NoticeKind.WARNING,
        key=str(case.pk),
        case=case,
        link=case_link(case),
        text=_("预警案件 %(number)s（%(community)s，%(category)s）：%(reasons)s。请查看案件，尽快安排受理和调处。")
        % _case_words(case),
    )


def case_link(case) -> str:
    """The case page, which a higher app serves (FENGQIAO_CASE_URL_NAME)."""
    return reverse(settings.FENGQIAO_CASE_URL_NAME, args=[case.pk])


def _staff_of(subdistrict_id):
    return users_with_roles(Role.CENTRE_STAFF, subdistrict_id=subdistrict_id)


def _district_staff_of(subdistrict_id):
    """The staff of the district centre over `subdistrict_id` (none when it belongs to no district)."""
    district_id = Subdistrict.objects.filter(pk=subdistrict_id).values_list("district_id", flat=True).first()
    return users_with_roles(Role.DISTRICT_STAFF, district_id=district_id) if district_id else []


def _case_words(case) -> dict:
    return {
        "number": case.number,
        "community": case.community.name,
        "category": case.category.name,
        "reasons": "、".join(str(WarningReason(r).label) for r in case.warning_reasons if r in WarningReason.values),
    }


def warning_sweep(*, now: dt.datetime | None = None, days: int = 7) -> int:
    """Catch any early-warning notice lost on the way (the broker down at registration)."""
    now = now or timezone.now()
    ids = DisputeCase.objects.open().warning().filter(registered_at__gte=now - dt.timedelta(days=days))
    return sum(len(warning_notify(case_id=pk)) for pk in ids.values_list("pk", flat=True))


# From this many working days past a deadline the centre is told too (督办), every day after.
CENTRE_FROM_OVERDUE_WORKING_DAY = 3


def _responsible(case, staff) -> dict:
    """Who answers for the deadline now: the case's mediators; without them, the level that must act
    (the community's staff for a community-level or unaccepted case, otherwise the centre)."""
    people = {}
    mediator_ids = case.mediator_user_ids()
    if mediator_ids:
        people.update({u.pk: u for u in User.objects.filter(pk__in=mediator_ids, is_active=True)})
    if case.level == "community" or case.status == "reported":
        people.update(
            {u.pk: u for u in case.community.staff.filter(is_active=True) if u.has_role(Role.COMMUNITY_STAFF)}
        )
    if not people and case.level == "district":
        people.update({u.pk: u for u in _district_staff_of(case.subdistrict_id)})
    if not people:
        people.update({u.pk: u for u in staff})
    return people


def overdue_working_days(due: dt.date, today: dt.date) -> int:
    """Working days from the deadline (exclusive) to today (inclusive): 1 on the first working day after it."""
    days, day = 0, due
    while day < today:
        day += dt.timedelta(days=1)
        days += calendar.is_working_day(day)
    return days


def deadline_reminders(*, today: dt.date | None = None) -> int:
    """督办: remind the people responsible before a deadline falls due, on the day itself, and once a
    day while it is overdue (the centre too from the 3rd overdue working day)."""
    today = today or timezone.localdate()
    soon = today + dt.timedelta(days=settings.FENGQIAO_REMIND_DAYS_BEFORE)
    cases = (
        DisputeCase.objects.open()
        .filter(Q(next_due__in=[today, soon]) | Q(next_due__lt=today))
        .select_related("community", "category", "lead_mediator")
        .prefetch_related("co_mediators")
    )
    staff_cache: dict[int, list] = {}
    sent = 0
    with calendar.preloaded():
        for case in cases.iterator(chunk_size=500):
            sent += _remind(case, today, staff_cache)
    return sent


def _remind(case, today, staff_cache) -> int:
    """One reminder of `case`'s deadline for `today` (once per user, kind and key)."""
    if case.subdistrict_id not in staff_cache:
        staff_cache[case.subdistrict_id] = _staff_of(case.subdistrict_id)
    staff = staff_cache[case.subdistrict_id]
    words = {"number": case.number, "status": case.get_status_display(), "due": case.next_due.isoformat()}
    key = f"{case.pk}:{case.status}:{case.next_due}"
    if case.next_due < today:
        late = overdue_working_days(case.next_due, today)
        recipients = _responsible(case, staff)
        if late >= CENTRE_FROM_OVERDUE_WORKING_DAY:
            recipients.update({u.pk: u for u in staff})
        kind, key = NoticeKind.OVERDUE, f"{key}:{today}"
        text = _(
            "案件 %(number)s（%(status)s）已超过办理期限 %(due)s（超期 %(late)s 个工作日），请立即办理或说明情况。"
        ) % {
            **words,
            "late": late,
        }
    else:
        kind = NoticeKind.DUE_TODAY if case.next_due == today else NoticeKind.DUE_SOON
        recipients = {u.pk: u for u in staff} | _responsible(case, staff)
        text = _("案件 %(number)s（%(status)s）的办理期限为 %(due)s，请及时办理。") % words
    return len(notify(recipients.values(), kind=kind, key=key, text=text, case=case, link=case_link(case)))


def _district_staff(district_id) -> list:
    if district_id is None:
        return []
    users = User.objects.filter(district_id=district_id, is_active=True).order_by("pk")
    return [user for user in users if user.has_role(Role.DISTRICT_STAFF)]


def supervision_reminders(*, today: dt.date | None = None) -> int:
    """督办 answers owed: the subdistrict's centre is reminded on the working day before an order falls
    due and on the day itself; once the day has passed unanswered, the district's staff are told.
    Each step once per order (its own key), however often or from however many beats this runs."""
    today = today or timezone.localdate()
    with calendar.preloaded():
        horizon = calendar.add_working_days(today, 1)
        orders = (
            SupervisionOrder.objects.filter(answer__isnull=True, due__lte=horizon)
            .select_related("case__subdistrict", "case__community", "issued_by")
            .order_by("due", "pk")
        )
        staff_cache: dict[int, list] = {}
        sent = 0
        for order in orders.iterator(chunk_size=500):
            case = order.case
            words = {"number": case.number, "due": order.due.isoformat(), "instruction": order.instruction}
            if order.due < today:
                step, recipients = "overdue", _district_staff(case.subdistrict.district_id)
                text = _("案件 %(number)s 的督办（%(instruction)s）已过答复期限 %(due)s，街道综治中心尚未答复。")
            else:
                if case.subdistrict_id not in staff_cache:
                    staff_cache[case.subdistrict_id] = _staff_of(case.subdistrict_id)
                step, recipients = ("due" if order.due == today else "soon"), staff_cache[case.subdistrict_id]
                text = (
                    _("案件 %(number)s 的督办今日（%(due)s）到期：%(instruction)s。请办理并在案件页答复。")
                    if step == "due"
                    else _("案件 %(number)s 的督办将于 %(due)s 到期：%(instruction)s。请及时办理并在案件页答复。")
                )
            sent += len(
                notify(
                    recipients,
                    kind=NoticeKind.SUPERVISION,
                    key=f"supervision:{order.pk}:{step}",
                    text=text % words,
                    case=case,
                    link=case_link(case),
                )
            )
    return sent


# Notices of the workflow: one per event (the key is the event's id), written by record_event in
# the service's transaction, so a transition fired twice at once (one wins) tells people once.


def _mediator_users(mediator_ids) -> list:
    # casework may not import mediation: the model comes from the relation itself.
    mediator_model = DisputeCase._meta.get_field("lead_mediator").related_model
    user_ids = mediator_model.objects.filter(pk__in=[pk for pk in mediator_ids if pk]).values("user_id")
    return list(User.objects.filter(pk__in=user_ids, is_active=True))


def _community_staff(case) -> list:
    staff = User.objects.filter(community_id=case.community_id, is_active=True)
    return [user for user in staff if user.has_role(Role.COMMUNITY_STAFF)]


def _unique(users) -> list:
    return list({user.pk: user for user in users if user is not None}.values())


def _event_message(case, event):
    """(kind, recipients, text) for an event someone must hear of, or None."""
    words = {"number": case.number, "actor": str(event.actor) if event.actor else _("系统"), "note": event.note}
    name = event.name
    if name == "accept":
        level = _("社区") if case.level == "community" else _("街道")
        text = _("您登记的案件 %(number)s 已受理（%(level)s层级），将分派调解员调处；可在案件页查看进展。")
        return NoticeKind.DECIDED, [case.registered_by], text % {**words, "level": level}
    if name == "decline":
        text = _("您登记的案件 %(number)s 不予受理：%(note)s。请按案件页所列的引导去向告知当事人。")
        return NoticeKind.DECIDED, [case.registered_by], text % words
    if name == "close":
        return NoticeKind.CLOSED, [case.registered_by], _("您登记的案件 %(number)s 已结案。") % words
    if name in ("assign", "reassign"):
        ids = [event.data.get("mediator"), *event.data.get("co_mediators", [])]
        if name == "reassign":
            ids += list(case.co_mediators.values_list("pk", flat=True))
        text = _("%(actor)s 将案件 %(number)s 指派给您调解。请打开案件，联系当事人并开始调解。")
        return NoticeKind.ASSIGNED, _mediator_users(ids), text % words
    if name == "withdraw":
        # The registering user is told; so are the case's mediators (released by it) and, when a
        # mediator withdrew it, the centre that answers for every case of the subdistrict.
        recipients = [
            case.registered_by,
            *_mediator_users([case.lead_mediator_id, *(m.pk for m in case.related("co_mediators"))]),
        ]
        if not (event.actor and event.actor.has_role(Role.CENTRE_STAFF)):
            recipients += _staff_of(case.subdistrict_id)
        text = _("案件 %(number)s 已由 %(actor)s 撤回（理由：%(note)s），不再调处。可在案件页查看。")
        return NoticeKind.WITHDRAWN, _unique(recipients), text % words
    if name == "escalate":
        text = _("案件 %(number)s 已由社区上报街道（理由：%(note)s）。请受理后分派街道层级的调解员。")
        return NoticeKind.ESCALATED, _staff_of(case.subdistrict_id), text % words
    if name == "refer_district":
        text = _("案件 %(number)s 已由街道上报区（理由：%(note)s）。请区综治中心分派区级调解员调处。")
        return NoticeKind.ESCALATED, _district_staff_of(case.subdistrict_id), text % words
    if name == "supervise":
        text = _("区综治中心 %(actor)s 督办案件 %(number)s：%(note)s。请在 %(due)s 前办理并在案件页答复。")
        return NoticeKind.SUPERVISION, _staff_of(case.subdistrict_id), text % {**words, "due": event.data.get("due")}
    if name == "supervision_answer":
        issuer = User.objects.filter(pk=event.data.get("issued_by")).first()
        text = _("案件 %(number)s 的督办已由 %(actor)s 答复：%(note)s")
        return NoticeKind.SUPERVISION, [issuer], text % words
    if name == RecordKind.CONFLICT:
        text = _("案件 %(number)s 的调解员声明回避（%(note)s），已退出本案。请为本案重新指派调解员。")
        return NoticeKind.RECUSAL, _staff_of(case.subdistrict_id), text % words
    if case.level == "community" and name in (RecordKind.SESSION, "reach_agreement", "fail"):
        text = {
            RecordKind.SESSION: _("本社区案件 %(number)s 新增一次调解记录。可在案件页查看。"),
            "reach_agreement": _("本社区案件 %(number)s 已达成调解协议。请关注回访和协议履行。"),
            "fail": _("本社区案件 %(number)s 调解不成。如需街道调处，请在案件页上报街道。"),
        }[name]
        return NoticeKind.PROGRESS, _community_staff(case), text % words
    return None


def event_notify(case, event) -> list:
    """Tell the people in the loop of one event on `case` (inside the service's transaction)."""
    message = _event_message(case, event)
    if message is None:
        return []
    kind, recipients, text = message
    # Nobody is told of what they did themselves.
    recipients = [user for user in recipients if user is not None and user.pk != event.actor_id and user.is_active]
    return notify(recipients, kind=kind, key=f"event:{event.pk}", text=text, case=case, link=case_link(case))
