"""Who mediates, and the records of mediation: sessions, agreements, follow-ups."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from casework.enums import JUDICIAL_WINDOW_STATES
from casework.models import Correctable, CurrentManager, NeverDeleteModel, NeverDeleteQuerySet

from .enums import (
    THIRD_PARTY_KINDS,
    AgreementForm,
    FollowUpMethod,
    JudicialConfirmation,
    MediatorKind,
    OrganizationKind,
)


class MediationOrganization(models.Model):
    name = models.CharField(_("名称"), max_length=100, unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=OrganizationKind.choices)
    contact = models.CharField(_("联系方式"), max_length=100, blank=True)
    active = models.BooleanField(_("合作中"), default=True)

    class Meta:
        verbose_name = _("调解组织")
        verbose_name_plural = _("调解组织")
        ordering = ["name"]

    def __str__(self):
        return self.name


class MediatorQuerySet(models.QuerySet):
    def assignable(self):
        return self.filter(active=True, available=True)

    def third_party(self):
        return self.filter(kind__in=THIRD_PARTY_KINDS)


class Mediator(models.Model):
    name = models.CharField(_("姓名"), max_length=64)
    kind = models.CharField(_("类型"), max_length=24, choices=MediatorKind.choices)
    organization = models.ForeignKey(
        MediationOrganization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mediators",
        verbose_name=_("所属组织"),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mediator",
        verbose_name=_("登录账号"),
    )
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    specialties = models.CharField(_("擅长领域"), max_length=200, blank=True)
    active = models.BooleanField(_("在册"), default=True)
    available = models.BooleanField(_("可接案"), default=True)

    objects = MediatorQuerySet.as_manager()

    class Meta:
        verbose_name = _("调解员")
        verbose_name_plural = _("调解员")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    @property
    def is_third_party(self) -> bool:
        return self.kind in THIRD_PARTY_KINDS


class ConflictDeclaration(NeverDeleteModel):
    """回避: a mediator declares an interest in a case and may not be assigned to it."""

    mediator = models.ForeignKey(Mediator, on_delete=models.PROTECT, related_name="conflicts", verbose_name=_("调解员"))
    case = models.ForeignKey(
        "casework.DisputeCase", on_delete=models.PROTECT, related_name="conflicts", verbose_name=_("案件")
    )
    reason = models.CharField(_("回避理由"), max_length=200)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField(_("声明时间"))

    objects = NeverDeleteQuerySet.as_manager()

    class Meta:
        verbose_name = _("回避声明")
        verbose_name_plural = _("回避声明")
        constraints = [models.UniqueConstraint(fields=["mediator", "case"], name="conflict_once")]


class OrganizationConflict(NeverDeleteModel):
    """回避 of a whole organisation: it declares an interest in a party (a client of the firm, say),
    and none of its mediators is offered for a case that party is in."""

    organization = models.ForeignKey(
        MediationOrganization, on_delete=models.PROTECT, related_name="conflicts", verbose_name=_("调解组织")
    )
    party_name = models.CharField(_("当事人名称"), max_length=100)
    reason = models.CharField(_("回避理由"), max_length=200)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField(_("声明时间"))

    objects = NeverDeleteQuerySet.as_manager()

    class Meta:
        verbose_name = _("组织回避声明")
        verbose_name_plural = _("组织回避声明")
        ordering = ["organization", "party_name"]

    def __str__(self):
        return f"{self.organization}：{self.party_name}"


class MediationSession(Correctable):
    """调解记录: one sitting, with what the law asks the record to show."""

    case = models.ForeignKey(
        "casework.DisputeCase", on_delete=models.PROTECT, related_name="sessions", verbose_name=_("案件")
    )
    held_at = models.DateTimeField(_("调解时间"))
    location = models.CharField(_("地点"), max_length=100)
    attendees = models.TextField(_("参加人员"), blank=True)
    presiding = models.ForeignKey(
        Mediator,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("主持调解员"),
    )
    # 若干规定 art. 29: public unless privacy, trade secrets or a party's objection forbid it.
    public = models.BooleanField(_("公开调解"), default=False)
    # 若干规定 art. 30: every party was told what mediation is, its effect, their rights and duties
    # (per party in SessionParty when the sitting was recorded party by party).
    rights_explained = models.BooleanField(_("已告知权利义务"), default=False)
    rights_explained_by = models.CharField(_("告知人"), max_length=64, blank=True)
    # art. 3 and 17: mediation is voluntary; a clear refusal is recorded and mediation does not go ahead.
    party_refused = models.BooleanField(_("当事人明确拒绝调解"), default=False)
    summary = models.TextField(_("调解情况"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("记录时间"))

    objects = CurrentManager.from_queryset(NeverDeleteQuerySet)()
    all_rows = NeverDeleteQuerySet.as_manager()

    class Meta:
        default_manager_name = "objects"
        verbose_name = _("调解记录")
        verbose_name_plural = _("调解记录")
        ordering = ["held_at", "id"]


class SessionParty(NeverDeleteModel):
    """One party at one sitting: told (告知, 若干规定 art. 30: who told them, when) and whether they
    clearly refused to go on (art. 3, 17). The session's rights_explained and party_refused sum these up."""

    session = models.ForeignKey(
        MediationSession, on_delete=models.PROTECT, related_name="party_notes", verbose_name=_("调解记录")
    )
    party = models.ForeignKey("casework.Party", on_delete=models.PROTECT, related_name="+", verbose_name=_("当事人"))
    informed = models.BooleanField(_("已告知"), default=False)
    informed_by = models.CharField(_("告知人"), max_length=64, blank=True)
    informed_at = models.DateTimeField(_("告知时间"), null=True, blank=True)
    refused = models.BooleanField(_("明确拒绝调解"), default=False)

    objects = NeverDeleteQuerySet.as_manager()

    class Meta:
        verbose_name = _("当事人告知与意愿")
        verbose_name_plural = _("当事人告知与意愿")
        ordering = ["session_id", "party_id"]
        constraints = [models.UniqueConstraint(fields=["session", "party"], name="session_party_once")]


