"""Report snapshots (日报 / 月报), in-app notices, and ledger uploads imported in the background."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .enums import ImportState, NoticeKind, ReportKind


class ImmutableQuerySet(models.QuerySet):
    """A snapshot is evidence of what the figures were: no bulk update or delete either."""

    def update(self, **kwargs):
        raise ValidationError(_("报表快照不可修改，请重新生成新版本。"))

    def delete(self):
        raise ValidationError(_("报表快照不可删除。"))


class Snapshot(models.Model):
    """An immutable snapshot of the statistics for one day or one month.

    Regenerating makes a new version with who and why; the unique (kind, period,
    version) row is also the claim that makes a scheduled generation idempotent.
    """

    kind = models.CharField(_("类型"), max_length=8, choices=ReportKind.choices)
    # The day of a daily report, the first of the month of a monthly one.
    period = models.DateField(_("报表期间"))
    version = models.PositiveIntegerField(_("版本"))
    generated_at = models.DateTimeField(_("生成时间"))
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("生成人"),
    )
    reason = models.CharField(_("生成原因"), max_length=200, blank=True)
    # sha256 of the figures that describe the cases (not of when they were computed):
    # "nothing changed" means the same fingerprint.
    fingerprint = models.CharField(max_length=64)
    figures = models.JSONField(_("统计数据"))

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        verbose_name = _("报表")
        verbose_name_plural = _("报表")
        ordering = ["-period", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "period", "version"], name="snapshot_version_unique"),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="snapshot_version_positive"),
        ]

    def __str__(self):
        return f"{self.title} v{self.version}"

    @property
    def title(self) -> str:
        if self.kind == ReportKind.MONTHLY:
            return _("%(year)s年%(month)s月 矛盾纠纷月报") % {"year": self.period.year, "month": self.period.month}
        return _("%(date)s 矛盾纠纷日报") % {"date": self.period.isoformat()}

    @property
    def period_label(self) -> str:
        return self.period.strftime("%Y-%m") if self.kind == ReportKind.MONTHLY else self.period.isoformat()

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("报表快照不可修改，请重新生成新版本。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("报表快照不可删除。"))


class Notice(models.Model):
    """An in-app notice (also mailed). `key` makes each reminder once-only: the same
    deadline or warning notified twice by a retried task creates one row."""

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


class LedgerImport(models.Model):
    """One ledger file uploaded on the ledger page, imported by a worker while the page shows progress.

    Also the record of who imported which file (its SHA-256) when, in what mode, and what came of
    it. The file itself is kept only until it has been read; the outcome stays (`report`).
    """

    # Not a counter: the progress page's address is not to be guessed.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subdistrict = models.ForeignKey(
        "grids.Subdistrict", on_delete=models.PROTECT, related_name="+", verbose_name=_("街道")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("上传人")
    )
    requested_at = models.DateTimeField(_("上传时间"))
    filename = models.CharField(_("文件名"), max_length=255)
    sha256 = models.CharField(_("文件摘要"), max_length=64)
    size = models.PositiveIntegerField(_("文件大小"))
    content = models.BinaryField(null=True, editable=False)
    sheet = models.CharField(_("工作表"), max_length=100, blank=True)
    valid_only = models.BooleanField(_("只导入无误的行"), default=False)
    dry_run = models.BooleanField(_("试导入"), default=False)
    state = models.CharField(_("状态"), max_length=8, choices=ImportState.choices, default=ImportState.QUEUED)
    # Runs begun (a worker that died mid-run leaves its attempt counted, and the import undone).
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # The importer's report (reports.ledger.importer.ImportReport as data), or the file's problem.
    report = models.JSONField(default=dict, editable=False)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("台账导入")
        verbose_name_plural = _("台账导入")
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["subdistrict", "-requested_at"], name="ledger_import_recent_idx")]

    def __str__(self):
        return f"{self.filename} ({self.get_state_display()})"

    @property
    def mode_label(self) -> str:
        if self.dry_run:
            return _("试导入")
        return _("只导入无误的行") if self.valid_only else _("全部导入")
