"""Art. 29: a written agreement names every party's particulars (sex and date of birth read off a
valid ID number, never contradicting it), the main facts, the matters in dispute, each party's
responsibility, the terms and their performance, and records its signing; the 协议书 prints all of
it. An oral agreement (art. 28) records its content. The particulars are sealed at rest."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from pypdf import PdfReader
from rest_framework.test import APIClient

from api.services import token_issue
from casework.enums import CaseStatus
from casework.models import Party
from mediation import services
from mediation.models import Agreement
from tests.factories import party, register
from tests.workflow import assert_refused, drive, person_id, written_agreement

S = CaseStatus
pytestmark = pytest.mark.django_db


def _api(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=user)[1]}")
    return client


def test_sex_and_birth_are_read_off_the_id_number(centre, grid):
    case = register(centre, grid, parties=[party(id_number=person_id(1, "19750612", male=False), ethnicity="回族")])
    applicant = case.parties.get()
    assert (applicant.sex, applicant.birth_date, applicant.ethnicity) == ("female", "1975-06-12", "回族")


@pytest.mark.parametrize(
    ("given", "field"),
    [({"sex": "male"}, "sex"), ({"birth_date": "1975-06-13"}, "birth_date")],
)
def test_particulars_contradicting_the_id_number_are_refused(centre, grid, given, field):
    with pytest.raises(ValidationError) as refused:
        register(centre, grid, parties=[party(id_number=person_id(1, "19750612", male=False), **given)])
    assert "与身份证号不符" in str(refused.value.message_dict)
    assert not Party.objects.filter(name="张三").exists()


def test_the_api_refuses_a_contradiction_with_400(centre, grid):
    body = {
        "grid": grid.pk,
        "category": "neighbour",
        "source": "walk_in",
        "description": "邻里噪音",
        "parties": [{"role": "applicant", "name": "王五", "id_number": person_id(3), "sex": "female"}],
    }
    response = _api(centre).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 400 and "与身份证号不符" in response.content.decode()


def test_written_agreement_names_each_missing_particular(mediator, centre, grid):
    case = drive(S.MEDIATING, centre=centre, lead=mediator, grid=grid)
    kwargs = written_agreement(case, particulars=[])
    refused = assert_refused(
        case,
        lambda: services.case_reach_agreement(case, actor=mediator.user, **kwargs),
        "parties[0].ethnicity",
        "parties[0].id_number",
        "parties[0].sex",
        "parties[0].birth_date",
        "parties[0].address",
        "parties[1].ethnicity",
    )
    assert "书面协议须载明当事人“张三”的民族。" in refused.message_dict["parties[0].ethnicity"]


def test_an_organisation_needs_its_address_and_legal_representative(mediator, centre, grid):
    case = drive(
        S.MEDIATING, centre=centre, lead=mediator, grid=grid,
        parties=[party(), party("respondent", "南昌某物业有限公司", kind="organisation")],
    )  # fmt: skip
    kwargs = written_agreement(case)
    kwargs["particulars"] = kwargs["particulars"][:1]
    refused = assert_refused(
        case,
        lambda: services.case_reach_agreement(case, actor=mediator.user, **kwargs),
        "parties[1].address",
        "parties[1].legal_representative",
    )
    assert "parties[1].ethnicity" not in refused.message_dict


def test_a_complete_written_agreement_is_recorded_with_its_signing(mediator, centre, grid):
    case = drive(S.MEDIATING, centre=centre, lead=mediator, grid=grid)
    kwargs = written_agreement(case, signatures=None)
    parties = list(case.parties.all())
    kwargs["signatures"] = [{"party": parties[0].pk, "mark": "fingerprint"}, {"party": parties[1].pk, "mark": "seal"}]
    services.case_reach_agreement(case, actor=mediator.user, **kwargs)
    agreement = Agreement.objects.get(case=case)
    assert agreement.facts == "楼上卫生间漏水，致楼下天花板受损"  # not the registered description
    assert agreement.disputed_matters == "维修费用与赔偿数额"
    # The particulars completed with the agreement are a row superseding the registered one, which
    # stays as it was; the signatures name the rows the agreement names.
    applicant = Party.objects.get(supersedes=parties[0].pk)
    respondent = Party.objects.get(case=case, role=parties[1].role)
    assert agreement.signatures == [
        {"party": applicant.pk, "mark": "fingerprint"},
        {"party": respondent.pk, "mark": "seal"},
    ]
    assert agreement.mediator_signed and agreement.committee_sealed
    assert agreement.judicial_deadline >= agreement.signed_on + dt.timedelta(days=30)  # in effect when signed
    registered = Party.all_rows.get(pk=parties[0].pk)
    assert registered.ethnicity == "" and registered.superseded_by == applicant
    assert applicant.earlier == [registered.pk] and applicant.corrected_by == mediator.user
    assert (applicant.ethnicity, applicant.sex, applicant.birth_date) == ("汉族", "male", "1980-01-01")
    assert applicant.id_number == person_id(0) and applicant.id_number_index == Party.index_of(
        "id_number", person_id(0)
    )
    assert applicant.missing_particulars() == []


def test_a_party_who_did_not_sign_is_named(mediator, centre, grid):
    case = drive(S.MEDIATING, centre=centre, lead=mediator, grid=grid)
    kwargs = written_agreement(case)
    kwargs["signatures"] = kwargs["signatures"][:1]
    refused = assert_refused(
        case, lambda: services.case_reach_agreement(case, actor=mediator.user, **kwargs), "signatures"
    )
    assert "李四未签署" in refused.message_dict["signatures"][0]


def test_an_oral_agreement_records_its_content(mediator, centre, grid):
    case = drive(S.MEDIATING, centre=centre, lead=mediator, grid=grid)
    assert_refused(
        case,
        lambda: services.case_reach_agreement(
            case, actor=mediator.user, form="oral", terms=" ", signed_on=dt.date.today()
        ),
        "terms",
    )
    services.case_reach_agreement(case, actor=mediator.user, form="oral", terms="当场道歉", signed_on=dt.date.today())
    assert Agreement.objects.get(case=case).facts == ""  # no silent default to the description


def test_the_api_answers_400_naming_the_missing_particular(mediator, centre, grid):
    case = drive(S.MEDIATING, centre=centre, lead=mediator, grid=grid)
    body = written_agreement(case, particulars=[])
    body["signed_on"] = body["signed_on"].isoformat()
    body["performance_deadline"] = body["performance_deadline"].isoformat()
    response = _api(mediator.user).post(f"/api/v1/cases/{case.pk}/transitions/reach_agreement/", body, format="json")
    assert response.status_code == 400
    assert response.json()["parties[0].ethnicity"] == ["书面协议须载明当事人“张三”的民族。"]
    body = written_agreement(case)
    body["signed_on"] = body["signed_on"].isoformat()
    body["performance_deadline"] = body["performance_deadline"].isoformat()
    response = _api(mediator.user).post(f"/api/v1/cases/{case.pk}/transitions/reach_agreement/", body, format="json")
    assert response.status_code == 200, response.content
    detail = _api(centre).get(f"/api/v1/cases/{case.pk}/").json()
    assert detail["agreement"]["disputed_matters"] == "维修费用与赔偿数额"
    assert detail["parties"][0]["ethnicity"] == "汉族" and detail["parties"][0]["sex"] == "male"


def test_the_web_form_takes_the_particulars_and_the_signing(client, mediator, centre, grid):
    case = drive(S.MEDIATING, centre=centre, lead=mediator, grid=grid)
    parties = list(case.parties.all())
    client.force_login(mediator.user)
    url = reverse("mediation:transition", args=[case.pk, "reach_agreement"])
    today = dt.date.today()
    data = {
        "version": case.version,
        "form": "written",
        "signed_on": today.isoformat(),
        "facts": "漏水",
        "disputed_matters": "赔偿数额",
        "responsibilities": "甲方负责",
        "terms": "赔偿500元",
        "performance_method": "现金",
        "performance_deadline": (today + dt.timedelta(days=7)).isoformat(),
        "mediator_signed": "on",
        "committee_sealed": "on",
        **{f"mark_{p.pk}": "signature" for p in parties},
    }
    response = client.post(url, data)
    assert response.status_code == 400 and "书面协议须载明当事人“张三”的民族。" in response.content.decode()
    assert not Agreement.objects.filter(case=case).exists()
    for index, p in enumerate(parties):
        data |= {
            f"p{p.pk}_ethnicity": "汉族",
            f"p{p.pk}_address": "百花洲路2号",
            f"p{p.pk}_id_number": person_id(index),
        }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    # The signatures name the rows the agreement completed (each superseding a registered party).
    signed = [Party.objects.get(supersedes=p.pk).pk for p in parties]
    assert Agreement.objects.get(case=case).signatures == [{"party": pk, "mark": "signature"} for pk in signed]


def test_the_agreement_prints_every_particular_and_the_signing(client, mediator, centre, grid):
    case = drive(S.MEDIATING, centre=centre, lead=mediator, grid=grid)
    services.case_reach_agreement(case, actor=mediator.user, **written_agreement(case))
    client.force_login(centre)
    page = client.get(reverse("mediation:agreement", args=[case.pk])).content.decode()
    for text in ("张三", "男", "汉族", "1980年1月1日出生", person_id(0), "百花洲路2号", "维修费用与赔偿数额",
                 "甲方负主要责任", "已签名", "已盖"):  # fmt: skip
        assert text in page, text
    pdf = client.get(reverse("mediation:agreement_pdf", args=[case.pk])).content
    import io

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for fragment in ("汉族", "争议事项", "维修费用与赔偿数额", "已签名"):
        assert fragment in text, fragment


def test_the_particulars_are_sealed_at_rest(centre, grid):
    case = register(centre, grid, parties=[party(id_number=person_id(1), ethnicity="畲族")])
    with connection.cursor() as cursor:
        cursor.execute("SELECT ethnicity, sex, birth_date FROM casework_party WHERE case_id = %s", [case.pk])
        raw = cursor.fetchone()
    assert all(value.startswith("k") and "畲族" not in value and "male" not in value for value in raw)
    assert case.parties.get().ethnicity == "畲族"
