"""Bad input (issue 7): every form and every write endpoint of the API, tried field by field with
oversized, malformed, wrong-type and script-bearing values.

Each attempt must answer with a clear error (4xx, or the form re-shown with its error), never 500;
write nothing (row counts before and after); and echo nothing unescaped. Script-bearing text in a
free-text field is legitimate data: it may be saved, and then every page showing it must escape it.
Each attempt runs in a savepoint rolled back afterwards, so each starts from the same case.
"""

import datetime as dt
import io
import json

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from api.services import token_issue
from casework.enums import CaseStatus
from tests.api.bodies import follow_up_body, registration, session_body, written_agreement_body
from tests.factories import PASSWORD, MediatorFactory, category

pytestmark = pytest.mark.django_db

SCRIPTS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')
BIG = "纠" * 100_000  # 100 k characters
HUGE = "9" * 400
NUL = chr(0)  # PostgreSQL text cannot hold it
BAD = {
    # kind: values that must be refused; script-bearing text is tried everywhere on top of these.
    "text": [BIG],
    "short": [BIG],
    "int": [HUGE, "-1", "abc", "1e309", BIG],
    "date": ["2026-02-30", "not-a-date", "99999-01-01", BIG],
    "datetime": ["2026-13-01T10:00", "yesterday", BIG],
    "choice": ["no-such-choice", BIG, "a" + NUL],
    "pk": [HUGE, "999999999", "abc", BIG],
    "id": ["11010519491231002Y", "110105194913310021", "12345", BIG],
    "phone": ["12345678901", "138123456789", "abcdefghijk", BIG],
    "secret": [BIG, ""],
}
# JSON bodies can also carry the wrong type and numbers no column holds.
API_EXTRA = {
    "int": [10**400, 2**63, -(2**63) - 1, 1.5, [], {}],
    "pk": [10**400, 2**63, -1, [], {"id": 1}],
    "text": [[], {"a": 1}, "a" + NUL + "b"],
    "short": [[], {"a": 1}],
    "choice": [[], {"a": 1}, 1, "neighbour" + NUL],
    "date": [[], 20260101],
    "datetime": [[], 20260101],
    "bool": [[], {"a": 1}, "maybe"],
    "id": [[], 110105194912310020],
    "phone": [[], 13812345678.5],
    "list": ["not-a-list", {"a": 1}, [1, 2], [{"role": "applicant"}]],
    "secret": [[], {"a": 1}],
}
# Models whose rows a refused input must leave as they were (the access audit is not among them:
# a failed sign-in is rightly recorded there).
WATCHED = [
    "casework.DisputeCase",
    "casework.Party",
    "casework.CaseEvent",
    "mediation.MediationSession",
    "mediation.FollowUp",
    "mediation.Agreement",
    "mediation.ConflictDeclaration",
    "grids.Inspection",
    "reports.Snapshot",
]
TRIED = {"inputs": 0}


def counts():
    return tuple(apps.get_model(label).objects.count() for label in WATCHED)


def password_hashes():
    return tuple(apps.get_model("grids.User").objects.order_by("pk").values_list("password", flat=True))


class _Rollback(Exception):
    pass


def raw_script_in(response) -> list[str]:
    """Script text as it was sent, in an answer a browser would render as HTML.

    JSON answers carry text as data (application/json with nosniff is never rendered): they are
    checked for their media type instead."""
    if response.get("Content-Type", "").startswith("application/json"):
        return [] if response.get("X-Content-Type-Options") == "nosniff" else ["JSON without nosniff"]
    body = response.content.decode(errors="ignore")
    return [s for s in SCRIPTS if s in body]


