"""The signed-in user is read afresh on every request (one statement, the unread count with it): a
deactivation, a changed role or a changed password counts on the very next request, whichever way
the row was changed."""

from django.contrib.auth import SESSION_KEY, get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.notices import notify
from grids.backends import AccountBackend
from grids.enums import Role

User = get_user_model()
HOME = reverse("home")


def test_a_deactivated_user_is_signed_out_on_the_next_request(client, centre):
    client.force_login(centre)
    assert client.get(HOME).status_code == 200
    User.objects.filter(pk=centre.pk).update(is_active=False)
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(reverse("grids:login"))


def test_a_changed_role_counts_on_the_next_request(client, centre):
    client.force_login(centre)
    assert client.get(HOME).context["read_only"] is False
    User.objects.filter(pk=centre.pk).update(roles=[Role.LEADER])
    assert client.get(HOME).context["read_only"] is True
    centre.roles = []
    centre.save(update_fields=["roles"])
    assert client.get(HOME).status_code == 403


def test_a_password_changed_elsewhere_ends_the_session(client, centre):
    """The session carries a hash of the password it was opened with, checked against the row read now."""
    client.force_login(centre)
    assert client.get(HOME).status_code == 200
    centre.set_password("Another-passw0rd-entirely")
    User.objects.filter(pk=centre.pk).update(password=centre.password)
    response = client.get(HOME)
    assert response.status_code == 302
    assert SESSION_KEY not in client.session


def test_the_user_comes_with_the_unread_count_in_one_statement(centre, leader):
    notify([centre], kind="report", key="a", text="报表已生成")
    notify([centre, leader], kind="report", key="b", text="报表已生成")
    backend = AccountBackend()
    with CaptureQueriesContext(connection) as queries:
        user = backend.get_user(str(centre.pk))
    assert len(queries.captured_queries) == 1
    assert (user.pk, user.username, user.roles, user.unread_notice_count) == (
        centre.pk,
        centre.username,
        centre.roles,
        2,
    )
    # Every column as the ORM reads it (decoded: the roles are a list, not their JSON text).
    orm = User.objects.get(pk=centre.pk)
    for field in User._meta.concrete_fields:
        assert getattr(user, field.attname) == getattr(orm, field.attname), field.name
    assert isinstance(user.roles, list) and not user._state.adding
    assert backend.get_user(leader.pk).unread_notice_count == 1


def test_an_unknown_or_malformed_user_id_is_nobody(centre):
    backend = AccountBackend()
    assert backend.get_user(centre.pk + 1000) is None
    assert backend.get_user("not-a-number") is None
