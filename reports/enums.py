"""Choices of reports. A leaf module: imports nothing of ours."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportKind(models.TextChoices):
    DAILY = "daily", _("日报")
    MONTHLY = "monthly", _("月报")