def attempt(send, *, may_accept: bool, follow=None):
    """Send one bad input; return what went wrong ("" when nothing did)."""
    TRIED["inputs"] += 1
    problem = ""
    try:
        with transaction.atomic():
            before, hashes = counts(), password_hashes()
            try:
                response = send()
            except Exception as exc:  # a 500: the test client re-raises the view's exception
                problem = f"server error {type(exc).__name__}: {str(exc)[:120]}"
                raise _Rollback from exc
            body = response.content.decode(errors="ignore")
            accepted = response.status_code in (200, 201, 302) and not looks_refused(response, body)
            if raw_script_in(response):
                problem = f"{response.status_code}: script echoed unescaped"
            elif response.status_code >= 500:
                problem = f"{response.status_code}"
            elif accepted and not may_accept:
                problem = f"{response.status_code}: accepted"
            elif not accepted and (counts(), password_hashes()) != (before, hashes):
                problem = f"{response.status_code}: refused but wrote rows"
            elif accepted and follow is not None:
                # Saved: wherever it shows, it is escaped.
                for url in follow(response):
                    page = response.client.get(url)
                    if raw_script_in(page):
                        problem = f"saved, then shown unescaped on {url}"
            raise _Rollback
    except _Rollback:
        pass
    return problem


def looks_refused(response, body):
    if response.status_code >= 400:
        return True
    if "application/json" in response.get("Content-Type", ""):
        return False
    # A form re-shown with its errors.
    markers = ("errorlist", 'role="alert"', 'class="alert-error"')
    return response.status_code == 200 and any(marker in body for marker in markers)


def values_for(kind, *, api):
    values = [(v, False) for v in BAD.get(kind, [])]
    if api:
        values += [(v, False) for v in API_EXTRA.get(kind, [])]
    free_text = kind in ("text", "short")
    values += [(s, free_text) for s in SCRIPTS]  # script text may be saved only where text is free
    return values


def sweep(send_with, fields, *, api=False, follow=None):
    """Try every bad value in every field of `fields` ({name: kind}); return the problems."""
    problems = []
    for field, kind in fields.items():
        for value, may_accept in values_for(kind, api=api):
            problem = attempt(lambda f=field, v=value: send_with(f, v), may_accept=may_accept, follow=follow)
            if problem:
                shown = value if not isinstance(value, str) or len(value) < 40 else f"{value[:10]}…({len(value)})"
                problems.append(f"{field}={shown!r}: {problem}")
    return problems


def web(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def api_client(user):
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=user)[1]}")
    return client


@pytest.fixture(autouse=True, scope="module")
def report_inputs_tried():
    yield
    print(f"\nbad input: {TRIED['inputs']} inputs tried")


@pytest.fixture
def cases(case_at, centre, mediator, grid):
    return {
        state: case_at(state)
        for state in (
            CaseStatus.REPORTED,
            CaseStatus.ACCEPTED,
            CaseStatus.ASSIGNED,
            CaseStatus.MEDIATING,
            CaseStatus.AGREED,
            CaseStatus.FAILED,
        )
    }


def case_pages(case):
    return lambda response: [f"/mediation/cases/{case.pk}/", f"/api/v1/cases/{case.pk}/"]


# Web forms


def test_login_form_refuses_bad_input(centre):
    def send(field, value):
        return web(None).post("/login/", {"username": "centre", "password": "wrong", field: value})

    assert sweep(send, {"username": "secret", "password": "secret"}) == []


def test_password_change_form_refuses_bad_input(centre):
    good = {"old_password": PASSWORD, "new_password1": "Strong-pass-2026!", "new_password2": "Strong-pass-2026!"}

    def send(field, value):
        return web(centre).post("/password/", {**good, field: value})

    assert sweep(send, dict.fromkeys(good, "secret")) == []


