"""Writes of the API layer itself: integrators' tokens."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token


def token_user(username: str):
    """The active user called `username`, or ValidationError: tokens are for people who may sign in."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise ValidationError(_("用户“%(username)s”不存在。") % {"username": username})
    if not user.is_active:
        raise ValidationError(_("用户“%(username)s”已停用，不能签发令牌。") % {"username": username})
    return user


def token_issue(*, username: str, reset: bool = False) -> tuple[Token, bool]:
    """The user's API token (one per user), created if missing or replaced when `reset`; (token, created)."""
    user = token_user(username)
    with transaction.atomic():
        if reset:
            # Replacing the key revokes the old one at once: every request authenticates against this row.
            Token.objects.filter(user=user).delete()
        return Token.objects.get_or_create(user=user)
