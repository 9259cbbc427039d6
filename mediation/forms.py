"""One small form per action on a case. Forms shape input; the services decide. Each transition
form carries the case version the user saw, so a change made meanwhile is reported, not overwritten."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework import permissions
from casework.enums import Guidance, Level, MediatorSelection, Referral, Sex, WithdrawnBy
from casework.forms import DATE, bound_text
from casework.models import Party
from casework.supervision import MAX_WORKING_DAYS, unanswered
from common.forms import FreeTextForm
from common.prepared import attached

from .enums import AgreementForm as AgreementKind
from .enums import FollowUpMethod, JudicialConfirmation, SignatureMark
from .selectors import assignment_options

TEXT = forms.Textarea(attrs={"rows": 3})


class CaseActionForm(FreeTextForm):
    def __init__(self, *args, case, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        self.user = user
        bound_text(self.fields)

    def service_kwargs(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class TransitionForm(CaseActionForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, case, user, **kwargs):
        kwargs.setdefault("initial", {})["version"] = case.version
        super().__init__(*args, case=case, user=user, **kwargs)


class AcceptForm(TransitionForm):
    level = forms.ChoiceField(label=_("调解层级"), choices=Level.choices)
    note = forms.CharField(label=_("备注"), required=False, widget=TEXT)

    def __init__(self, *args, case, user, **kwargs):
        super().__init__(*args, case=case, user=user, **kwargs)
        # Community staff accept community-level cases only; offer only what the user may choose.
        self.fields["level"].choices = [
            (v, label) for v, label in Level.choices if permissions.can_accept_at_level(user, case, v)
        ]


class DeclineForm(TransitionForm):
    reason = forms.CharField(label=_("不予受理理由"), widget=TEXT)
    referral = forms.ChoiceField(label=_("引导至"), choices=Referral.choices)


class _MediatorChoiceForm(TransitionForm):
    """Offers the mediators who may take the case; the others are listed with why not (回避)."""

    mediator = forms.TypedChoiceField(label=_("主调解员"), coerce=int)
    selection = forms.ChoiceField(
        label=_("调解员产生方式"),
        choices=MediatorSelection.choices,
        initial=MediatorSelection.APPOINTED,
        required=False,
    )
    chosen_by = forms.TypedMultipleChoiceField(
        label=_("选定调解员的当事人"),
        coerce=int,
        required=False,
        help_text=_("由当事人选定时填写（人民调解法第十九条）。"),
    )

    def __init__(self, *args, case, user, **kwargs):
        super().__init__(*args, case=case, user=user, **kwargs)
        self.fields["chosen_by"].choices = [
            (p.pk, f"{p.name}（{p.get_role_display()}）") for p in attached(case, "parties")
        ]
        self.fields["chosen_by"].widget = forms.CheckboxSelectMultiple(choices=self.fields["chosen_by"].choices)
        options = assignment_options(case)
        self.mediators = {m.pk: m for m, reasons in options if not reasons}
        self.excluded = [(m, reasons) for m, reasons in options if reasons]
        choices = [("", "—")] + [
            (m.pk, f"{m.name}（{m.get_kind_display()}{'，' + m.organization.name if m.organization_id else ''}）")
            for m in self.mediators.values()
            if m.pk != case.lead_mediator_id
        ]
        self.fields["mediator"].choices = choices

    def service_kwargs(self) -> dict:
        kwargs = super().service_kwargs()
        kwargs["mediator"] = self.mediators[kwargs["mediator"]]
        return kwargs


class AssignForm(_MediatorChoiceForm):
    co_mediators = forms.TypedMultipleChoiceField(label=_("协助调解员"), coerce=int, required=False)
    note = forms.CharField(label=_("备注"), required=False, widget=TEXT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["co_mediators"].choices = self.fields["mediator"].choices[1:]
        self.fields["co_mediators"].widget.attrs["size"] = 4

    def service_kwargs(self) -> dict:
        kwargs = super().service_kwargs()
        kwargs["co_mediators"] = [self.mediators[pk] for pk in kwargs["co_mediators"]]
        return kwargs


class ReassignForm(_MediatorChoiceForm):
    reason = forms.CharField(label=_("改派理由"), widget=TEXT)


class NoteForm(TransitionForm):
    note = forms.CharField(label=_("备注"), required=False, widget=TEXT)


class ReachAgreementForm(TransitionForm):
    form = forms.ChoiceField(label=_("协议形式"), choices=AgreementKind.choices)
    signed_on = forms.DateField(label=_("签订日期"), widget=DATE, help_text=_("协议自签订之日起生效。"))
    facts = forms.CharField(label=_("纠纷的主要事实"), required=False, widget=TEXT, help_text=_("书面协议必填。"))
    disputed_matters = forms.CharField(label=_("争议事项"), required=False, widget=TEXT, help_text=_("书面协议必填。"))
    responsibilities = forms.CharField(
        label=_("各方当事人的责任"), required=False, widget=TEXT, help_text=_("书面协议必填。")
    )
    terms = forms.CharField(label=_("协议内容"), widget=TEXT)
    performance_method = forms.CharField(
        label=_("履行方式"), required=False, max_length=200, help_text=_("书面协议必填。")
    )
    performance_deadline = forms.DateField(
        label=_("履行期限"), required=False, widget=DATE, help_text=_("书面协议必填。")
    )
    mediator_signed = forms.BooleanField(label=_("人民调解员已签名"), required=False)
    committee_sealed = forms.BooleanField(label=_("已加盖人民调解委员会印章"), required=False)
    note = forms.CharField(label=_("备注"), required=False, widget=TEXT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["signed_on"].initial = timezone.localdate()
        # Party by party: how they signed, and the art. 29 particulars the file still lacks.
        self.parties = list(attached(self.case, "parties"))
        for party in self.parties:
            who = f"{party.name}（{party.get_role_display()}）"
            self.fields[f"mark_{party.pk}"] = forms.ChoiceField(
                label=_("%(who)s：签署方式") % {"who": who},
                choices=[("", _("未签署")), *SignatureMark.choices],
                required=False,
            )
            for field in party.missing_particulars():
                model_field = Party._meta.get_field(field)
                self.fields[f"p{party.pk}_{field}"] = forms.CharField(
                    label=_("%(who)s：%(what)s") % {"who": who, "what": model_field.verbose_name},
                    required=False,
                    max_length=model_field.max_length,
                    help_text=_("YYYY-MM-DD，或改填年龄") if field == "birth_date" else "",
                )
                if field == "sex":
                    self.fields[f"p{party.pk}_{field}"] = forms.ChoiceField(
                        label=_("%(who)s：性别") % {"who": who}, choices=[("", "—"), *Sex.choices], required=False
                    )
            if "birth_date" in party.missing_particulars():
                self.fields[f"p{party.pk}_age"] = forms.CharField(
                    label=_("%(who)s：年龄") % {"who": who}, required=False, max_length=3
                )

    def service_kwargs(self) -> dict:
        kwargs = super().service_kwargs()
        kwargs["signatures"] = [
            {"party": party.pk, "mark": mark} for party in self.parties if (mark := kwargs.pop(f"mark_{party.pk}"))
        ]
        kwargs["particulars"] = []
        for party in self.parties:
            prefix = f"p{party.pk}_"
            row = {key.removeprefix(prefix): kwargs.pop(key) for key in list(kwargs) if key.startswith(prefix)}
            if any(row.values()):
                kwargs["particulars"].append({"party": party.pk, **row})
        return kwargs


class FailForm(TransitionForm):
    reason = forms.CharField(label=_("调解不成原因"), widget=TEXT)
    guidance = forms.ChoiceField(label=_("告知其他途径"), choices=Guidance.choices)
    note = forms.CharField(label=_("备注"), required=False, widget=TEXT)


class ReasonForm(TransitionForm):
    reason = forms.CharField(label=_("理由"), widget=TEXT)


class WithdrawForm(ReasonForm):
    by = forms.ChoiceField(
        label=_("撤回方"), choices=WithdrawnBy.choices, help_text=_("谁决定撤回：当事人、综治中心或调解员。")
    )


class SessionForm(CaseActionForm):
    held_at = forms.DateTimeField(
        label=_("调解时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )
    location = forms.CharField(label=_("地点"), max_length=100)
    attendees = forms.CharField(label=_("参加人员"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    summary = forms.CharField(label=_("调解情况"), widget=TEXT)
    public = forms.BooleanField(label=_("公开调解"), required=False)
    rights_explained_by = forms.CharField(label=_("告知人"), required=False, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["held_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        if self.case.lead_mediator_id:
            self.fields["rights_explained_by"].initial = self.case.lead_mediator.name
        # 告知 and consent, party by party (若干规定 art. 30; People's Mediation Law art. 3, 17).
        self.parties = list(attached(self.case, "parties"))
        for party in self.parties:
            who = f"{party.name}（{party.get_role_display()}）"
            self.fields[f"informed_{party.pk}"] = forms.BooleanField(
                label=_("%(who)s：已告知调解的性质、效力及其权利义务") % {"who": who}, required=False
            )
            self.fields[f"refused_{party.pk}"] = forms.BooleanField(
                label=_("%(who)s：明确拒绝调解") % {"who": who}, required=False
            )

    def service_kwargs(self) -> dict:
        kwargs = super().service_kwargs()
        informed_by = kwargs["rights_explained_by"]
        kwargs["party_notes"] = [
            {
                "party": party.pk,
                "informed": kwargs.pop(f"informed_{party.pk}"),
                "informed_by": informed_by,
                "refused": kwargs.pop(f"refused_{party.pk}"),
            }
            for party in self.parties
        ]
        # Derived from the notes by the service.
        kwargs["rights_explained"] = False
        return kwargs


class FollowUpForm(CaseActionForm):
    date = forms.DateField(label=_("回访日期"), widget=DATE)
    method = forms.ChoiceField(label=_("回访方式"), choices=FollowUpMethod.choices, initial=FollowUpMethod.PHONE)
    performed = forms.BooleanField(label=_("协议已履行"), required=False)
    satisfaction = forms.TypedChoiceField(
        label=_("满意度"), coerce=int, choices=[(i, str(i)) for i in range(5, 0, -1)], initial=5
    )
    notes = forms.CharField(label=_("回访情况"), required=False, widget=TEXT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = timezone.localdate()


class ExtendForm(CaseActionForm):
    reason = forms.CharField(label=_("延期理由"), widget=TEXT)


class JudicialForm(CaseActionForm):
    status = forms.ChoiceField(label=_("司法确认"), choices=JudicialConfirmation.choices)
    applied_on = forms.DateField(label=_("申请日期"), required=False, widget=DATE)
    court = forms.CharField(label=_("受理法院"), required=False, max_length=100)
    answered_on = forms.DateField(label=_("裁定日期"), required=False, widget=DATE)
    note = forms.CharField(
        label=_("说明"),
        required=False,
        max_length=200,
        help_text=_("改为未申请时必填，如当事人撤回申请、原记录有误。每次记录都会保留，不覆盖以前的记录。"),
    )


class ConflictForm(CaseActionForm):
    """回避: the case's own mediator declares an interest; the centre then reassigns the case."""

    reason = forms.CharField(label=_("回避理由"), max_length=200, widget=TEXT)

    def service_kwargs(self) -> dict:
        return {**super().service_kwargs(), "mediator": own_mediator(self.user, self.case)}


