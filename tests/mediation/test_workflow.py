"""One seam for the workflow: the table in mediation/workflow.py and everything else that names a
transition (the enum, the FSM methods on DisputeCase, casework's rules and condition messages,
the API's URLs and schema) name exactly the same transitions.

`register` is in the enum and in none of the others: it makes a case rather than moving one.
"""

from django.urls import resolve, reverse
from django_fsm import FSMField
from drf_spectacular.generators import SchemaGenerator

from api.urls import v1 as api_v1
from casework import permissions
from casework import services as case_services
from casework.enums import Transition
from casework.models import DisputeCase
from mediation import bodies, forms
from mediation.workflow import TRANSITION_BODIES, TRANSITION_FORMS, TRANSITION_SERVICES, WORKFLOW

EXPECTED = set(Transition) - {Transition.REGISTER}


def fsm_transitions():
    """The FSM's transitions on DisputeCase, through django-fsm's public API."""
    field = DisputeCase._meta.get_field("status")
    assert isinstance(field, FSMField)
    return list(field.get_all_transitions(DisputeCase))


def api_transition_urls():
    """The names of the API's transition endpoints (URL names `transition-<name>`)."""
    return {p.name.removeprefix("transition-") for p in api_v1 if (p.name or "").startswith("transition-")}


def registries() -> dict[str, list]:
    """Every place that names transitions, as the list of names it holds (a name twice is a fault too)."""
    return {
        "workflow table": [step.name for step in WORKFLOW],
        "services": list(TRANSITION_SERVICES),
        "web forms": list(TRANSITION_FORMS),
        "API bodies": list(TRANSITION_BODIES),
        "FSM transitions on DisputeCase": sorted({t.name for t in fsm_transitions()}),
        "casework.permissions._RULES": list(permissions._RULES),
        "API URL patterns": sorted(api_transition_urls()),
    }


def mismatches(found: dict[str, list]) -> list[str]:
    faults = []
    for where, names in found.items():
        if len(names) != len(set(names)):
            faults.append(f"{where} names a transition twice: {sorted(names)}")
        missing, extra = EXPECTED - set(names), set(names) - EXPECTED
        if missing or extra:
            faults.append(f"{where}: missing {sorted(missing)}, unknown {sorted(extra)}")
    return faults


def test_every_registry_names_every_transition_but_register_once():
    assert mismatches(registries()) == []


def test_the_check_fails_when_a_transition_is_missing_or_extra_anywhere():
    found = registries()
    for where in found:
        without_one = {**found, where: found[where][1:]}
        assert [fault for fault in mismatches(without_one) if fault.startswith(where)], where
        with_register = {**found, where: [*found[where], Transition.REGISTER]}
        assert mismatches(with_register), where


def test_every_row_of_the_table_is_complete_and_typed():
    for step in WORKFLOW:
        assert callable(step.service), step.name
        assert issubclass(step.form, forms.TransitionForm), step.name
        assert issubclass(step.body, bodies.InputSerializer), step.name
        # The service takes what the body carries (the body's fields are its keyword arguments).
        code = step.service.__code__
        accepted = set(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
        assert set(step.body().fields) <= accepted, step.name


def test_every_condition_of_the_fsm_has_its_message():
    """A transition refused for an unmet condition says which (casework.services._UNMET, by condition)."""
    conditions = {condition.__name__ for t in fsm_transitions() for condition in t.conditions}
    assert conditions == set(case_services._UNMET)


def test_each_api_url_runs_its_own_transition():
    for name in EXPECTED:
        match = resolve(reverse(f"api:transition-{name}", args=[1]))
        assert match.func.view_initkwargs == {"transition": name}


def test_the_api_schema_documents_each_transition_with_its_own_body():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for step in WORKFLOW:
        operation = schema["paths"][f"/api/v1/cases/{{id}}/transitions/{step.name}/"]["post"]
        assert operation["operationId"] == f"v1_cases_transitions_{step.name}_create"
        assert operation["summary"] == f"{step.name}（{Transition(step.name).label}）"
        body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert body == f"#/components/schemas/{step.body.__name__.removesuffix('Serializer')}"
