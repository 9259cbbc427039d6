"""回避 that bites: names compared normalised, organisations' declarations, co-mediators rechecked
on reassignment, and a conflict declared after assignment takes the mediator off the case at once."""

import pytest
from django.core.exceptions import ValidationError

from casework.enums import CaseStatus, Transition
from casework.models import CaseEvent
from common.enums import NoticeKind
from common.models import Notice
from mediation import services
from mediation.names import normalise, organisation_core
from mediation.selectors import assignment_options
from tests.factories import MediatorFactory, OrganizationFactory, party, register
from tests.workflow import drive, fresh

pytestmark = pytest.mark.django_db
S = CaseStatus


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("王 立言", "王立言"),
        ("王　立言", "王立言"),  # an ideographic space
        ("王立言。", "王立言"),
        ("鄧小平", "邓小平"),  # traditional
        ("ＷＡＮＧ Li-yan", "wangliyan"),  # full-width, case, a hyphen
    ],
)
def test_names_are_compared_normalised(a, b):
    assert normalise(a) == normalise(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("江西豫章律师事务所有限公司", "江西豫章律师事务所"),
        ("江西豫章律師事務所", "江西豫章律师事务所"),
        ("南昌市百花物业服务有限责任公司", "南昌市百花物业服务有限公司"),
        ("德济爱民公益协会", "德济爱民公益"),
    ],
)
def test_organisations_are_compared_without_their_legal_form(a, b):
    assert organisation_core(a) == organisation_core(b)


def test_different_organisations_stay_different():
    assert organisation_core("江西豫章律师事务所") != organisation_core("江西洪城律师事务所")
    assert organisation_core("公司") == "公司"  # nothing but a legal form: the name itself


@pytest.fixture
def firm(db):
    return OrganizationFactory(name="江西豫章律师事务所")


@pytest.fixture
def wang(firm):
    return MediatorFactory(name="王立言", organization=firm)


def accepted(centre, grid, parties):
    from casework.services import case_accept

    case = register(centre, grid, parties=parties)
    case_accept(case, actor=centre, level="subdistrict")
    return fresh(case)


@pytest.mark.parametrize(
    "parties",
    [
        [party(name="王 立言"), party("respondent", "李四")],
        [party(), party("respondent", "江西豫章律师事务所有限公司", kind="organisation")],
        [party(), party("respondent", "江西豫章律師事務所", kind="organisation")],
    ],
)
def test_a_disguised_name_does_not_pass_assignment(centre, grid, wang, parties):
    case = accepted(centre, grid, parties)
    with pytest.raises(ValidationError) as refused:
        services.case_assign(case, actor=centre, mediator=wang)
    assert "须回避" in refused.value.message_dict["mediator"][0]
    assert fresh(case).status == S.ACCEPTED


def test_an_organisations_declaration_keeps_all_its_mediators_off(centre, grid, firm, wang):
    colleague = MediatorFactory(name="赵明达", organization=firm)
    outsider = MediatorFactory(name="陈晓燕")
    services.organization_conflict_declare(
        actor=centre, organization=firm, party_name="南昌百花物业有限公司", reason="本所常年法律顾问单位"
    )
    case = accepted(centre, grid, [party(), party("respondent", "南昌百花物业", kind="organisation")])
    options = {m.pk: reasons for m, reasons in assignment_options(case)}
    assert "声明回避" in options[wang.pk][0] and "声明回避" in options[colleague.pk][0]
    assert options[outsider.pk] == []
    with pytest.raises(ValidationError):
        services.case_assign(case, actor=centre, mediator=colleague)


def test_an_organisations_declaration_takes_its_mediators_off_cases_under_way(centre, grid, firm, wang):
    outsider = MediatorFactory(name="陈晓燕")
    case = accepted(centre, grid, [party(), party("respondent", "南昌百花物业有限公司", kind="organisation")])
    services.case_assign(case, actor=centre, mediator=wang, co_mediators=[outsider])
    services.organization_conflict_declare(
        actor=centre, organization=firm, party_name="南昌百花物业", reason="本所常年法律顾问单位"
    )
    case = fresh(case)
    assert case.status == S.ACCEPTED and case.lead_mediator is None


def test_only_centre_staff_record_an_organisations_declaration(wang, firm):
    from casework.exceptions import CasePermissionDenied

    with pytest.raises(CasePermissionDenied):
        services.organization_conflict_declare(actor=wang.user, organization=firm, party_name="某公司", reason="顾问")


def test_reassign_drops_a_co_mediator_who_must_recuse(centre, grid, mediator, spare_mediator, firm):
    co = MediatorFactory(name="赵明达", organization=firm)
    case = drive(S.MEDIATING, centre=centre, lead=mediator, co=co, grid=grid)
    # Since the assignment the firm declared an interest in a party: the co-mediator may not stay.
    from mediation.models import OrganizationConflict

    OrganizationConflict.objects.create(
        organization=firm, party_name="李 四", reason="代理过", declared_by=centre, declared_at=case.registered_at
    )
    services.case_reassign(case, actor=centre, mediator=spare_mediator, reason="工作调整")
    case = fresh(case)
    assert case.lead_mediator == spare_mediator
    assert list(case.co_mediators.all()) == []
    event = CaseEvent.objects.filter(case=case, name=Transition.REASSIGN).latest("at")
    assert event.data["dropped_co_mediators"] == [co.pk]


