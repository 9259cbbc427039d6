"""The ground floor: the access audit (who signed in, saw or exported personal data) and notices.

Imports no app of ours; foreign keys to higher apps' models are string references.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .chain import ChainedModel, ChainedQuerySet
from .enums import AuditAction, Channel, DeliveryStatus, NoticeKind


class AuditEntry(ChainedModel):
    """Append-only audit of who signed in, who changed whose roles, who saw or exported personal data,
    each row chained to the one before by an SM3 hash (common.chain; `manage.py verify_audit`).

    Case-specific changes are CaseEvents; this log holds what is about people and access.
    """

    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    # What was typed at a failed sign-in: there may be no such user.
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    action = models.CharField(_("事项"), max_length=32, choices=AuditAction.choices, db_index=True)
    target = models.CharField(_("对象"), max_length=100, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP地址"), null=True, blank=True)

    objects = ChainedQuerySet.as_manager()

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


class Notice(models.Model):
    """An in-app notice (also delivered by the channels the user chose). `key` makes each notice
    once-only: the same event notified twice (a retried task, two racing requests) creates one row."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices", verbose_name=_("接收人")
    )
    case = models.ForeignKey(
        "casework.DisputeCase",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("案件"),
    )
    kind = models.CharField(_("类型"), max_length=16, choices=NoticeKind.choices)
    key = models.CharField(max_length=64)
    text = models.TextField(_("内容"))
    # Where the notice's object is (a case, a report, the return owed): the writer knows it, the
    # list only shows it. A path, so it survives a change of host.
    link = models.CharField(_("链接"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "kind", "key"], name="notice_once")]
        indexes = [models.Index(fields=["user", "read_at"], name="notice_user_unread_idx")]

    def __str__(self):
        return self.text[:40]


class NoticePreference(models.Model):
    """How one user wants one kind of notice: in the app (unread until read), by e-mail, by SMS.

    Without a row the defaults hold (common.delivery.DEFAULT_CHANNELS). Deadline reminders and
    early warnings are always shown unread in the app: the service refuses a row muting them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notice_preferences",
        verbose_name=_("用户"),
    )
    kind = models.CharField(_("类型"), max_length=16, choices=NoticeKind.choices)
    in_app = models.BooleanField(_("站内"), default=True)
    email = models.BooleanField(_("电子邮件"), default=True)
    sms = models.BooleanField(_("短信"), default=False)

    class Meta:
        verbose_name = _("通知方式")
        verbose_name_plural = _("通知方式")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notice_preference_once")]

    def __str__(self):
        return f"{self.user_id} {self.kind}"


class NoticeDelivery(models.Model):
    """One notice sent through one channel. The unique pair is what makes sending idempotent: the
    row is written with the notice, and the task that sends marks it sent under a row lock, so a
    retried or redelivered task finds it sent and sends nothing."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("通知"))
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    address = models.CharField(_("地址"), max_length=254)
    status = models.CharField(
        _("状态"), max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    error = models.CharField(_("最近错误"), max_length=200, blank=True)
    # What the gateway called the message, when it says.
    reference = models.CharField(_("回执"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知发送")
        verbose_name_plural = _("通知发送")
        constraints = [models.UniqueConstraint(fields=["notice", "channel"], name="notice_delivery_once")]

    def __str__(self):
        return f"{self.notice_id} {self.channel} {self.status}"
