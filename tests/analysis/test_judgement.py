"""研判 over the database: the tables, the flags, repeat parties and places, the page and its scope."""

import datetime as dt

import pytest
from django.utils import timezone

from casework.personal_data import id_check_digit
from casework.selectors import cases_visible_to
from reports.analysis.judgement import Windows, judgement
from tests.factories import category, party, register

MARCH = dt.date(2025, 3, 1)
TODAY = dt.date(2025, 4, 2)
FIRST17 = "36010219800101001"
ID_NUMBER = FIRST17 + id_check_digit(FIRST17)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def world(centre, grid, other_grid):
    """`grid`'s community: 6 neighbour cases in March 2025 and none before (a rise); `other_grid`'s:
    1 family case in March and 3 in the quarter before (no rise). One person in two of the cases."""
    for n in range(6):
        parties = [party(name="周某", id_number=ID_NUMBER), party("respondent", "李四")] if n < 2 else None
        register(centre, grid, at=at(MARCH + dt.timedelta(days=3 * n)), parties=parties)
    family = category("family")
    register(centre, other_grid, at=at(dt.date(2025, 3, 20)), category=family)
    for month in (12, 1, 2):
        year = 2024 if month == 12 else 2025
        register(centre, other_grid, at=at(dt.date(year, month, 10)), category=family)
    return {"grid": grid, "other_grid": other_grid}


def test_windows_compare_like_with_like():
    w = Windows.of(dt.date(2025, 3, 1), dt.date(2025, 3, 10))
    assert (w.current.start, w.current.end) == (dt.date(2025, 3, 1), dt.date(2025, 3, 10))
    assert (w.last_year.start, w.last_year.end) == (dt.date(2024, 3, 1), dt.date(2024, 3, 10))
    assert (w.previous.start, w.previous.end) == (dt.date(2024, 12, 1), dt.date(2025, 2, 28))
    # The same number of days a year before, as far as that month goes: 28 against 28, and 28 of 29.
    w = Windows.of(dt.date(2025, 2, 1), dt.date(2025, 3, 1))
    assert w.last_year.end == dt.date(2024, 2, 28) and w.current.end == dt.date(2025, 2, 28)
    w = Windows.of(dt.date(2024, 2, 1), dt.date(2024, 3, 1))
    assert w.last_year.end == dt.date(2023, 2, 28) and w.current.end == dt.date(2024, 2, 29)
    with pytest.raises(ValueError):
        Windows.of(dt.date(2025, 5, 1), dt.date(2025, 4, 30))


def test_the_rise_is_flagged_and_the_flat_community_is_not(world, centre):
    figures = judgement(cases_visible_to(centre), MARCH, TODAY)
    communities = {row["key"]: row for row in figures["tables"]["community"]}
    rising = communities[world["grid"].community_id]
    flat = communities[world["other_grid"].community_id]
    assert rising["current"] == 6 and rising["vs_previous"].baseline == 0 and rising["rising"]
    assert flat["current"] == 1 and flat["vs_previous"].baseline == 3 and not flat["rising"]
    assert [row["label"] for row in figures["rising"]["category"]] == [category().name]
    # The person in two cases, masked; the grid with six neighbour cases.
    [person] = figures["repeat_parties"]
    assert person["name"] == "周某" and person["cases"] == 2 and person["masked"] == "3601**********" + ID_NUMBER[-4:]
    assert ID_NUMBER not in str(person)
    places = {(p["grid_id"], p["category_id"]): p["cases"] for p in figures["repeat_places"]}
    assert places[(world["grid"].pk, category().pk)] == 6
    assert places[(world["other_grid"].pk, category("family").pk)] == 4


def test_the_page_is_drillable_scoped_and_cheap(world, client, centre, django_assert_max_num_queries):
    client.force_login(centre)
    with django_assert_max_num_queries(8):
        response = client.get("/analysis/?month=2025-03")
    assert response.status_code == 200
    html = response.content.decode()
    assert "显著上升" in html and "周某" in html and ID_NUMBER not in html
    drill = f"community={world['grid'].community_id}&amp;registered_after=2025-03-01&amp;registered_before=2025-03-31"
    assert drill in html


def test_community_staff_see_their_own_community_only(world, client, community_staff):
    client.force_login(community_staff)
    html = client.get("/analysis/?month=2025-03").content.decode()
    assert world["grid"].community.name in html and world["other_grid"].community.name not in html


@pytest.mark.parametrize("month", ["2025-13", "march", "2999-01"])
def test_a_bad_month_answers_404(client, centre, month):
    client.force_login(centre)
    assert client.get(f"/analysis/?month={month}").status_code == 404


def test_who_may_not_read_reports_gets_404(client, grid_worker, mediator):
    for user in (grid_worker, mediator.user):
        client.force_login(user)
        assert client.get("/analysis/").status_code == 404
