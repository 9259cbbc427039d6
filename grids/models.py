"""Territory (district > subdistrict > community > grid), the people who work in it, and their screening returns."""

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .enums import DISTRICT_WIDE_ROLES, SUBDISTRICT_WIDE_ROLES, Crs, InspectionKind, Role


class District(models.Model):
    """区: the level above the subdistricts, whose 综治中心 reads their cases and reports."""

    code = models.CharField(_("代码"), max_length=8, unique=True)
    name = models.CharField(_("名称"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("区")
        verbose_name_plural = _("区")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Subdistrict(models.Model):
    # None: a subdistrict no district has taken in yet (it works on its own, as before).
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subdistricts",
        verbose_name=_("区"),
    )
    # The code prefixes case numbers (BHZ-2021-0042), so it is short and stable.
    code = models.CharField(_("代码"), max_length=8, unique=True)
    name = models.CharField(_("名称"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("街道")
        verbose_name_plural = _("街道")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Bounded(models.Model):
    """An optional boundary (GeoJSON Polygon or MultiPolygon), written only through
    grids.services.boundary_set / boundaries_import, which check it first (grids.boundaries)."""

    boundary = models.JSONField(_("边界（GeoJSON）"), null=True, blank=True)
    boundary_crs = models.CharField(_("坐标系"), max_length=8, choices=Crs.choices, blank=True)

    class Meta:
        abstract = True


class Community(Bounded):
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


class Grid(Bounded):
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
    # District staff and leaders work for one district (and no subdistrict of it in particular).
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("区")
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
    # Where SMS notices go (the deployment's gateway); blank: none are sent.
    mobile = models.CharField(_("手机号码"), max_length=11, blank=True)
    # Set on accounts an administrator creates: the first sign-in goes to the password change.
    must_change_password = models.BooleanField(_("须修改初始密码"), default=False)

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
    def is_district_wide(self) -> bool:
        return bool(self.district_id) and any(role in DISTRICT_WIDE_ROLES for role in self.roles or [])

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class SensitivePeriodQuerySet(models.QuerySet):
    def covering(self, day: dt.date):
        return self.filter(start__lte=day, end__gte=day)

    def overlapping(self, start: dt.date, end: dt.date):
        return self.filter(start__lte=end, end__gte=start)


class SensitivePeriod(models.Model):
    """敏感期: the days on which every grid files a daily return and a daily report is made."""

    name = models.CharField(_("名称"), max_length=64)
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"))

    objects = SensitivePeriodQuerySet.as_manager()

    class Meta:
        verbose_name = _("敏感期")
        verbose_name_plural = _("敏感期")
        ordering = ["-start"]
        constraints = [models.CheckConstraint(condition=Q(start__lte=F("end")), name="sensitive_period_start_le_end")]

    def __str__(self):
        return f"{self.name}（{self.start}～{self.end}）"

    def clean(self):
        if self.start and self.end and self.start > self.end:
            raise ValidationError({"end": _("结束日期不能早于开始日期。")})


class Inspection(models.Model):
    """排查记录: one grid's screening return for a month, or for a day of a sensitive period.

    "Nothing found" is filed explicitly as a zero report (零报告); a return that was
    never filed is a finding of its own (缺报), so absence of a row means something.
    """

    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("网格"))
    kind = models.CharField(_("类型"), max_length=8, choices=InspectionKind.choices)
    # The day of a daily return, or the first of the month of a monthly one.
    period = models.DateField(_("排查期间"))
    disputes_found = models.PositiveIntegerField(_("排查发现纠纷数"), default=0)
    cases_registered = models.PositiveIntegerField(_("其中登记立案数"), default=0)
    zero_report = models.BooleanField(_("零报告"), default=False)
    notes = models.TextField(_("情况说明"), blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("填报人")
    )
    filed_at = models.DateTimeField(_("填报时间"))
    # 补报: filed after its day or month had ended; counted as such beside the missing ones.
    late = models.BooleanField(_("补报"), default=False)
    # Filed by centre or community staff for a grid that has no grid worker (无网格员).
    on_behalf = models.BooleanField(_("代为填报"), default=False)

    class Meta:
        verbose_name = _("排查记录")
        verbose_name_plural = _("排查记录")
        ordering = ["-period", "grid_id"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "kind", "period"], name="inspection_once_per_period"),
            # A zero report says nothing was found; a return that found something is not one.
            models.CheckConstraint(
                condition=Q(zero_report=True, disputes_found=0, cases_registered=0)
                | Q(zero_report=False, disputes_found__gt=0),
                name="inspection_zero_report_consistent",
            ),
            models.CheckConstraint(
                condition=Q(cases_registered__lte=F("disputes_found")), name="inspection_registered_le_found"
            ),
            models.CheckConstraint(
                condition=~Q(kind=InspectionKind.MONTHLY) | Q(period__day=1), name="inspection_month_starts_on_1st"
            ),
        ]
        indexes = [models.Index(fields=["kind", "period"], name="inspection_kind_period_idx")]

    def __str__(self):
        return f"{self.grid} {self.get_kind_display()} {self.period}"

    @property
    def period_label(self) -> str:
        return period_label(self.kind, self.period)

    @property
    def period_end(self) -> dt.date:
        return period_end(self.kind, self.period)


def period_end(kind: str, period: dt.date) -> dt.date:
    """The last day a return for `period` is on time: the day itself, or the month's last day."""
    if kind == InspectionKind.DAILY:
        return period
    next_month = (period.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return next_month - dt.timedelta(days=1)


def period_label(kind: str, period: dt.date) -> str:
    if kind == InspectionKind.DAILY:
        return f"{period.year}年{period.month}月{period.day}日 日查"
    return f"{period.year}年{period.month}月 月查"


class PasswordHistory(models.Model):
    """The hashes of a user's recent passwords, so that none of the last few is chosen again."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    password = models.CharField(max_length=128)
    set_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-set_at", "-id"]
        indexes = [models.Index(fields=["user", "-set_at"], name="password_history_user_idx")]

    def __str__(self):
        return f"{self.user_id} {self.set_at:%Y-%m-%d}"


class SpotResolution(models.Model):
    """就地化解: a dispute found in screening and resolved there and then, without opening a case.

    It belongs to the screening return that found it: of a return's disputes found, some were
    registered as cases, some resolved on the spot, the rest not pursued (found = registered +
    resolved on the spot + not pursued), so the resolutions of a return never outnumber what it
    found less what it registered.
    """

    inspection = models.ForeignKey(
        Inspection, on_delete=models.PROTECT, related_name="resolutions", verbose_name=_("排查记录")
    )
    what = models.CharField(_("纠纷简述"), max_length=200)
    place = models.CharField(_("地点"), max_length=100)
    resolved_by = models.CharField(_("化解人"), max_length=50)
    parties = models.CharField(_("当事人"), max_length=200, blank=True)
    resolved_on = models.DateField(_("化解日期"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人")
    )
    recorded_at = models.DateTimeField(_("记录时间"))

    class Meta:
        verbose_name = _("就地化解")
        verbose_name_plural = _("就地化解")
        ordering = ["-resolved_on", "-pk"]
        indexes = [models.Index(fields=["resolved_on"], name="spot_resolved_on_idx")]

    def __str__(self):
        return f"{self.resolved_on} {self.place}：{self.what[:20]}"
