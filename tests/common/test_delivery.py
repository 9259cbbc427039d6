"""Notices leave the app by the channels their reader chose: e-mail through Django's mail backend,
SMS through the deployment's backend (here the HTTP gateway's API, served locally for real).
Each (notice, channel) is one delivery row and is sent once, however often its task runs."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction

from common import delivery
from common.enums import Channel, DeliveryStatus, NoticeKind
from common.models import Notice, NoticeDelivery, NoticePreference
from common.notices import notice_preferences_set, notify
from common.sms import DeliveryFailed, HttpGatewaySmsBackend
from tests.common.sms_gateway import TOKEN, serving
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader():
    return UserFactory(roles=["mediator"], email="wang@example.gov.cn", mobile="13800138000")


@pytest.fixture
def gateway(settings):
    with serving() as gateway:
        settings.FENGQIAO_SMS_BACKEND = "common.sms.HttpGatewaySmsBackend"
        settings.FENGQIAO_SMS_GATEWAY_URL = gateway.url
        settings.FENGQIAO_SMS_GATEWAY_TOKEN = TOKEN
        yield gateway


def channels_of(notice):
    return sorted(NoticeDelivery.objects.filter(notice=notice).values_list("channel", flat=True))


def test_by_default_every_notice_is_mailed_and_deadlines_and_warnings_also_go_by_sms(reader):
    (assigned,) = notify([reader], kind=NoticeKind.ASSIGNED, key="1", text="指派给您调解")
    (warning,) = notify([reader], kind=NoticeKind.WARNING, key="1", text="预警案件")
    assert channels_of(assigned) == ["email"]
    assert channels_of(warning) == ["email", "sms"]
    row = NoticeDelivery.objects.get(notice=warning, channel="sms")
    assert (row.address, row.status) == ("13800138000", DeliveryStatus.PENDING)


def test_no_address_no_channel_and_a_channel_the_deployment_does_not_offer_is_not_used(reader, settings):
    nobody = UserFactory(roles=["mediator"])
    (notice,) = notify([nobody], kind=NoticeKind.WARNING, key="1", text="预警案件")
    assert channels_of(notice) == [] and notice.read_at is None
    settings.FENGQIAO_NOTICE_CHANNELS = ("email",)
    (notice,) = notify([reader], kind=NoticeKind.WARNING, key="2", text="预警案件")
    assert channels_of(notice) == ["email"]


def test_the_reader_chooses_channels_per_kind_and_a_muted_kind_arrives_read(reader):
    notice_preferences_set(
        user=reader,
        choices={
            NoticeKind.ASSIGNED: {"in_app": True, "email": False, "sms": True},
            NoticeKind.PROGRESS: {"in_app": False, "email": False, "sms": False},
        },
    )
    (assigned,) = notify([reader], kind=NoticeKind.ASSIGNED, key="1", text="指派给您调解")
    (progress,) = notify([reader], kind=NoticeKind.PROGRESS, key="1", text="新增一次调解记录")
    assert channels_of(assigned) == ["sms"] and assigned.read_at is None
    assert channels_of(progress) == [] and progress.read_at is not None
    assert Notice.objects.filter(user=reader, read_at__isnull=True).count() == 1


@pytest.mark.parametrize("kind", [NoticeKind.WARNING, NoticeKind.OVERDUE, NoticeKind.DUE_TODAY, NoticeKind.DUE_SOON])
def test_deadlines_and_warnings_cannot_be_switched_off(reader, kind):
    with pytest.raises(ValidationError) as refused:
        notice_preferences_set(
            user=reader,
            choices={NoticeKind.ASSIGNED: {"in_app": False}, kind: {"in_app": False, "email": False, "sms": False}},
        )
    assert "不能关闭站内通知" in str(refused.value) and str(kind.label) in str(refused.value)
    assert not NoticePreference.objects.filter(user=reader).exists()  # nothing written, not even the valid row
    # A row stored behind the service's back (an admin, an old version) does not mute them either.
    NoticePreference.objects.create(user=reader, kind=kind, in_app=False, email=False, sms=False)
    (notice,) = notify([reader], kind=kind, key="1", text="期限提醒")
    assert notice.read_at is None


def test_an_unknown_kind_is_refused(reader):
    with pytest.raises(ValidationError):
        notice_preferences_set(user=reader, choices={"bogus": {"in_app": True}})
    assert not NoticePreference.objects.exists()


def test_an_email_goes_through_the_mail_backend_once(reader, settings):
    settings.FENGQIAO_SITE_URL = "https://fq.example.gov.cn"
    (notice,) = notify([reader], kind=NoticeKind.ASSIGNED, key="1", text="指派给您调解", link="/mediation/cases/7/")
    (row,) = NoticeDelivery.objects.filter(notice=notice)
    assert delivery.send_delivery(delivery_id=row.pk) is True
    assert delivery.send_delivery(delivery_id=row.pk) is False
    (message,) = mail.outbox
    assert message.to == ["wang@example.gov.cn"] and message.subject == "[枫桥] 指派调解"
    assert "指派给您调解" in message.body and "https://fq.example.gov.cn/mediation/cases/7/" in message.body
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 1) and row.sent_at is not None


def test_an_sms_goes_to_the_gateway_once_and_a_failure_is_recorded_for_the_retry(reader, gateway):
    (notice,) = notify([reader], kind=NoticeKind.WARNING, key="1", text="预警案件 2026-0001")
    row = NoticeDelivery.objects.get(notice=notice, channel=Channel.SMS)
    gateway.fail_next = 1
    with pytest.raises(DeliveryFailed):
        delivery.send_delivery(delivery_id=row.pk)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.error) == (DeliveryStatus.PENDING, 1, "gateway answered HTTP 503")
    assert delivery.send_delivery(delivery_id=row.pk) is True
    assert delivery.send_delivery(delivery_id=row.pk) is False
    assert [m["mobile"] for m in gateway.accepted] == ["13800138000"]
    assert gateway.accepted[0]["content"] == "【枫桥】预警案件 2026-0001"
    assert gateway.accepted[0]["request_id"] == f"notice-{notice.pk}-sms"
    row.refresh_from_db()
    assert (row.status, row.attempts, row.reference, row.error) == (DeliveryStatus.SENT, 2, "m1", "")


def test_the_last_failed_attempt_marks_the_delivery_failed(reader, gateway):
    (notice,) = notify([reader], kind=NoticeKind.WARNING, key="1", text="预警案件")
    row = NoticeDelivery.objects.get(notice=notice, channel=Channel.SMS)
    gateway.refuse = True
    with pytest.raises(DeliveryFailed, match="code 1001"):
        delivery.send_delivery(delivery_id=row.pk, final=True)
    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED and gateway.accepted == []


def test_the_gateway_backend_fails_cleanly_on_a_wrong_token_or_nobody_listening(gateway):
    with pytest.raises(DeliveryFailed, match="HTTP 401"):
        HttpGatewaySmsBackend(url=gateway.url, token="wrong").send("13800138000", "x", "r1")
    with pytest.raises(DeliveryFailed, match="unreachable"):
        HttpGatewaySmsBackend(url="http://127.0.0.1:9/sms", token=TOKEN, timeout=2).send("13800138000", "x", "r2")
    assert HttpGatewaySmsBackend().send("13800138000", "x", "r3") == "m1"


def test_the_logging_backend_writes_the_message_to_the_log(reader, caplog):
    (notice,) = notify([reader], kind=NoticeKind.WARNING, key="1", text="预警案件")
    row = NoticeDelivery.objects.get(notice=notice, channel=Channel.SMS)
    with caplog.at_level("INFO", logger="fengqiao.sms"):
        assert delivery.send_delivery(delivery_id=row.pk) is True
    assert "13800138000" in caplog.text and "预警案件" in caplog.text


def test_a_notice_written_in_a_transaction_that_rolls_back_sends_nothing(reader, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        try:
            with transaction.atomic():
                notify([reader], kind=NoticeKind.WARNING, key="1", text="预警案件")
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
    assert callbacks == [] and not NoticeDelivery.objects.exists()