class SupervisionForm(CaseActionForm):
    """督办: what the subdistrict's centre is to do, and in how many working days."""

    instruction = forms.CharField(label=_("督办事项"), max_length=500, widget=TEXT)
    working_days = forms.IntegerField(label=_("办理期限（工作日）"), min_value=1, max_value=MAX_WORKING_DAYS, initial=5)


class SupervisionAnswerForm(CaseActionForm):
    """The centre's answer to one of the case's unanswered supervision orders."""

    order = forms.TypedChoiceField(label=_("答复的督办"), coerce=int)
    text = forms.CharField(label=_("办理情况"), max_length=1000, widget=TEXT)

    def __init__(self, *args, case, user, **kwargs):
        super().__init__(*args, case=case, user=user, **kwargs)
        self.orders = {order.pk: order for order in unanswered(case)}
        self.fields["order"].choices = [
            (pk, f"{timezone.localtime(o.issued_at):%Y-%m-%d} {o.instruction[:30]}") for pk, o in self.orders.items()
        ]

    def service_kwargs(self) -> dict:
        return {"order": self.orders[self.cleaned_data["order"]], "text": self.cleaned_data["text"]}


def own_mediator(user, case):
    """The user's Mediator on this case, from the rows loaded with the case (no query)."""
    for mediator in [case.lead_mediator, *attached(case, "co_mediators")]:
        if mediator is not None and mediator.user_id == user.id:
            return mediator
    return None


