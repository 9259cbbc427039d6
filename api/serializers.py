"""Shapes of the API: the answers, and the bodies of the requests other than the transitions'
(those are mediation/bodies.py, named by the workflow table). Input serializers check types only;
the services own every rule."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casework.enums import PartyKind, PartyRole, Risk, Sex, Source, Transition
from casework.models import CaseEvent, Category, DisputeCase, Party, SupervisionAnswer, SupervisionOrder
from casework.permissions import can_see_personal_data
from casework.services import MAX_PARTIES, PARTIES_LIMIT_MESSAGE
from casework.supervision import MAX_WORKING_DAYS
from common.prepared import attached
from grids.enums import InspectionKind, Role
from grids.models import Community, Grid, Inspection
from mediation.bodies import InputSerializer, PartyParticulars
from mediation.enums import FollowUpMethod, JudicialConfirmation
from mediation.models import Agreement, FollowUp, MediationSession, Mediator, SessionParty
from mediation.selectors import judicial_history
from reports.enums import ReportKind
from reports.models import Snapshot

from .filters import PERIOD_PATTERN, empty_parameters, period_of

# Errors, as api/exceptions.py shapes them.


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


# 400: {"field": ["message", …]}, nested fields as dotted paths ("parties[0].name"); or, about the
# body as a whole, {"detail": "message"} (`detail` is always one string).
FIELD_ERRORS = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}


# Accounts


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})
    otp = serializers.CharField(
        required=False,
        help_text="身份验证器上的6位动态验证码（或一个恢复码）：已绑定或须使用双因素认证的账号必填",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="只显示这一次：系统只保存其摘要")
    expires = serializers.DateTimeField(help_text="到期时间")


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices))
    mediator = serializers.IntegerField(allow_null=True, help_text="调解员 id（本人是调解员时）")
    grids = serializers.ListField(child=serializers.IntegerField(), help_text="负责网格 id")
    community = serializers.IntegerField(source="community_id", allow_null=True)
    subdistrict = serializers.IntegerField(source="subdistrict_id", allow_null=True)


# Reference data


class CommunitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Community
        fields = ["id", "code", "name", "subdistrict"]


class GridSerializer(serializers.ModelSerializer):
    class Meta:
        model = Grid
        fields = ["id", "code", "name", "community"]


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["code", "name", "active"]


class MediatorSerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.name", default=None, allow_null=True)

    class Meta:
        model = Mediator
        fields = ["id", "name", "kind", "organization", "organization_name", "active", "available", "user"]


# Cases


class CaseListSerializer(serializers.ModelSerializer):
    """A queue row: no personal data."""

    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    overdue = serializers.SerializerMethodField()
    warning = serializers.BooleanField(source="is_warning")

    class Meta:
        model = DisputeCase
        fields = [
            "id",
            "number",
            "status",
            "level",
            "risk",
            "source",
            "category",
            "community",
            "grid",
            "registered_at",
            "next_due",
            "overdue",
            "warning",
            "lead_mediator",
        ]

    def get_overdue(self, case) -> bool:
        # One date per response, not per row (the list view puts it in the serializer's context).
        return case.is_overdue(self.context.get("today") or timezone.localdate())


# A corrected record is given as it reads now; these say which row it superseded, who, when and why.
CORRECTION_FIELDS = ["supersedes", "corrected_by", "corrected_at", "correction_reason"]


class PartySerializer(serializers.ModelSerializer):
    """Phone and ID number in full only for centre staff and the case's mediators (see `masked`)."""

    phone = serializers.SerializerMethodField()
    id_number = serializers.SerializerMethodField()
    address = serializers.SerializerMethodField()

    class Meta:
        model = Party
        fields = [
            "id",
            "role",
            "kind",
            "name",
            "phone",
            "id_number",
            "address",
            "sex",
            "ethnicity",
            "birth_date",
            "age",
            "legal_representative",
            *CORRECTION_FIELDS,
        ]

    def _full(self) -> bool:
        return not self.context.get("masked", True)

    def get_phone(self, party) -> str:
        return party.phone if self._full() else party.masked_phone

    def get_id_number(self, party) -> str:
        return party.id_number if self._full() else party.masked_id_number

    def get_address(self, party) -> str:
        # The address is withheld, not masked: there is no safe partial form of it.
        return party.address if self._full() else ""

    def to_representation(self, party):
        data = super().to_representation(party)
        if not self._full():
            # The art. 29 particulars are personal data, withheld like the address.
            for field in ("sex", "ethnicity", "birth_date", "age", "legal_representative"):
                data[field] = ""
        return data


class EventSerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = CaseEvent
        fields = ["id", "at", "actor", "actor_name", "name", "from_status", "to_status", "note"]

    def get_actor_name(self, event) -> str:
        return event.actor.display_name if event.actor_id else ""


class SessionPartySerializer(serializers.ModelSerializer):
    class Meta:
        model = SessionParty
        fields = ["party", "informed", "informed_by", "informed_at", "refused"]


class SessionSerializer(serializers.ModelSerializer):
    class Meta:
        model = MediationSession
        fields = [
            "id",
            "held_at",
            "location",
            "attendees",
            "presiding",
            "public",
            "rights_explained",
            "rights_explained_by",
            "party_refused",
            "summary",
            "recorded_by",
            "recorded_at",
            *CORRECTION_FIELDS,
        ]


class SessionRecordedSerializer(SessionSerializer):
    """The answer to recording a session: with its 告知 and consent, party by party."""

    party_notes = SessionPartySerializer(many=True, read_only=True)

    class Meta(SessionSerializer.Meta):
        fields = [*SessionSerializer.Meta.fields, "party_notes"]


class JudicialStepSerializer(serializers.Serializer):
    """One judicial-confirmation entry, as appended (`entry`: its id; none for an answer recorded
    before the entries existed)."""

    entry = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=JudicialConfirmation.choices)
    applied_on = serializers.DateField(allow_null=True)
    court = serializers.CharField()
    answered_on = serializers.DateField(allow_null=True)
    note = serializers.CharField()
    recorded_by = serializers.IntegerField(source="by.pk", allow_null=True, default=None)
    recorded_at = serializers.DateTimeField(source="at")


class AgreementSerializer(serializers.ModelSerializer):
    """The agreement with its judicial confirmation: the current answer (`judicial_confirmation` and
    the latest entry's dates and court) and every entry recorded, oldest first."""

    judicial_applied_on = serializers.SerializerMethodField()
    judicial_court = serializers.SerializerMethodField()
    judicial_answered_on = serializers.SerializerMethodField()
    judicial_history = serializers.SerializerMethodField()

    class Meta:
        model = Agreement
        fields = [
            "id",
            "form",
            "facts",
            "disputed_matters",
            "responsibilities",
            "terms",
            "performance_method",
            "performance_deadline",
            "signed_on",
            "signatures",
            "mediator_signed",
            "committee_sealed",
            "judicial_confirmation",
            "judicial_deadline",
            "judicial_applied_on",
            "judicial_court",
            "judicial_answered_on",
            "judicial_history",
            "recorded_by",
            "recorded_at",
        ]

    def _history(self, agreement) -> list[dict]:
        # The case detail loads the agreement with its case and the case's events.
        return judicial_history(agreement.case)

    def _latest(self, agreement) -> dict:
        history = self._history(agreement)
        return history[-1] if history else {}

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_judicial_applied_on(self, agreement):
        return self._latest(agreement).get("applied_on")

    @extend_schema_field(serializers.CharField())
    def get_judicial_court(self, agreement) -> str:
        return self._latest(agreement).get("court", "")

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_judicial_answered_on(self, agreement):
        return self._latest(agreement).get("answered_on")

    @extend_schema_field(JudicialStepSerializer(many=True))
    def get_judicial_history(self, agreement):
        return JudicialStepSerializer(self._history(agreement), many=True).data


class FollowUpSerializer(serializers.ModelSerializer):
    class Meta:
        model = FollowUp
        fields = [
            "id",
            "date",
            "method",
            "performed",
            "satisfaction",
            "notes",
            "recorded_by",
            "recorded_at",
            *CORRECTION_FIELDS,
        ]


class DeadlinesSerializer(serializers.ModelSerializer):
    """督办: the deadlines of the case; `next_due` is the one running now. An escalated case runs the
    subdistrict's own clock; the community's leg (its deadline, days, lateness) is kept beside it, and
    a case referred to the district runs the district's, the subdistrict's leg kept the same way."""

    overdue = serializers.SerializerMethodField()

    class Meta:
        model = DisputeCase
        fields = [
            "accept_due",
            "conclude_due",
            "conclude_extended",
            "follow_up_due",
            "next_due",
            "overdue",
            "escalated_at",
            "community_conclude_due",
            "community_days",
            "community_overdue",
            "referred_at",
            "subdistrict_conclude_due",
            "subdistrict_days",
            "subdistrict_overdue",
        ]

    def get_overdue(self, case) -> bool:
        return case.is_overdue(self.context.get("today") or timezone.localdate())


