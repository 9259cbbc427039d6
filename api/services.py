"""Writes of the API layer itself: integrators' tokens, and registration made idempotent for pushing systems."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from casework.exceptions import CaseConflict
from casework.models import DisputeCase
from casework.selectors import cases_visible_to
from casework.services import case_register


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


def case_register_once(*, actor, external_ref: str | None = None, **data) -> tuple[DisputeCase, bool]:
    """登记, idempotent on the external system's reference: (case, created).

    A 12345 hotline retries a push it did not see answered; the (subdistrict, external_ref)
    unique row decides, so two pushes racing each other also make one case. The second
    push gets the existing case, unchanged, when the actor may see it; otherwise a 409
    that says the reference is taken (it names no case the actor may not see).
    """
    try:
        return case_register(actor=actor, external_ref=external_ref, **data), True
    except IntegrityError:
        if not external_ref:
            raise
        subdistrict_id = data["grid"].community.subdistrict_id
        taken = DisputeCase.objects.filter(subdistrict_id=subdistrict_id, external_ref=external_ref)
        if not taken.exists():
            raise
        existing = cases_visible_to(actor).filter(subdistrict_id=subdistrict_id, external_ref=external_ref).first()
        if existing is None:
            raise CaseConflict(
                _("外部编号“%(ref)s”已在本街道登记过案件，该案件不在您的可见范围内。") % {"ref": external_ref}
            ) from None
        return existing, False
