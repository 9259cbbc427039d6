"""HTTP API v1: thin views over the same selectors and services as the web pages.

Every case is found through `visible_case`, which starts from `cases_visible_to(user)`:
a case outside the user's scope is 404. Refusals raised by the services become
403 / 409 / 400 in api/exceptions.py, the one place that maps them.
"""

import re
from functools import cache

from django.contrib.auth import authenticate
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from casework import paging, supervision
from casework import services as case_services
from casework.enums import Transition
from casework.models import Category, DisputeCase
from casework.personal_data import audit_sealed_search
from casework.selectors import case_list_related, cases_visible_to, involving_mediator, supervision_orders_of
from common.audit import audit_reveal
from common.refusals import NotPermitted
from grids import selectors as grid_selectors
from grids import services as grid_services
from grids import twofactor
from grids.models import Community, Grid
from mediation import services as mediation_services
from mediation.corrections import correct, correction_target
from mediation.models import Mediator
from mediation.selectors import case_page, case_page_related
from mediation.workflow import TRANSITION_BODIES, TRANSITION_SERVICES
from reports import selectors as report_selectors
from reports import services as report_services
from reports.statistics import success_rate

from . import serializers as s
from . import services as api_services
from .filters import CaseFilter, InspectionFilter, SnapshotFilter, empty_parameters

_ERRORS = {
    400: OpenApiResponse(s.FIELD_ERRORS, description='请求内容无效：{"字段": ["说明", …]} 或 {"detail": "说明"}'),
    401: OpenApiResponse(s.DetailSerializer, description="未提供或无效的凭据"),
    403: OpenApiResponse(s.DetailSerializer, description="可见此案件，但无权执行此操作"),
    404: OpenApiResponse(s.DetailSerializer, description="不存在，或不在您的可见范围内"),
    409: OpenApiResponse(
        s.DetailSerializer,
        description="当前状态不能执行此操作，或案件已被他人修改（所送 version / If-Match 已不是案件的当前版本）",
    ),
}

# The optimistic lock of a write to a case: the case's version as its ETag on every answer that
# shows the case, and sent back as `version` in the body or as If-Match (`*`: whatever the version).
IF_MATCH_PATTERN = r'^(\*|(W/)?"?[0-9]{1,18}"?)$'
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    pattern=IF_MATCH_PATTERN,
    description="上次读取案件时的 ETag（即 version）：案件其后已被修改则返回409，不作任何改动",
)


def etag_header(*codes: int) -> OpenApiParameter:
    return OpenApiParameter(
        "ETag",
        str,
        OpenApiParameter.HEADER,
        pattern=r'^"[0-9]+"$',
        description="案件的当前版本（version），写操作可以 If-Match 送回",
        response=list(codes),
    )


@cache
def versioned(body: type) -> type:
    """`body` with the optional `version` of the case the write was made from (same schema name)."""
    version = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=2**62,
        help_text="上次读取案件时的 version：案件其后已被修改则返回409，不作任何改动",
    )
    return type(body.__name__, (body,), {"version": version, "__module__": body.__module__})


def errors(*codes: int) -> dict:
    """The error responses an endpoint documents (401 for every authenticated one)."""
    return {code: _ERRORS[code] for code in (401, *codes)}


def made_or_found(serializer, found: str) -> dict:
    """The answers of a write whose result may exist already: 201 when made, 200 when found (unchanged)."""
    return {201: serializer, 200: OpenApiResponse(serializer, description=found)}


def made_status(created: bool) -> int:
    return status.HTTP_201_CREATED if created else status.HTTP_200_OK


def visible_case(request, pk) -> DisputeCase:
    """The one way a view gets a case: from the user's scope, with what its detail shows, else 404."""
    try:
        return case_page(request.user, pk, supervision=False)
    except DisputeCase.DoesNotExist:
        raise NotFound(_("案件不存在，或不在您的可见范围内。")) from None


