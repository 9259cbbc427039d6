import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from casework import services as case_services
from casework.enums import CaseStatus, Level, Transition
from casework.models import CaseEvent, DisputeCase
from common.models import AuditAction, AuditEntry
from mediation import services
from mediation.models import Agreement, ConflictDeclaration, FollowUp, MediationSession
from tests.factories import MediatorFactory, party, register


def case_url(case):
    return reverse("mediation:case", args=[case.pk])


def do_url(case, name):
    return reverse("mediation:transition", args=[case.pk, name])


def record_url(case, name):
    return reverse("mediation:record", args=[case.pk, name])


def text(response):
    return response.content.decode()


def test_case_page_renders_for_every_role_that_sees_the_case(client, roles, walk):
    case = walk(CaseStatus.MEDIATING)
    for key in ("centre", "leader", "community", "gridworker", "mediator"):
        client.force_login(roles[key])
        response = client.get(case_url(case))
        assert response.status_code == 200, key
        assert case.number in text(response)


def test_every_case_url_is_404_outside_the_users_scope(client, roles, walk):
    case = walk(CaseStatus.AGREED)
    events = CaseEvent.objects.filter(case=case).count()
    urls = [case_url(case), reverse("mediation:agreement", args=[case.pk])]
    urls += [reverse("mediation:action_form", args=[case.pk, name]) for name in ("assign", "reassign")]
    posts = [do_url(case, name) for name in Transition.values if name != Transition.REGISTER]
    posts += [record_url(case, name) for name in ("session", "follow_up", "extend", "judicial")]
    for key in ("mediator2", "admin"):
        client.force_login(roles[key])
        for url in urls:
            assert client.get(url).status_code == 404, (key, url)
        for url in posts:
            assert client.post(url, {"version": case.version, "reason": "x"}).status_code == 404, (key, url)
    assert CaseEvent.objects.filter(case=case).count() == events


def test_case_outside_the_grid_workers_grids_is_404(client, grid_worker, centre, other_grid):
    case = register(centre, other_grid)
    client.force_login(grid_worker)
    assert client.get(case_url(case)).status_code == 404
    assert client.post(do_url(case, "accept"), {"level": "community"}).status_code == 404


def test_unknown_action_is_404(client, centre, walk):
    case = walk(CaseStatus.REPORTED)
    client.force_login(centre)
    assert client.post(do_url(case, "register")).status_code == 404
    assert client.post(record_url(case, "delete")).status_code == 404


def test_case_page_offers_only_the_actions_the_user_may_take_now(client, roles, walk):
    reported = walk(CaseStatus.REPORTED)
    client.force_login(roles["centre"])
    actions = [a["name"] for a in client.get(case_url(reported)).context["actions"]]
    assert actions == ["accept", "decline", "withdraw"]
    client.force_login(roles["leader"])
    response = client.get(case_url(reported))
    assert response.context["actions"] == [] and response.context["records"] == []
    assigned = walk(CaseStatus.ASSIGNED)
    client.force_login(roles["mediator"])
    actions = [a["name"] for a in client.get(case_url(assigned)).context["actions"]]
    # 回避退出: the lead may declare a conflict and leave the case.
    assert actions == ["start", "withdraw", "recuse"]


def test_case_page_says_why_an_action_waits(client, mediator, centre, grid, walk):
    case = walk(CaseStatus.ASSIGNED)
    services.case_start(case, actor=mediator.user)
    client.force_login(mediator.user)
    response = client.get(case_url(case))
    assert "至少需要一条调解记录" in text(response)
    assert "reach_agreement" not in [a["name"] for a in response.context["actions"]]


def test_case_page_masks_personal_data_and_offers_reveal_to_centre_and_own_mediator(
    client, roles, centre, mediator, grid
):
    case = register(centre, grid, parties=[party(phone="13812345678")])
    case_services.case_accept(case, actor=centre, level=Level.SUBDISTRICT)
    services.case_assign(case, actor=centre, mediator=mediator)
    for key, may_reveal in (("centre", True), ("mediator", True), ("leader", False), ("gridworker", False)):
        client.force_login(roles[key])
        body = text(client.get(case_url(case)))
        assert "13812345678" not in body and "138****5678" in body, key
        assert ("显示完整信息" in body) is may_reveal, key
    assert not AuditEntry.objects.filter(action=AuditAction.PERSONAL_DATA_REVEALED).exists()


