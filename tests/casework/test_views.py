import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from casework.enums import CaseStatus, Risk
from casework.models import CaseEvent, DisputeCase, Party
from tests.factories import category, party, register
from tests.workflow import drive

QUEUE = reverse("casework:queue")
INTAKE = reverse("casework:intake")


def page_text(response) -> str:
    return response.content.decode()


@pytest.fixture
def cases(centre, grid, other_grid):
    """One case in the grid worker's grid, one in another community."""
    return {
        "mine": register(centre, grid, description="楼上漏水", parties=[party(phone="13812345678")]),
        "other": register(centre, other_grid, description="停车纠纷", parties=[party(name="赵六")]),
    }


def test_queue_renders_for_every_role(client, roles, cases):
    for user in roles.values():
        client.force_login(user)
        assert client.get(QUEUE).status_code == 200


def test_queue_lists_only_cases_in_scope(client, grid_worker, cases):
    client.force_login(grid_worker)
    text = page_text(client.get(QUEUE))
    assert cases["mine"].number in text
    assert cases["other"].number not in text


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "赵六"}, "other"),
        ({"q": "漏水"}, "mine"),
        ({"tab": "reported", "q": "停车"}, "other"),
        ({"status": "reported", "q": "BHZ"}, None),
    ],
)
def test_queue_filters_by_text_tab_and_status(client, centre, cases, params, expected):
    client.force_login(centre)
    text = page_text(client.get(QUEUE, params))
    for key, case in cases.items():
        if expected is None or key == expected:
            assert case.number in text
        else:
            assert case.number not in text


def test_queue_tab_accepted_shows_only_accepted_cases(client, centre, mediator, grid, cases):
    accepted = drive(CaseStatus.ACCEPTED, centre=centre, lead=mediator, grid=grid)
    client.force_login(centre)
    text = page_text(client.get(QUEUE, {"tab": "accepted"}))
    assert accepted.number in text
    assert cases["mine"].number not in text


def test_queue_overdue_filter_shows_cases_past_their_deadline(client, centre, grid, cases):
    late = register(centre, grid, at=dt.datetime(2024, 1, 2, 9, tzinfo=dt.UTC), description="旧案")
    client.force_login(centre)
    text = page_text(client.get(QUEUE, {"tab": "overdue"}))
    assert late.number in text
    assert cases["mine"].number not in text
    text = page_text(client.get(QUEUE, {"overdue": "true"}))
    assert late.number in text and cases["other"].number not in text


def test_queue_puts_early_warnings_first(client, centre, grid, cases):
    major = register(centre, grid, risk=Risk.MAJOR, at=dt.datetime(2024, 1, 2, 9, tzinfo=dt.UTC))
    client.force_login(centre)
    text = page_text(client.get(QUEUE, {"o": "-registered_at"}))
    assert text.index(major.number) < text.index(cases["mine"].number)


def test_queue_sorts_by_number_both_ways(client, centre, cases):
    client.force_login(centre)
    first, second = sorted([cases["mine"].number, cases["other"].number])
    ascending = page_text(client.get(QUEUE, {"o": "number"}))
    descending = page_text(client.get(QUEUE, {"o": "-number"}))
    assert ascending.index(first) < ascending.index(second)
    assert descending.index(second) < descending.index(first)


def test_queue_with_invalid_filter_says_so_instead_of_failing(client, centre, cases):
    client.force_login(centre)
    response = client.get(QUEUE, {"community": "999999", "o": "nonsense", "after": "x", "page": "x"})
    assert response.status_code == 200
    assert "alert-error" in page_text(response)


def test_queue_pages_with_a_bounded_count(client, centre, grid, django_assert_max_num_queries):
    for i in range(51):
        register(centre, grid, description=f"第{i}件")
    client.force_login(centre)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        first = client.get(QUEUE)
    # One COUNT of the cases, bounded: it reads at most COUNT_LIMIT + 1 rows (a LIMIT inside it).
    counts = [q["sql"] for q in queries.captured_queries if "casework_disputecase" in q["sql"] and "COUNT(" in q["sql"]]
    assert len(counts) == 1 and "LIMIT 10001" in counts[0]
    assert first.context["has_next"] is True
    assert len(first.context["rows"]) == 50
    # The next page is the rows after the last one's sort key (keyset), with no OFFSET.
    with CaptureQueriesContext(connection) as queries:
        second = client.get(QUEUE, {"after": first.context["next_cursor"], "page": 2})
    assert not any("OFFSET" in q["sql"].upper() for q in queries.captured_queries)
    assert second.context["has_next"] is False
    assert second.context["page"] == 2
    assert len(second.context["rows"]) == 1
    assert not {c.pk for c in first.context["rows"]} & {c.pk for c in second.context["rows"]}