class AgreementQuerySet(NeverDeleteQuerySet):
    def awaiting_application(self, today):
        """Art. 33's window running: agreed (closed since or not), nobody applied, and not yet closed."""
        return self.filter(
            judicial_confirmation=JudicialConfirmation.NOT_APPLIED,
            judicial_deadline__gte=today,
            case__status__in=JUDICIAL_WINDOW_STATES,
        )


class Agreement(NeverDeleteModel):
    """调解协议: written (调解协议书, art. 29) or oral (art. 28)."""

    case = models.OneToOneField(
        "casework.DisputeCase", on_delete=models.PROTECT, related_name="agreement", verbose_name=_("案件")
    )
    form = models.CharField(_("协议形式"), max_length=8, choices=AgreementForm.choices)
    # art. 29: the main facts, the matters in dispute and each party's responsibility …
    facts = models.TextField(_("纠纷的主要事实"), blank=True)
    disputed_matters = models.TextField(_("争议事项"), blank=True)
    responsibilities = models.TextField(_("各方当事人的责任"), blank=True)
    # … what was agreed, and how and by when it is performed.
    terms = models.TextField(_("协议内容"))
    performance_method = models.CharField(_("履行方式"), max_length=200, blank=True)
    performance_deadline = models.DateField(_("履行期限"), null=True, blank=True)
    # The agreement takes effect when signed (art. 29); its art. 33 window runs from then. A written
    # one records who signed and how ([{"party": id, "mark": SignatureMark}]), the mediator's signature
    # and the committee's seal.
    signed_on = models.DateField(_("签订日期"))
    signatures = models.JSONField(_("当事人签署"), default=list, blank=True)
    mediator_signed = models.BooleanField(_("调解员已签名"), default=False)
    committee_sealed = models.BooleanField(_("已加盖调解委员会印章"), default=False)
    # art. 33: the parties may jointly apply for judicial confirmation within 30 days. Each step
    # (applied, the court's answer …) is a JudicialConfirmationEntry; this column mirrors the latest
    # one's status, written in the same transaction, so the queue and reminders filter on it.
    judicial_confirmation = models.CharField(
        _("司法确认"),
        max_length=16,
        choices=JudicialConfirmation.choices,
        default=JudicialConfirmation.NOT_APPLIED,
    )
    judicial_deadline = models.DateField(_("司法确认申请期限"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("记录时间"))

    objects = AgreementQuerySet.as_manager()

    class Meta:
        verbose_name = _("调解协议")
        verbose_name_plural = _("调解协议")

    def judicial_window(self, today) -> str:
        """Where art. 33's window stands: "applied" (any answer recorded), "open" or "lapsed"."""
        if self.judicial_confirmation != JudicialConfirmation.NOT_APPLIED:
            return "applied"
        return "open" if self.judicial_deadline >= today else "lapsed"

    @property
    def judicial_latest(self):
        """The latest judicial-confirmation entry (its application date, court, answer), or None."""
        entries = list(self.judicial_entries.all())  # one query (the case's page reads the history from its events)
        return entries[-1] if entries else None


class JudicialConfirmationEntry(models.Model):
    """司法确认 (art. 33), one step at a time: the parties applied (where, when), the court confirmed
    or refused (when), or the application came to nothing (withdrawn, recorded in error: `note` says
    which). Appended, never changed: the history is the record, the agreement mirrors the latest."""

    agreement = models.ForeignKey(
        Agreement, on_delete=models.PROTECT, related_name="judicial_entries", verbose_name=_("调解协议")
    )
    status = models.CharField(_("司法确认"), max_length=16, choices=JudicialConfirmation.choices)
    applied_on = models.DateField(_("申请日期"), null=True, blank=True)
    court = models.CharField(_("受理法院"), max_length=100, blank=True)
    answered_on = models.DateField(_("裁定日期"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人")
    )
    recorded_at = models.DateTimeField(_("记录时间"))

    class Meta:
        verbose_name = _("司法确认记录")
        verbose_name_plural = _("司法确认记录")
        ordering = ["recorded_at", "id"]
        indexes = [models.Index(fields=["agreement", "recorded_at"], name="judicial_entry_agreement_idx")]

    def __str__(self):
        return f"{self.agreement_id} {self.get_status_display()} {self.recorded_at:%Y-%m-%d}"


class FollowUp(Correctable):
    """回访: is the agreement performed, how satisfied are the parties."""

    case = models.ForeignKey(
        "casework.DisputeCase", on_delete=models.PROTECT, related_name="follow_ups", verbose_name=_("案件")
    )
    date = models.DateField(_("回访日期"))
    method = models.CharField(_("回访方式"), max_length=8, choices=FollowUpMethod.choices, default=FollowUpMethod.PHONE)
    performed = models.BooleanField(_("协议已履行"))
    satisfaction = models.PositiveSmallIntegerField(
        _("满意度"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    notes = models.TextField(_("回访情况"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("记录时间"))

    objects = CurrentManager.from_queryset(NeverDeleteQuerySet)()
    all_rows = NeverDeleteQuerySet.as_manager()

    class Meta:
        default_manager_name = "objects"
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        ordering = ["date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction__gte=1, satisfaction__lte=5),
                name="follow_up_satisfaction_1_5",
            )
        ]