def case_response(request, case, status_code=status.HTTP_200_OK) -> Response:
    """The case as it is now.

    `case` was found through `visible_case` (or just registered by the actor); it is read again
    here by its id alone, not through the actor's scope, because a write may take the case out of
    it (a mediator who escalates is released from it) and the answer must still show what was
    saved. Personal data is masked by the actor's rights as they are now.
    """
    case = case_page_related(DisputeCase.objects).get(pk=case.pk)
    return with_etag(Response(case_data(request, case), status=status_code), case)


def with_etag(response: Response, case) -> Response:
    """The case's version as its ETag: a write may send it back (If-Match) to say what it was made from."""
    response["ETag"] = f'"{case.version}"'
    return response


def expect_version(request, case, data: dict) -> None:
    """The version of the case the client's write was made from — `version` in the (validated)
    body, taken out of it, or `If-Match` with the case's ETag — when it sends one: a stale one is a
    409 (the lost-update guard of the web forms). Without either the write applies to the case as it is."""
    expected = data.pop("version", None)
    header = request.headers.get("If-Match")
    if expected is None and header is not None:
        matched = re.fullmatch(IF_MATCH_PATTERN, header)
        if not matched:
            raise ValidationError({"If-Match": [_("If-Match 应为案件的 ETag（其版本号），或 *。")]})
        expected = None if header == "*" else int(header.removeprefix("W/").strip('"'))
    if expected is not None and expected != case.version:
        case_services.raise_conflict(case)


def case_data(request, case) -> dict:
    """The case's detail; unmasked parties (centre staff, the case's mediators) make it an audited reveal."""
    data = s.CaseDetailSerializer(case, context={"request": request, "today": timezone.localdate()}).data
    if data["personal_data_visible"]:
        audit_reveal(request, case_id=case.pk, number=case.number)
    return data


