"""What the API keeps of its own: integrators' tokens."""

import hashlib
import ipaddress

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """An API token (`Authorization: Token <key>`). Only the key's SHA-256 is stored: a copy of the
    database, a backup or a DBA's dump holds no usable key. A key is 40 random hex characters
    (160 bits), so a fast hash is enough: there is nothing to guess. It expires
    (FENGQIAO_API_TOKEN_DAYS, default 90; `createtoken --days`), and `last_used_at` says whether
    an integrator still uses it. Revoked by deleting it (admin, or `createtoken --reset`).
    `allowed_networks` (`createtoken --allow-ip`), when not empty, is where it may be used from:
    a key copied off the integrator's server is refused anywhere else."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("用户")
    )
    digest = models.CharField(_("摘要"), max_length=64, unique=True, editable=False)
    # The key's first characters, to tell a user's tokens apart (not enough to use one).
    prefix = models.CharField(_("前缀"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("签发时间"))
    expires_at = models.DateTimeField(_("到期时间"))
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    # Networks in CIDR form (`10.0.0.0/24`, `2001:db8::/64`, one address as `/32` or `/128`);
    # empty: any address, as for the tokens people take at the token endpoint.
    allowed_networks = models.JSONField(_("允许的来源地址"), default=list, blank=True, editable=False)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def digest_of(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def allows(self, address: str | None) -> bool:
        """Whether a request from `address` may use this token (always, without an allow-list)."""
        if not self.allowed_networks:
            return True
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        # An IPv4 client seen through a dual-stack socket arrives as ::ffff:a.b.c.d.
        ip = getattr(ip, "ipv4_mapped", None) or ip
        return any(ip in ipaddress.ip_network(network) for network in self.allowed_networks)
