"""A signed-in page costs no session query and no session write; the session is read from the
cache and survives the cache losing it."""

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.module_loading import import_string

from grids.middleware import LAST_SEEN, LAST_SEEN_RESOLUTION

QUEUE = reverse("casework:queue")


def session_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"]]


def test_pages_read_and_write_no_session_row(client, centre, grid):
    client.force_login(centre)
    client.get(QUEUE)  # the first page starts the idle clock: one write
    for _ in range(3):
        assert session_queries(client, QUEUE) == []


def test_the_idle_clock_writes_at_most_once_a_minute(client, centre, grid):
    client.force_login(centre)
    client.get(QUEUE)
    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")(client.session.session_key)
    store[LAST_SEEN] -= LAST_SEEN_RESOLUTION
    store.save()
    writes = session_queries(client, QUEUE)
    assert len([q for q in writes if q.startswith("UPDATE")]) == 1
    assert session_queries(client, QUEUE) == []


def test_a_session_the_cache_lost_is_read_back_from_the_database(client, centre, grid):
    client.force_login(centre)
    client.get(QUEUE)
    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")(client.session.session_key)
    cache.delete(store.cache_key)
    reads = session_queries(client, QUEUE)
    assert len(reads) == 1 and reads[0].startswith("SELECT")
    assert session_queries(client, QUEUE) == []
