"""The API bodies of the transitions: what a client sends to run one, field names = the service's
keyword arguments. They sit here, beside the web forms of the same transitions, so that the
workflow table (mediation/workflow.py) names both; the API (api/) reads them from the table.
Input serializers check types only; the services own every rule."""

from django.core.validators import MaxLengthValidator
from rest_framework import serializers

from casework.enums import Guidance, Level, MediatorSelection, Referral, Sex, WithdrawnBy
from casework.forms import TEXT_LIMIT
from casework.services import MAX_PARTIES

from .enums import AgreementForm, SignatureMark
from .models import Mediator


class InputSerializer(serializers.Serializer):
    """A request body: free text bounded as in the web forms (casework.forms.TEXT_LIMIT)."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            if isinstance(field, serializers.CharField) and field.max_length is None:
                field.max_length = TEXT_LIMIT
                field.validators.append(
                    MaxLengthValidator(
                        TEXT_LIMIT, message=field.error_messages["max_length"].format(max_length=TEXT_LIMIT)
                    )
                )
        return fields


class NoteSerializer(InputSerializer):
    note = serializers.CharField(required=False, allow_blank=True)


class AcceptSerializer(NoteSerializer):
    level = serializers.ChoiceField(choices=Level.choices)


class DeclineSerializer(InputSerializer):
    reason = serializers.CharField()
    referral = serializers.ChoiceField(choices=Referral.choices)


class SelectionSerializer(serializers.Serializer):
    """art. 19: how the lead mediator came to the case."""

    selection = serializers.ChoiceField(choices=MediatorSelection.choices, default=MediatorSelection.APPOINTED)
    chosen_by = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list, help_text="选定调解员的当事人id（当事人选定时）"
    )


class AssignSerializer(NoteSerializer, SelectionSerializer):
    mediator = serializers.PrimaryKeyRelatedField(queryset=Mediator.objects.select_related("organization"))
    co_mediators = serializers.PrimaryKeyRelatedField(
        queryset=Mediator.objects.select_related("organization"), many=True, required=False
    )


class ReassignSerializer(InputSerializer, SelectionSerializer):
    mediator = serializers.PrimaryKeyRelatedField(queryset=Mediator.objects.select_related("organization"))
    reason = serializers.CharField()


class PartyParticulars(InputSerializer):
    """A party's art. 29 particulars, each optional: supplied with an agreement or corrected."""

    id_number = serializers.CharField(required=False, allow_blank=True, max_length=18)
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_blank=True)
    ethnicity = serializers.CharField(required=False, allow_blank=True, max_length=16)
    birth_date = serializers.DateField(required=False, allow_null=True)
    age = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=149)
    legal_representative = serializers.CharField(required=False, allow_blank=True, max_length=100)


class ParticularsSerializer(PartyParticulars):
    """A party's particulars the file lacks (a recorded value is changed only by a correction)."""

    party = serializers.IntegerField()


class SignatureSerializer(serializers.Serializer):
    party = serializers.IntegerField()
    mark = serializers.ChoiceField(choices=SignatureMark.choices)


class ReachAgreementSerializer(NoteSerializer):
    """Written (art. 29): every party's particulars, facts, matters in dispute, responsibilities, terms,
    performance, and the signing; a missing one is a 400 naming it. Oral (art. 28): the terms."""

    form = serializers.ChoiceField(choices=AgreementForm.choices)
    terms = serializers.CharField()
    performance_method = serializers.CharField(required=False, allow_blank=True, max_length=200)
    performance_deadline = serializers.DateField(required=False, allow_null=True)
    signed_on = serializers.DateField(help_text="签订日期：协议自签订之日起生效，司法确认申请期限自此起算")
    facts = serializers.CharField(required=False, allow_blank=True)
    disputed_matters = serializers.CharField(required=False, allow_blank=True)
    responsibilities = serializers.CharField(required=False, allow_blank=True)
    signatures = SignatureSerializer(many=True, required=False, max_length=MAX_PARTIES)
    mediator_signed = serializers.BooleanField(required=False, default=False)
    committee_sealed = serializers.BooleanField(required=False, default=False)
    particulars = ParticularsSerializer(many=True, required=False, max_length=MAX_PARTIES)


class FailSerializer(NoteSerializer):
    reason = serializers.CharField()
    guidance = serializers.ChoiceField(choices=Guidance.choices)


class ReasonSerializer(InputSerializer):
    reason = serializers.CharField()


class WithdrawSerializer(ReasonSerializer):
    # Optional for integrators that predate it; a withdrawal without it is reported as 未注明.
    by = serializers.ChoiceField(choices=WithdrawnBy.choices, required=False)
