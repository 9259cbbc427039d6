"""Two-factor sign-in (TOTP, RFC 6238, with django-otp) and single-use recovery codes.

Who: centre staff, leaders and administrators must use a second factor wherever
FENGQIAO_REQUIRE_2FA is on (the default in production); anyone else may enrol, and whoever has
a confirmed device is asked for it. A session signed in with the password alone reaches only the
enrolment and verification pages until the second factor is given (grids.middleware).
Failed codes are sign-in failures: audited and counted by django-axes towards the lockout.
"""

import base64

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .enums import Role

REQUIRED_ROLES = frozenset(
    {Role.CENTRE_STAFF, Role.LEADER, Role.DISTRICT_STAFF, Role.DISTRICT_LEADER, Role.ADMINISTRATOR}
)
RECOVERY_CODES = 10
AUTHENTICATOR = "身份验证器"
RECOVERY = "恢复码"


def required_for(user) -> bool:
    """Must `user` use a second factor (privileged, and FENGQIAO_REQUIRE_2FA on)?"""
    if not settings.FENGQIAO_REQUIRE_2FA:
        return False
    return bool(user.is_staff or user.is_superuser or REQUIRED_ROLES & set(user.roles or []))


def asked_of(user) -> bool:
    """Is a second factor asked of `user`: required, or a device they enrolled themselves?"""
    return required_for(user) or user_has_device(user, confirmed=True)


def enrolled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(user) -> TOTPDevice:
    """The authenticator being enrolled (one, kept across reloads of the enrolment page)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=False)


def secret_of(device: TOTPDevice) -> str:
    """The base32 secret an authenticator app is given (what the QR code holds)."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URI as a QR code, drawn here (segno), never by an online service."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=4, border=2)


def _failed(request, user) -> None:
    # The same signal as a wrong password: the audit records it and django-axes counts it.
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username()}, request=request, second_factor=True
    )


def locked_out(request, user) -> bool:
    return AxesProxyHandler.is_locked(request, credentials={"username": user.get_username()})


def _normalised(code: str) -> str:
    return "".join((code or "").split()).lower()


def confirm_enrolment(request, *, user, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the authenticator with its first code; new recovery codes (shown once), or ValidationError."""
    with transaction.atomic():
        if not device.verify_token(_normalised(code)):
            _failed(request, user)
            raise ValidationError(_("验证码不正确，请输入身份验证器上当前显示的6位数字。"))
        TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = new_recovery_codes(user)
    otp_login(request, device)
    return codes


def new_recovery_codes(user) -> list[str]:
    """Replace `user`'s recovery codes: each opens one sign-in, once."""
    static, _created = StaticDevice.objects.get_or_create(user=user, name=RECOVERY, defaults={"confirmed": True})
    static.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    return codes


def verify(request, *, user, code: str):
    """The device that accepts `code` (an authenticator code or an unused recovery code), or ValidationError."""
    code = _normalised(code)
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if code and device.verify_is_allowed()[0] and device.verify_token(code):
                break
        else:
            device = None
    if device is None:
        _failed(request, user)
        raise ValidationError(_("验证码不正确。"))
    return device


def verify_session(request, *, code: str) -> None:
    """The second factor of a web sign-in: the session is verified from now on."""
    otp_login(request, verify(request, user=request.user, code=code))


def verify_for_token(request, *, user, code: str) -> None:
    """POST /api/v1/auth/token/: whoever has or must have a second factor gives it with the password."""
    if not asked_of(user):
        return
    if not enrolled(user):
        raise ValidationError({"otp": [_("该账号须使用双因素认证：请先在网页登录并绑定身份验证器。")]})
    if not code:
        raise ValidationError({"otp": [_("请提供身份验证器上的6位动态验证码（otp）。")]})
    try:
        verify(request, user=user, code=code)
    except ValidationError as exc:
        raise ValidationError({"otp": exc.messages}) from None


def reset(*, user) -> None:
    """Forget `user`'s authenticator and recovery codes (a lost phone): the next sign-in enrols again."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
