"""Query filters of the API's lists: the case queue (status, community, grid, … q),
the screening returns and the report snapshots (kind, period)."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from casework.enums import CaseStatus, Level, Risk, Source
from casework.models import DisputeCase
from casework.selectors import involving_mediator, search_cases
from grids.enums import InspectionKind
from grids.models import Inspection
from reports.enums import ReportKind
from reports.forms import parse_period
from reports.models import Snapshot
from reports.statistics import Period

PERIOD_PATTERN = r"^\d{4}-\d{2}(-\d{2})?$"


EMPTY_PARAMETER = _("参数“%(name)s”为空：要么给出值，要么省略该参数。")


def empty_parameters(params, names) -> dict[str, list[str]]:
    """The query parameters among `names` given with an empty value (`?until=`), as field errors: a
    filter left empty by a client is a mistake to report, not an "everything" to answer."""
    return {
        name: [EMPTY_PARAMETER % {"name": name}]
        for name in names
        if name in params and any(not str(v).strip() for v in params.getlist(name))
    }


class StrictFilterSet(django_filters.FilterSet):
    """A filter set that refuses an empty value for any of its parameters (400 naming it)."""

    def is_valid(self):
        valid = super().is_valid()
        for name, messages in empty_parameters(self.data, self.filters).items():
            self.form.add_error(name if name in self.form.fields else None, messages)
            valid = False
        return valid


def period_of(kind: str, text: str) -> Period:
    """The day (YYYY-MM-DD) or month (YYYY-MM) that `text` names, as the web forms read it; else ValidationError."""
    day = parse_period(kind, text)
    try:
        return Period.of(kind, day)
    except (ValueError, OverflowError):  # December of year 9999 has no end
        raise ValidationError(_("期间超出范围。")) from None


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """An integer id (django-filter's NumberFilter would accept 1.5)."""

    field_class = forms.IntegerField


class StrictBooleanField(forms.NullBooleanField):
    """true or false (1 or 0); anything else is an error, not "no filter" as NullBooleanField has it
    (its select widget reads an unknown value as none)."""

    widget = forms.TextInput

    def to_python(self, value):
        text = str(value).strip().lower() if value is not None else ""
        if text == "":
            return None
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise ValidationError(_("应为 true 或 false。"), code="invalid")

    def validate(self, value):
        pass


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class CaseFilter(StrictFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=CaseStatus.choices, help_text=_("状态，可重复"))
    community = IdFilter(field_name="community_id", help_text=_("社区 id"))
    grid = IdFilter(field_name="grid_id", help_text=_("网格 id"))
    category = django_filters.CharFilter(field_name="category__code", help_text=_("纠纷类别代码"))
    risk = django_filters.ChoiceFilter(choices=Risk.choices)
    level = django_filters.ChoiceFilter(choices=Level.choices)
    source = django_filters.ChoiceFilter(choices=Source.choices)
    mediator = IdFilter(method="filter_mediator", help_text=_("调解员 id（主调或协助）"))
    overdue = StrictBooleanFilter(method="filter_overdue", help_text=_("true：已超期"))
    warning = StrictBooleanFilter(field_name="is_warning", help_text=_("true：预警案件"))
    registered_after = django_filters.DateFilter(
        field_name="registered_at", lookup_expr="date__gte", help_text=_("登记日期不早于（含）")
    )
    registered_before = django_filters.DateFilter(
        field_name="registered_at", lookup_expr="date__lt", help_text=_("登记日期早于（不含）")
    )
    q = django_filters.CharFilter(
        method="filter_q", help_text=_("案件编号、纠纷情况或当事人姓名（部分）；当事人身份证号或手机号码（完整）")
    )

    class Meta:
        model = DisputeCase
        fields = []

    def filter_mediator(self, qs, name, value):
        return qs if value is None else involving_mediator(qs, value)

    def filter_overdue(self, qs, name, value):
        if value is None:
            return qs
        overdue = Q(next_due__lt=timezone.localdate())
        return qs.filter(overdue) if value else qs.exclude(overdue)

    def filter_q(self, qs, name, value):
        return search_cases(qs, value)


class PeriodField(forms.CharField):
    """YYYY-MM-DD: that day; YYYY-MM: every day of that month. Cleaned into a `Period`."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        return period_of(ReportKind.MONTHLY if len(value.strip()) == 7 else ReportKind.DAILY, value)


@extend_schema_field({"type": "string", "pattern": PERIOD_PATTERN})
class PeriodFilter(django_filters.Filter):
    field_class = PeriodField

    def filter(self, qs, value):
        if value is None:
            return qs
        return qs.filter(**{f"{self.field_name}__range": (value.start, value.end)})


PERIOD_HELP = _("期间：YYYY-MM-DD 为该日，YYYY-MM 为该月内的全部期间")


class InspectionFilter(StrictFilterSet):
    kind = django_filters.ChoiceFilter(choices=InspectionKind.choices, help_text=_("daily 日查，monthly 月查"))
    period = PeriodFilter(help_text=PERIOD_HELP)
    grid = IdFilter(field_name="grid_id", help_text=_("网格 id"))

    class Meta:
        model = Inspection
        fields = []


class SnapshotFilter(StrictFilterSet):
    kind = django_filters.ChoiceFilter(choices=ReportKind.choices, help_text=_("daily 日报，monthly 月报"))
    period = PeriodFilter(help_text=PERIOD_HELP)

    class Meta:
        model = Snapshot
        fields = []
