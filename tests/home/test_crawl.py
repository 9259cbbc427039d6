"""Nothing needs a typed URL: from each role's home, following `<a href>` links only, a real HTTP
client reaches every page the role may use.

"A page the role may use" is every named URL that answers 200 to the role with no parameters
beyond an object it can see (a case, a mediator, a report, an upload). The crawl is bounded (a
few pages per view, a ceiling on all pages) so a list of a thousand cases is not walked through.
"""

import re
from collections import Counter
from html import unescape
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client
from django.urls import NoReverseMatch, Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from casework.enums import CaseStatus, Risk
from ledger.models import LedgerImport
from reports import services as report_services
from tests.factories import register
from tests.reports.conftest import MARCH

pytestmark = pytest.mark.django_db

HREF = re.compile(r'<a\b[^>]*\bhref="([^"#]*)', re.IGNORECASE)
# A GET form (a filter, an export's options) is navigation too; a POST form is an action.
GET_FORM = re.compile(r'<form\b(?=[^>]*\bmethod="get")[^>]*\baction="([^"#]*)', re.IGNORECASE)
PAGES_PER_VIEW = 3
PAGE_LIMIT = 150

# Routes no link needs to reach, each with its reason.
EXCEPTIONS = {
    "healthz": "the load balancer's probe, not a page for people",
    "grids:login": "a signed-in user is sent on to their home",
    "grids:logout": "a POST: the 退出 button in the header, a form",
    "set_language": "a POST: the language button in the header, a form",
    "notice_read": "a POST: the 标为已读 buttons, forms",
    "casework:duplicates": "a POST that htmx sends while the intake form is typed in",
    "mediation:reveal": "a POST: the 显示完整信息 button on the case page, audited",
    "mediation:transition": "a POST: each action's form on the case page",
    "mediation:record": "a POST: each record's form on the case page",
    "mediation:action_form": "a fragment htmx loads into the case page (hx-get), not a page",
    "analysis:similar": "类案参考, a fragment htmx loads into the case page (hx-get), not a page",
    "analysis:cockpit_panel": "the cockpit's panel, polled by htmx every 60 s (hx-get), not a page",
    "admin": "the administrators' own site, entered at /admin/",
}
# Routes some roles may open but need no link to, by role, with the reason.
NOT_FOR = {
    "ledger:export": (
        {"leader", "community", "gridworker", "mediator"},
        "the ledger page (台账) is the centre's; others export the cases they see from the queue (export_queue)",
    ),
    "ledger:template": (
        {"leader", "community", "gridworker", "mediator"},
        "a blank import form, offered on the centre's ledger page; only the centre imports",
    ),
}
# Files: a link to them counts as reaching them; the crawl does not download them.
DOWNLOADS = {
    "casework:export",
    "reports:xlsx",
    "reports:pdf",
    "ledger:template",
    "ledger:export",
    "ledger:export_queue",
    "ledger:export_report",
    "mediation:agreement_pdf",
}


def _patterns():
    """(qualified name, pattern) of every route, the API's and the admin's left out (not web pages)."""

    def walk(patterns, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = entry.namespace if entry.namespace else namespace
                if inner in ("admin", "api"):
                    continue
                yield from walk(entry.url_patterns, inner)
            elif isinstance(entry, URLPattern) and entry.name:
                yield ":".join(filter(None, [namespace, entry.name])), entry

    yield from walk(get_resolver().url_patterns, "")


def candidate_path(name, pattern, objects) -> str | None:
    """The route's path with no parameters, or with the object of the kind it takes."""
    converters = pattern.pattern.converters
    if not converters:
        return reverse(name)
    for kind in objects.get(name, []):
        try:
            return reverse(name, args=[kind])
        except NoReverseMatch:
            continue
    return None


def pages_the_role_may_use(client, objects, persona) -> set[str]:
    usable = set()
    for name, pattern in _patterns():
        if name in EXCEPTIONS or persona in NOT_FOR.get(name, ((), ""))[0]:
            continue
        path = candidate_path(name, pattern, objects)
        if path is None:
            continue
        if client.get(path).status_code == 200:
            usable.add(name)
    return usable


def crawl(client) -> set[str]:
    """The routes reached from the home page through links only."""
    queue, seen, reached, per_view, fetched = ["/"], {"/"}, set(), Counter(), 0
    while queue and fetched < PAGE_LIMIT:
        path = queue.pop(0)
        try:
            name = resolve(urlsplit(path).path).view_name
        except Resolver404:
            continue
        reached.add(name)
        if name in DOWNLOADS or per_view[name] >= PAGES_PER_VIEW:
            continue
        per_view[name] += 1
        response = client.get(path)
        fetched += 1
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        body = response.content.decode()
        for href in [*HREF.findall(body), *GET_FORM.findall(body)]:
            target = urljoin(path, unescape(href))
            parts = urlsplit(target)
            if parts.netloc or parts.scheme or parts.path.startswith(("/static/", "/admin/", "/api/")):
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if local not in seen:
                seen.add(local)
                queue.append(local)
    return reached


@pytest.fixture
def objects(case_at, centre, grid, mediator):
    """One object of each kind a route takes, inside every persona's sight."""
    mediating = case_at(CaseStatus.MEDIATING)
    agreed = case_at(CaseStatus.AGREED)
    register(centre, grid, risk=Risk.MAJOR)
    snapshot = report_services.report_ensure(subdistrict=centre.subdistrict, kind="monthly", period=MARCH)
    upload = LedgerImport.objects.create(
        subdistrict_id=centre.subdistrict_id,
        requested_by=centre,
        requested_at=timezone.now(),
        filename="台账.xlsx",
        sha256="0" * 64,
        size=1,
    )
    return {
        "mediation:case": [mediating.pk],
        "mediation:agreement": [agreed.pk],
        "mediation:agreement_pdf": [agreed.pk],
        "mediation:mediator": [mediator.pk],
        "reports:detail": [snapshot.pk],
        "reports:cases": [snapshot.pk],
        "reports:xlsx": [snapshot.pk],
        "reports:pdf": [snapshot.pk],
        "reports:compare": [snapshot.pk],
        "ledger:import": [upload.pk],
    }


@pytest.mark.parametrize("persona", ["centre", "leader", "community", "gridworker", "mediator"])
def test_every_page_a_role_may_use_is_reached_by_links_from_its_home(roles, objects, persona):
    client = Client()
    client.force_login(roles[persona])
    usable = pages_the_role_may_use(client, objects, persona)
    reached = crawl(client)
    assert usable, "the role may use no page at all: the test would prove nothing"
    assert sorted(usable - reached) == [], persona


def test_the_crawl_misses_a_page_the_menu_drops(roles, objects, monkeypatch):
    """The check can fail: with 台账 taken out of the menu table, the centre cannot reach its ledger page."""
    from home import navigation

    monkeypatch.setattr(navigation, "MENU", tuple(e for e in navigation.MENU if e.key != "ledger"))
    client = Client()
    client.force_login(roles["centre"])
    assert "ledger:upload" in pages_the_role_may_use(client, objects, "centre")
    assert "ledger:upload" not in crawl(client)
