"""Token authentication against the stored digests of api.models.ApiToken."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied

from common.audit import audit, client_ip
from common.enums import AuditAction

from .models import ApiToken

# `last_used_at` is written at most this often: not a write per request.
LAST_USED_STEP = dt.timedelta(minutes=1)


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`: the key's digest looked up; an expired token is refused, and so
    is a token with an allow-list used from an address outside it (403, audited as a failed sign-in)."""

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is None:
            return None
        user, token = found
        if not token.allows(client_ip(request)):
            audit(
                AuditAction.LOGIN_FAILED,
                username=user.get_username(),
                request=request,
                target=f"api_token:{token.prefix}",
                detail={"api_token": token.prefix, "address_not_allowed": True},
            )
            raise PermissionDenied(_("此令牌不允许从当前地址使用。"))
        # To the minute, counted from the issue: a request gets no write of its own (the query
        # budget of a page), and a token used only within its first minute reads as unused.
        now = timezone.now()
        if now - (token.last_used_at or token.created_at) >= LAST_USED_STEP:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return found

    def authenticate_credentials(self, key):
        token = ApiToken.objects.select_related("user").filter(digest=ApiToken.digest_of(key)).first()
        if token is None:
            raise AuthenticationFailed(_("令牌无效。"))
        if not token.user.is_active:
            raise AuthenticationFailed(_("用户已停用。"))
        if token.expires_at <= timezone.now():
            raise AuthenticationFailed(_("令牌已过期，请重新签发。"))
        return (token.user, token)