class AttachedRelation(serializers.ManyRelatedField):
    """A to-many relation of the case, by its rows' ids, as read with the case (case_page)."""

    def get_attribute(self, instance):
        return attached(instance, self.source)


CO_MEDIATORS = DisputeCase._meta.get_field("co_mediators").verbose_name


class CaseDetailSerializer(CaseListSerializer):
    # The field ModelSerializer would make of the relation, reading the co-mediators read with the case.
    co_mediators = AttachedRelation(
        child_relation=serializers.PrimaryKeyRelatedField(
            label=CO_MEDIATORS, queryset=Mediator.objects.all(), required=False
        ),
        label=CO_MEDIATORS,
        required=False,
    )
    parties = serializers.SerializerMethodField()
    personal_data_visible = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    sessions = serializers.SerializerMethodField()
    agreement = serializers.SerializerMethodField()
    follow_ups = serializers.SerializerMethodField()
    deadlines = DeadlinesSerializer(source="*", read_only=True)
    available_transitions = serializers.SerializerMethodField()

    class Meta(CaseListSerializer.Meta):
        fields = [
            *CaseListSerializer.Meta.fields,
            "subdistrict",
            "external_ref",
            "description",
            "occurred_on",
            "outcome",
            "version",
            "registered_by",
            "accepted_at",
            "concluded_at",
            "closed_at",
            "co_mediators",
            "community_attempts",
            "subdistrict_attempts",
            "district_attempts",
            "decline_reason",
            "referral",
            "fail_reason",
            "guidance",
            "withdraw_reason",
            "warning_reasons",
            "party_count",
            "personal_data_visible",
            "parties",
            "events",
            "sessions",
            "agreement",
            "follow_ups",
            "deadlines",
            "available_transitions",
        ]

    def _user(self):
        return self.context["request"].user

    def get_personal_data_visible(self, case) -> bool:
        return can_see_personal_data(self._user(), case)

    @extend_schema_field(PartySerializer(many=True))
    def get_parties(self, case):
        context = {**self.context, "masked": not can_see_personal_data(self._user(), case)}
        return PartySerializer(attached(case, "parties"), many=True, context=context).data

    # The case's lists as read with it (case_page): a relation's own manager would read them again.
    @extend_schema_field(EventSerializer(many=True))
    def get_events(self, case):
        return EventSerializer(attached(case, "events"), many=True, context=self.context).data

    @extend_schema_field(SessionSerializer(many=True))
    def get_sessions(self, case):
        return SessionSerializer(attached(case, "sessions"), many=True, context=self.context).data

    @extend_schema_field(FollowUpSerializer(many=True))
    def get_follow_ups(self, case):
        return FollowUpSerializer(attached(case, "follow_ups"), many=True, context=self.context).data

    @extend_schema_field(AgreementSerializer(allow_null=True))
    def get_agreement(self, case):
        agreement = getattr(case, "agreement", None)
        return AgreementSerializer(agreement, context=self.context).data if agreement else None

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=Transition.choices)))
    def get_available_transitions(self, case):
        # The FSM answers for state, conditions and the same permission predicate the services check.
        return [t.name for t in case.get_available_user_status_transitions(self._user())]


class PartyInputSerializer(InputSerializer):
    role = serializers.ChoiceField(choices=PartyRole.choices)
    kind = serializers.ChoiceField(choices=PartyKind.choices, required=False)
    name = serializers.CharField(max_length=100)
    phone = serializers.CharField(required=False, allow_blank=True, help_text="11位大陆手机号码")
    id_number = serializers.CharField(required=False, allow_blank=True, help_text="18位身份证号（含校验码）")
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_blank=True, help_text="可由身份证号得出")
    ethnicity = serializers.CharField(required=False, allow_blank=True, max_length=16)
    birth_date = serializers.DateField(required=False, allow_null=True, help_text="可由身份证号得出")
    age = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=149)
    legal_representative = serializers.CharField(required=False, allow_blank=True, max_length=100)


class CaseRegisterSerializer(InputSerializer):
    grid = serializers.PrimaryKeyRelatedField(queryset=Grid.objects.select_related("community__subdistrict"))
    category = serializers.SlugRelatedField(slug_field="code", queryset=Category.objects.all())
    source = serializers.ChoiceField(choices=Source.choices)
    risk = serializers.ChoiceField(choices=Risk.choices, default=Risk.NORMAL)
    description = serializers.CharField()
    occurred_on = serializers.DateField(required=False, allow_null=True)
    parties = PartyInputSerializer(
        many=True, max_length=MAX_PARTIES, error_messages={"max_length": PARTIES_LIMIT_MESSAGE}
    )
    note = serializers.CharField(required=False, allow_blank=True)
    external_ref = serializers.CharField(
        required=False,
        max_length=64,
        help_text=(
            "外部系统的编号（如12345热线工单号），在本街道内唯一。再次推送同一编号不会登记第二件案件："
            "该案件在您的可见范围内时返回200和已有案件（不按本次内容修改）；否则返回409。"
        ),
    )


