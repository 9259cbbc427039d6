"""Option lists of reference data (categories, communities, grids, mediators) kept in each web
process, so a filter form does not read them on every request.

They change rarely and any change must show at once in every process: each list is stored with
the version it was read under, and the version lives in the shared cache. Any write of a model
registered with `watch` (a save in the admin or through a service, a delete) replaces the
version, right away and again when the transaction commits (a process that read the old rows
between the two reads them again). A request reads the version once, whatever it lists.
"""

import logging
import threading
import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

VERSION_KEY = "fengqiao:options:version"
# The version a request has read, kept on the request so that its lists agree with each other.
REQUEST_ATTRIBUTE = "fengqiao_options_version"

logger = logging.getLogger(__name__)

_lists: dict[tuple, tuple[str, list]] = {}
_lock = threading.Lock()


def current_version(key: str = VERSION_KEY) -> str:
    """The version under `key` (the option lists' unless named): other kept figures version the same way."""
    version = cache.get(key)
    if version is None:
        # A fresh or flushed cache: start a version (another process may have started one first).
        cache.add(key, uuid.uuid4().hex, timeout=None)
        version = cache.get(key)
    return version


def current_versions(*keys: str) -> list[str]:
    """The versions under `keys`, read in one round trip."""
    held = cache.get_many(keys)
    return [held.get(key) or current_version(key) for key in keys]


def bump(*keys: str, **_):
    """A new version under each of `keys` (the option lists' unless named): every process reads again."""
    cache.set_many({key: uuid.uuid4().hex for key in keys or (VERSION_KEY,)}, timeout=None)


def changed(*keys: str) -> None:
    """A write of what `keys` version: new versions now, and again when the transaction commits.

    The write itself never fails for the cache: with the cache unreachable the versions are not
    replaced (logged), and what is kept under them lives no longer than the cache does."""
    try:
        bump(*keys)
    except Exception:
        logger.warning("cache unreachable: versions %s not replaced", keys or (VERSION_KEY,), exc_info=True)
    transaction.on_commit(lambda: bump(*keys), robust=True)


def _changed(**kwargs):
    changed()


def watch(*models):
    """Bump the version on any save or delete of these models."""
    for model in models:
        post_save.connect(_changed, sender=model, dispatch_uid=f"options:{model._meta.label}:save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"options:{model._meta.label}:delete")


def options(key: tuple, read, request=None) -> list:
    """The list `read()` returns, from this process's memory while the version holds. `key` names
    the list and its scope (e.g. ("grids", subdistrict_id))."""
    if request is not None:
        version = getattr(request, REQUEST_ATTRIBUTE, None)
        if version is None:
            version = current_version()
            setattr(request, REQUEST_ATTRIBUTE, version)
    else:
        version = current_version()
    held = _lists.get(key)
    if held is not None and held[0] == version:
        return held[1]
    value = list(read())
    with _lock:
        _lists[key] = (version, value)
    return value
