"""Dispute cases, their parties and their append-only audit trail.

A case's status changes only through the FSM transitions below, and those run
only inside casework.services / mediation.services, which check permissions,
write under optimistic locking (`version`) and write the CaseEvent in the same transaction.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from common.chain import ChainedModel, ChainedQuerySet
from common.fields import BlindIndexField, SealedField, SealedQuerySet
from common.prepared import attached, detach

from . import permissions, versions
from .enums import (
    CONCLUDED,
    OPEN,
    CalendarDayKind,
    CaseStatus,
    Guidance,
    Level,
    MediatorSelection,
    Outcome,
    PartyKind,
    PartyRole,
    RecordKind,
    Referral,
    Risk,
    Sex,
    Source,
    Transition,
    running_deadline,
)
from .personal_data import (
    mask_id_number,
    mask_phone,
    particulars_from_id,
    validate_age,
    validate_id_number,
    validate_iso_date,
    validate_mobile,
)

S = CaseStatus


class NeverDeleteQuerySet(models.QuerySet):
    """The file keeps everything (People's Mediation Law art. 27): rows are superseded, never deleted."""

    def delete(self):
        raise ValidationError(_("案卷记录不得删除。"))


class NeverDeleteModel(models.Model):
    class Meta:
        abstract = True

    def delete(self, *args, **kwargs):
        raise ValidationError(_("案卷记录不得删除。"))


class CurrentManager(models.Manager):
    """The rows nothing has superseded: what the record says now. Every read of a correctable record
    goes through it (the reverse relations and their prefetches too); `all_rows` keeps the history."""

    def get_queryset(self):
        return super().get_queryset().filter(superseded_by__isnull=True)


class Correctable(NeverDeleteModel):
    """A record corrected by a new row that supersedes it (People's Mediation Law art. 27: the file
    keeps everything): the old row is never changed; the new one says who corrected it, when and why.

    `earlier` lists the rows this one replaces, oldest first, so a reference to any of them (a
    signature, the parties who chose the mediator) still finds its current row without a query.
    """

    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="superseded_by",
        verbose_name=_("更正前记录"),
    )
    earlier = models.JSONField(_("更正前记录（依次）"), default=list, blank=True, editable=False)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("更正人"),
    )
    corrected_at = models.DateTimeField(_("更正时间"), null=True, blank=True, editable=False)
    correction_reason = models.CharField(_("更正理由"), max_length=200, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def lineage(self) -> list[int]:
        """This row's id and those of the rows it replaces, newest first."""
        return [self.pk, *reversed(self.earlier or [])]

    @property
    def is_correction(self) -> bool:
        return self.supersedes_id is not None


class Category(models.Model):
    """Dispute category (婚姻家庭, 邻里, 物业 …): reference data, referred to by code."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64, unique=True)
    active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("纠纷类别")
        verbose_name_plural = _("纠纷类别")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name


class CalendarDayQuerySet(models.QuerySet):
    """Days written in bulk (a year loaded from the package or a sheet) replace the cases' version as
    a save does (casework.versions): the dashboards' calendar check is kept under it."""

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        if created:
            versions.cases_changed()
        return created

    def update(self, **kwargs):
        updated = super().update(**kwargs)
        if updated:
            versions.cases_changed()
        return updated


class CalendarDay(models.Model):
    """A day that breaks the Monday-to-Friday rule: a public holiday or a 调休 working day."""

    objects = CalendarDayQuerySet.as_manager()

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=8, choices=CalendarDayKind.choices)
    name = models.CharField(_("名称"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()} {self.name}"


class CaseNumberCounter(models.Model):
    """Last number issued per subdistrict and year; locked while a case is registered."""

    subdistrict = models.ForeignKey("grids.Subdistrict", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subdistrict", "year"], name="case_counter_unique")]

    def __str__(self):
        return f"{self.subdistrict_id}-{self.year}: {self.last_number}"


class CaseQuerySet(NeverDeleteQuerySet):
    def open(self):
        return self.filter(status__in=OPEN)

    def overdue(self, today: dt.date):
        # next_due holds the one deadline running in the current state (see DisputeCase.current_due).
        return self.filter(next_due__lt=today)

    def warning(self):
        return self.filter(is_warning=True)

    def concluded(self):
        return self.filter(concluded_at__isnull=False)

    def concluded_between(self, start: dt.datetime | None, end: dt.datetime | None):
        qs = self.concluded()
        if start is not None:
            qs = qs.filter(concluded_at__gte=start)
        if end is not None:
            qs = qs.filter(concluded_at__lt=end)
        return qs

    def concluded_for_community(self, start: dt.datetime | None, end: dt.datetime | None):
        """What a community counts as its conclusions between two moments: the cases concluded, and
        those that failed at community level and were taken up the ladder since, not concluded
        again. Escalation reopens a case and clears its outcome, so such a failure is read from its
        events; concluded again higher up, the case counts as it ended, once."""
        failed = CaseEvent.objects.filter(case_id=models.OuterRef("pk"), name=Transition.FAIL)
        if start is not None:
            failed = failed.filter(at__gte=start)
        if end is not None:
            failed = failed.filter(at__lt=end)
        taken_up = CaseEvent.objects.filter(
            case_id=models.OuterRef("pk"), name=Transition.ESCALATE, from_status=CaseStatus.FAILED
        )
        return self.filter(
            Q(pk__in=self.concluded_between(start, end).values("pk"))
            | Q(outcome="", concluded_at__isnull=True) & Q(models.Exists(failed)) & Q(models.Exists(taken_up))
        )

    def involving_mediator_user(self, user_id: int):
        co = DisputeCase.co_mediators.through.objects.filter(
            disputecase_id=models.OuterRef("pk"), mediator__user_id=user_id
        )
        return self.filter(Q(lead_mediator__user_id=user_id) | Q(models.Exists(co)))


def _perm(name):
    """FSM `permission=` for a transition: the same predicate views and the API use."""
    return lambda case, user: permissions.can_transition(user, case, name)


class DisputeCase(NeverDeleteModel):
    number = models.CharField(_("案件编号"), max_length=32, unique=True, editable=False)
    year = models.PositiveSmallIntegerField(_("年度"), editable=False)
    # Set by integrations (12345 hotline id, ledger row, demo key) so a repeated push creates nothing new.
    external_ref = models.CharField(_("外部编号"), max_length=64, null=True, blank=True, editable=False)

    subdistrict = models.ForeignKey(
        "grids.Subdistrict", on_delete=models.PROTECT, related_name="+", verbose_name=_("街道")
    )
    # Denormalised from the grid so scope and queue filters need no join.
    community = models.ForeignKey(
        "grids.Community", on_delete=models.PROTECT, related_name="cases", verbose_name=_("社区")
    )
    grid = models.ForeignKey("grids.Grid", on_delete=models.PROTECT, related_name="cases", verbose_name=_("网格"))
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="cases", verbose_name=_("类别"))
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    risk = models.CharField(_("风险等级"), max_length=16, choices=Risk.choices, default=Risk.NORMAL)
    level = models.CharField(_("调解层级"), max_length=16, choices=Level.choices, blank=True)
    description = models.TextField(_("纠纷简要情况"))
    occurred_on = models.DateField(_("发生日期"), null=True, blank=True)

    status = FSMField(_("状态"), max_length=16, choices=CaseStatus.choices, default=S.REPORTED, protected=True)
    # The optimistic lock: every change to a case is an UPDATE … WHERE id = %s AND version = %s that
    # bumps it, so a change made since the case was read is never overwritten (casework.services).
    version = models.PositiveIntegerField(default=1, editable=False)

    registered_at = models.DateTimeField(_("登记时间"), db_index=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人")
    )
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    concluded_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    outcome = models.CharField(_("调解结果"), max_length=8, choices=Outcome.choices, blank=True)

    accept_due = models.DateField(_("受理期限"))
    conclude_due = models.DateField(_("办结期限"), null=True, blank=True)
    conclude_extended = models.BooleanField(_("已延期"), default=False)
    # The ladder: the subdistrict starts its own conclusion clock when a case is escalated, and the
    # community's leg is kept here, so that its lateness is charged to the community, not to the
    # subdistrict that received the case.
    escalated_at = models.DateTimeField(_("上报时间"), null=True, blank=True)
    community_conclude_due = models.DateField(_("社区办结期限"), null=True, blank=True)
    community_days = models.PositiveSmallIntegerField(_("社区办理天数"), null=True, blank=True)
    community_overdue = models.BooleanField(_("社区逾期"), default=False)
    # The rung above: the district starts its own clock when the subdistrict refers the case up, and
    # the subdistrict's leg is kept here, so that its lateness is charged to the subdistrict.
    referred_at = models.DateTimeField(_("上报区时间"), null=True, blank=True)
    subdistrict_conclude_due = models.DateField(_("街道办结期限"), null=True, blank=True)
    subdistrict_days = models.PositiveSmallIntegerField(_("街道办理天数"), null=True, blank=True)
    subdistrict_overdue = models.BooleanField(_("街道逾期"), default=False)
    follow_up_due = models.DateField(_("回访期限"), null=True, blank=True)
    next_due = models.DateField(_("当前期限"), null=True, blank=True)

    lead_mediator = models.ForeignKey(
        "mediation.Mediator",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lead_cases",
        verbose_name=_("主调解员"),
    )
    co_mediators = models.ManyToManyField(
        "mediation.Mediator", blank=True, related_name="co_cases", verbose_name=_("协助调解员")
    )
    # art. 19: the committee (or centre) appoints the mediator, or the parties choose one.
    mediator_selection = models.CharField(
        _("调解员产生方式"), max_length=16, choices=MediatorSelection.choices, blank=True
    )
    # The ids of the parties who chose the lead mediator (when chosen).
    chosen_by = models.JSONField(_("选定调解员的当事人"), default=list, blank=True)
    # The "331" ladder: how many mediation attempts were made at each level.
    community_attempts = models.PositiveSmallIntegerField(_("社区调解次数"), default=0)
    subdistrict_attempts = models.PositiveSmallIntegerField(_("街道调解次数"), default=0)
    district_attempts = models.PositiveSmallIntegerField(_("区调解次数"), default=0)
    session_count = models.PositiveIntegerField(_("调解记录数"), default=0)
    follow_up_count = models.PositiveIntegerField(_("回访次数"), default=0)

    decline_reason = models.TextField(_("不予受理理由"), blank=True)
    referral = models.CharField(_("引导至"), max_length=16, choices=Referral.choices, blank=True)
    fail_reason = models.TextField(_("调解不成原因"), blank=True)
    guidance = models.CharField(_("告知其他途径"), max_length=16, choices=Guidance.choices, blank=True)
    withdraw_reason = models.TextField(_("撤回理由"), blank=True)

    is_warning = models.BooleanField(_("预警"), default=False)
    warning_reasons = models.JSONField(_("预警原因"), default=list, blank=True)
    party_count = models.PositiveSmallIntegerField(_("当事人数"), default=0)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("矛盾纠纷案件")
        verbose_name_plural = _("矛盾纠纷案件")
        ordering = ["-registered_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subdistrict", "external_ref"],
                condition=Q(external_ref__isnull=False),
                name="case_external_ref_unique",
            ),
            models.CheckConstraint(
                condition=Q(outcome="") | Q(concluded_at__isnull=False), name="case_outcome_has_conclusion"
            ),
        ]
        indexes = [
            # INCLUDE id: the reports' open-case counts by status are index-only scans.
            models.Index(fields=["status", "-registered_at"], include=["id"], name="case_status_reg_cover_idx"),
            # The queue's sort (-is_warning, -registered_at, -id) under its usual scopes and filters, so a
            # page is an index range and keyset paging reaches page 2,000 as fast as page 1 (bench/).
            models.Index(fields=["subdistrict", "is_warning", "registered_at", "id"], name="case_sub_queue_idx"),
            models.Index(
                fields=["subdistrict", "status", "is_warning", "registered_at", "id"], name="case_sub_status_queue_idx"
            ),
            # The scope's subdistrict rides along, so counting a community's cases (the queue's total)
            # reads this index alone instead of visiting a heap page for every case.
            models.Index(
                fields=["community", "status", "is_warning", "registered_at", "id"],
                include=["subdistrict"],
                name="case_com_status_queue_idx",
            ),
            models.Index(fields=["grid", "status"], name="case_grid_status_idx"),
            models.Index(fields=["next_due"], name="case_next_due_idx"),
            # Reports: a period's registrations and conclusions are index ranges, and the columns the
            # reports group and count by ride along (INCLUDE), so the aggregates are index-only scans
            # that never visit the table (×15 faster at 1M rows; bench/, docs/performance.md).
            models.Index(
                fields=["registered_at"],
                include=["id", "category", "community", "grid", "source", "risk", "status"],
                name="case_registered_cover_idx",
            ),
            models.Index(
                fields=["concluded_at"],
                include=["id", "outcome", "lead_mediator", "registered_at", "conclude_due"],
                name="case_concluded_cover_idx",
            ),
            models.Index(fields=["is_warning", "status"], name="case_warning_idx"),
            # The live figures of one territory (驾驶舱, 民情地图, 研判), each an index-only range of its
            # subdistrict: the period's registrations, its conclusions, and the open stock (a partial
            # index: a few percent of the cases).
            models.Index(
                fields=["subdistrict", "registered_at"],
                include=["id", "category", "community", "grid"],
                name="case_sub_registered_cover_idx",
            ),
            models.Index(
                fields=["subdistrict", "concluded_at"],
                include=["id", "outcome", "conclude_due", "community", "grid"],
                name="case_sub_concluded_cover_idx",
            ),
            models.Index(
                fields=["subdistrict", "community", "grid"],
                include=["id", "status", "is_warning", "next_due"],
                condition=Q(status__in=sorted(OPEN)),
                name="case_sub_open_cover_idx",
            ),
        ]

    def __str__(self):
        return self.number

    # The transitions are guards: they check state and conditions and set the
    # fields the new state needs. Times and deadlines come from the service.

    @transition(field=status, source=S.REPORTED, target=S.ACCEPTED, permission=_perm(Transition.ACCEPT))
    def accept(self, *, level, at, conclude_due):
        self.level = level
        self.accepted_at = at
        self.conclude_due = conclude_due

    @transition(field=status, source=S.REPORTED, target=S.DECLINED, permission=_perm(Transition.DECLINE))
    def decline(self, *, reason, referral):
        self.decline_reason = reason
        self.referral = referral

    @transition(field=status, source=S.ACCEPTED, target=S.ASSIGNED, permission=_perm(Transition.ASSIGN))
    def assign(self, *, mediator, selection=MediatorSelection.APPOINTED, chosen_by=()):
        self.lead_mediator = mediator
        self.mediator_selection = selection
        self.chosen_by = list(chosen_by)

    @transition(
        field=status,
        source=[S.ASSIGNED, S.MEDIATING],
        target=S.ASSIGNED,
        permission=_perm(Transition.REASSIGN),
    )
    def reassign(self, *, mediator, selection=MediatorSelection.APPOINTED, chosen_by=()):
        self.lead_mediator = mediator
        self.mediator_selection = selection
        self.chosen_by = list(chosen_by)

    @transition(field=status, source=S.ASSIGNED, target=S.MEDIATING, permission=_perm(Transition.START))
    def start(self):
        if self.level == Level.DISTRICT:
            self.district_attempts += 1
        elif self.level == Level.SUBDISTRICT:
            self.subdistrict_attempts += 1
        else:
            self.community_attempts += 1

    @transition(
        field=status,
        source=[S.ASSIGNED, S.MEDIATING],
        target=S.ACCEPTED,
        permission=_perm(Transition.RECUSE),
    )
    def recuse(self):
        # The attempts already counted stay counted; co-mediators stay until the next assignment.
        self.lead_mediator = None
        self.mediator_selection = ""
        self.chosen_by = []

    def has_session(self) -> bool:
        return self.session_count > 0

    @transition(
        field=status,
        source=S.MEDIATING,
        target=S.AGREED,
        conditions=[has_session],
        permission=_perm(Transition.REACH_AGREEMENT),
    )
    def reach_agreement(self, *, at, follow_up_due):
        self.outcome = Outcome.AGREED
        self.concluded_at = at
        self.follow_up_due = follow_up_due

    @transition(
        field=status,
        source=S.MEDIATING,
        target=S.FAILED,
        conditions=[has_session],
        permission=_perm(Transition.FAIL),
    )
    def fail(self, *, at, reason, guidance):
        self.outcome = Outcome.FAILED
        self.concluded_at = at
        self.fail_reason = reason
        self.guidance = guidance

    def is_community_level(self) -> bool:
        return self.level == Level.COMMUNITY

    @transition(
        field=status,
        source=[S.ACCEPTED, S.ASSIGNED, S.MEDIATING, S.FAILED],
        target=S.ACCEPTED,
        conditions=[is_community_level],
        permission=_perm(Transition.ESCALATE),
    )
    def escalate(self, *, at, conclude_due, community_days, community_overdue):
        # The subdistrict takes the case over on a clock of its own; the community's leg (its
        # deadline, the days it held the case, whether it ran late) stays on the case. The community's
        # mediators are released (co-mediators are cleared by the service, which owns the m2m write).
        # A community failure taken up the ladder (小事不出社区，大事不出街道) is open again: its
        # conclusion is now the subdistrict's; the failure stays in the file (its event).
        if self.status == S.FAILED:
            self.outcome = ""
            self.concluded_at = None
        self.escalated_at = at
        self.community_conclude_due = self.conclude_due
        self.community_days = community_days
        self.community_overdue = community_overdue
        self.conclude_due = conclude_due
        self.conclude_extended = False
        self.level = Level.SUBDISTRICT
        self.lead_mediator = None
        self.mediator_selection = ""
        self.chosen_by = []

    def is_subdistrict_level(self) -> bool:
        return self.level == Level.SUBDISTRICT

    def is_in_a_district(self) -> bool:
        return self.subdistrict.district_id is not None

    @transition(
        field=status,
        source=[S.ACCEPTED, S.ASSIGNED, S.MEDIATING, S.FAILED],
        target=S.ACCEPTED,
        conditions=[is_subdistrict_level, is_in_a_district],
        permission=_perm(Transition.REFER_DISTRICT),
    )
    def refer_district(self, *, at, conclude_due, subdistrict_days, subdistrict_overdue):
        # The district's centre takes the case over on a clock of its own, as the subdistrict did
        # from the community; the subdistrict's leg stays on the case, and a subdistrict failure
        # referred up is open again (its conclusion is now the district's; the failure stays in its event).
        if self.status == S.FAILED:
            self.outcome = ""
            self.concluded_at = None
        self.referred_at = at
        self.subdistrict_conclude_due = self.conclude_due
        self.subdistrict_days = subdistrict_days
        self.subdistrict_overdue = subdistrict_overdue
        self.conclude_due = conclude_due
        self.conclude_extended = False
        self.level = Level.DISTRICT
        self.lead_mediator = None
        self.mediator_selection = ""
        self.chosen_by = []

    @transition(
        field=status,
        source=[S.REPORTED, S.ACCEPTED, S.ASSIGNED, S.MEDIATING],
        target=S.WITHDRAWN,
        permission=_perm(Transition.WITHDRAW),
    )
    def withdraw(self, *, reason):
        self.withdraw_reason = reason

    def has_follow_up_if_agreed(self) -> bool:
        return self.status != S.AGREED or self.follow_up_count > 0

    @transition(
        field=status,
        source=[S.AGREED, S.FAILED],
        target=S.CLOSED,
        conditions=[has_follow_up_if_agreed],
        permission=_perm(Transition.CLOSE),
    )
    def close(self, *, at):
        self.closed_at = at

    # Everything below is derived from the fields; no I/O.

    def current_due(self) -> dt.date | None:
        """The one deadline running in the current state, or None (casework.enums.running_deadline says which)."""
        # The follow-up count matters in `agreed` alone: read it only there (under .only() it would load itself).
        field = running_deadline(self.status, self.follow_up_count if self.status == S.AGREED else 0)
        return getattr(self, field) if field else None

    def is_overdue(self, today: dt.date) -> bool:
        return self.next_due is not None and self.next_due < today

    def chosen_by_parties(self) -> list:
        """The parties who chose the lead mediator (art. 19), from the loaded parties."""
        chosen = set(self.chosen_by or [])
        # A party corrected since is still the party who chose: any row of its lineage counts.
        return [party for party in attached(self, "parties") if chosen.intersection(party.lineage)]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def is_concluded(self) -> bool:
        return self.status in CONCLUDED or self.concluded_at is not None

    def mediator_user_ids(self) -> set[int]:
        """Users of the lead and co-mediators (the co-mediators read with the case when they were)."""
        ids = set()
        if self.lead_mediator_id and self.lead_mediator.user_id:
            ids.add(self.lead_mediator.user_id)
        ids.update(m.user_id for m in self.related("co_mediators") if m.user_id)
        return ids

    # A case that exists only among deferred writes (casework.writes: a ledger import) holds its
    # parties, co-mediators and conflict declarations here until they are written: name -> list.
    unwritten_relations: dict[str, list] | None = None

    def related(self, name: str):
        """The case's `parties`, `co_mediators` or `conflicts`, for the services' checks: from memory
        while the case is not written yet, else as read with the case (common.prepared.attached)."""
        if self.unwritten_relations is not None:
            return self.unwritten_relations[name]
        return attached(self, name)

    def save(self, *args, **kwargs):
        # A case is inserted here and changed only by its services (casework.services), with an
        # UPDATE conditional on the version it was read with: a plain save would lose a concurrent change.
        if not self._state.adding:
            raise RuntimeError("A case is changed through casework.services, not saved over.")
        super().save(*args, **kwargs)

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        """Django's refresh, able to reload the protected status, which is always read with the version.

        A loaded status cannot be assigned (`protected=True`) and a refresh assigns what it reads;
        a status that is not loaded (a deferred field) can be, once. So the status is unloaded before
        it is read again, in one query with the version that guards it.
        """
        if fields is None:
            # A full refresh forgets the lists read with the case too, as Django forgets prefetched ones.
            detach(self)
        if fields is None and "status" in self.__dict__:
            loaded = [f.attname for f in self._meta.concrete_fields if f.attname not in self.get_deferred_fields()]
            # First Django's full refresh, which also forgets the loaded relations (the status, unloaded,
            # is left out of it); then every field again with the status, all from one row version.
            del self.__dict__["status"]
            super().refresh_from_db(using=using, from_queryset=from_queryset)
            fields = loaded
        if fields is not None and {"status", "version"} & set(fields):
            fields = {*fields, "status", "version"}
            self.__dict__.pop("status", None)
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)