def test_intake_form_and_party_formset_refuse_bad_input(centre, grid):
    good = {
        "grid": grid.pk,
        "category": category().pk,
        "source": "grid_worker",
        "risk": "normal",
        "occurred_on": (timezone.localdate() - dt.timedelta(days=2)).isoformat(),
        "description": "楼上漏水",
        "parties-TOTAL_FORMS": "1",
        "parties-INITIAL_FORMS": "0",
        "parties-MIN_NUM_FORMS": "0",
        "parties-MAX_NUM_FORMS": "1000",
        "parties-0-role": "applicant",
        "parties-0-kind": "person",
        "parties-0-name": "张三",
        "parties-0-id_number": "11010519491231002X",
        "parties-0-phone": "13812345678",
        "parties-0-address": "胜利路1号",
    }
    fields = {
        "grid": "pk",
        "category": "pk",
        "source": "choice",
        "risk": "choice",
        "occurred_on": "date",
        "description": "text",
        "parties-TOTAL_FORMS": "int",
        "parties-0-role": "choice",
        "parties-0-kind": "choice",
        "parties-0-name": "short",
        "parties-0-id_number": "id",
        "parties-0-phone": "phone",
        "parties-0-address": "short",
    }

    def send(field, value):
        return web(centre).post("/cases/new/", {**good, field: value})

    def shown(response):
        return [response["Location"]] if response.status_code == 302 else []

    assert sweep(send, fields, follow=shown) == []


# The same transitions on the web and the API: state, actor, a valid body, and each field's kind.
TRANSITIONS = {
    "accept": (CaseStatus.REPORTED, "centre", {"level": "community", "note": ""}, {"level": "choice", "note": "text"}),
    "decline": (
        CaseStatus.REPORTED,
        "centre",
        {"reason": "不属于调解范围", "referral": "court"},
        {"reason": "text", "referral": "choice"},
    ),
    "assign": (CaseStatus.ACCEPTED, "centre", {"note": ""}, {"mediator": "pk", "co_mediators": "list", "note": "text"}),
    "reassign": (CaseStatus.ASSIGNED, "centre", {"reason": "工作调整"}, {"mediator": "pk", "reason": "text"}),
    "start": (CaseStatus.ASSIGNED, "lead", {"note": ""}, {"note": "text"}),
    "reach_agreement": (
        CaseStatus.MEDIATING,
        "lead",
        written_agreement_body(),
        {
            "form": "choice",
            "signed_on": "date",
            "facts": "text",
            "responsibilities": "text",
            "terms": "text",
            "performance_method": "short",
            "performance_deadline": "date",
        },
    ),
    "fail": (
        CaseStatus.MEDIATING,
        "lead",
        {"reason": "分歧大", "guidance": "litigation"},
        {"reason": "text", "guidance": "choice"},
    ),
    "escalate": (CaseStatus.MEDIATING, "lead", {"reason": "需街道协调"}, {"reason": "text"}),
    "withdraw": (
        CaseStatus.MEDIATING,
        "centre",
        {"reason": "申请人撤回", "by": "party"},
        {"reason": "text", "by": "choice"},
    ),
    "close": (CaseStatus.FAILED, "centre", {"note": ""}, {"note": "text"}),
}


def transition_input(cases, name):
    """(case, actor key, valid body, field kinds) of one transition, with a mediator to assign to."""
    state, actor, good, fields = TRANSITIONS[name]
    if "mediator" in fields:
        good = {**good, "mediator": MediatorFactory(user__username="spare").pk}
    return cases[state], actor, good, fields


@pytest.fixture
def actors(centre, mediator):
    return {"centre": centre, "lead": mediator.user}


@pytest.mark.parametrize("name", list(TRANSITIONS))
def test_transition_forms_refuse_bad_input(cases, actors, name):
    case, actor, good, fields = transition_input(cases, name)
    good = {**good, "version": case.version}
    client = web(actors[actor])
    # The valid form goes through: the sweep below is about the values, not the permission.
    assert attempt(lambda: client.post(f"/mediation/cases/{case.pk}/do/{name}/", good), may_accept=True) == ""

    def send(field, value):
        return client.post(f"/mediation/cases/{case.pk}/do/{name}/", {**good, field: value})

    assert sweep(send, {**fields, "version": "int"}, follow=case_pages(case)) == []


