"""Territory (subdistrict > community > grid) and the people who work in it."""

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .enums import SUBDISTRICT_WIDE_ROLES, Role


class Subdistrict(models.Model):
    # The code prefixes case numbers (BHZ-2021-0042), so it is short and stable.
    code = models.CharField(_("代码"), max_length=8, unique=True)
    name = models.CharField(_("名称"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("街道")
        verbose_name_plural = _("街道")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Community(models.Model):
    subdistrict = models.ForeignKey(
        Subdistrict, on_delete=models.PROTECT, related_name="communities", verbose_name=_("街道")
    )
    code = models.CharField(_("代码"), max_length=16)
    name = models.CharField(_("名称"), max_length=64)

    class Meta:
        verbose_name = _("社区")
        verbose_name_plural = _("社区")
        ordering = ["subdistrict_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["subdistrict", "code"], name="community_code_unique"),
            models.UniqueConstraint(fields=["subdistrict", "name"], name="community_name_unique"),
        ]

    def __str__(self):
        return self.name


class Grid(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="grids", verbose_name=_("社区"))
    code = models.CharField(_("代码"), max_length=24)
    name = models.CharField(_("名称"), max_length=64)

    class Meta:
        verbose_name = _("网格")
        verbose_name_plural = _("网格")
        ordering = ["community_id", "code"]
        constraints = [models.UniqueConstraint(fields=["community", "code"], name="grid_code_unique")]

    def __str__(self):
        return self.name


def validate_roles(value):
    if not isinstance(value, list) or any(role not in Role.values for role in value):
        raise ValidationError(_("未知角色：%(value)s"), params={"value": value})


class User(AbstractUser):
    """A person who signs in. Roles live on the row so checking them costs no query."""

    full_name = models.CharField(_("姓名"), max_length=64, blank=True)
    roles = models.JSONField(_("角色"), default=list, blank=True, validators=[validate_roles])
    subdistrict = models.ForeignKey(
        Subdistrict, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("街道")
    )
    # Community staff work for one community; grid workers cover one or more grids.
    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("社区"),
    )
    grids = models.ManyToManyField(Grid, blank=True, related_name="workers", verbose_name=_("负责网格"))

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self):
        return self.full_name or self.username

    def has_role(self, role: str) -> bool:
        return role in (self.roles or [])

    @property
    def is_subdistrict_wide(self) -> bool:
        return any(role in SUBDISTRICT_WIDE_ROLES for role in self.roles or [])

    @property
    def display_name(self) -> str:
        return self.full_name or self.username
