"""Notices (通知): one row per user for each (kind, key), however often the same event is sent.

Written by the services inside their transaction; the mail leaves on commit.
"""

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone

from .enums import NoticeKind
from .models import Notice


def notify(users, *, kind: str, key: str, text: str, case=None, link: str = "") -> list[Notice]:
    """One notice per user for this (kind, key), however often it is sent; new ones are also mailed.

    `text` says what happened and what to do next; `link` is the path of the object it is about."""
    created = []
    for user in users:
        notice, is_new = Notice.objects.get_or_create(
            user=user, kind=kind, key=key, defaults={"text": text, "case": case, "link": link}
        )
        if is_new:
            created.append(notice)
    mails = [
        (f"[枫桥] {NoticeKind(n.kind).label}", n.text, settings.DEFAULT_FROM_EMAIL, [n.user.email])
        for n in created
        if n.user.email
    ]
    if mails:
        transaction.on_commit(lambda: send_mass_mail(mails, fail_silently=True))
    return created


def notice_mark_read(*, user, notice_id: int | None = None) -> int:
    """Mark one notice (or all of them) read; only the user's own."""
    notices = Notice.objects.filter(user=user, read_at__isnull=True)
    if notice_id is not None:
        notices = notices.filter(pk=notice_id)
    return notices.update(read_at=timezone.now())