@pytest.mark.parametrize("htmx", [False, True])
def test_reveal_shows_full_personal_data_and_is_audited(client, centre, mediator, grid, htmx):
    case = register(centre, grid, parties=[party(phone="13812345678")])
    case_services.case_accept(case, actor=centre, level=Level.SUBDISTRICT)
    services.case_assign(case, actor=centre, mediator=mediator)
    client.force_login(mediator.user)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.post(f"/mediation/cases/{case.pk}/reveal/", REMOTE_ADDR="10.9.8.7", **headers)
    assert response.status_code == 200
    body = text(response)
    assert "13812345678" in body and "显示完整信息" not in body
    assert ("<html" in body) is not htmx
    entry = AuditEntry.objects.get(action=AuditAction.PERSONAL_DATA_REVEALED)
    assert (entry.actor, entry.target, entry.ip) == (mediator.user, f"case:{case.pk}", "10.9.8.7")
    assert entry.detail == {"number": case.number}


def test_reveal_is_refused_to_those_without_the_right_and_writes_no_audit(client, roles, centre, grid):
    case = register(centre, grid, parties=[party(phone="13812345678")])
    for key in ("leader", "community", "gridworker"):
        client.force_login(roles[key])
        response = client.post(f"/mediation/cases/{case.pk}/reveal/")
        assert response.status_code == 403, key
        assert "13812345678" not in text(response)
    client.force_login(roles["mediator2"])
    assert client.post(f"/mediation/cases/{case.pk}/reveal/").status_code == 404
    client.force_login(roles["centre"])
    assert client.get(f"/mediation/cases/{case.pk}/reveal/").status_code == 405
    assert not AuditEntry.objects.filter(action=AuditAction.PERSONAL_DATA_REVEALED).exists()


def test_timeline_shows_sessions_agreement_and_follow_ups(client, centre, walk):
    case = walk(CaseStatus.CLOSED)
    client.force_login(centre)
    body = text(client.get(case_url(case)))
    for expected in ("第三方调解室", "听取双方陈述", "赔偿500元", "满意度", "结案"):
        assert expected in body


