"""Choices of the audit and of notices. A leaf module: imports nothing of ours."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    LOGIN = "login", _("登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOGOUT = "logout", _("退出")
    ROLES_CHANGED = "roles_changed", _("角色或范围变更")
    PERSONAL_DATA_REVEALED = "personal_data_revealed", _("查看完整个人信息")
    EXPORTED = "exported", _("导出")
    TEXT_CLEANED = "text_cleaned", _("清除控制字符")
    DUPLICATE_CHECKED = "duplicate_checked", _("重复纠纷查询")
    PERSONAL_DATA_SEARCHED = "personal_data_searched", _("按证件号码或手机号码查找")


class NoticeKind(models.TextChoices):
    DUE_SOON = "due_soon", _("即将到期")
    DUE_TODAY = "due_today", _("今日到期")
    OVERDUE = "overdue", _("已超期")
    WARNING = "warning", _("预警")
    REPORT = "report", _("报表已生成")
    ASSIGNED = "assigned", _("指派调解")
    ESCALATED = "escalated", _("上报")
    DECIDED = "decided", _("受理结果")
    CLOSED = "closed", _("已结案")
    RECUSAL = "recusal", _("回避")
    PROGRESS = "progress", _("调解进展")
    RETURN_OWED = "return_owed", _("排查待报")
    RETURN_MISSED = "return_missed", _("排查缺报")
    JUDICIAL = "judicial", _("司法确认期限")
    ANOMALY = "anomaly", _("异常上升")
    WITHDRAWN = "withdrawn", _("已撤回")
    SUPERVISION = "supervision", _("督办")


class Channel(models.TextChoices):
    """How a notice reaches its reader besides the app itself (站内, always)."""

    EMAIL = "email", _("电子邮件")
    SMS = "sms", _("短信")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


# Notices about a deadline or an early warning: nobody may switch them off.
MANDATORY_NOTICE_KINDS = frozenset({NoticeKind.DUE_SOON, NoticeKind.DUE_TODAY, NoticeKind.OVERDUE, NoticeKind.WARNING})
