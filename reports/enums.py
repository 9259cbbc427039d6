"""Choices of reports and notices. A leaf module: imports nothing of ours."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportKind(models.TextChoices):
    DAILY = "daily", _("日报")
    MONTHLY = "monthly", _("月报")


class NoticeKind(models.TextChoices):
    DUE_SOON = "due_soon", _("即将到期")
    DUE_TODAY = "due_today", _("今日到期")
    WARNING = "warning", _("预警")
    REPORT = "report", _("报表已生成")


class ImportState(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