def test_accept_then_assign_through_the_page(client, centre, mediator, walk):
    case = walk(CaseStatus.REPORTED)
    client.force_login(centre)
    response = client.post(do_url(case, "accept"), {"version": case.version, "level": "subdistrict"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED
    response = client.post(do_url(case, "assign"), {"version": case.version, "mediator": mediator.pk})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSIGNED and case.lead_mediator == mediator


def test_assign_form_leaves_out_mediators_with_a_conflict_and_says_why(client, centre, mediator, walk):
    case = walk(CaseStatus.ACCEPTED)
    conflicted = MediatorFactory(name="周调解")
    services.conflict_declare(case, actor=centre, mediator=conflicted, reason="与申请人是亲属")
    client.force_login(centre)
    page = client.get(case_url(case))
    assert reverse("mediation:action_form", args=[case.pk, "assign"]) in text(page)
    response = client.get(reverse("mediation:action_form", args=[case.pk, "assign"]))
    form = response.context["action"]["form"]
    offered = [value for value, _label in form.fields["mediator"].choices]
    assert mediator.pk in offered and conflicted.pk not in offered
    assert "与申请人是亲属" in text(response)
    response = client.post(do_url(case, "assign"), {"version": case.version, "mediator": conflicted.pk})
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED


def test_action_form_of_an_action_not_available_is_403(client, leader, centre, walk):
    case = walk(CaseStatus.ACCEPTED)
    client.force_login(leader)
    assert client.get(reverse("mediation:action_form", args=[case.pk, "assign"])).status_code == 403
    client.force_login(centre)
    assert client.get(reverse("mediation:action_form", args=[case.pk, "reassign"])).status_code == 403


@pytest.mark.parametrize(
    ("state", "persona", "name", "data", "message"),
    [
        (CaseStatus.REPORTED, "centre", "decline", {"referral": "court", "reason": ""}, "该字段是必填项"),
        (CaseStatus.REPORTED, "community", "accept", {"level": "subdistrict"}, "选择一个有效的选项"),
        (CaseStatus.ACCEPTED, "centre", "withdraw", {"reason": "  "}, "该字段是必填项"),
        (
            CaseStatus.MEDIATING,
            "mediator",
            "reach_agreement",
            {"form": "written", "terms": "赔偿", "signed_on": "2020-01-01"},
            "书面协议须载明履行方式",
        ),
        (
            CaseStatus.MEDIATING,
            "mediator",
            "reach_agreement",
            {"form": "oral", "terms": "赔偿", "signed_on": "2999-01-01"},
            "签订日期不能晚于今天",
        ),
        (CaseStatus.MEDIATING, "mediator", "fail", {"reason": "分歧大", "guidance": "moon"}, "选择一个有效的选项"),
    ],
)
def test_transition_forms_reject_bad_input_and_write_nothing(client, roles, walk, state, persona, name, data, message):
    case = walk(state)
    events = CaseEvent.objects.filter(case=case).count()
    client.force_login(roles[persona])
    response = client.post(do_url(case, name), {"version": case.version, **data})
    assert response.status_code == 400
    assert message in text(response)
    case.refresh_from_db()
    assert case.status == state
    assert CaseEvent.objects.filter(case=case).count() == events
    assert Agreement.objects.count() == 0


def test_close_of_agreed_case_without_follow_up_is_refused_with_the_reason(client, centre, walk):
    case = walk(CaseStatus.AGREED)
    client.force_login(centre)
    response = client.post(do_url(case, "close"), {"version": case.version})
    assert response.status_code == 409
    assert "至少需要一次回访" in text(response)
    case.refresh_from_db()
    assert case.status == CaseStatus.AGREED


def test_transition_not_for_this_user_is_403(client, leader, mediator, walk):
    case = walk(CaseStatus.REPORTED)
    client.force_login(leader)
    assert client.post(do_url(case, "accept"), {"version": case.version, "level": "community"}).status_code == 403
    case.refresh_from_db()
    assert case.status == CaseStatus.REPORTED


def test_lost_race_names_who_changed_the_case_and_keeps_the_typed_input(client, centre, mediator, walk):
    case = walk(CaseStatus.ASSIGNED)
    seen_version = case.version
    services.case_start(case, actor=mediator.user)  # someone else, meanwhile
    client.force_login(centre)
    response = client.post(
        do_url(case, "withdraw"), {"version": seen_version, "reason": "当事人口头表示不再调解", "by": "party"}
    )
    assert response.status_code == 409
    body = text(response)
    assert f"此案件已被{mediator.user}" in body
    assert "当事人口头表示不再调解" in body
    case.refresh_from_db()
    assert case.status == CaseStatus.MEDIATING
    # The re-shown form carries the current version: submitting it again is a deliberate choice and works.
    (withdraw,) = [a for a in response.context["actions"] if a["name"] == "withdraw"]
    assert withdraw["form"]["version"].value() == str(case.version)
    response = client.post(
        do_url(case, "withdraw"), {"version": case.version, "reason": "当事人口头表示不再调解", "by": "party"}
    )
    assert response.status_code == 302


def test_lost_race_on_an_action_no_longer_offered_still_shows_the_typed_input(client, centre, mediator, walk):
    case = walk(CaseStatus.REPORTED)
    seen_version = case.version
    case_services.case_decline(case, actor=centre, reason="不属于调解范围", referral="court")
    client.force_login(centre)
    response = client.post(do_url(case, "accept"), {"version": seen_version, "level": "subdistrict", "note": "急办"})
    assert response.status_code == 409
    assert "急办" in text(response)


def session_data(case, **overrides):
    data = {
        "held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "location": "社区调解室",
        "summary": "双方同意再谈",
        "rights_explained_by": "调解员",
        # 告知, party by party: every party told.
        **{f"informed_{pk}": "on" for pk in case.parties.values_list("pk", flat=True)},
    }
    data.update(overrides)
    return data


def test_session_form_logs_a_session(client, mediator, walk):
    case = walk(CaseStatus.MEDIATING)
    client.force_login(mediator.user)
    response = client.post(record_url(case, "session"), session_data(case))
    assert response.status_code == 302
    assert MediationSession.objects.filter(case=case).count() == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"location": ""}, "该字段是必填项"),
        ({"held_at": "2999-01-01T10:00"}, "调解时间不能晚于现在"),
        ({"held_at": "0001-01-16T15:00"}, "调解时间不能早于案件登记日期"),
        ({"rights_explained_by": ""}, "请填写告知人"),
        ({"held_at": "yesterday"}, "输入一个有效的日期/时间"),
    ],
)
def test_session_form_rejects_bad_input_and_writes_nothing(client, mediator, walk, overrides, message):
    case = walk(CaseStatus.MEDIATING)
    client.force_login(mediator.user)
    response = client.post(record_url(case, "session"), session_data(case, **overrides))
    assert response.status_code == 400
    assert message in text(response)
    assert MediationSession.objects.filter(case=case).count() == 1
    case.refresh_from_db()
    assert case.session_count == 1