def test_a_lead_who_declares_after_assignment_leaves_the_case(client, centre, grid, mediator, co_mediator):
    case = drive(S.MEDIATING, centre=centre, lead=mediator, co=co_mediator, grid=grid)
    attempts = case.community_attempts + case.subdistrict_attempts
    client.force_login(mediator.user)
    assert client.get(f"/mediation/cases/{case.pk}/").status_code == 200
    services.conflict_declare(case, actor=mediator.user, mediator=mediator, reason="与被申请人系亲属")
    case = fresh(case)
    assert case.status == S.ACCEPTED and case.lead_mediator is None
    assert case.community_attempts + case.subdistrict_attempts == attempts == 1  # the attempt stays counted
    event = CaseEvent.objects.filter(case=case, name=Transition.RECUSE).get()
    assert (event.from_status, event.to_status, event.data["reassignment"]) == (S.MEDIATING, S.ACCEPTED, True)
    # The centre is told, once.
    notice = Notice.objects.get(user=centre, kind=NoticeKind.RECUSAL)
    assert case.number in notice.text and "与被申请人系亲属" in notice.text
    # From now on the case is outside the mediator's scope, page and API alike.
    assert client.get(f"/mediation/cases/{case.pk}/").status_code == 404
    assert client.get(f"/api/v1/cases/{case.pk}/").status_code in (401, 404)
    # The record of what they did stays: their session is still in the file.
    assert case.sessions.count() == 1
    # The new lead cannot be the mediator who recused.
    with pytest.raises(ValidationError):
        services.case_assign(case, actor=centre, mediator=mediator)


def test_a_co_mediator_who_declares_is_dropped(client, centre, grid, mediator, co_mediator):
    case = drive(S.ASSIGNED, centre=centre, lead=mediator, co=co_mediator, grid=grid)
    services.conflict_declare(case, actor=co_mediator.user, mediator=co_mediator, reason="曾为申请人代理")
    case = fresh(case)
    assert case.status == S.ASSIGNED and case.lead_mediator == mediator
    assert list(case.co_mediators.all()) == []
    assert Notice.objects.filter(user=centre, kind=NoticeKind.RECUSAL).count() == 1
    client.force_login(co_mediator.user)
    assert client.get(f"/mediation/cases/{case.pk}/").status_code == 404


def test_the_lead_recuses_from_the_case_page(client, centre, grid, mediator, co_mediator):
    case = drive(S.ASSIGNED, centre=centre, lead=mediator, co=co_mediator, grid=grid)
    client.force_login(mediator.user)
    page = client.get(f"/mediation/cases/{case.pk}/").content.decode()
    assert "回避退出" in page
    response = client.post(
        f"/mediation/cases/{case.pk}/do/recuse/", {"reason": "与申请人系同学", "version": fresh(case).version}
    )
    # Off the case, the mediator lands on their own page, not on a 404.
    assert response.status_code == 302 and response.url == "/"
    case = fresh(case)
    assert case.status == S.ACCEPTED and case.conflicts.get().mediator == mediator


def test_the_api_recuse_without_a_reason_is_400(centre, grid, mediator, co_mediator):
    from rest_framework.test import APIClient

    from api.services import token_issue

    case = drive(S.ASSIGNED, centre=centre, lead=mediator, co=co_mediator, grid=grid)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=mediator.user)[1]}")
    response = api.post(f"/api/v1/cases/{case.pk}/transitions/recuse/", {"reason": " "}, format="json")
    assert response.status_code == 400
    assert fresh(case).status == S.ASSIGNED
    response = api.post(f"/api/v1/cases/{case.pk}/transitions/recuse/", {"reason": "亲属"}, format="json")
    assert response.status_code == 200
    assert fresh(case).status == S.ACCEPTED


def test_a_declaration_after_conclusion_is_recorded_and_told_but_changes_nothing(centre, grid, mediator, co_mediator):
    case = drive(S.AGREED, centre=centre, lead=mediator, co=co_mediator, grid=grid)
    services.conflict_declare(case, actor=mediator.user, mediator=mediator, reason="事后发现系亲属")
    case = fresh(case)
    assert case.status == S.AGREED and case.lead_mediator == mediator
    assert Notice.objects.filter(user=centre, kind=NoticeKind.RECUSAL).exists()


def test_centre_staff_enter_an_organisations_declaration_in_the_admin(client, centre, firm, wang):
    from grids.enums import Role
    from mediation.models import OrganizationConflict
    from tests.factories import UserFactory

    staff = UserFactory(is_staff=True, is_superuser=True, roles=[Role.CENTRE_STAFF], subdistrict=centre.subdistrict)
    client.force_login(staff)
    response = client.post(
        "/admin/mediation/organizationconflict/add/",
        {"organization": firm.pk, "party_name": "南昌百花物业", "reason": "常年法律顾问单位"},
    )
    assert response.status_code == 302
    declared = OrganizationConflict.objects.get()
    assert (declared.declared_by, declared.party_name) == (staff, "南昌百花物业")
    # An administrator who is not centre staff may read them, not add one.
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get("/admin/mediation/organizationconflict/add/").status_code == 403
