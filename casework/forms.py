"""Intake: the case and its parties. The forms only shape input; casework.services.case_register
decides, and its ValidationError messages are put back on the fields they name."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from common.forms import FreeTextForm

from .enums import PartyKind, PartyRole, Risk, Source
from .models import Category
from .personal_data import normalize_id_number, validate_id_number, validate_mobile
from .selectors import grids_open_to
from .services import MAX_PARTIES

# The longest free text a form or the API takes (a description, a reason, a summary, a note):
# beyond this it is a paste accident or an attack, not a case record, and is refused with a message.
TEXT_LIMIT = 5000


def bound_text(fields) -> None:
    """Give every free-text field without a limit of its own the TEXT_LIMIT (and say so in the widget)."""
    for field in fields.values():
        if isinstance(field, forms.CharField) and field.max_length is None:
            field.max_length = TEXT_LIMIT
            field.validators.append(MaxLengthValidator(TEXT_LIMIT))
            field.widget.attrs.setdefault("maxlength", str(TEXT_LIMIT))


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CaseIntakeForm(FreeTextForm):
    grid = forms.ModelChoiceField(label=_("网格"), queryset=None)
    category = forms.ModelChoiceField(label=_("纠纷类别"), queryset=Category.objects.filter(active=True))
    source = forms.ChoiceField(label=_("来源"), choices=Source.choices)
    risk = forms.ChoiceField(label=_("风险等级"), choices=Risk.choices, initial=Risk.NORMAL)
    occurred_on = forms.DateField(label=_("发生日期"), required=False, widget=DATE)
    description = forms.CharField(label=_("纠纷简要情况"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        grids = grids_open_to(user)
        self.fields["grid"].queryset = grids
        self.fields["grid"].label_from_instance = lambda g: f"{g.community.name} · {g.name}"
        if not self.is_bound:
            # A grid worker with one grid should not have to choose it.
            first_two = list(grids[:2])
            if len(first_two) == 1:
                self.fields["grid"].initial = first_two[0].pk
        if user.has_role("grid_worker") and not user.has_role("centre_staff"):
            self.fields["source"].initial = Source.GRID_WORKER


# The duplicate hint asks about the one number just typed (casework.views.duplicates).
DUPLICATE_HINT = {
    "hx-post": reverse_lazy("casework:duplicates"),
    "hx-trigger": "change delay:300ms",
    "hx-target": "#duplicate-hint",
    "hx-swap": "innerHTML",
}


class PartyForm(FreeTextForm):
    role = forms.ChoiceField(label=_("身份"), choices=PartyRole.choices)
    kind = forms.ChoiceField(label=_("类型"), choices=PartyKind.choices, initial=PartyKind.PERSON)
    name = forms.CharField(label=_("姓名/名称"), max_length=100)
    id_number = forms.CharField(
        label=_("身份证号"), max_length=18, required=False, widget=forms.TextInput(DUPLICATE_HINT)
    )
    phone = forms.CharField(label=_("手机号码"), max_length=11, required=False, widget=forms.TextInput(DUPLICATE_HINT))
    address = forms.CharField(label=_("住址"), max_length=200, required=False)

    def clean_id_number(self):
        value = normalize_id_number(self.cleaned_data["id_number"])
        if value:
            validate_id_number(value)
        return value

    def clean_phone(self):
        value = self.cleaned_data["phone"].strip()
        if value:
            validate_mobile(value)
        return value


class BasePartyFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        roles = [f.cleaned_data.get("role") for f in self.forms if f.cleaned_data]
        if PartyRole.APPLICANT not in roles:
            raise ValidationError(_("至少需要一名申请人。"))

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        # The usual dispute has an applicant and a respondent: offer the second row as the respondent.
        if index is not None and index > 0:
            kwargs["initial"] = {"role": PartyRole.RESPONDENT}
        return kwargs

    def party_rows(self) -> list[dict]:
        return [f.cleaned_data for f in self.forms if f.cleaned_data]


PartyFormSet = forms.formset_factory(
    PartyForm, formset=BasePartyFormSet, extra=1, min_num=1, validate_min=True, max_num=MAX_PARTIES, validate_max=True
)


def party_formset(data=None):
    return PartyFormSet(data, prefix="parties")


def contact_fields(data) -> dict[str, str]:
    """The ID numbers and phones typed into a (possibly invalid) party formset, by field name,
    for the duplicate hint."""
    found = {}
    for key, value in data.items():
        if not (key.startswith("parties-") and value.strip()):
            continue
        if key.endswith("-id_number"):
            found[key] = normalize_id_number(value)
        elif key.endswith("-phone"):
            found[key] = value.strip()
    return found
