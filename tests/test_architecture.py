"""The house's one rule of direction: an app imports, names a task of, or links a URL of only the
apps below it, so each floor can be read, tested and changed without the floors above.

    common <- grids <- casework <- mediation <- reports <- ledger <- demo, api, home <- config

Every non-test module is parsed with `ast` (nothing is imported), every template is read as text;
a violation names the file, the line and what it reached for.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Floor of each of our top-level packages. Same floor: neither may import the other.
FLOORS = {
    "common": 0,
    "grids": 1,
    "casework": 2,
    "mediation": 3,
    # reports and ledger sit side by side; the ledger exports a report's figures, so it stands a
    # half-step higher: it may read reports, reports never names it.
    "reports": 4,
    "ledger": 4.5,
    "demo": 5,
    "api": 5,
    "home": 5,
    "config": 6,
    "bench": 7,
}
SOURCE_APPS = [name for name in FLOORS if name != "bench"]


def _modules():
    for app in FLOORS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            yield app, path


def _imported_apps(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]


# A dotted string naming a module of ours ("reports.tasks.ping", "ledger.urls"): a task sent by
# name, an include(), a setting. Such strings couple as surely as an import.
DOTTED = re.compile(r"^([a-z_]+)\.[a-z_]+(\.[A-Za-z_]+)*$")


# A URL name ("reports:inspections", "analysis:similar") given to reverse() or redirect(): a link.
URL_STRING = re.compile(r"^([a-z_]+):[a-z_]+$")


def _namespace_apps() -> dict[str, str]:
    """Each URL namespace -> the package whose URLconf serves it. A namespace need not be an app's
    name: "analysis" is served by reports (reports.analysis.urls), so a link to it reaches reports."""
    from django.urls import get_resolver

    apps = {}

    def walk(resolver):
        for namespace, (_prefix, sub) in resolver.namespace_dict.items():
            module = getattr(sub.urlconf_name, "__name__", sub.urlconf_name)
            apps[namespace] = module.split(".")[0] if isinstance(module, str) else namespace
            walk(sub)

    walk(get_resolver())
    return apps


def _named_apps(tree: ast.AST, namespaces: dict[str, str] | None = None):
    namespaces = _namespace_apps() if namespaces is None else namespaces
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = DOTTED.match(node.value)
            if match and match.group(1) in FLOORS:
                yield node.lineno, match.group(1)
            match = URL_STRING.match(node.value)
            if match and match.group(1) in namespaces:
                yield node.lineno, namespaces[match.group(1)]


def _upward(app: str, other: str) -> bool:
    return other in FLOORS and other != app and FLOORS[other] >= FLOORS[app]


def test_no_module_imports_or_names_an_app_at_or_above_its_own_floor():
    violations = []
    namespaces = _namespace_apps()
    for app, path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for lineno, other in [*_imported_apps(tree), *_named_apps(tree, namespaces)]:
            if _upward(app, other):
                violations.append(f"{path.relative_to(ROOT)}:{lineno} ({app}) reaches up to {other}")
    assert violations == []


# A URL named in a Django template (`{% url 'app:name' %}`) or a Jinja2 one (`url('app:name')`).
URL_NAME = re.compile(r"(?:{%\s*url\s+|\burl\(\s*)['\"]([a-z_]+):")


def _template_violations(folder: str, text: str, namespaces: dict[str, str]) -> list[tuple[int, str]]:
    """(line, what) for each {% url %} in a template of `folder` that links a higher app's page, by
    the app serving the namespace, or a namespace no URLconf serves."""
    found = []
    for lineno, line in enumerate(text.splitlines(), 1):
        for namespace in URL_NAME.findall(line):
            if namespace not in namespaces:
                found.append((lineno, f"an unknown URL namespace {namespace}"))
            elif _upward(folder, namespaces[namespace]):
                found.append((lineno, f"{namespace} (served by {namespaces[namespace]})"))
    return found


def test_no_template_links_a_url_of_an_app_above_its_own():
    violations = []
    namespaces = _namespace_apps()
    # Both engines' templates: one folder per app in each.
    for folders in (ROOT / "templates", ROOT / "templates_jinja2"):
        for path in sorted(folders.rglob("*.html")):
            folder = path.relative_to(folders).parts[0]
            if folder not in FLOORS:
                continue  # base.html, partials, registration: the project's own frame, above every app
            for lineno, what in _template_violations(folder, path.read_text(encoding="utf-8"), namespaces):
                violations.append(f"{path.relative_to(ROOT)}:{lineno} ({folder}) links {what}")
    assert violations == []


def test_the_rule_catches_what_it_is_meant_to_catch():
    """The checks above would fail on a violation: an upward import, a task named by a higher
    app's module, a template linking upward."""
    tree = ast.parse("from reports import services\nsend_task('ledger.tasks.ledger_import')\n")
    reached = [other for _line, other in [*_imported_apps(tree), *_named_apps(tree)]]
    assert [other for other in reached if _upward("casework", other)] == ["reports", "ledger"]
    assert not any(_upward("api", other) for other in reached)
    assert URL_NAME.findall("<a href=\"{% url 'mediation:case' case.pk %}\">") == ["mediation"]
    assert URL_NAME.findall("<a href=\"{{ url('mediation:case', case.pk) }}\">") == ["mediation"]
    assert _upward("casework", "mediation") and not _upward("mediation", "casework")
    # A namespace that is not an app's name is judged by the app that serves it.
    namespaces = _namespace_apps()
    assert namespaces["analysis"] == "reports"
    upward = "<section hx-get=\"{% url 'analysis:similar' case.pk %}\"></section>"
    assert _template_violations("mediation", upward, namespaces) == [(1, "analysis (served by reports)")]
    assert _template_violations("ledger", upward, namespaces) == []
    assert _template_violations("casework", "{% url 'nowhere:page' %}", namespaces) == [
        (1, "an unknown URL namespace nowhere")
    ]
    called = ast.parse("redirect('analysis:cockpit')\n")
    assert [other for _line, other in _named_apps(called, namespaces)] == ["reports"]


def test_every_app_of_ours_is_on_a_floor():
    from django.conf import settings

    ours = {name for name in settings.INSTALLED_APPS if (ROOT / name / "apps.py").exists()}
    assert ours <= set(SOURCE_APPS)
