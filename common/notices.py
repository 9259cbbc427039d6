"""Notices (通知): one row per user for each (kind, key), however often the same event is sent.

Written by the services inside their transaction; what leaves the process (an e-mail, an SMS)
is sent by a task queued on commit (common.delivery).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import delivery
from .enums import MANDATORY_NOTICE_KINDS, NoticeKind
from .models import Notice, NoticePreference


def notify(users, *, kind: str, key: str, text: str, case=None, link: str = "") -> list[Notice]:
    """One notice per user for this (kind, key), however often it is sent; a new one also goes out
    by the channels its reader chose for the kind (sent by a task once this transaction commits).

    `text` says what happened and what to do next; `link` is the path of the object it is about.
    A reader who turned the app's channel off for the kind finds it already read."""
    users = list(users)
    if not users:
        return []
    channels = delivery.preferences_of(users, kind)
    now = timezone.now()
    created = []
    for user in users:
        read_at = None if channels[user.pk]["in_app"] else now
        notice, is_new = Notice.objects.get_or_create(
            user=user, kind=kind, key=key, defaults={"text": text, "case": case, "link": link, "read_at": read_at}
        )
        if is_new:
            created.append(notice)
    delivery.plan(created, channels)
    return created


def notice_mark_read(*, user, notice_id: int | None = None) -> int:
    """Mark one notice (or all of them) read; only the user's own."""
    notices = Notice.objects.filter(user=user, read_at__isnull=True)
    if notice_id is not None:
        notices = notices.filter(pk=notice_id)
    return notices.update(read_at=timezone.now())


def notice_preferences_set(*, user, choices: dict[str, dict]) -> None:
    """Store `user`'s channels per kind ({kind: {"in_app", "email", "sms"}}). Deadline reminders and
    early warnings cannot be muted in the app: asking so is refused and nothing is written."""
    refused = [
        str(NoticeKind(kind).label)
        for kind, channels in choices.items()
        if kind in MANDATORY_NOTICE_KINDS and not channels.get("in_app")
    ]
    if refused:
        raise ValidationError(
            _("期限提醒和预警不能关闭站内通知：%(kinds)s。") % {"kinds": "、".join(refused)}, code="mandatory"
        )
    unknown = [kind for kind in choices if kind not in NoticeKind.values]
    if unknown:
        raise ValidationError(_("未知的通知类型。"), code="unknown")
    with transaction.atomic():
        for kind, channels in choices.items():
            NoticePreference.objects.update_or_create(
                user=user,
                kind=kind,
                defaults={name: bool(channels.get(name)) for name in ("in_app", "email", "sms")},
            )
