"""Ledger uploads (台账导入), imported in the background by a worker while the page shows progress."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .enums import ImportState

# Where uploads wait in the site's storage, each named by its upload's id.
UPLOADS = "ledger/uploads"


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
    # The file, in the site's storage (shared by the web and worker machines) until a worker has read it.
    file = models.FileField(_("文件"), upload_to=f"{UPLOADS}/", max_length=255, blank=True, editable=False)
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