@pytest.mark.parametrize("order", ["-registered_at", "registered_at", "next_due", "-next_due", "number", "-status"])
def test_queue_keyset_pages_cover_every_row_once_in_order(client, centre, grid, order, settings, monkeypatch):
    """Walking 下一页 gives the same rows in the same order as one long page, whatever the sort
    (mixed directions, NULL deadlines, warnings first)."""
    from casework import views

    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    cases = [
        register(centre, grid, description=f"第{i}件", risk=Risk.MAJOR if i % 4 == 0 else Risk.NORMAL)
        for i in range(11)
    ]
    # Some open cases lose their deadline (NULL next_due) so the NULLs sort among the pages.
    DisputeCase.objects.filter(pk__in=[c.pk for c in cases[1::3]]).update(next_due=None)
    client.force_login(centre)
    expected = list(DisputeCase.objects.order_by("-is_warning", order, "-id").values_list("pk", flat=True))
    seen, params = [], {"o": order}
    for _ in range(10):
        response = client.get(QUEUE, params)
        seen += [c.pk for c in response.context["rows"]]
        if not response.context["has_next"]:
            break
        params = {"o": order, "after": response.context["next_cursor"]}
    assert seen == expected


def test_queue_with_a_garbled_cursor_shows_the_first_page(client, centre, cases):
    client.force_login(centre)
    response = client.get(QUEUE, {"after": "x,not-a-date,1"})
    assert response.status_code == 200
    assert response.context["page"] == 1
    assert {c.pk for c in response.context["rows"]} == {cases["mine"].pk, cases["other"].pk}


@pytest.mark.parametrize("persona", ["centre", "gridworker", "mediator", "community", "leader"])
def test_queue_query_count_is_the_same_for_1_and_50_rows(
    client, roles, centre, mediator, grid, persona, django_assert_max_num_queries
):
    def assigned():
        return drive(CaseStatus.ASSIGNED, centre=centre, lead=mediator, grid=grid)

    assigned()
    client.force_login(roles[persona])
    with django_assert_max_num_queries(8):
        response = client.get(QUEUE)
    assert len(response.context["rows"]) == 1
    for _ in range(49):
        assigned()
    with django_assert_max_num_queries(8):
        response = client.get(QUEUE, {"tab": "mediating", "o": "-next_due"})
    assert len(response.context["rows"]) == 50


def _sheet_rows(response):
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_export_has_the_queue_scope_filter_and_masking(client, community_staff, centre, grid, cases):
    accepted = register(centre, grid, description="已受理的案子")
    from casework import services

    services.case_accept(accepted, actor=centre, level="community")
    client.force_login(community_staff)
    response = client.get(reverse("casework:export"), {"status": "reported"})
    assert response.status_code == 200
    rows = _sheet_rows(response)
    numbers = [row[0] for row in rows[1:]]
    assert numbers == [cases["mine"].number]
    parties = rows[1][13]
    assert "138****5678" in parties
    assert "13812345678" not in parties


def test_export_of_another_scope_has_no_rows(client, grid_worker, centre, other_grid):
    register(centre, other_grid)
    client.force_login(grid_worker)
    rows = _sheet_rows(client.get(reverse("casework:export")))
    assert len(rows) == 1  # the header only


