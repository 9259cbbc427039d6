"""Sending on a real Celery worker over Redis: a gateway that fails twice is retried, and the same
delivery queued three times (a redelivered message, a sweep) still reaches the gateway once."""

import pytest
from django.core import mail
from django.db import transaction

from common.enums import Channel, DeliveryStatus, NoticeKind
from common.models import NoticeDelivery
from common.notices import notify
from common.tasks import deliver_notice
from tests.common.sms_gateway import TOKEN, serving
from tests.factories import UserFactory
from tests.reports.conftest import running_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_retried_and_redelivered_delivery_task_sends_once(settings, monkeypatch):
    reader = UserFactory(roles=["centre_staff"], email="zhou@example.gov.cn", mobile="13900139000")
    with serving() as gateway, running_worker(monkeypatch):
        settings.FENGQIAO_SMS_BACKEND = "common.sms.HttpGatewaySmsBackend"
        settings.FENGQIAO_SMS_GATEWAY_URL = gateway.url
        settings.FENGQIAO_SMS_GATEWAY_TOKEN = TOKEN
        gateway.fail_next = 2
        with transaction.atomic():  # as a service writes it: the tasks are queued on commit
            (notice,) = notify([reader], kind=NoticeKind.WARNING, key="42", text="预警案件 2026-0042")
        sms = NoticeDelivery.objects.get(notice=notice, channel=Channel.SMS)
        email = NoticeDelivery.objects.get(notice=notice, channel=Channel.EMAIL)
        for _ in range(2):  # the same message again, as a redelivery or the sweep would send it
            deliver_notice.delay(sms.pk)
            deliver_notice.delay(email.pk)
        sent = lambda: set(NoticeDelivery.objects.filter(notice=notice).values_list("status", flat=True))  # noqa: E731
        assert wait_for(lambda: sent() == {DeliveryStatus.SENT}, timeout=90)
        wait_for(lambda: False, timeout=3)  # give the duplicates time to run (and find it sent)
    assert len(gateway.accepted) == 1 and gateway.accepted[0]["request_id"] == f"notice-{notice.pk}-sms"
    assert len(gateway.requests) == 3  # two failures, retried, then the one that took
    sms.refresh_from_db()
    assert (sms.attempts, sms.reference) == (3, "m1")
    assert [m.to for m in mail.outbox] == [["zhou@example.gov.cn"]]