class SessionPartyInputSerializer(serializers.Serializer):
    party = serializers.IntegerField(help_text="本案当事人的id")
    informed = serializers.BooleanField(help_text="已告知调解的性质、效力及其权利义务")
    informed_by = serializers.CharField(
        required=False, allow_blank=True, max_length=64, help_text="告知人；缺省为记录人"
    )
    informed_at = serializers.DateTimeField(required=False, allow_null=True, help_text="告知时间；缺省为调解时间")
    refused = serializers.BooleanField(required=False, default=False, help_text="明确拒绝调解")


class SessionInputSerializer(InputSerializer):
    held_at = serializers.DateTimeField()
    location = serializers.CharField(max_length=100)
    attendees = serializers.CharField(required=False, allow_blank=True)
    public = serializers.BooleanField()
    party_notes = SessionPartyInputSerializer(
        many=True,
        required=False,
        help_text="逐一记录每位当事人的告知与意愿；给出时 rights_explained、party_refused 由此得出",
    )
    rights_explained = serializers.BooleanField(required=False, default=False)
    rights_explained_by = serializers.CharField(
        required=False, allow_blank=True, max_length=64, help_text="告知人；缺省为记录人"
    )
    party_refused = serializers.BooleanField(required=False, default=False)
    presiding = serializers.PrimaryKeyRelatedField(queryset=Mediator.objects.all(), required=False, allow_null=True)
    summary = serializers.CharField()


class FollowUpInputSerializer(InputSerializer):
    date = serializers.DateField()
    performed = serializers.BooleanField()
    satisfaction = serializers.IntegerField(min_value=1, max_value=5)
    method = serializers.ChoiceField(choices=FollowUpMethod.choices, required=False)
    notes = serializers.CharField(required=False, allow_blank=True)


class SupervisionAnswerSerializer(serializers.ModelSerializer):
    on_time = serializers.BooleanField(read_only=True, help_text="答复日不晚于督办的办理期限")

    class Meta:
        model = SupervisionAnswer
        fields = ["id", "answered_by", "answered_at", "text", "on_time"]


class SupervisionOrderSerializer(serializers.ModelSerializer):
    """督办: the district's order and, once given, the centre's answer."""

    answer = serializers.SerializerMethodField()

    class Meta:
        model = SupervisionOrder
        fields = ["id", "case", "issued_by", "issued_at", "instruction", "due", "answer"]

    @extend_schema_field(SupervisionAnswerSerializer(allow_null=True))
    def get_answer(self, order):
        answer = getattr(order, "answer", None)
        return SupervisionAnswerSerializer(answer).data if answer else None


class SupervisionOrderInputSerializer(InputSerializer):
    instruction = serializers.CharField(max_length=500, help_text="督办事项：要求街道做什么")
    working_days = serializers.IntegerField(
        min_value=1, max_value=MAX_WORKING_DAYS, help_text="办理期限（工作日，自下达次日起算）"
    )


class SupervisionAnswerInputSerializer(InputSerializer):
    text = serializers.CharField(max_length=1000, help_text="办理情况")


class SuccessRateQuerySerializer(serializers.Serializer):
    since = serializers.DateField(required=False)
    until = serializers.DateField(required=False)
    community = serializers.IntegerField(required=False)
    mediator = serializers.IntegerField(required=False)
    third_party = serializers.BooleanField(
        required=False, default=False, help_text="only mediations led by lawyers, social workers, legal advisers"
    )

    def validate(self, data):
        empty = empty_parameters(self.initial_data, self.fields)
        if empty:
            raise serializers.ValidationError(empty)
        return data


class SuccessRateSerializer(serializers.Serializer):
    concluded = serializers.IntegerField()
    agreed = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)
    ci95 = serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2, allow_null=True)


# Reports and screening returns


