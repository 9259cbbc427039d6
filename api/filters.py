"""Query filters of the API's case queue (api.md: status, community, grid, … q)."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from casework.enums import CaseStatus, Level, Risk, Source
from casework.models import DisputeCase, Party


def involving_mediator(qs, mediator_id: int):
    """Cases in which mediator `mediator_id` is the lead or a co-mediator."""
    co = DisputeCase.co_mediators.through.objects.filter(disputecase_id=OuterRef("pk"), mediator_id=mediator_id)
    return qs.filter(Q(lead_mediator_id=mediator_id) | Q(Exists(co)))


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """An integer id (django-filter's NumberFilter would accept 1.5)."""

    field_class = forms.IntegerField


class CaseFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=CaseStatus.choices, help_text=_("状态，可重复"))
    community = IdFilter(field_name="community_id", help_text=_("社区 id"))
    grid = IdFilter(field_name="grid_id", help_text=_("网格 id"))
    category = django_filters.CharFilter(field_name="category__code", help_text=_("纠纷类别代码"))
    risk = django_filters.ChoiceFilter(choices=Risk.choices)
    level = django_filters.ChoiceFilter(choices=Level.choices)
    source = django_filters.ChoiceFilter(choices=Source.choices)
    mediator = IdFilter(method="filter_mediator", help_text=_("调解员 id（主调或协助）"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", help_text=_("true：已超期"))
    warning = django_filters.BooleanFilter(field_name="is_warning", help_text=_("true：预警案件"))
    registered_after = django_filters.DateFilter(
        field_name="registered_at", lookup_expr="date__gte", help_text=_("登记日期不早于（含）")
    )
    registered_before = django_filters.DateFilter(
        field_name="registered_at", lookup_expr="date__lt", help_text=_("登记日期早于（不含）")
    )
    q = django_filters.CharFilter(method="filter_q", help_text=_("案件编号、纠纷情况或当事人姓名"))

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
        value = value.strip()
        if not value:
            return qs
        parties = Party.objects.filter(case_id=OuterRef("pk"), name__icontains=value)
        return qs.filter(Q(number__icontains=value) | Q(description__icontains=value) | Q(Exists(parties)))
