"""Forms of the reports pages: they parse input; the services validate and write."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from casework.forms import TEXT_LIMIT
from grids.enums import InspectionKind

from .enums import ReportKind


def parse_period(kind: str, value: str) -> dt.date:
    """YYYY-MM-DD for a day, YYYY-MM (or any day of it) for a month."""
    value = (value or "").strip()
    try:
        if kind == "monthly" and len(value) == 7:
            return dt.date.fromisoformat(f"{value}-01")
        return dt.date.fromisoformat(value)
    except ValueError:
        raise forms.ValidationError(_("期间格式应为 YYYY-MM-DD（日）或 YYYY-MM（月）。")) from None


# More disputes than a grid could hold in a period: a typing error.
COUNT_LIMIT = 100_000


class PeriodForm(forms.Form):
    """A `kind` (daily / monthly) and a `period` text, parsed into the day or the first of the month."""

    def clean(self):
        data = super().clean()
        if "kind" in data and "period" in data:
            try:
                data["period"] = parse_period(data["kind"], data["period"])
            except forms.ValidationError as exc:
                self.add_error("period", exc)
        return data


class GenerateReportForm(PeriodForm):
    kind = forms.ChoiceField(label=_("类型"), choices=ReportKind.choices)
    period = forms.CharField(label=_("期间"), max_length=10, help_text=_("日报 YYYY-MM-DD，月报 YYYY-MM"))
    reason = forms.CharField(label=_("生成原因"), max_length=200, required=False)


class InspectionForm(PeriodForm):
    # The return being filed is chosen from those owed (one tap each), so grid, kind and period
    # travel hidden: no period is typed, on a phone least of all.
    grid = forms.ModelChoiceField(label=_("网格"), queryset=None, empty_label=None, widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("类型"), choices=InspectionKind.choices, widget=forms.HiddenInput)
    period = forms.CharField(label=_("排查期间"), max_length=10, widget=forms.HiddenInput)
    zero_report = forms.BooleanField(label=_("零报告（本期未发现矛盾纠纷）"), required=False)
    # The bound keeps a mistyped count a form error instead of a database overflow (a 500).
    disputes_found = forms.IntegerField(label=_("排查发现纠纷数"), min_value=0, max_value=COUNT_LIMIT, initial=0)
    cases_registered = forms.IntegerField(label=_("其中登记立案数"), min_value=0, max_value=COUNT_LIMIT, initial=0)
    notes = forms.CharField(
        label=_("情况说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=TEXT_LIMIT
    )

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids


class SpotResolutionForm(forms.Form):
    """就地化解, one short form for a phone: what, where, who resolved it, the parties if known."""

    what = forms.CharField(label=_("纠纷简述"), max_length=200, widget=forms.Textarea(attrs={"rows": 2}))
    place = forms.CharField(label=_("地点"), max_length=100)
    resolved_by = forms.CharField(label=_("化解人"), max_length=50)
    parties = forms.CharField(label=_("当事人（可不填）"), max_length=200, required=False)
    resolved_on = forms.DateField(
        label=_("化解日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