class PeriodInputSerializer(serializers.Serializer):
    """A `kind` (daily / monthly) and a `period` text, read as the web forms read it into a date."""

    period = serializers.RegexField(
        PERIOD_PATTERN,
        help_text="日：YYYY-MM-DD；月：YYYY-MM（或该月任一日）",
        error_messages={"invalid": "期间格式应为 YYYY-MM-DD（日）或 YYYY-MM（月）。"},
    )

    def validate(self, data):
        try:
            data["period"] = period_of(data["kind"], data["period"]).start
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"period": exc.messages}) from None
        return data


class InspectionSerializer(serializers.ModelSerializer):
    community = serializers.IntegerField(source="grid.community_id", read_only=True)
    grid_name = serializers.CharField(source="grid.name", read_only=True)
    filed_by_name = serializers.CharField(source="filed_by.display_name", read_only=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "grid",
            "grid_name",
            "community",
            "kind",
            "period",
            "zero_report",
            "disputes_found",
            "cases_registered",
            "notes",
            "filed_by",
            "filed_by_name",
            "filed_at",
        ]


class InspectionInputSerializer(PeriodInputSerializer):
    """排查填报: the body of a screening return; the service checks the grid and the counts."""

    grid = serializers.PrimaryKeyRelatedField(queryset=Grid.objects.select_related("community"))
    kind = serializers.ChoiceField(choices=InspectionKind.choices)
    zero_report = serializers.BooleanField(default=False, help_text="零报告：本期未发现矛盾纠纷")
    disputes_found = serializers.IntegerField(min_value=0, default=0)
    cases_registered = serializers.IntegerField(min_value=0, default=0)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class SnapshotSerializer(serializers.ModelSerializer):
    title = serializers.CharField(read_only=True)
    generated_by_name = serializers.SerializerMethodField()

    class Meta:
        model = Snapshot
        fields = [
            "id",
            "subdistrict",
            "kind",
            "period",
            "version",
            "title",
            "generated_at",
            "generated_by",
            "generated_by_name",
            "reason",
        ]

    def get_generated_by_name(self, snapshot) -> str:
        # Scheduled reports have no person behind them.
        return snapshot.generated_by.display_name if snapshot.generated_by_id else ""


class SnapshotDetailSerializer(SnapshotSerializer):
    figures = serializers.SerializerMethodField(
        help_text="统计数据（与网页报表相同）；warnings、overdue_cases 只列出您可见范围内的案件"
    )

    class Meta(SnapshotSerializer.Meta):
        fields = [*SnapshotSerializer.Meta.fields, "fingerprint", "figures"]

    @extend_schema_field({"type": "object", "additionalProperties": True})
    def get_figures(self, snapshot) -> dict:
        return self.context["figures"]


class GenerateReportSerializer(PeriodInputSerializer):
    kind = serializers.ChoiceField(choices=ReportKind.choices)
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="生成原因；填写则总是生成新版本"
    )


REASON_HELP = "更正理由（必填）：原记录不改动，新记录取代它，并记下更正人、时间和理由"


class PartyCorrectionSerializer(PartyParticulars):
    """The party's particulars as they should read; a value left out (or blank) stays as it is. A
    new ID number brings its own sex and date of birth."""

    reason = serializers.CharField(max_length=200, help_text=REASON_HELP)
    name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    phone = serializers.CharField(required=False, allow_blank=True, help_text="11位大陆手机号码")


class SessionCorrectionSerializer(InputSerializer):
    """The session as it should read; a field left out stays as recorded. `party_notes`, when given,
    records 告知 and consent again for every party of the case."""

    reason = serializers.CharField(max_length=200, help_text=REASON_HELP)
    held_at = serializers.DateTimeField(required=False)
    location = serializers.CharField(required=False, max_length=100)
    attendees = serializers.CharField(required=False, allow_blank=True)
    public = serializers.BooleanField(required=False)
    summary = serializers.CharField(required=False)
    rights_explained_by = serializers.CharField(required=False, allow_blank=True, max_length=64)
    party_notes = SessionPartyInputSerializer(many=True, required=False)


class FollowUpCorrectionSerializer(InputSerializer):
    """The follow-up as it should read; a field left out stays as recorded."""

    reason = serializers.CharField(max_length=200, help_text=REASON_HELP)
    date = serializers.DateField(required=False)
    performed = serializers.BooleanField(required=False)
    satisfaction = serializers.IntegerField(required=False, min_value=1, max_value=5)
    method = serializers.ChoiceField(choices=FollowUpMethod.choices, required=False)
    notes = serializers.CharField(required=False, allow_blank=True)


CORRECTION_BODIES = {
    "party": PartyCorrectionSerializer,
    "session": SessionCorrectionSerializer,
    "follow_up": FollowUpCorrectionSerializer,
}
