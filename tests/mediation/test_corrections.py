"""更正: a party's particulars, a session record or a follow-up corrected by a new row that supersedes
the old one, never by changing it; the current row everywhere the record is read, the history on
the case page."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from casework.enums import CaseStatus as S
from casework.enums import RecordKind
from casework.exceptions import CaseConflict, CasePermissionDenied
from casework.models import CaseEvent, Party
from mediation import corrections, services
from mediation.models import FollowUp, MediationSession, SessionParty
from tests.factories import party
from tests.workflow import drive, fresh, person_id, written_agreement

pytestmark = pytest.mark.django_db

NEW_ID = person_id(7, born="19900215", male=False)


MISTYPED_ID = person_id(3)


@pytest.fixture
def agreed(centre, mediator, grid):
    parties = [party(id_number=MISTYPED_ID, phone="13800138000"), party("respondent", "李四")]
    return drive(S.AGREED, centre=centre, lead=mediator, grid=grid, follow_up=True, parties=parties)


def _applicant(case):
    return fresh(case).parties.get(role="applicant")


def test_a_party_correction_is_a_new_row_and_the_old_one_stays(agreed, centre):
    old = _applicant(agreed)
    old_id, version = old.id_number, fresh(agreed).version
    assert old_id == MISTYPED_ID
    case = fresh(agreed)
    new = corrections.correct(case, "party", old, actor=centre, reason="身份证号录入错误", id_number=NEW_ID)
    kept = Party.all_rows.get(pk=old.pk)
    assert kept.id_number == old_id and kept.superseded_by == new  # the old row as it was
    assert new.id_number == NEW_ID and new.supersedes_id == old.pk and new.earlier == [old.pk]
    # A new ID number brings its own sex and date of birth.
    assert (new.sex, new.birth_date) == ("female", "1990-02-15")
    assert (new.corrected_by, new.correction_reason) == (centre, "身份证号录入错误")
    assert _applicant(agreed) == new  # the current row
    assert Party.objects.filter(case=agreed).count() == Party.all_rows.filter(case=agreed).count() - 1
    event = CaseEvent.objects.filter(case=agreed, name=RecordKind.CORRECTION).get()
    assert event.actor == centre and event.note == "身份证号录入错误"
    assert event.data == {"kind": "party", "old": old.pk, "new": new.pk, "fields": ["id_number", "sex", "birth_date"]}
    assert fresh(agreed).version == version + 1
    # Found by exact search under the corrected number, no longer under the mistyped one.
    assert Party.objects.filter(id_number_index=Party.index_of("id_number", NEW_ID)).get() == new
    assert not Party.objects.filter(id_number_index=Party.index_of("id_number", old_id)).exists()


def test_a_correction_of_a_correction_keeps_the_whole_chain(agreed, centre):
    first = _applicant(agreed)
    second = corrections.correct(fresh(agreed), "party", first, actor=centre, reason="姓名错字", name="张叁")
    third = corrections.correct(fresh(agreed), "party", second, actor=centre, reason="仍有错字", name="张珊")
    assert third.earlier == [first.pk, second.pk] and third.lineage == [third.pk, second.pk, first.pk]
    assert [r.name for r in Party.all_rows.filter(pk__in=third.lineage).order_by("pk")] == [first.name, "张叁", "张珊"]


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_correction_without_a_reason_is_refused_and_writes_nothing(agreed, centre, reason):
    case = fresh(agreed)
    with pytest.raises(ValidationError) as refused:
        corrections.correct(case, "party", _applicant(agreed), actor=centre, reason=reason, name="张叁")
    assert "reason" in refused.value.message_dict
    assert Party.all_rows.filter(case=agreed).count() == Party.objects.filter(case=agreed).count()
    assert fresh(agreed).version == case.version


def test_only_centre_staff_of_the_case_correct(agreed, roles, centre):
    for persona in ("mediator", "community", "leader", "gridworker", "admin", "mediator2"):
        with pytest.raises(CasePermissionDenied):
            corrections.correct(
                fresh(agreed), "party", _applicant(agreed), actor=roles[persona], reason="错字", name="张叁"
            )
    assert not CaseEvent.objects.filter(case=agreed, name=RecordKind.CORRECTION).exists()


def test_a_row_of_another_case_or_an_unknown_one_is_refused(agreed, centre, mediator, grid):
    other = drive(S.MEDIATING, centre=centre, lead=mediator, grid=grid)
    with pytest.raises(ValidationError):
        corrections.correct(fresh(agreed), "party", _applicant(other), actor=centre, reason="错字", name="张叁")
    with pytest.raises(Party.DoesNotExist):
        corrections.correction_target(fresh(agreed), "party", _applicant(other).pk)
    with pytest.raises(MediationSession.DoesNotExist):
        corrections.correction_target(fresh(agreed), "session", 10**9)


def test_a_superseded_row_cannot_be_corrected_again(agreed, centre):
    old = _applicant(agreed)
    corrections.correct(fresh(agreed), "party", old, actor=centre, reason="错字", name="张叁")
    with pytest.raises(CaseConflict):
        corrections.correct(fresh(agreed), "party", old, actor=centre, reason="另一处错字", name="张珊")


def test_nothing_to_correct_is_refused(agreed, centre):
    old = _applicant(agreed)
    with pytest.raises(ValidationError):
        corrections.correct(fresh(agreed), "party", old, actor=centre, reason="核对", name=old.name)


def test_a_corrected_id_number_must_agree_with_a_given_sex(agreed, centre):
    with pytest.raises(ValidationError) as refused:
        corrections.correct(
            fresh(agreed), "party", _applicant(agreed), actor=centre, reason="错", id_number=NEW_ID, sex="male"
        )
    assert "sex" in refused.value.message_dict


def test_a_session_correction_carries_its_party_notes(centre, mediator, grid):
    case = drive(S.MEDIATING, centre=centre, lead=mediator, grid=grid, session=False)
    parties = list(case.parties.all())
    held = timezone.now() - dt.timedelta(hours=2)
    notes = [{"party": p.pk, "informed": True, "informed_by": "王立言", "refused": False} for p in parties]
    session = services.session_log(
        fresh(case),
        actor=mediator.user,
        held_at=held,
        location="调解室",
        summary="双方陈述",
        public=False,
        rights_explained=False,
        party_notes=notes,
    )
    assert session.rights_explained
    notes[1]["refused"] = True
    new = corrections.correct(
        fresh(case),
        "session",
        session,
        actor=centre,
        reason="漏记被申请人明确拒绝",
        party_notes=notes,
        summary="双方陈述；被申请人表示不愿调解",
    )
    assert new.party_refused and not MediationSession.all_rows.get(pk=session.pk).party_refused
    assert SessionParty.objects.filter(session=new, refused=True).count() == 1
    assert SessionParty.objects.filter(session=session, refused=True).count() == 0  # the old notes as they were
    assert list(fresh(case).sessions.all()) == [new]
    # The gate reads the current record: a refusal now on file bars the agreement.
    with pytest.raises(Exception, match="明确拒绝"):
        services.case_reach_agreement(fresh(case), actor=mediator.user, **written_agreement(fresh(case)))


def test_a_session_corrected_without_notes_keeps_them(centre, mediator, grid):
    case = drive(S.MEDIATING, centre=centre, lead=mediator, grid=grid, session=False)
    notes = [{"party": p.pk, "informed": True, "informed_by": "王立言"} for p in case.parties.all()]
    session = services.session_log(
        fresh(case),
        actor=mediator.user,
        held_at=timezone.now() - dt.timedelta(hours=1),
        location="调解室",
        summary="双方陈述",
        public=False,
        rights_explained=False,
        party_notes=notes,
    )
    new = corrections.correct(fresh(case), "session", session, actor=centre, reason="地点有误", location="会议室")
    assert new.location == "会议室" and new.rights_explained
    assert SessionParty.objects.filter(session=new, informed=True).count() == len(notes)


def test_a_follow_up_correction_is_checked_as_a_new_one_is(agreed, centre):
    follow_up = fresh(agreed).follow_ups.get()
    with pytest.raises(ValidationError):
        corrections.correct(fresh(agreed), "follow_up", follow_up, actor=centre, reason="误记", satisfaction=9)
    new = corrections.correct(fresh(agreed), "follow_up", follow_up, actor=centre, reason="误记", satisfaction=2)
    assert new.satisfaction == 2 and FollowUp.all_rows.get(pk=follow_up.pk).satisfaction == follow_up.satisfaction
    assert list(fresh(agreed).follow_ups.all()) == [new]
    assert fresh(agreed).follow_up_count == 1  # a correction is not another follow-up


def test_a_closed_case_is_corrected_the_same_way(centre, mediator, grid):
    case = drive(S.CLOSED, centre=centre, lead=mediator, grid=grid)
    new = corrections.correct(fresh(case), "party", _applicant(case), actor=centre, reason="错字", name="张叁")
    assert _applicant(case) == new and fresh(case).status == S.CLOSED


def test_the_agreement_completes_particulars_with_a_superseding_row(mediator, centre, grid):
    case = drive(S.MEDIATING, centre=centre, lead=mediator, grid=grid)
    registered = list(case.parties.all())
    services.case_reach_agreement(fresh(case), actor=mediator.user, **written_agreement(fresh(case)))
    for registered_party in registered:
        kept = Party.all_rows.get(pk=registered_party.pk)
        assert kept.ethnicity == "" and kept.superseded_by.ethnicity == "汉族"
    event = CaseEvent.objects.get(case=case, name="reach_agreement")
    assert sorted(event.data["particulars_of"]) == sorted(p.pk for p in registered)


# The case page: current value, 已更正 and its history; the web form.


def _correct_on_page(client, case, kind, row, data):
    url = reverse("mediation:correct", args=[case.pk, kind, row.pk])
    return client.post(url, {"version": fresh(case).version, **data})


def test_the_web_form_corrects_and_the_page_shows_the_history(client, agreed, centre, mediator):
    old = _applicant(agreed)
    client.force_login(centre)
    form = client.get(reverse("mediation:correct", args=[agreed.pk, "party", old.pk]))
    assert form.status_code == 200
    assert old.id_number not in form.content.decode()  # the full number is never printed in the form
    response = _correct_on_page(client, agreed, "party", old, {"name": "张叁", "reason": "姓名错字"})
    assert response.status_code == 302
    assert _applicant(agreed).name == "张叁"
    for user in (centre, mediator.user):
        client.force_login(user)
        body = client.get(reverse("mediation:case", args=[agreed.pk])).content.decode()
        assert "已更正" in body and "姓名错字" in body and f"<del>{old.name}</del> → 张叁" in body


def test_the_web_form_refuses_a_missing_reason_and_a_stale_page(client, agreed, centre):
    old = _applicant(agreed)
    client.force_login(centre)
    response = _correct_on_page(client, agreed, "party", old, {"name": "张叁", "reason": ""})
    assert response.status_code == 400 and _applicant(agreed) == old
    url = reverse("mediation:correct", args=[agreed.pk, "party", old.pk])
    stale = client.post(url, {"version": fresh(agreed).version - 1, "name": "张叁", "reason": "错字"})
    assert stale.status_code == 409 and _applicant(agreed) == old


def test_the_web_form_is_for_centre_staff_and_404_outside_the_case(client, agreed, centre, mediator, roles):
    old = _applicant(agreed)
    url = reverse("mediation:correct", args=[agreed.pk, "party", old.pk])
    client.force_login(mediator.user)
    assert client.get(url).status_code == 403
    assert (
        f"mediation/cases/{agreed.pk}/correct/"
        not in client.get(reverse("mediation:case", args=[agreed.pk])).content.decode()
    )
    client.force_login(roles["mediator2"])
    assert client.get(url).status_code == 404
    client.force_login(centre)
    assert client.get(reverse("mediation:correct", args=[agreed.pk, "party", 10**9])).status_code == 404
    assert client.get(reverse("mediation:correct", args=[agreed.pk, "agreement", old.pk])).status_code == 404


def test_session_and_follow_up_forms_correct_them(client, agreed, centre):
    client.force_login(centre)
    session = fresh(agreed).sessions.get()
    form = client.get(reverse("mediation:correct", args=[agreed.pk, "session", session.pk]))
    data = {k: v for k, v in form.context["form"].initial.items() if v not in (None, False)}
    data["held_at"] = timezone.localtime(session.held_at).strftime("%Y-%m-%dT%H:%M")
    data |= {"location": "会议室", "reason": "地点有误"}
    assert _correct_on_page(client, agreed, "session", session, data).status_code == 302
    assert fresh(agreed).sessions.get().location == "会议室"
    follow_up = fresh(agreed).follow_ups.get()
    data = {"date": follow_up.date.isoformat(), "method": follow_up.method, "satisfaction": 3, "reason": "误记"}
    assert _correct_on_page(client, agreed, "follow_up", follow_up, data).status_code == 302
    assert fresh(agreed).follow_ups.get().satisfaction == 3
    body = client.get(reverse("mediation:case", args=[agreed.pk])).content.decode()
    assert "地点有误" in body and "<del>第三方调解室</del> → 会议室" in body and "误记" in body


@pytest.mark.parametrize("persona", ["centre", "mediator"])
def test_a_corrected_case_page_stays_within_its_query_budget(
    client, agreed, centre, roles, persona, django_assert_max_num_queries
):
    case = fresh(agreed)
    corrections.correct(case, "party", _applicant(agreed), actor=centre, reason="错字", name="张叁")
    corrections.correct(
        fresh(agreed), "follow_up", fresh(agreed).follow_ups.get(), actor=centre, reason="误记", notes="改"
    )
    corrections.correct(
        fresh(agreed), "session", fresh(agreed).sessions.get(), actor=centre, reason="误记", location="改"
    )
    client.force_login(roles[persona])
    with django_assert_max_num_queries(8):
        assert client.get(reverse("mediation:case", args=[agreed.pk])).status_code == 200
