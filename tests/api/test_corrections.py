"""更正 through the API: 200 with the case as it reads now, 400 without a reason, 403 for a role that
may not correct, 404 outside the scope or for a row of another case, 409 on a stale version or a
row already superseded; the current value in the case detail and in the ledger export."""

import pytest

from casework.enums import CaseStatus as S
from casework.models import Party
from mediation.models import FollowUp, MediationSession
from tests.factories import party
from tests.workflow import drive, fresh, person_id

pytestmark = pytest.mark.django_db

MISTYPED, RIGHT = person_id(3), person_id(8, born="19750704")


@pytest.fixture
def case(centre, mediator, grid):
    parties = [party(id_number=MISTYPED), party("respondent", "李四")]
    return drive(S.AGREED, centre=centre, lead=mediator, grid=grid, follow_up=True, parties=parties)


def _url(case, segment, row):
    return f"/api/v1/cases/{case.pk}/{segment}/{row}/correction/"


def _applicant(case):
    return fresh(case).parties.get(role="applicant")


def test_a_party_correction_answers_the_case_with_the_current_value(api, case, centre, mediator):
    old = _applicant(case)
    response = api(centre).post(
        _url(case, "parties", old.pk), {"reason": "身份证号录入错误", "id_number": RIGHT}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response["ETag"] == f'"{fresh(case).version}"'
    applicant = next(p for p in response.json()["parties"] if p["role"] == "applicant")
    assert applicant["id_number"] == RIGHT and applicant["birth_date"] == "1975-07-04"
    assert applicant["supersedes"] == old.pk and applicant["correction_reason"] == "身份证号录入错误"
    assert [p["id"] for p in response.json()["parties"]].count(old.pk) == 0  # the superseded row is not listed
    # The case's mediators read the current value too; others masked, as before.
    detail = api(mediator.user).get(f"/api/v1/cases/{case.pk}/").json()
    assert RIGHT in [p["id_number"] for p in detail["parties"]]


def test_a_missing_reason_is_400_and_writes_nothing(api, case, centre):
    old, rows = _applicant(case), Party.all_rows.filter(case=case).count()
    for body in ({"name": "张叁"}, {"name": "张叁", "reason": "  "}):
        response = api(centre).post(_url(case, "parties", old.pk), body, format="json")
        assert response.status_code == 400 and "reason" in response.json()
    assert _applicant(case) == old and Party.all_rows.filter(case=case).count() == rows


@pytest.mark.parametrize(("who", "expected"), [("mediator", 403), ("community", 403), ("mediator2", 404)])
def test_only_the_centre_corrects(api, roles, case, who, expected):
    old = _applicant(case)
    response = api(roles[who]).post(_url(case, "parties", old.pk), {"reason": "错字", "name": "张叁"}, format="json")
    assert response.status_code == expected
    assert _applicant(case) == old


def test_a_row_of_another_case_is_404(api, case, centre, mediator, grid):
    other = drive(S.MEDIATING, centre=centre, lead=mediator, grid=grid)
    foreign = fresh(other).parties.first()
    response = api(centre).post(_url(case, "parties", foreign.pk), {"reason": "错字", "name": "张叁"}, format="json")
    assert response.status_code == 404
    response = api(centre).post(_url(case, "sessions", 10**9), {"reason": "错字"}, format="json")
    assert response.status_code == 404


def test_a_stale_version_and_a_superseded_row_are_409(api, case, centre):
    old = _applicant(case)
    stale = fresh(case).version - 1
    body = {"reason": "错字", "name": "张叁", "version": stale}
    assert api(centre).post(_url(case, "parties", old.pk), body, format="json").status_code == 409
    assert (
        api(centre).post(_url(case, "parties", old.pk), {"reason": "错字", "name": "张叁"}, format="json").status_code
        == 200
    )
    again = api(centre).post(_url(case, "parties", old.pk), {"reason": "又错", "name": "张珊"}, format="json")
    assert again.status_code == 409 and "已被更正" in again.json()["detail"]
    assert _applicant(case).name == "张叁"


def test_session_and_follow_up_corrections(api, case, centre):
    session = fresh(case).sessions.get()
    response = api(centre).post(
        _url(case, "sessions", session.pk), {"reason": "地点有误", "location": "会议室"}, format="json"
    )
    assert response.status_code == 200
    [current] = response.json()["sessions"]
    assert current["location"] == "会议室" and current["supersedes"] == session.pk
    assert MediationSession.all_rows.get(pk=session.pk).location != "会议室"
    follow_up = fresh(case).follow_ups.get()
    response = api(centre).post(
        _url(case, "follow-ups", follow_up.pk), {"reason": "误记", "satisfaction": 9}, format="json"
    )
    assert response.status_code == 400
    response = api(centre).post(
        _url(case, "follow-ups", follow_up.pk), {"reason": "误记", "satisfaction": 2}, format="json"
    )
    assert response.status_code == 200 and response.json()["follow_ups"][0]["satisfaction"] == 2
    assert FollowUp.all_rows.get(pk=follow_up.pk).satisfaction != 2


def test_the_ledger_export_gives_the_current_value(case, centre):
    from casework.models import DisputeCase
    from ledger.exporter import ledger_queryset, ledger_row
    from mediation import corrections

    corrections.correct(fresh(case), "party", _applicant(case), actor=centre, reason="姓名错字", name="张叁")
    session = fresh(case).sessions.get()
    corrections.correct(fresh(case), "session", session, actor=centre, reason="误记", location="会议室")
    [loaded] = ledger_queryset(DisputeCase.objects.filter(pk=case.pk))
    row = ledger_row(loaded, unmasked=True)
    assert "张叁" in row["parties"] and "张三" not in row["parties"]
    assert RIGHT not in row["parties"] and MISTYPED in row["parties"]  # nothing else changed
    assert "会议室" in row["sessions"]
