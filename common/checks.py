"""`manage.py check --deploy`: in production, what every web and worker process must share is in Redis.

Sessions are read through the cache, the duplicate-lookup limits and a ledger import's progress
are counted in it, and tasks go through the broker. Under the file cache and the embedded broker
each machine would keep its own: a user signed in on one web node would be a stranger on the next.
"""

from django.conf import settings
from django.core import checks

SHARED_CACHE = "django.core.cache.backends.redis.RedisCache"


@checks.register(checks.Tags.caches, deploy=True)
def shared_state(app_configs=None, **kwargs):
    if not getattr(settings, "PRODUCTION", False):
        return []
    if settings.CACHES["default"]["BACKEND"] == SHARED_CACHE:
        return []
    return [
        checks.Warning(
            "REDIS_URL is not set: sessions, limits and tasks would be kept per machine.",
            hint="Set REDIS_URL (e.g. redis://redis:6379/0) on every web, worker and beat process.",
            id="common.W001",
        )
    ]