class PartyQuerySet(SealedQuerySet, NeverDeleteQuerySet):
    pass


class Party(Correctable):
    case = models.ForeignKey(DisputeCase, on_delete=models.PROTECT, related_name="parties", verbose_name=_("案件"))
    role = models.CharField(_("身份"), max_length=16, choices=PartyRole.choices)
    kind = models.CharField(_("类型"), max_length=16, choices=PartyKind.choices, default=PartyKind.PERSON)
    name = models.CharField(_("姓名/名称"), max_length=100)
    # Sealed at rest (SM4-GCM, docs/security.md); searched only by their blind indexes, exactly.
    id_number = SealedField(
        _("身份证号"), purpose="casework.party.id_number", max_length=18, blank=True, validators=[validate_id_number]
    )
    id_number_index = BlindIndexField(source="id_number", db_index=True)
    phone = SealedField(
        _("手机号码"), purpose="casework.party.phone", max_length=11, blank=True, validators=[validate_mobile]
    )
    phone_index = BlindIndexField(source="phone", db_index=True)
    address = SealedField(_("住址"), purpose="casework.party.address", max_length=200, blank=True)
    # The particulars a written agreement names (People's Mediation Law art. 29), sealed like the rest:
    # for a person sex, ethnicity, date of birth or age (sex and birth taken from a valid ID number);
    # for an organisation its legal representative.
    sex = SealedField(_("性别"), purpose="casework.party.sex", max_length=8, blank=True, choices=Sex.choices)
    ethnicity = SealedField(_("民族"), purpose="casework.party.ethnicity", max_length=16, blank=True)
    birth_date = SealedField(
        _("出生日期"), purpose="casework.party.birth_date", max_length=10, blank=True, validators=[validate_iso_date]
    )
    age = SealedField(_("年龄"), purpose="casework.party.age", max_length=3, blank=True, validators=[validate_age])
    legal_representative = SealedField(
        _("法定代表人"), purpose="casework.party.legal_representative", max_length=100, blank=True
    )

    objects = CurrentManager.from_queryset(PartyQuerySet)()
    all_rows = PartyQuerySet.as_manager()

    class Meta:
        default_manager_name = "objects"
        verbose_name = _("当事人")
        verbose_name_plural = _("当事人")
        ordering = ["case_id", "role", "id"]
        indexes = [models.Index(fields=["name"], name="party_name_idx")]

    def __str__(self):
        return self.name

    def missing_particulars(self) -> list[str]:
        """The particulars a written agreement needs (art. 29) that this party lacks, by field name: a
        person's name, sex, ethnicity, date of birth or age, address and ID number; an organisation's
        name, address and legal representative."""
        if self.kind == PartyKind.ORGANISATION:
            needed = ["name", "address", "legal_representative"]
        else:
            needed = ["name", "sex", "ethnicity", "birth_date", "address", "id_number"]
        return [f for f in needed if not getattr(self, f) and not (f == "birth_date" and self.age)]

    def settle_particulars(self) -> None:
        """Sex and date of birth from a valid ID number: filled when blank, refused when they differ."""
        derived = particulars_from_id(self.id_number) if self.kind != PartyKind.ORGANISATION else None
        if derived is None:
            return
        sex, born = derived
        errors = {}
        if self.sex and self.sex != sex:
            errors["sex"] = [_("性别与身份证号不符（身份证号为%(sex)s）。") % {"sex": Sex(sex).label}]
        if self.birth_date and self.birth_date != born.isoformat():
            errors["birth_date"] = [_("出生日期与身份证号不符（身份证号为%(d)s）。") % {"d": born.isoformat()}]
        if errors:
            raise ValidationError(errors)
        self.sex, self.birth_date = sex, born.isoformat()

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @classmethod
    def index_of(cls, field_name: str, value: str) -> str:
        """The blind index of `value` for the sealed field `field_name` ("id_number", "phone")."""
        return cls._meta.get_field(f"{field_name}_index").for_value(value)


