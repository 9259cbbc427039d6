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


class AuditAction(models.TextChoices):
    LOGIN = "login", _("登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOGOUT = "logout", _("退出")
    ROLES_CHANGED = "roles_changed", _("角色或范围变更")
    PERSONAL_DATA_REVEALED = "personal_data_revealed", _("查看完整个人信息")
    EXPORTED = "exported", _("导出")


class AuditEntry(models.Model):
    """Append-only audit of who signed in, who changed whose roles, who saw or exported personal data.

    Case-specific changes are CaseEvents; this log holds what is about people and access.
    """

    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("操作人")
    )
    # What was typed at a failed sign-in: there may be no such user.
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    action = models.CharField(_("事项"), max_length=32, choices=AuditAction.choices, db_index=True)
    target = models.CharField(_("对象"), max_length=100, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.username or self.actor_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("审计日志只能追加，不能修改。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("审计日志只能追加，不能删除。"))