def validated(serializer_class, request, data=None) -> dict:
    serializer = serializer_class(data=request.data if data is None else data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# Accounts


@extend_schema(
    tags=["auth"],
    request=s.TokenRequestSerializer,
    responses={
        200: s.TokenSerializer,
        400: _ERRORS[400],
        429: OpenApiResponse(s.DetailSerializer, description="登录失败次数过多，账号暂时锁定"),
    },
    auth=[],
)
class TokenView(APIView):
    """Exchange a username and password for a new API token (valid FENGQIAO_API_TOKEN_DAYS days)."""

    # Credentials are in the body; a stale Authorization header must not turn this into a 401.
    authentication_classes = []
    permission_classes = []

    def post(self, request):
        data = validated(s.TokenRequestSerializer, request)
        # django-axes counts the failures and, past its limit, marks the request locked out.
        user = authenticate(request=request, username=data["username"], password=data["password"])
        if getattr(request, "axes_locked_out", False):
            return Response({"detail": _("登录失败次数过多，账号已暂时锁定，请稍后再试。")}, status=429)
        if user is None or not user.is_active:
            return Response({"detail": _("用户名或密码不正确。")}, status=status.HTTP_400_BAD_REQUEST)
        # A password alone must not buy a token that skips the second factor.
        twofactor.verify_for_token(request, user=user, code=data.get("otp") or "")
        token, key = api_services.token_issue(user=user)
        return Response(s.TokenSerializer({"token": key, "expires": token.expires_at}).data)


class MeView(APIView):
    @extend_schema(tags=["auth"], responses={200: s.MeSerializer, **errors()})
    def get(self, request):
        user = request.user
        data = {
            "id": user.id,
            "username": user.username,
            "display_name": user.display_name,
            "roles": user.roles or [],
            "mediator": Mediator.objects.filter(user=user).values_list("id", flat=True).first(),
            "grids": sorted(user.grids.values_list("id", flat=True)),
            "community_id": user.community_id,
            "subdistrict_id": user.subdistrict_id,
        }
        return Response(s.MeSerializer(data).data)


# Reference data: small lists, unpaginated.


class ReferenceList(generics.ListAPIView):
    pagination_class = None


@extend_schema(tags=["reference"], responses={200: s.CommunitySerializer(many=True), **errors()})
class CommunityList(ReferenceList):
    queryset = Community.objects.order_by("subdistrict_id", "code")
    serializer_class = s.CommunitySerializer


@extend_schema(tags=["reference"], responses={200: s.GridSerializer(many=True), **errors()})
class GridList(ReferenceList):
    queryset = Grid.objects.order_by("community_id", "code")
    serializer_class = s.GridSerializer


@extend_schema(tags=["reference"], responses={200: s.CategorySerializer(many=True), **errors()})
class CategoryList(ReferenceList):
    queryset = Category.objects.order_by("sort_order", "code")
    serializer_class = s.CategorySerializer


@extend_schema(tags=["reference"], responses={200: s.MediatorSerializer(many=True), **errors()})
class MediatorList(ReferenceList):
    queryset = Mediator.objects.select_related("organization").order_by("name", "id")
    serializer_class = s.MediatorSerializer


# Cases


class Cursor(CursorPagination):
    """Cursor pagination of the API's lists: a page costs the same whatever its position."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request):
        # DRF answers a malformed cursor with 404; it is a bad parameter of a request that exists (400).
        # An empty one is refused like an empty filter.
        empty = empty_parameters(request.query_params, [self.cursor_query_param])
        if empty:
            raise ValidationError(empty)
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({self.cursor_query_param: [str(self.invalid_cursor_message)]}) from None

    def get_page_size(self, request):
        # DRF falls back to the default on a page_size it cannot read; a client that sent one
        # meant something by it: 400 naming it.
        values = request.query_params.getlist(self.page_size_query_param)
        if not values:
            return self.page_size
        if len(values) > 1 or not values[0].strip().isdigit() or not 1 <= int(values[0]) <= self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [_("page_size 应为1至%(max)s的整数。") % {"max": self.max_page_size}]}
            )
        return int(values[0])


class CasePagination(Cursor):
    """The queue's pages, early warnings first (see CaseOrdering).

    DRF places a cursor by the first sort column alone and steps over rows that tie on it by an
    OFFSET (capped at 1,000): with the warning flag first, nearly every row ties. Here a cursor
    holds its row's whole sort key, as the web queue's pages do (casework/paging.py), so a page
    is a range of the queue's index wherever it starts; the links are DRF's own.
    """

    ordering = ("-is_warning", "-registered_at", "-id")

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)
        self.cursor = self.decode_cursor(request)
        offset, reverse, position = self.cursor or (0, False, None)
        queryset = queryset.order_by(*self.ordering)
        self.keys = paging.sort_keys(queryset)
        keys = self.keys
        if reverse:
            keys = [(field, not descending) for field, descending in keys]
            queryset = queryset.reverse()
        if position is not None:
            values = paging.parse_cursor(position, self.keys)
            if values is None:
                raise ValidationError({self.cursor_query_param: [str(self.invalid_cursor_message)]})
            queryset = paging.after_key(queryset, keys, values)
        rows = list(queryset[offset : offset + self.page_size + 1])
        self.page = rows[: self.page_size]
        following = paging.cursor_of(rows[-1], self.keys) if len(rows) > self.page_size else None
        if reverse:
            self.page.reverse()
            self.has_next, self.has_previous = position is not None or offset > 0, following is not None
            self.next_position, self.previous_position = position, following
        else:
            self.has_next, self.has_previous = following is not None, position is not None or offset > 0
            self.next_position, self.previous_position = following, position
        return self.page

    def _get_position_from_instance(self, instance, ordering):
        return paging.cursor_of(instance, self.keys)


class PeriodPagination(Cursor):
    # Newest period first; within one, the latest filed (or the latest version of a report) first.
    ordering = ("-period", "-id")


class CaseOrdering(OrderingFilter):
    """Early warnings head the queue whatever the chosen order, as on the web (casework.filters.QueueOrdering);
    the id breaks ties, so that a cursor names one row."""

    # Only orderings that a cursor can page through (never null).
    ordering_fields = ["registered_at", "id", "number"]
    ordering_description = _(
        "排序：registered_at、id、number，前加“-”为倒序；默认 -registered_at,-id。预警案件总是排在最前。"
    )

    def get_ordering(self, request, queryset, view):
        chosen = [term for term in super().get_ordering(request, queryset, view) if term.lstrip("-") != "is_warning"]
        if chosen[-1].lstrip("-") not in ("id", "number"):
            chosen.append("-id" if chosen[-1].startswith("-") else "id")
        return ["-is_warning", *chosen]


class CaseListCreate(generics.ListCreateAPIView):
    serializer_class = s.CaseListSerializer
    pagination_class = CasePagination
    filter_backends = [DjangoFilterBackend, CaseOrdering]
    filterset_class = CaseFilter
    ordering = ["-registered_at", "-id"]

    def get_queryset(self):
        return case_list_related(cases_visible_to(self.request.user))

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    @extend_schema(tags=["cases"], responses={200: s.CaseListSerializer(many=True), **errors(400)})
    def get(self, request, *args, **kwargs):
        """The queue: the cases visible to the user, newest first, cursor-paginated. A search by a
        party's whole ID number or phone (`q`) is audited like a reveal."""
        response = super().get(request, *args, **kwargs)
        if response.status_code == 200:
            audit_sealed_search(request, request.query_params.get("q", ""), where="api:cases")
        return response

    @extend_schema(
        tags=["cases"],
        request=s.CaseRegisterSerializer,
        parameters=[etag_header(201, 200)],
        responses={
            **made_or_found(s.CaseDetailSerializer, "同一 external_ref 已登记：返回已有案件，未作修改"),
            **errors(400, 403),
            409: OpenApiResponse(
                s.DetailSerializer, description="同一 external_ref 已登记，但该案件不在您的可见范围内"
            ),
        },
    )
    def post(self, request, *args, **kwargs):
        """Register a case (登记): it starts in `reported`.

        With `external_ref`, registration is idempotent within the subdistrict: a repeated push
        answers 200 with the existing case (unchanged) if the user may see it, else 409.
        """
        data = validated(s.CaseRegisterSerializer, request)
        case, created = api_services.case_register_once(actor=request.user, **data)
        return case_response(request, case, made_status(created))


class CaseDetail(APIView):
    @extend_schema(
        tags=["cases"], parameters=[etag_header(200)], responses={200: s.CaseDetailSerializer, **errors(404)}
    )
    def get(self, request, pk):
        """One case: parties (masked per role), events, records, deadlines and what this user may do next.

        Parties come unmasked only to centre staff and the case's mediators; each such answer is an audited reveal.
        """
        case = visible_case(request, pk)
        return with_etag(Response(case_data(request, case)), case)


class TransitionSchema(AutoSchema):
    """Each transition's endpoint documents its own body, operation and summary (one view class serves them all)."""

    def get_request_serializer(self):
        return versioned(TRANSITION_BODIES[self.view.transition])

    def get_operation_id(self):
        return f"v1_cases_transitions_{self.view.transition}_create"

    def get_summary(self):
        return f"{self.view.transition}（{Transition(self.view.transition).label}）"

    def get_description(self):
        return (
            f"Run `{self.view.transition}` ({Transition(self.view.transition).label}) on the case: the body is "
            "that step's input; the answer is the case as it is now."
        )


class TransitionView(APIView):
    """The endpoint of one transition; api/urls.py mounts it once per row of the workflow table
    (mediation/workflow.py) with that row's name as `transition`."""

    transition: str = ""
    schema = TransitionSchema()

    @extend_schema(
        tags=["transitions"],
        parameters=[IF_MATCH, etag_header(200)],
        responses={200: s.CaseDetailSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request, pk):
        case = visible_case(request, pk)
        body = validated(versioned(TRANSITION_BODIES[self.transition]), request)
        expect_version(request, case, body)
        TRANSITION_SERVICES[self.transition](case, actor=request.user, **body)
        return case_response(request, case)


class RecordCreate(APIView):
    # Adds one record (a session, a follow-up) to a visible case through its service.
    body: type = None  # the request's serializer
    answer: type = None  # the record's serializer
    service = None  # the service that adds the record, as a staticmethod

    def prepare(self, request, data: dict) -> dict:
        return data

    def post(self, request, pk):
        case = visible_case(request, pk)
        data = validated(versioned(self.body), request)
        expect_version(request, case, data)
        record = self.service(case, actor=request.user, **self.prepare(request, data))
        # The record moved the case's version on: its new ETag, for the client's next write.
        case.refresh_from_db(fields=["version"])
        return with_etag(Response(self.answer(record).data, status=status.HTTP_201_CREATED), case)


class CorrectionView(APIView):
    """更正 one record of a case (api/urls.py mounts it once per kind): a new row supersedes it, the
    old one stays in the file with who corrected it, when and why. The answer is the case as it is now."""

    kind = ""

    def correct(self, request, pk, row):
        case = visible_case(request, pk)
        try:
            old = correction_target(case, self.kind, row)
        except ObjectDoesNotExist:
            raise NotFound(_("记录不存在，或不属于此案件。")) from None
        body = validated(versioned(s.CORRECTION_BODIES[self.kind]), request)
        expect_version(request, case, body)
        for note in body.get("party_notes", []):
            if note["informed"] and not note.get("informed_by", "").strip():
                note["informed_by"] = request.user.display_name
        correct(case, self.kind, old, actor=request.user, **body)
        return case_response(request, case)


def _correction_schema(kind: str, what: str):
    return extend_schema(
        tags=["records"],
        request=versioned(s.CORRECTION_BODIES[kind]),
        parameters=[IF_MATCH, etag_header(200)],
        responses={200: s.CaseDetailSerializer, **errors(400, 403, 404, 409)},
        summary=f"更正{what}",
    )


class PartyCorrection(CorrectionView):
    kind = "party"

    @_correction_schema("party", "当事人基本情况")
    def post(self, request, pk, row):
        """Correct a party's particulars (centre staff): the values given replace the current ones."""
        return self.correct(request, pk, row)


class SessionCorrection(CorrectionView):
    kind = "session"

    @_correction_schema("session", "调解记录")
    def post(self, request, pk, row):
        """Correct a session record, with its per-party 告知 and consent (centre staff)."""
        return self.correct(request, pk, row)


class FollowUpCorrection(CorrectionView):
    kind = "follow_up"

    @_correction_schema("follow_up", "回访记录")
    def post(self, request, pk, row):
        """Correct a follow-up record (centre staff)."""
        return self.correct(request, pk, row)


class SessionCreate(RecordCreate):
    body, answer = s.SessionInputSerializer, s.SessionRecordedSerializer
    service = staticmethod(mediation_services.session_log)

    def prepare(self, request, data):
        # The body need not say who explained the rights: by default the person recording the session did.
        if data["rights_explained"] and not data.get("rights_explained_by", "").strip():
            data["rights_explained_by"] = request.user.display_name
        for note in data.get("party_notes", []):
            if note["informed"] and not note.get("informed_by", "").strip():
                note["informed_by"] = request.user.display_name
        return data

    @extend_schema(
        tags=["records"],
        request=versioned(s.SessionInputSerializer),
        parameters=[IF_MATCH, etag_header(201)],
        responses={201: s.SessionRecordedSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request, pk):
        """Log a mediation session (调解记录) while the case is being mediated."""
        return super().post(request, pk)


class FollowUpCreate(RecordCreate):
    body, answer = s.FollowUpInputSerializer, s.FollowUpSerializer
    service = staticmethod(mediation_services.follow_up_record)

    @extend_schema(
        tags=["records"],
        request=versioned(s.FollowUpInputSerializer),
        parameters=[IF_MATCH, etag_header(201)],
        responses={201: s.FollowUpSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request, pk):
        """Record a follow-up (回访) after the case concluded."""
        return super().post(request, pk)


def scoped_case(request, pk) -> DisputeCase:
    """A case of the user's scope by itself, without what its detail shows (404 outside)."""
    case = cases_visible_to(request.user).filter(pk=pk).first()
    if case is None:
        raise NotFound(_("案件不存在，或不在您的可见范围内。"))
    return case


def supervision_write(body, answer):
    """The schema of a 督办 write: `body` in, `answer` made (201), or refused."""
    return extend_schema(tags=["supervision"], request=body, responses={201: answer, **errors(400, 403, 404, 409)})


class SupervisionListCreate(APIView):
    @extend_schema(tags=["supervision"], responses={200: s.SupervisionOrderSerializer(many=True), **errors(404)})
    def get(self, request, pk):
        """The case's 督办 orders, oldest first, each with its answer (null while it waits)."""
        case = scoped_case(request, pk)
        return Response(s.SupervisionOrderSerializer(supervision_orders_of(case), many=True).data)

    @supervision_write(s.SupervisionOrderInputSerializer, s.SupervisionOrderSerializer)
    def post(self, request, pk):
        """Issue a 督办 order on an overdue or early-warning case (the district's centre staff only)."""
        case = scoped_case(request, pk)
        data = validated(s.SupervisionOrderInputSerializer, request)
        order = supervision.supervision_issue(case, actor=request.user, **data)
        return Response(s.SupervisionOrderSerializer(order).data, status=status.HTTP_201_CREATED)


class SupervisionAnswerCreate(APIView):
    @supervision_write(s.SupervisionAnswerInputSerializer, s.SupervisionAnswerSerializer)
    def post(self, request, pk, order):
        """Answer a 督办 order of the case (the subdistrict centre's staff), once."""
        case = scoped_case(request, pk)
        found = supervision_orders_of(case).filter(pk=order).first()
        if found is None:
            raise NotFound(_("此案件没有该督办。"))
        data = validated(s.SupervisionAnswerInputSerializer, request)
        answer = supervision.supervision_answer(found, actor=request.user, **data)
        return Response(s.SupervisionAnswerSerializer(answer).data, status=status.HTTP_201_CREATED)


class SuccessRateView(APIView):
    @extend_schema(
        tags=["stats"],
        parameters=[s.SuccessRateQuerySerializer],
        responses={200: s.SuccessRateSerializer, **errors(400)},
    )
    def get(self, request):
        """Agreed ÷ concluded over the visible cases, by conclusion date (both ends inclusive), with a 95% CI."""
        query = validated(s.SuccessRateQuerySerializer, request, data=request.query_params)
        cases = cases_visible_to(request.user)
        if "community" in query:
            cases = cases.filter(community_id=query["community"])
        if "mediator" in query:
            cases = involving_mediator(cases, query["mediator"])
        rate = success_rate(cases, since=query.get("since"), until=query.get("until"), third_party=query["third_party"])
        return Response(s.SuccessRateSerializer(rate.as_dict()).data)


# Screening returns (排查) and report snapshots


class InspectionScope:
    """The returns of the user's territory (a return outside it is 404), with what a row shows."""

    serializer_class = s.InspectionSerializer

    def get_queryset(self):
        return grid_selectors.inspections_visible_to(self.request.user).select_related("grid", "filed_by")


class InspectionListCreate(InspectionScope, generics.ListCreateAPIView):
    pagination_class = PeriodPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = InspectionFilter

    @extend_schema(tags=["inspections"], responses={200: s.InspectionSerializer(many=True), **errors(400)})
    def get(self, request, *args, **kwargs):
        """Screening returns in the user's territory (grid worker: their grids; community staff: their
        community; centre staff and leaders: the subdistrict), newest period first."""
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["inspections"],
        request=s.InspectionInputSerializer,
        responses={201: s.InspectionSerializer, **errors(400, 403)},
    )
    def post(self, request, *args, **kwargs):
        """File a screening return (排查填报) for one of the grid worker's own grids (403 for any other grid).

        A return already filed for the grid, kind and period is refused with 400 (`period`).
        """
        inspection = grid_services.inspection_file(
            actor=request.user, **validated(s.InspectionInputSerializer, request)
        )
        return Response(s.InspectionSerializer(inspection).data, status=status.HTTP_201_CREATED)


class InspectionDetail(InspectionScope, generics.RetrieveAPIView):
    @extend_schema(tags=["inspections"], responses={200: s.InspectionSerializer, **errors(404)})
    def get(self, request, *args, **kwargs):
        """One screening return in the user's territory; 404 outside it."""
        return super().get(request, *args, **kwargs)


def report_reader(request):
    """Reports are for centre staff, leaders, community staff and district readers
    (reports.selectors.can_read_reports)."""
    if not report_selectors.can_read_reports(request.user):
        raise NotPermitted(_("只有综治中心工作人员、街道或区领导和社区干部可以查看报表。"))


class SnapshotList(generics.ListAPIView):
    serializer_class = s.SnapshotSerializer
    pagination_class = PeriodPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = SnapshotFilter

    def get_queryset(self):
        return report_selectors.snapshot_list(self.request.user)

    @extend_schema(tags=["reports"], responses={200: s.SnapshotSerializer(many=True), **errors(400, 403)})
    def get(self, request, *args, **kwargs):
        """Report snapshots (日报 / 月报), every version, newest period first; figures in the detail."""
        report_reader(request)
        return super().get(request, *args, **kwargs)


def snapshot_data(request, snapshot) -> dict:
    """A snapshot with its figures as this user may read them (case rows within their scope)."""
    context = {"figures": report_selectors.readable_figures(request.user, snapshot)}
    return s.SnapshotDetailSerializer(snapshot, context=context).data


class SnapshotDetail(APIView):
    @extend_schema(tags=["reports"], responses={200: s.SnapshotDetailSerializer, **errors(404)})
    def get(self, request, pk):
        """One snapshot with its figures; case rows only for cases the user may see.

        As on the web, a snapshot is 404 for a user who may not read reports.
        """
        return Response(snapshot_data(request, report_selectors.snapshot_for(request.user, pk)))


class ReportGenerate(APIView):
    @extend_schema(
        tags=["reports"],
        request=s.GenerateReportSerializer,
        responses={
            **made_or_found(s.SnapshotDetailSerializer, "未填写原因且数据未变化：返回现有最新版本，未生成新版本"),
            **errors(400, 403),
        },
    )
    def post(self, request):
        """Make a new version of a daily or monthly report (centre staff only).

        A reason always makes a new version; without one, an unchanged report answers 200 with the latest.
        """
        if not report_services.can_generate_reports(request.user):
            raise NotPermitted(_("只有综治中心工作人员可以重新生成报表。"))
        body = validated(s.GenerateReportSerializer, request)
        snapshot, created = report_services.report_generate(actor=request.user, **body)
        return Response(snapshot_data(request, snapshot), status=made_status(created))


@extend_schema(exclude=True)
class NotFoundView(APIView):
    """Anything else under /api/ (an unknown transition name included): a JSON 404."""

    authentication_classes = []
    permission_classes = []

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise NotFound()
