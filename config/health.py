"""/healthz: the database and the broker answer, or the load balancer and compose take this instance out."""

import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

from casework.calendar import horizon_gaps

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
    body = {"status": "ok" if healthy else "unhealthy", **checks}
    if healthy:
        # A warning, not a failure: the instance serves, but deadlines in these years are
        # counted without their holidays until an administrator loads them.
        gaps = horizon_gaps(timezone.localdate())
        body["calendar"] = "ok" if not gaps else "warning"
        body["warnings"] = [gap.message for gap in gaps]
    return JsonResponse(body, status=200 if healthy else 503)
