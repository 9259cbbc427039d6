"""Sign-ins, failed sign-ins, lockouts and role changes are audited; the audit is append-only."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.utils import DatabaseError

from common.models import AuditAction, AuditEntry
from grids.enums import Role
from reports import services as report_services
from tests.factories import PASSWORD, UserFactory, register
from tests.reports.conftest import MARCH

LOGIN = "/admin/login/"


def test_sign_in_is_audited_with_user_and_address(client, administrator):
    client.post(LOGIN, {"username": "admin", "password": PASSWORD, "next": "/admin/"}, REMOTE_ADDR="10.1.2.3")
    entry = AuditEntry.objects.get(action=AuditAction.LOGIN)
    assert entry.actor == administrator
    assert entry.ip == "10.1.2.3"


def test_failed_sign_in_is_audited_without_the_password(client, administrator):
    client.post(LOGIN, {"username": "admin", "password": "wrong-password-1"})
    entry = AuditEntry.objects.get(action=AuditAction.LOGIN_FAILED)
    assert entry.username == "admin"
    assert entry.actor is None
    assert "wrong-password-1" not in str(entry.detail)


def test_sign_in_locked_out_after_five_failures_even_with_the_right_password(client, administrator):
    for _ in range(5):
        client.post(LOGIN, {"username": "admin", "password": "wrong-password-1"})
    response = client.post(LOGIN, {"username": "admin", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN).count() == 0


def test_lockout_is_per_username_so_others_can_still_sign_in(client, administrator, centre):
    centre.is_staff = True
    centre.save()
    for _ in range(5):
        client.post(LOGIN, {"username": "admin", "password": "wrong-password-1"})
    response = client.post(LOGIN, {"username": "centre", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302


def test_role_change_in_admin_is_audited_with_before_and_after(client, administrator, community):
    user = UserFactory(username="zhang", roles=[Role.GRID_WORKER])
    client.force_login(administrator)
    response = client.post(
        f"/admin/grids/user/{user.pk}/change/",
        {
            "username": "zhang",
            "full_name": "张",
            "email": "",
            "roles": [Role.COMMUNITY_STAFF],
            "subdistrict": user.subdistrict_id,
            "community": community.pk,
            "is_active": "on",
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "08:00:00",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = AuditEntry.objects.get(action=AuditAction.ROLES_CHANGED)
    assert entry.actor == administrator
    assert entry.detail["before"]["roles"] == [Role.GRID_WORKER]
    assert entry.detail["after"]["roles"] == [Role.COMMUNITY_STAFF]
    assert entry.detail["after"]["community"] == community.pk


def test_saving_a_user_without_changing_scope_writes_no_audit(client, administrator):
    user = UserFactory(username="li", roles=[Role.LEADER], full_name="李")
    client.force_login(administrator)
    data = {
        "username": "li",
        "full_name": "李四",
        "roles": [Role.LEADER],
        "subdistrict": user.subdistrict_id,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "08:00:00",
    }
    assert client.post(f"/admin/grids/user/{user.pk}/change/", data).status_code == 302
    assert not AuditEntry.objects.filter(action=AuditAction.ROLES_CHANGED).exists()


def test_audit_entry_refuses_update_and_delete(administrator, client):
    client.force_login(administrator)
    client.post(LOGIN, {"username": "nobody", "password": "x"})
    entry = AuditEntry.objects.first()
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_audit_entry_append_only_in_the_database(client):
    client.post(LOGIN, {"username": "nobody", "password": "x"})
    entry_id = AuditEntry.objects.get().pk
    for sql in (
        "UPDATE common_auditentry SET username = 'x' WHERE id = %s",
        "DELETE FROM common_auditentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [entry_id])
    assert AuditEntry.objects.filter(pk=entry_id, username="nobody").exists()


# Exports: each one is an audited event (who, what, how many rows, masked or not).


def _exports():
    return list(
        AuditEntry.objects.filter(action=AuditAction.EXPORTED).order_by("id").values_list("actor", "target", "detail")
    )


def test_queue_export_is_audited_as_masked(client, centre, grid):
    register(centre, grid)
    register(centre, grid)
    client.force_login(centre)
    response = client.get("/cases/export.xlsx", {"q": "13812345678"}, REMOTE_ADDR="10.0.0.8")
    assert response.status_code == 200
    assert _exports() == [(centre.pk, "casework:queue", {"rows": 0, "masked": True})]
    client.get("/cases/export.xlsx")
    assert _exports()[-1] == (centre.pk, "casework:queue", {"rows": 2, "masked": True})
    # What the user typed into the search is not kept in the audit.
    assert "13812345678" not in str(AuditEntry.objects.values_list("target", "detail"))


@pytest.mark.parametrize("extension", ["xlsx", "pdf"])
def test_report_exports_are_audited(client, leader, extension):
    snapshot = report_services.report_ensure(subdistrict=leader.subdistrict, kind="monthly", period=MARCH)
    client.force_login(leader)
    assert client.get(f"/reports/{snapshot.pk}/export.{extension}").status_code == 200
    assert _exports() == [(leader.pk, f"report:{snapshot.pk}:{extension}", {"rows": 0, "masked": True})]


def test_ledger_export_is_audited_unmasked_only_when_centre_staff_ask(client, centre, leader, grid):
    register(centre, grid)
    client.force_login(centre)
    assert client.get("/ledger/export/").status_code == 200
    assert client.get("/ledger/export/?full=on").status_code == 200
    client.force_login(leader)
    assert client.get("/ledger/export/?full=on").status_code == 200
    assert _exports() == [
        (centre.pk, "ledger", {"rows": 1, "masked": True}),
        (centre.pk, "ledger", {"rows": 1, "masked": False}),
        (leader.pk, "ledger", {"rows": 1, "masked": True}),
    ]


def test_refused_export_writes_no_audit(client, grid_worker):
    client.force_login(grid_worker)
    assert client.get("/reports/999999/export.xlsx").status_code == 404
    assert _exports() == []
