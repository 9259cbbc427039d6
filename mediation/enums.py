"""Choices of the mediation side. A leaf module: imports nothing of ours."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MediatorKind(models.TextChoices):
    LAWYER = "lawyer", _("律师")
    SOCIAL_WORKER = "social_worker", _("社工")
    LEGAL_ADVISER = "legal_adviser", _("法律顾问")
    PEOPLES_MEDIATOR = "peoples_mediator", _("人民调解员")
    VOLUNTEER = "volunteer", _("志愿者")


# Third-party mediators (第三方调解): professionals the centre brings in, the seed's 无限合伙人,
# as against people's mediators and volunteers. Statistics are filtered by it.
THIRD_PARTY_KINDS = frozenset({MediatorKind.LAWYER, MediatorKind.SOCIAL_WORKER, MediatorKind.LEGAL_ADVISER})


class OrganizationKind(models.TextChoices):
    LAW_FIRM = "law_firm", _("律师事务所")
    NGO = "ngo", _("社会组织")
    COMMITTEE = "committee", _("人民调解委员会")
    OTHER = "other", _("其他")


class AgreementForm(models.TextChoices):
    WRITTEN = "written", _("书面协议（调解协议书）")
    ORAL = "oral", _("口头协议")


class SignatureMark(models.TextChoices):
    """How a party executed a written agreement (art. 29: 签名、盖章或者按指印)."""

    SIGNATURE = "signature", _("签名")
    SEAL = "seal", _("盖章")
    FINGERPRINT = "fingerprint", _("按指印")


class JudicialConfirmation(models.TextChoices):
    NOT_APPLIED = "not_applied", _("未申请")
    PENDING = "pending", _("已申请，待裁定")
    CONFIRMED = "confirmed", _("法院确认有效")
    REJECTED = "rejected", _("法院驳回申请")


class FollowUpMethod(models.TextChoices):
    VISIT = "visit", _("上门回访")
    PHONE = "phone", _("电话回访")
    OTHER = "other", _("其他")