class CaseEventQuerySet(ChainedQuerySet, NeverDeleteQuerySet):
    pass


class CaseEvent(ChainedModel):
    """Append-only audit trail: every transition and every record added to a case, each row chained
    to the one before by an SM3 hash (common.chain; `manage.py verify_audit`)."""

    case = models.ForeignKey(DisputeCase, on_delete=models.PROTECT, related_name="events", verbose_name=_("案件"))
    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    name = models.CharField(_("事项"), max_length=32)
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, blank=True)
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    # Events replayed from a ledger import keep their historical time but say where they came from.
    imported = models.BooleanField(_("导入"), default=False)

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("案件日志")
        verbose_name_plural = _("案件日志")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["case", "at"], name="event_case_at_idx"),
            # A period's report: the cases whose state changed since it began, read from the index
            # alone (the events of a month are scattered over the table), and the judicial
            # confirmations up to its end without a pass over every event. Partial on that one
            # kind: an index leading with the name would be combined by a planner without
            # statistics (a bulk load in one transaction) with the case's own index in the monthly
            # counts' per-case reads, each then scanning every conclusion in the table.
            models.Index(fields=["at", "case"], name="event_transition_at_idx", condition=~Q(to_status="")),
            models.Index(
                fields=["at"], name="event_judicial_at_idx", condition=Q(name=RecordKind.JUDICIAL_CONFIRMATION)
            ),
        ]

    def __str__(self):
        return f"{self.case_id} {self.name} {self.at:%Y-%m-%d %H:%M}"

    @property
    def is_transition(self) -> bool:
        return self.name in Transition.values

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("案件日志只能追加，不能修改。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("案件日志只能追加，不能删除。"))


class SupervisionOrder(models.Model):
    """督办: the district's order on an overdue or early-warning case — what to do, by when. Written
    once (append-only); the subdistrict's centre answers it with a SupervisionAnswer."""

    case = models.ForeignKey(
        DisputeCase, on_delete=models.PROTECT, related_name="supervision_orders", verbose_name=_("案件")
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("督办人")
    )
    issued_at = models.DateTimeField(_("督办时间"))
    instruction = models.TextField(_("督办事项"), max_length=500)
    due = models.DateField(_("办理期限"))

    class Meta:
        verbose_name = _("督办")
        verbose_name_plural = _("督办")
        ordering = ["issued_at", "id"]
        indexes = [models.Index(fields=["case", "issued_at"], name="supervision_case_idx")]

    def __str__(self):
        return f"{self.case_id} 督办 {self.issued_at:%Y-%m-%d}"


class SupervisionAnswer(models.Model):
    """The centre's answer to a supervision order (what was done): one per order, append-only."""

    order = models.OneToOneField(
        SupervisionOrder, on_delete=models.PROTECT, related_name="answer", verbose_name=_("督办")
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("答复人")
    )
    answered_at = models.DateTimeField(_("答复时间"))
    text = models.TextField(_("办理情况"), max_length=1000)

    class Meta:
        verbose_name = _("督办答复")
        verbose_name_plural = _("督办答复")

    def __str__(self):
        return f"{self.order_id} 答复 {self.answered_at:%Y-%m-%d}"

    @property
    def on_time(self) -> bool:
        return timezone.localtime(self.answered_at).date() <= self.order.due
