"""Every group of states ("open", "concluded", "with a mediator", the deadline-bearing ones …) is
named in casework/enums.py and nowhere else: a module that needs one imports it.

Every non-test module is parsed with `ast`. A group spelled out again is: a name given to two or
more CaseStatus members (`OPEN_STATES = (…)`), or a query or membership test on the very members
of a group of casework/enums.py (`status__in=[AGREED, FAILED]`, `in (AGREED, FAILED)`: that is
CONCLUDED). A rule of its own over a few states (`status in (DECLINED, WITHDRAWN, FAILED)` needs a
reason) is not a group; nor are the FSM's `source=` lists, which define the transitions.
"""

import ast

from casework import enums
from casework.enums import DEADLINE_FIELDS, DEADLINE_STATES, IN_MEDIATION, CaseStatus, running_deadline
from tests.test_architecture import ROOT, _modules

HOME = ROOT / "casework" / "enums.py"
GROUPS = {
    value
    for value in vars(enums).values()
    if isinstance(value, frozenset) and len(value) > 1 and value <= set(CaseStatus)
}


def _members(node) -> frozenset:
    """The CaseStatus members a tuple, list or set literal names (`CaseStatus.X` or the alias `S.X`)."""
    if not isinstance(node, ast.Tuple | ast.List | ast.Set):
        return frozenset()
    return frozenset(
        CaseStatus[element.attr]
        for element in node.elts
        if isinstance(element, ast.Attribute)
        and isinstance(element.value, ast.Name)
        and element.value.id in {"CaseStatus", "S"}
        and element.attr in CaseStatus.names
    )


def _literal(node):
    """The literal inside `frozenset({…})` / `set(…)`, or the node itself."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"frozenset", "set"}:
        return node.args[0] if node.args else node
    return node


def groups_spelled_out(source: str) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            if len(_members(_literal(node.value))) > 1:
                lines.append(node.lineno)
        elif isinstance(node, ast.keyword) and (node.arg or "").endswith("__in"):
            if _members(_literal(node.value)) in GROUPS:
                lines.append(node.value.lineno)
        elif isinstance(node, ast.Compare):
            for op, right in zip(node.ops, node.comparators, strict=True):
                if isinstance(op, ast.In | ast.NotIn) and _members(_literal(right)) in GROUPS:
                    lines.append(node.lineno)
    return lines


def test_no_module_but_enums_spells_out_a_group_of_states():
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for _app, path in _modules()
        if path != HOME
        for line in groups_spelled_out(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_check_catches_a_group_and_spares_rules_and_the_fsm():
    assert groups_spelled_out("concluded = status in (CaseStatus.AGREED, CaseStatus.FAILED)\n") == [1]
    assert groups_spelled_out("qs.filter(status__in=[S.ASSIGNED, S.MEDIATING])\n") == [1]
    assert groups_spelled_out("OPEN_STATES = {S.REPORTED, S.ACCEPTED}\n") == [1]
    assert groups_spelled_out("needs_reason = status in (S.DECLINED, S.WITHDRAWN, S.FAILED)\n") == []
    assert groups_spelled_out("qs.filter(case__status__in=[S.DECLINED, S.CLOSED])\n") == []
    fsm = "@transition(field=status, source=[S.AGREED, S.FAILED], target=S.CLOSED)\ndef close(self): pass\n"
    assert groups_spelled_out(fsm) == []
    assert groups_spelled_out("WEIGHTS = [(CaseStatus.CLOSED, 880), (CaseStatus.AGREED, 12)]\n") == []


def test_one_deadline_runs_in_each_deadline_bearing_state():
    assert DEADLINE_STATES == {CaseStatus.REPORTED, *IN_MEDIATION, CaseStatus.AGREED}
    assert {running_deadline(status) for status in DEADLINE_STATES} == set(DEADLINE_FIELDS.values())
    assert running_deadline(CaseStatus.AGREED, follow_up_count=1) is None
    assert all(running_deadline(status) is None for status in set(CaseStatus) - DEADLINE_STATES)
