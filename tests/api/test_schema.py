"""Schemathesis over /api/schema/: generated requests, as centre staff and as a mediator,
against a database holding a case in every state. No 5xx, and every response (status
code, content type, headers, body) must be what the schema says.
Every operation of the schema is run, in positive mode (schema-valid requests) and in
negative mode (requests that break the schema). The checks are every check schemathesis has
but three: the response-side ones, and schema-violating requests refused
(negative_data_rejection: a malformed filter, page size or cursor is a 400), credentials
required (ignored_auth), required headers, unsupported methods (405 with Allow). Left out on
purpose: positive_data_acceptance — the schema describes types, and the services refuse
type-correct requests that break a rule (a written agreement without a deadline, a follow-up
dated tomorrow) with 400/403/409, which is the API's published contract, not a defect — and the two
stateful ones (use_after_free, ensure_resource_availability), since nothing here is deleted.
"""

import re

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from api.services import token_issue
from casework.enums import CaseStatus
from config.wsgi import application
from grids import services as grid_services
from grids.enums import InspectionKind
from reports import services as report_services
from reports.enums import ReportKind
from tests.workflow import drive

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
    missing_required_header,
    unsupported_method,
    allow_header_conformance,
]
EXAMPLES = {GenerationMode.POSITIVE: 20, GenerationMode.NEGATIVE: 8}


@pytest.fixture
def seeded(centre, leader, community_staff, grid_worker, mediator, other_mediator, grid, other_grid):
    """A case in every state, mediated by `mediator`, plus one in another community; a screening
    return and a report snapshot. Their ids, by the path whose `{id}` they fill."""
    cases = [drive(state, centre=centre, lead=mediator, grid=grid).pk for state in CaseStatus.values]
    cases.append(drive(CaseStatus.ACCEPTED, centre=centre, lead=mediator, grid=other_grid).pk)
    today = timezone.localdate()
    inspection = grid_services.inspection_file(
        actor=grid_worker,
        grid=grid,
        kind=InspectionKind.MONTHLY,
        period=today,
        disputes_found=2,
        cases_registered=1,
        zero_report=False,
    )
    snapshot, _created = report_services.report_generate(kind=ReportKind.MONTHLY, period=today, actor=centre)
    return {"/api/v1/cases/": cases, "/api/v1/inspections/": [inspection.pk], "/api/v1/reports/": [snapshot.pk]}


@pytest.fixture
def api_schema(db, settings):
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    # As django.test.Client does: the WSGI handler must not close the test's transaction between requests.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/schema/", application)
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def case_strategy(operation, mode, seeded):
    """Cases for `operation`; a path `id` is mostly a real object, so requests reach the services."""
    if "{id}" not in operation.path:
        return operation.as_strategy(generation_mode=mode)
    (ids,) = [ids for prefix, ids in seeded.items() if operation.path.startswith(prefix)]
    real = [operation.as_strategy(generation_mode=mode, path_parameters={"id": pk}) for pk in ids]
    return st.one_of(*real, operation.as_strategy(generation_mode=mode))


def fuzz(api_schema, user, seeded) -> dict:
    """Run every operation; return {"operations", "examples", "failures": [(operation, error)]}."""
    headers = {"Authorization": f"Token {token_issue(user=user)[1]}"}
    report = {"operations": 0, "examples": 0, "no_negative": 0, "failures": []}
    for result in api_schema.get_all_operations():
        operation = result.ok()
        report["operations"] += 1
        for mode, examples in EXAMPLES.items():

            @hypothesis.settings(
                max_examples=examples,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @hypothesis.given(case=case_strategy(operation, mode, seeded))
            def run(case):
                report["examples"] += 1
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                run()
            except hypothesis.errors.Unsatisfiable:
                # Nothing to make invalid: no query or path parameters (credentials aside) and no body.
                parameters = [p for p in operation.iter_parameters() if p.definition.get("in") in ("query", "path")]
                assert mode == GenerationMode.NEGATIVE and not operation.body and not parameters
                report["no_negative"] += 1
            except (
                Exception,
                BaseExceptionGroup,
            ) as exc:  # the shrunk failure of this operation, reported with all others
                report["failures"].append((f"{operation.label} [{mode.value}]", str(exc)[:2000]))
    return report


@pytest.mark.parametrize("persona", ["centre", "mediator"])
def test_api_conforms_to_schema(api_schema, seeded, centre, mediator, persona):
    user = centre if persona == "centre" else mediator.user
    report = fuzz(api_schema, user, seeded)
    print(
        f"\nschemathesis as {persona}: {report['operations']} operations, {report['examples']} examples, "
        f"({report['no_negative']} without negative data), "
        f"{len(report['failures'])} failures"
    )
    assert report["operations"] >= 28
    assert report["failures"] == [], "\n\n".join(f"{op}: {error}" for op, error in report["failures"])


def test_docs_page_has_no_inline_script_and_runs_under_the_csp(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    html = response.content.decode()
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts, "Swagger UI is loaded by scripts"
    assert all("src=" in attrs and not body.strip() for attrs, body in scripts), scripts
    # The initialiser the page points to is served from our origin as a script file.
    sources = [re.search(r'src="([^"]+)"', attrs).group(1) for attrs, _ in scripts]
    init = next(src for src in sources if "?script" in src)
    script = client.get(init.replace("&amp;", "&"))
    assert script.status_code == 200
    assert "javascript" in script["Content-Type"]
    assert "SwaggerUIBundle" in script.content.decode()
