"""Writes of the API layer itself: integrators' tokens, and registration made idempotent for pushing systems."""

import datetime as dt
import ipaddress
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.exceptions import CaseConflict
from casework.models import DisputeCase
from casework.selectors import cases_visible_to
from casework.services import case_register

from .models import ApiToken

# A token valid for longer than this is a password that never changes.
MAX_TOKEN_DAYS = 3650


def token_user(username: str):
    """The active user called `username`, or ValidationError: tokens are for people who may sign in."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise ValidationError(_("用户“%(username)s”不存在。") % {"username": username})
    if not user.is_active:
        raise ValidationError(_("用户“%(username)s”已停用，不能签发令牌。") % {"username": username})
    return user


def token_networks(entries) -> list[str]:
    """The allow-list of a token from what an administrator typed: addresses or CIDR networks, each
    entry possibly comma-separated; ValidationError naming the first that is not one. A network
    with host bits set (`10.0.0.5/24`) is refused rather than widened: it is most likely a typo."""
    networks: list[str] = []
    for entry in entries or ():
        for text in str(entry).split(","):
            text = text.strip()
            if not text:
                continue
            try:
                network = ipaddress.ip_network(text)
            except ValueError:
                raise ValidationError(
                    _("“%(entry)s”不是IP地址或网段（例如 10.0.0.0/24）。") % {"entry": text[:64]}
                ) from None
            if str(network) not in networks:
                networks.append(str(network))
    return networks


def token_issue(
    *, user, days: int | None = None, revoke_others: bool = False, allowed_networks=()
) -> tuple[ApiToken, str]:
    """A new API token for `user` (an active user: token_user), valid `days` (default
    FENGQIAO_API_TOKEN_DAYS); (token, key). The key is shown once: only its digest is kept.
    `revoke_others` deletes the user's other tokens in the same transaction. `allowed_networks`
    (token_networks) limits where it may be used from; empty: anywhere."""
    days = settings.FENGQIAO_API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValidationError(_("有效期应为1至%(limit)s天。") % {"limit": MAX_TOKEN_DAYS})
    networks = token_networks(allowed_networks)
    key = secrets.token_hex(20)
    now = timezone.now()
    with transaction.atomic():
        if revoke_others:
            ApiToken.objects.filter(user=user).delete()
        token = ApiToken.objects.create(
            user=user,
            digest=ApiToken.digest_of(key),
            prefix=key[:8],
            created_at=now,
            expires_at=now + dt.timedelta(days=days),
            allowed_networks=networks,
        )
    return token, key


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
