"""SMS backends: one small interface, chosen per deployment by FENGQIAO_SMS_BACKEND.

A backend's `send(mobile, content, request_id)` returns the gateway's reference for the message
or raises `DeliveryFailed` (then the task retries). `request_id` names the message (one per
notice and channel), so a gateway that deduplicates never sends it twice either.
"""

import json
import logging
import urllib.error
import urllib.request

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("fengqiao.sms")


class DeliveryFailed(Exception):
    """A channel did not take the message; sending it again later may succeed."""


class LoggingSmsBackend:
    """Writes each message to the log: the default where no gateway is configured."""

    def send(self, mobile: str, content: str, request_id: str) -> str:
        logger.info("SMS %s to %s: %s", request_id, mobile, content)
        return f"log:{request_id}"


class HttpGatewaySmsBackend:
    """A government SMS gateway's HTTP API: POST JSON {mobile, content, request_id} with a bearer
    token, answered {"code": 0, "message_id": …}; any other answer is a failure to retry."""

    def __init__(self, url: str | None = None, token: str | None = None, timeout: int | None = None):
        self.url = url or settings.FENGQIAO_SMS_GATEWAY_URL
        self.token = token if token is not None else settings.FENGQIAO_SMS_GATEWAY_TOKEN
        self.timeout = timeout or settings.FENGQIAO_SMS_TIMEOUT
        if not self.url:
            raise DeliveryFailed("FENGQIAO_SMS_GATEWAY_URL is not set")

    def send(self, mobile: str, content: str, request_id: str) -> str:
        body = json.dumps({"mobile": mobile, "content": content, "request_id": request_id}).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "Authorization": f"Bearer {self.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read(65536) or b"{}")
        except urllib.error.HTTPError as exc:
            raise DeliveryFailed(f"gateway answered HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            raise DeliveryFailed(f"gateway unreachable or unreadable: {exc}") from None
        if not isinstance(answer, dict) or answer.get("code") != 0:
            code = answer.get("code") if isinstance(answer, dict) else None
            raise DeliveryFailed(f"gateway refused the message (code {code})")
        return str(answer.get("message_id") or "")[:64]


def sms_backend():
    return import_string(settings.FENGQIAO_SMS_BACKEND)()
