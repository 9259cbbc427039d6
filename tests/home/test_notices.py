"""The notices page: each user's own notices, each linking to its object, 标为已读 and 全部标为已读."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework import notices as case_notices
from casework.enums import Risk
from common.models import Notice
from common.notices import notify
from grids.models import User
from tests.factories import register


def test_notices_list_links_each_to_its_case_and_marks_read(client, centre, grid, django_assert_max_num_queries):
    cases = [register(centre, grid, risk=Risk.MAJOR) for _ in range(3)]
    for case in cases:
        case_notices.warning_notify(case_id=case.pk)
    client.force_login(centre)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("notices"))
    body = response.content.decode()
    assert body.count("预警案件") == 3
    for case in cases:
        assert reverse("mediation:case", args=[case.pk]) in body
    assert "标为已读" in body and "全部标为已读" in body
    one = Notice.objects.filter(user=centre).first()
    client.post(reverse("notice_read"), {"notice": one.pk})
    assert Notice.objects.filter(user=centre, read_at__isnull=True).count() == 2
    client.post(reverse("notice_read"), {})
    assert not Notice.objects.filter(read_at__isnull=True).exists()
    assert "全部标为已读" not in client.get(reverse("notices")).content.decode()


def test_a_user_marks_only_their_own_notices_read(client, centre, leader):
    (theirs,) = notify([leader], kind="report", key="x", text="报表已生成")
    client.force_login(centre)
    client.post(reverse("notice_read"), {"notice": theirs.pk})
    client.post(reverse("notice_read"), {})
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert "报表已生成" not in client.get(reverse("notices")).content.decode()


def test_the_menu_shows_the_unread_count(client, centre, grid):
    case_notices.warning_notify(case_id=register(centre, grid, risk=Risk.MAJOR).pk)
    client.force_login(centre)
    body = client.get(reverse("home")).content.decode()
    assert 'title="未读通知">1</span>' in body


def test_the_unread_count_costs_no_query_of_its_own(client, centre, grid):
    """The signed-in user is read with the count: the only query that reads notices is the user's
    (the session may come from the cache or the database; the page itself reads nothing)."""
    notify([centre], kind="report", key="a", text="报表已生成")
    notify([centre], kind="report", key="b", text="报表已生成")
    client.force_login(centre)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("grids:password_change"))
    assert 'title="未读通知">2</span>' in response.content.decode()
    reading_notices = [q["sql"] for q in queries.captured_queries if Notice._meta.db_table in q["sql"]]
    assert len(reading_notices) == 1 and User._meta.db_table in reading_notices[0]
    assert len(queries.captured_queries) <= 2  # the user (with the count) and perhaps the session


def test_opening_an_unread_notice_marks_it_read_and_goes_to_its_case(client, centre, grid):
    case = register(centre, grid, risk=Risk.MAJOR)
    case_notices.warning_notify(case_id=case.pk)
    notice = Notice.objects.get(user=centre, case=case)
    client.force_login(centre)
    body = client.get(reverse("notices")).content.decode()
    link = reverse("mediation:case", args=[case.pk])
    # Unread: the button posts (marking read on the way) and carries the link onward.
    assert f'name="next" value="{link}"' in body and f'href="{link}"' not in body
    response = client.post(reverse("notice_read"), {"notice": notice.pk, "next": link})
    assert response.status_code == 302 and response["Location"] == link
    notice.refresh_from_db()
    assert notice.read_at is not None
    # Read: a plain link, nothing more to mark.
    assert f'href="{link}"' in client.get(reverse("notices")).content.decode()


def test_opening_someone_elses_notice_marks_nothing(client, centre, leader, grid):
    case = register(centre, grid, risk=Risk.MAJOR)
    case_notices.warning_notify(case_id=case.pk)
    notice = Notice.objects.get(user=centre, case=case)
    client.force_login(leader)
    client.post(reverse("notice_read"), {"notice": notice.pk, "next": "/"})
    notice.refresh_from_db()
    assert notice.read_at is None
