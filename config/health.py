"""/healthz: the database and the broker answer, or the load balancer and compose take this instance out."""

import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

logger = logging.getLogger(__name__)


def _database() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def _broker() -> bool:
    url = settings.CELERY_BROKER_URL
    with Connection(url, connect_timeout=2) as broker:
        broker.ensure_connection(max_retries=1, timeout=2)
        return True


@never_cache
@require_GET
def healthz(request):
    checks = {}
    for name, check in (("database", _database), ("broker", _broker)):
        try:
            checks[name] = "ok" if check() else "failed"
        except Exception as exc:  # any failure is an unhealthy answer, not a 500
            checks[name] = f"failed: {type(exc).__name__}"
            logger.warning("healthz: %s check failed: %s", name, exc)
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unhealthy", **checks}, status=200 if healthy else 503)
