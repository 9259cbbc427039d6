"""Reads of notices."""

from .models import Notice


def notices_for(user):
    return Notice.objects.filter(user=user).select_related("case")


def unread_notice_count(user) -> int:
    return Notice.objects.filter(user=user, read_at__isnull=True).count()