def test_follow_up_form_records_and_rejects_bad_satisfaction(client, mediator, walk):
    case = walk(CaseStatus.AGREED)
    client.force_login(mediator.user)
    bad = {"date": timezone.localdate().isoformat(), "method": "phone", "satisfaction": "9", "performed": "on"}
    response = client.post(record_url(case, "follow_up"), bad)
    assert response.status_code == 400
    assert FollowUp.objects.count() == 0
    response = client.post(record_url(case, "follow_up"), {**bad, "satisfaction": "4"})
    assert response.status_code == 302
    assert FollowUp.objects.get().satisfaction == 4


def test_session_form_is_refused_once_the_case_moved_on(client, mediator, walk):
    case = walk(CaseStatus.AGREED)
    client.force_login(mediator.user)
    assert client.post(record_url(case, "session"), session_data(case)).status_code == 403


def test_centre_extends_the_deadline_once_with_a_reason(client, centre, mediator, walk):
    case = walk(CaseStatus.ASSIGNED)
    old_due = case.conclude_due
    client.force_login(centre)
    assert client.post(record_url(case, "extend"), {"reason": ""}).status_code == 400
    case.refresh_from_db()
    assert case.conclude_due == old_due
    assert client.post(record_url(case, "extend"), {"reason": "当事人住院"}).status_code == 302
    case.refresh_from_db()
    assert case.conclude_extended and case.conclude_due > old_due
    # Only once: the form is no longer offered, and a second post is refused.
    assert "extend" not in [r["name"] for r in client.get(case_url(case)).context["records"]]
    assert client.post(record_url(case, "extend"), {"reason": "再延"}).status_code == 403


def test_mediator_may_not_extend_the_deadline(client, mediator, walk):
    case = walk(CaseStatus.MEDIATING)
    client.force_login(mediator.user)
    assert client.post(record_url(case, "extend"), {"reason": "需要时间"}).status_code == 403


def test_agreement_prints_as_a_mediation_agreement(client, roles, walk):
    case = walk(CaseStatus.AGREED)
    for key in ("centre", "mediator", "leader"):
        client.force_login(roles[key])
        response = client.get(reverse("mediation:agreement", args=[case.pk]))
        assert response.status_code == 200
        body = text(response)
        assert "人民调解协议书" in body and "赔偿500元" in body


def test_agreement_print_is_404_without_an_agreement(client, centre, walk):
    case = walk(CaseStatus.MEDIATING)
    client.force_login(centre)
    assert client.get(reverse("mediation:agreement", args=[case.pk])).status_code == 404


@pytest.mark.parametrize("persona", ["centre", "mediator"])
def test_case_page_query_count_is_the_same_for_1_and_50_records(
    client, roles, mediator, walk, persona, django_assert_max_num_queries
):
    case = walk(CaseStatus.MEDIATING)
    client.force_login(roles[persona])
    # The signed-in user, then the case with everything its page shows, sent together.
    with django_assert_max_num_queries(2):
        assert client.get(case_url(case)).status_code == 200
    for i in range(49):
        services.session_log(
            case,
            actor=mediator.user,
            held_at=timezone.now() - dt.timedelta(minutes=i),
            location="调解室",
            summary=f"第{i}次",
            public=False,
            rights_explained=False,
        )
    with django_assert_max_num_queries(2):
        response = client.get(case_url(case))
    assert len(response.context["timeline"]) == 5 + 49


def test_case_page_with_assignment_form_stays_bounded(client, centre, walk, django_assert_max_num_queries):
    case = walk(CaseStatus.ACCEPTED)
    client.force_login(centre)
    with django_assert_max_num_queries(2):
        assert client.get(case_url(case)).status_code == 200
    form_url = reverse("mediation:action_form", args=[case.pk, "assign"])
    with django_assert_max_num_queries(5):
        assert client.get(form_url).status_code == 200
    for _ in range(30):
        MediatorFactory()
    with django_assert_max_num_queries(2):
        assert client.get(case_url(case)).status_code == 200
    # The roster, the case's declared conflicts and the organisations' declarations: three
    # queries, however many mediators there are.
    with django_assert_max_num_queries(5):
        response = client.get(form_url)
    assert len(response.context["action"]["form"].fields["mediator"].choices) == 32