class _CorrectionForm(TransitionForm):
    """更正: the record as it should read, and why. Carries the case version like a transition: a
    page drawn before someone else changed the case is a conflict, not a silent overwrite."""

    reason = forms.CharField(label=_("更正理由"), max_length=200, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, case, user, row, **kwargs):
        self.row = row
        super().__init__(*args, case=case, user=user, **kwargs)
        # The reason last, after the fields it explains.
        self.fields["reason"] = self.fields.pop("reason")


class PartyCorrectionForm(_CorrectionForm):
    name = forms.CharField(label=_("姓名/名称"), max_length=100)
    id_number = forms.CharField(label=_("身份证号"), max_length=18, required=False)
    phone = forms.CharField(label=_("手机号码"), max_length=11, required=False)
    address = forms.CharField(label=_("住址"), max_length=200, required=False)
    sex = forms.ChoiceField(label=_("性别"), choices=[("", "—"), *Sex.choices], required=False)
    ethnicity = forms.CharField(label=_("民族"), max_length=16, required=False)
    birth_date = forms.CharField(label=_("出生日期"), max_length=10, required=False, help_text=_("YYYY-MM-DD"))
    age = forms.CharField(label=_("年龄"), max_length=3, required=False)
    legal_representative = forms.CharField(label=_("法定代表人"), max_length=100, required=False)

    # Shown only as masked and typed only when wrong: the form never prints them in full.
    UNSHOWN = ("id_number", "phone", "address")

    def __init__(self, *args, row, **kwargs):
        initial = kwargs.setdefault("initial", {})
        for field in ("name", "sex", "ethnicity", "birth_date", "age", "legal_representative"):
            initial.setdefault(field, getattr(row, field))
        super().__init__(*args, row=row, **kwargs)
        shown = {"id_number": row.masked_id_number, "phone": row.masked_phone, "address": _("（已隐藏）")}
        for field in self.UNSHOWN:
            now = shown[field] if getattr(row, field) else "—"
            self.fields[field].help_text = _("留空则不变（现为：%(now)s）") % {"now": now}
        if row.kind == "organisation":
            for field in ("sex", "ethnicity", "birth_date", "age"):
                del self.fields[field]
        else:
            del self.fields["legal_representative"]


