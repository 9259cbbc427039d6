"""How a notice reaches its reader: in the app always, and by the channels the reader chose for
its kind (e-mail, SMS) where the deployment offers them and the reader has an address.

`plan` runs inside the writer's transaction (the delivery rows commit with the notice); the
sending runs in a task (common.tasks.deliver_notice), once per (notice, channel).
"""

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .enums import MANDATORY_NOTICE_KINDS, Channel, DeliveryStatus, NoticeKind
from .models import NoticeDelivery, NoticePreference
from .sms import DeliveryFailed, sms_backend


def default_channels(kind: str) -> dict:
    """Without a choice of one's own: unread in the app and by e-mail; SMS for what cannot wait
    (deadline reminders and early warnings)."""
    return {"in_app": True, "email": True, "sms": kind in MANDATORY_NOTICE_KINDS}


def preferences_of(users, kind: str) -> dict[int, dict]:
    """Each user's channels for `kind` (one query for all of them)."""
    chosen = {
        p.user_id: {"in_app": p.in_app, "email": p.email, "sms": p.sms}
        for p in NoticePreference.objects.filter(user__in=[u.pk for u in users], kind=kind)
    }
    return {u.pk: _enforced(kind, chosen.get(u.pk) or default_channels(kind)) for u in users}


def _enforced(kind: str, channels: dict) -> dict:
    # A deadline or an early warning is always shown unread, whatever a stored row says.
    return {**channels, "in_app": True} if kind in MANDATORY_NOTICE_KINDS else channels


def preference_table(user, kinds=None) -> list[dict]:
    """The kinds given (default: every kind) with the user's channels for each, for the settings page."""
    chosen = {p.kind: p for p in NoticePreference.objects.filter(user=user)}
    rows = []
    for kind in NoticeKind:
        if kinds is not None and kind not in kinds:
            continue
        stored = chosen.get(kind.value)
        channels = (
            {"in_app": stored.in_app, "email": stored.email, "sms": stored.sms} if stored else default_channels(kind)
        )
        rows.append({"kind": kind.value, "label": kind.label, "mandatory": kind in MANDATORY_NOTICE_KINDS, **channels})
    return rows


def addresses_of(user) -> dict:
    """Where each channel the deployment offers reaches `user` (no address, no channel)."""
    offered = settings.FENGQIAO_NOTICE_CHANNELS
    found = {Channel.EMAIL: user.email, Channel.SMS: getattr(user, "mobile", "")}
    return {channel: address for channel, address in found.items() if channel in offered and address}


def plan(notices, channels_by_user: dict[int, dict]) -> list[NoticeDelivery]:
    """The delivery rows of new notices (inside the writer's transaction); each is sent on commit."""
    rows = []
    for notice in notices:
        chosen = channels_by_user.get(notice.user_id, {})
        for channel, address in addresses_of(notice.user).items():
            if chosen.get(channel):
                rows.append(NoticeDelivery(notice=notice, channel=channel, address=address))
    created = NoticeDelivery.objects.bulk_create(rows)
    if created:
        from .tasks import deliver_notice

        for row in created:
            transaction.on_commit(lambda pk=row.pk: deliver_notice.delay(pk), robust=True)
    return created


def _subject(notice) -> str:
    return f"[枫桥] {NoticeKind(notice.kind).label}"


def _send_email(delivery) -> str:
    notice = delivery.notice
    link = f"\n\n{settings.FENGQIAO_SITE_URL}{notice.link}" if notice.link else ""
    try:
        send_mail(_subject(notice), notice.text + link, settings.DEFAULT_FROM_EMAIL, [delivery.address])
    except OSError as exc:  # smtplib's errors are OSErrors: the server refused or was not there
        raise DeliveryFailed(f"mail server: {exc}") from None
    return ""


def _send_sms(delivery) -> str:
    content = f"【{settings.FENGQIAO_SMS_SIGNATURE}】{delivery.notice.text}"
    return sms_backend().send(delivery.address, content, f"notice-{delivery.notice_id}-sms")


SENDERS = {Channel.EMAIL: _send_email, Channel.SMS: _send_sms}


def send_delivery(*, delivery_id: int, final: bool = False) -> bool:
    """Send one (notice, channel) unless it was sent already; True when this call sent it.

    The row is locked while sending, so a redelivered task waits and then finds it sent. A failed
    attempt is recorded and raised (the task retries); on the last attempt the row says failed."""
    failure = None
    with transaction.atomic():
        delivery = NoticeDelivery.objects.select_for_update().select_related("notice").filter(pk=delivery_id).first()
        if delivery is None or delivery.status == DeliveryStatus.SENT:
            return False
        delivery.attempts += 1
        try:
            delivery.reference = SENDERS[delivery.channel](delivery) or ""
        except DeliveryFailed as exc:
            failure = exc
            delivery.error = str(exc)[:200]
            delivery.status = DeliveryStatus.FAILED if final else DeliveryStatus.PENDING
        else:
            delivery.status, delivery.sent_at, delivery.error = DeliveryStatus.SENT, timezone.now(), ""
        delivery.save(update_fields=["attempts", "reference", "error", "status", "sent_at"])
    if failure is not None:
        raise failure
    return True


def pending_sweep(*, older_than_minutes: int = 30) -> int:
    """Queue again the deliveries whose message was lost (the broker down when the notice committed)."""
    from .tasks import deliver_notice

    cutoff = timezone.now() - dt.timedelta(minutes=older_than_minutes)
    ids = list(
        NoticeDelivery.objects.filter(status=DeliveryStatus.PENDING, created_at__lt=cutoff).values_list("pk", flat=True)
    )
    for pk in ids:
        deliver_notice.delay(pk)
    return len(ids)