def test_mediators_page_shows_load_rate_availability_and_conflicts(client, centre, mediator, walk):
    walk(CaseStatus.CLOSED)
    walk(CaseStatus.FAILED)
    walk(CaseStatus.MEDIATING)
    accepted = walk(CaseStatus.ACCEPTED)
    services.conflict_declare(accepted, actor=centre, mediator=mediator, reason="邻居")
    MediatorFactory(available=False)
    client.force_login(centre)
    response = client.get(reverse("mediation:mediators"))
    assert response.status_code == 200
    row = next(m for m in response.context["mediators"] if m.pk == mediator.pk)
    assert (row.open_load, row.concluded, row.agreed, row.conflicts_declared) == (1, 2, 1, 1)
    assert "50.0%" in text(response)
    detail = client.get(reverse("mediation:mediator", args=[mediator.pk]))
    assert "邻居" in text(detail)
    assert ConflictDeclaration.objects.count() == 1


def test_organizations_page_shows_each_organisations_cases(client, centre, mediator, walk):
    walk(CaseStatus.CLOSED)
    client.force_login(centre)
    response = client.get(reverse("mediation:organizations"))
    assert response.status_code == 200
    row = next(o for o in response.context["organizations"] if o.pk == mediator.organization_id)
    assert (row.mediator_count, row.concluded, row.agreed) == (1, 1, 1)


@pytest.mark.parametrize("persona", ["leader", "community", "gridworker", "mediator"])
def test_mediators_and_organizations_pages_are_for_centre_staff(client, roles, persona):
    client.force_login(roles[persona])
    assert client.get(reverse("mediation:mediators")).status_code == 403
    assert client.get(reverse("mediation:organizations")).status_code == 403


def test_mediator_page_query_count_is_bounded(client, centre, django_assert_max_num_queries):
    for _ in range(30):
        MediatorFactory()
    client.force_login(centre)
    with django_assert_max_num_queries(4):
        client.get(reverse("mediation:mediators"))
    with django_assert_max_num_queries(4):
        client.get(reverse("mediation:organizations"))


def test_walk_helper_states_are_real(walk):
    assert DisputeCase.objects.count() == 0
    assert walk(CaseStatus.CLOSED).status == CaseStatus.CLOSED


def test_own_mediator_declares_a_conflict_from_the_case_page(client, mediator, other_mediator, centre, walk):
    case = walk(CaseStatus.MEDIATING)
    client.force_login(mediator.user)
    assert client.post(record_url(case, "conflict"), {"reason": ""}).status_code == 400
    assert ConflictDeclaration.objects.count() == 0
    assert client.post(record_url(case, "conflict"), {"reason": "申请人是我表亲"}).status_code == 302
    declaration = ConflictDeclaration.objects.get()
    assert (declaration.mediator, declaration.case) == (mediator, case)
    # Centre staff see it on the mediator's page; nobody else may declare for this mediator here.
    client.force_login(centre)
    assert "conflict" not in [r["name"] for r in client.get(case_url(case)).context["records"]]
    assert "申请人是我表亲" in text(client.get(reverse("mediation:mediator", args=[mediator.pk])))


def test_the_rosters_counts_link_to_exactly_the_cases_counted(client, centre, case_at, mediator, co_mediator):
    """在办（主办） and 办结 count the cases a mediator leads; a case where they only assist is not among them."""
    case_at(CaseStatus.MEDIATING)
    case_at(CaseStatus.FAILED, follow_up=False)
    client.force_login(centre)
    roster = text(client.get(reverse("mediation:mediators")))
    for person, open_load, concluded in ((mediator, 1, 1), (co_mediator, 0, 0)):
        open_link = f"{reverse('casework:queue')}?lead={person.pk}&amp;tab=mediating"
        concluded_link = f"{reverse('casework:queue')}?lead={person.pk}&amp;concluded_any=true"
        assert f'href="{open_link}">{open_load}<' in roster
        assert f'href="{concluded_link}">{concluded}<' in roster
        for link, expected in ((open_link, open_load), (concluded_link, concluded)):
            listed = client.get(link.replace("&amp;", "&"))
            assert listed.context["total"] == expected, (person, link)
