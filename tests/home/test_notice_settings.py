"""通知设置: each user chooses the channels per kind of notice and where they go; deadline
reminders and 预警 cannot be switched off (the form refuses, nothing is written)."""

from django.urls import reverse

from common.enums import MANDATORY_NOTICE_KINDS, NoticeKind
from common.models import NoticePreference


def every_kind_as_shown(**overrides):
    """The form as the page sends it with nothing changed (defaults: app and e-mail; SMS for deadlines)."""
    data = {"email": "", "mobile": ""}
    for kind in NoticeKind:
        data[f"{kind}-in_app"] = "on"
        data[f"{kind}-email"] = "on"
        if kind in MANDATORY_NOTICE_KINDS:
            data[f"{kind}-sms"] = "on"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_settings_page_is_linked_from_the_notices_and_lists_the_kinds_the_role_is_sent(client, grid_worker, centre):
    client.force_login(grid_worker)
    assert reverse("notice_settings") in client.get(reverse("notices")).content.decode()
    body = client.get(reverse("notice_settings")).content.decode()
    for kind in (NoticeKind.DECIDED, NoticeKind.CLOSED, NoticeKind.RETURN_OWED, NoticeKind.RETURN_MISSED):
        assert f'name="{kind}-email"' in body
    assert 'name="assigned-email"' not in body and "不能关闭</span>" not in body
    assert "保存通知设置" in body
    client.force_login(centre)
    body = client.get(reverse("notice_settings")).content.decode()
    assert body.count("不能关闭</span>") == len(MANDATORY_NOTICE_KINDS)
    assert body.count("checked disabled aria-label=") == len(MANDATORY_NOTICE_KINDS)
    assert 'name="escalated-email"' in body and 'name="recusal-sms"' in body


def test_a_user_sets_addresses_and_channels_per_kind(client, mediator):
    user = mediator.user
    client.force_login(user)
    data = every_kind_as_shown(
        email="li@example.gov.cn", mobile="13812345678", **{"assigned-email": None, "assigned-sms": "on"}
    )
    data.pop("judicial-in_app")
    response = client.post(reverse("notice_settings"), data)
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.email, user.mobile) == ("li@example.gov.cn", "13812345678")
    assigned = NoticePreference.objects.get(user=user, kind="assigned")
    assert (assigned.in_app, assigned.email, assigned.sms) == (True, False, True)
    assert NoticePreference.objects.get(user=user, kind="judicial").in_app is False
    assert not NoticePreference.objects.filter(user=user, kind="report").exists()  # not a mediator's notice
    body = client.get(reverse("notice_settings")).content.decode()
    assert 'name="assigned-sms" id="id_assigned-sms" checked' in body
    assert 'name="assigned-email" id="id_assigned-email" aria-label' in body  # unchecked


def test_muting_a_deadline_reminder_or_a_warning_is_refused_and_nothing_is_written(client, centre):
    client.force_login(centre)
    data = every_kind_as_shown(email="zhou@example.gov.cn", **{"assigned-email": None})
    data.pop("overdue-in_app")
    data.pop("warning-in_app")
    response = client.post(reverse("notice_settings"), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "期限提醒和预警不能关闭站内通知" in body and "已超期" in body and "预警" in body
    assert not NoticePreference.objects.filter(user=centre).exists()
    centre.refresh_from_db()
    assert centre.email == ""


def test_a_wrong_mobile_number_is_named_and_nothing_is_written(client, grid_worker):
    client.force_login(grid_worker)
    for mobile in ("12345", "1381234567x", "23812345678"):
        response = client.post(reverse("notice_settings"), every_kind_as_shown(mobile=mobile))
        assert response.status_code == 400
        assert "手机号码为 11 位数字" in response.content.decode()
    response = client.post(reverse("notice_settings"), every_kind_as_shown(email="not-an-address"))
    assert response.status_code == 400 and "有效的电子邮箱" in response.content.decode()
    assert not NoticePreference.objects.filter(user=grid_worker).exists()
    grid_worker.refresh_from_db()
    assert (grid_worker.email, grid_worker.mobile) == ("", "")


def test_signed_out_the_settings_page_asks_to_sign_in(client):
    response = client.get(reverse("notice_settings"))
    assert response.status_code == 302 and reverse("grids:login") in response["Location"]