class SessionCorrectionForm(_CorrectionForm, SessionForm):
    def __init__(self, *args, row, case, **kwargs):
        initial = kwargs.setdefault("initial", {})
        for field in ("location", "attendees", "summary", "public", "rights_explained_by"):
            initial.setdefault(field, getattr(row, field))
        initial.setdefault("held_at", timezone.localtime(row.held_at).replace(second=0, microsecond=0))
        current = {pk: party.pk for party in attached(case, "parties") for pk in party.lineage}
        for note in row.party_notes.all():
            initial.setdefault(f"informed_{current.get(note.party_id)}", note.informed)
            initial.setdefault(f"refused_{current.get(note.party_id)}", note.refused)
        super().__init__(*args, row=row, case=case, **kwargs)
        self.fields["held_at"].initial = initial["held_at"]
        self.fields["rights_explained_by"].initial = initial["rights_explained_by"]
        self.fields["reason"] = self.fields.pop("reason")

    def service_kwargs(self) -> dict:
        kwargs = super().service_kwargs()
        kwargs.pop("rights_explained")  # derived from the notes
        return kwargs


class FollowUpCorrectionForm(_CorrectionForm, FollowUpForm):
    def __init__(self, *args, row, **kwargs):
        initial = kwargs.setdefault("initial", {})
        for field in ("date", "method", "performed", "satisfaction", "notes"):
            initial.setdefault(field, getattr(row, field))
        super().__init__(*args, row=row, **kwargs)
        self.fields["date"].initial = initial["date"]
        self.fields["reason"] = self.fields.pop("reason")


CORRECTION_FORMS = {
    "party": PartyCorrectionForm,
    "session": SessionCorrectionForm,
    "follow_up": FollowUpCorrectionForm,
}