def intake_data(grid, **overrides):
    data = {
        "grid": grid.pk,
        "category": category().pk,
        "source": "grid_worker",
        "risk": "normal",
        "occurred_on": "",
        "description": "邻居装修噪音扰民",
        "parties-TOTAL_FORMS": "2",
        "parties-INITIAL_FORMS": "0",
        "parties-MIN_NUM_FORMS": "1",
        "parties-MAX_NUM_FORMS": "200",
        "parties-0-role": "applicant",
        "parties-0-kind": "person",
        "parties-0-name": "钱七",
        "parties-0-id_number": "",
        "parties-0-phone": "13900001111",
        "parties-0-address": "",
        "parties-1-role": "respondent",
        "parties-1-kind": "person",
        "parties-1-name": "孙八",
        "parties-1-id_number": "",
        "parties-1-phone": "",
        "parties-1-address": "",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("persona", ["gridworker", "community", "centre"])
def test_intake_renders_for_those_who_register(client, roles, persona):
    client.force_login(roles[persona])
    response = client.get(INTAKE)
    assert response.status_code == 200
    assert "parties-0-name" in page_text(response)


@pytest.mark.parametrize("persona", ["leader", "mediator", "admin"])
def test_intake_is_forbidden_to_those_who_do_not_register(client, roles, persona):
    client.force_login(roles[persona])
    assert client.get(INTAKE).status_code == 403


def test_intake_registers_case_with_its_parties(client, grid_worker, grid):
    client.force_login(grid_worker)
    response = client.post(INTAKE, intake_data(grid))
    case = DisputeCase.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("mediation:case", args=[case.pk])
    assert sorted(case.parties.values_list("name", flat=True)) == ["孙八", "钱七"]
    assert case.registered_by == grid_worker


def test_intake_skips_untouched_extra_party_rows(client, grid_worker, grid):
    client.force_login(grid_worker)
    data = intake_data(grid, **{"parties-1-name": "", "parties-1-role": "respondent"})
    client.post(INTAKE, data)
    assert list(DisputeCase.objects.get().parties.values_list("name", flat=True)) == ["钱七"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"parties-1-id_number": "36010219900101001"}, "身份证号应为18位"),
        ({"parties-0-phone": "12345"}, "11位大陆手机号码"),
        ({"description": ""}, "该字段是必填项"),
        ({"parties-0-role": "respondent"}, "至少需要一名申请人"),
        ({"parties-0-name": "", "parties-0-phone": ""}, "该字段是必填项"),
    ],
)
def test_intake_rejects_bad_input_and_writes_nothing(client, grid_worker, grid, overrides, message):
    client.force_login(grid_worker)
    response = client.post(INTAKE, intake_data(grid, **overrides))
    assert response.status_code == 400
    assert message in page_text(response)
    assert DisputeCase.objects.count() == 0
    assert Party.objects.count() == 0
    assert CaseEvent.objects.count() == 0
    # What was typed is still there.
    assert "孙八" in page_text(response)


def test_intake_refuses_a_grid_outside_the_users_territory(client, grid_worker, other_grid):
    client.force_login(grid_worker)
    response = client.post(INTAKE, intake_data(other_grid))
    assert response.status_code == 400
    assert DisputeCase.objects.count() == 0


def test_duplicate_hint_names_visible_prior_cases_only(client, grid_worker, centre, grid, other_grid):
    mine = register(centre, grid, parties=[party(phone="13900001111")])
    hidden = register(centre, other_grid, parties=[party(phone="13900001111")])
    client.force_login(grid_worker)
    response = client.post(reverse("casework:duplicates"), {"parties-0-phone": "13900001111"})
    text = page_text(response)
    assert mine.number in text
    assert hidden.number not in text and "另有" not in text and "不在您的查看范围" not in text


def test_duplicate_hint_is_empty_without_a_match(client, grid_worker, grid):
    client.force_login(grid_worker)
    response = client.post(reverse("casework:duplicates"), {"parties-0-phone": "13900009999"})
    assert "可能是重复纠纷" not in page_text(response)


def test_queue_filters_by_registration_dates_community_and_mediator(client, centre, mediator, grid, cases):
    old = register(centre, grid, at=dt.datetime(2024, 3, 5, 9, tzinfo=dt.UTC), description="旧案")
    assigned = drive(CaseStatus.ASSIGNED, centre=centre, lead=mediator, grid=grid)
    client.force_login(centre)

    def numbers(params):
        return {c.number for c in client.get(QUEUE, params).context["rows"]}

    assert numbers({"registered_after": "2024-03-01", "registered_before": "2024-03-31"}) == {old.number}
    assert numbers({"community": cases["other"].community_id}) == {cases["other"].number}
    assert numbers({"mediator": mediator.pk}) == {assigned.number}
    assert numbers({"risk": "major"}) == set()


def test_queue_filter_form_keeps_the_chosen_options_selected(client, centre, mediator, cases):
    client.force_login(centre)
    params = {"mediator": mediator.pk, "community": cases["other"].community_id, "status": "reported"}
    text = page_text(client.get(QUEUE, params))
    assert f'<option value="{mediator.pk}" selected>{mediator.name}</option>' in text
    assert f'<option value="{cases["other"].community_id}" selected>' in text
    assert '<option value="reported" selected>' in text


def test_queue_links_each_row_to_its_case_page(client, centre, cases):
    client.force_login(centre)
    assert reverse("mediation:case", args=[cases["mine"].pk]) in page_text(client.get(QUEUE))