RECORD_FORMS = {
    "session": (
        CaseStatus.MEDIATING,
        "lead",
        {
            "held_at": (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "location": "第三方调解室",
            "attendees": "张三、李四",
            "summary": "听取双方陈述",
            "rights_explained_by": "调解员",
        },
        {
            "held_at": "datetime",
            "location": "short",
            "attendees": "text",
            "summary": "text",
            "rights_explained_by": "short",
        },
    ),
    "follow_up": (
        CaseStatus.AGREED,
        "lead",
        {"date": "", "method": "phone", "performed": "on", "satisfaction": "5", "notes": "已履行"},
        {"date": "date", "method": "choice", "satisfaction": "int", "notes": "text"},
    ),
    "extend": (CaseStatus.MEDIATING, "centre", {"reason": "案情复杂"}, {"reason": "text"}),
    "judicial": (
        CaseStatus.AGREED,
        "lead",
        {"status": "pending", "applied_on": "", "court": "东湖区人民法院"},
        {"status": "choice", "applied_on": "date", "court": "short", "answered_on": "date", "note": "short"},
    ),
    "conflict": (CaseStatus.MEDIATING, "lead", {"reason": "与当事人系亲属"}, {"reason": "short"}),
}


@pytest.mark.parametrize("name", list(RECORD_FORMS))
def test_record_forms_refuse_bad_input(cases, actors, name):
    state, actor, good, fields = RECORD_FORMS[name]
    case = cases[state]
    today = timezone.localdate().isoformat()
    good = {k: (today if v == "" and k in ("date", "applied_on") else v) for k, v in good.items()}
    client = web(actors[actor])
    assert attempt(lambda: client.post(f"/mediation/cases/{case.pk}/record/{name}/", good), may_accept=True) == ""

    def send(field, value):
        return client.post(f"/mediation/cases/{case.pk}/record/{name}/", {**good, field: value})

    assert sweep(send, fields, follow=case_pages(case)) == []


def test_inspection_form_refuses_bad_input(grid_worker, grid):
    good = {
        "grid": grid.pk,
        "kind": "monthly",
        "period": timezone.localdate().strftime("%Y-%m"),
        "disputes_found": "2",
        "cases_registered": "1",
        "notes": "",
    }
    fields = {
        "grid": "pk",
        "kind": "choice",
        "period": "date",
        "disputes_found": "int",
        "cases_registered": "int",
        "notes": "text",
    }

    def send(field, value):
        return web(grid_worker).post("/reports/inspections/", {**good, field: value})

    assert sweep(send, fields, follow=lambda response: ["/reports/inspections/"]) == []


def test_report_generation_form_refuses_bad_input(centre):
    good = {"kind": "monthly", "period": "2026-03", "reason": ""}

    def send(field, value):
        return web(centre).post("/reports/", {**good, field: value})

    def shown(response):
        return [response["Location"], "/reports/"] if response.status_code == 302 else []

    assert sweep(send, {"kind": "choice", "period": "date", "reason": "short"}, follow=shown) == []


def test_ledger_upload_refuses_bad_files(centre):
    files = [
        ("empty.xlsx", b""),
        ("big.xlsx", b"PK\x03\x04" + b"\x00" * 100_000),
        ("text.xlsx", "案件编号\n<script>alert(1)</script>".encode()),
        ('"><img src=x onerror=alert(1)>.xlsx', b"not a workbook"),
        ("<script>alert(1)</script>.csv", b"a,b\n1,2"),
    ]
    problems = []
    for name, content in files:
        for mode in ("all", "no-such-mode"):

            def send(name=name, content=content, mode=mode):
                upload = io.BytesIO(content)
                upload.name = name
                return web(centre).post("/ledger/", {"file": upload, "mode": mode, "sheet": SCRIPTS[0]})

            problem = attempt(send, may_accept=False)
            if problem:
                problems.append(f"{name} ({mode}): {problem}")
    assert problems == []


# API write endpoints


def api_sweep(user, url, good, fields, follow=None):
    client = api_client(user)
    problems = sweep(lambda f, v: client.post(url, {**good, f: v}, format="json"), fields, api=True, follow=follow)
    # Malformed bodies: not JSON, JSON of the wrong shape, a huge document, the wrong media type.
    for raw, content_type in (
        ("{", "application/json"),
        ('{"a": ', "application/json"),
        ("[]", "application/json"),
        ('"text"', "application/json"),
        ("null", "application/json"),
        (json.dumps({"note": "x" * 3_000_000}), "application/json"),  # over DATA_UPLOAD_MAX_MEMORY_SIZE
        ("\udcff".encode("utf-8", "surrogatepass"), "application/json"),
        (SCRIPTS[0], "text/html"),
    ):
        problem = attempt(lambda r=raw, c=content_type: client.post(url, r, content_type=c), may_accept=False)
        if problem:
            problems.append(f"body {raw[:20]!r}: {problem}")
    return problems


def test_api_token_refuses_bad_input(centre):
    fields = {"username": "secret", "password": "secret"}
    assert api_sweep(None, "/api/v1/auth/token/", {"username": "centre", "password": "wrong"}, fields) == []


def test_api_registration_refuses_bad_input(centre, grid):
    category()
    fields = {
        "grid": "pk",
        "category": "choice",
        "source": "choice",
        "risk": "choice",
        "description": "text",
        "occurred_on": "date",
        "parties": "list",
    }
    problems = api_sweep(centre, "/api/v1/cases/", registration(grid), fields, follow=lambda r: ["/cases/"])
    # And inside a party.
    for field, kind in {
        "role": "choice",
        "kind": "choice",
        "name": "short",
        "id_number": "id",
        "phone": "phone",
        "address": "short",
    }.items():
        for value, may_accept in values_for(kind, api=True):
            body = registration(grid)
            body["parties"] = [{**body["parties"][0], field: value}]
            send = lambda b=body: api_client(centre).post("/api/v1/cases/", b, format="json")  # noqa: E731
            problem = attempt(send, may_accept=may_accept, follow=lambda r: [f"/mediation/cases/{r.json()['id']}/"])
            if problem:
                problems.append(f"parties[0].{field}={str(value)[:20]!r}: {problem}")
    assert problems == []


@pytest.mark.parametrize("name", list(TRANSITIONS))
def test_api_transitions_refuse_bad_input(cases, actors, name):
    case, actor, good, fields = transition_input(cases, name)
    url = f"/api/v1/cases/{case.pk}/transitions/{name}/"
    assert attempt(lambda: api_client(actors[actor]).post(url, good, format="json"), may_accept=True) == ""
    assert api_sweep(actors[actor], url, good, fields, follow=case_pages(case)) == []


def test_api_sessions_refuse_bad_input(cases, mediator):
    case = cases[CaseStatus.MEDIATING]
    fields = {
        "held_at": "datetime",
        "location": "short",
        "attendees": "text",
        "public": "bool",
        "rights_explained": "bool",
        "summary": "text",
        "party_refused": "bool",
    }
    url = f"/api/v1/cases/{case.pk}/sessions/"
    assert api_sweep(mediator.user, url, session_body(), fields, follow=case_pages(case)) == []


def test_api_follow_ups_refuse_bad_input(cases, mediator):
    case = cases[CaseStatus.AGREED]
    fields = {"date": "date", "performed": "bool", "satisfaction": "int", "method": "choice", "notes": "text"}
    url = f"/api/v1/cases/{case.pk}/follow-ups/"
    assert api_sweep(mediator.user, url, follow_up_body(), fields, follow=case_pages(case)) == []


def test_bad_input_counts_each_try(centre):
    before = TRIED["inputs"]
    assert attempt(lambda: web(centre).post("/reports/", {"kind": "nope"}), may_accept=False) == ""
    assert TRIED["inputs"] == before + 1
