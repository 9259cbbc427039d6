"""Two template engines, one per page: every template compiles
under the engine whose folder holds it, no name is in both, every template the code names is
found in one engine (and the one of the template that names it), every Jinja2 page renders as a
Jinja2 template through its view, and the two frames write the same HTML for every role."""

import ast
import re
from pathlib import Path

import pytest
from django.contrib import messages
from django.contrib.messages.storage import default_storage
from django.template import TemplateDoesNotExist, engines, loader
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from common.jinja2 import Template as Jinja2Template
from tests.factories import register

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = {"django": ROOT / "templates", "jinja2": ROOT / "templates_jinja2"}


def _case_page(centre, grid) -> str:
    return reverse("mediation:case", args=[register(centre, grid).pk])


# Each page a Jinja2 template serves, by the URL that shows it, or a function of the signed-in
# centre staff and a grid of theirs that makes what it shows and gives its URL (a new Jinja2 page
# is added here).
JINJA2_PAGES = {
    "casework/queue.html": "/cases/?tab=mediating",
    "home/dashboard.html": "/",
    "mediation/case.html": _case_page,
}


def names(engine: str) -> set[str]:
    folder = FOLDERS[engine]
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}


def app_template_names() -> set[str]:
    """The Django engine's templates in our apps' own templates/ folders (none today)."""
    return {
        path.relative_to(folder).as_posix()
        for folder in ROOT.glob("*/templates")
        if folder != FOLDERS["django"]
        for path in folder.rglob("*.html")
    }


def test_no_template_name_is_in_both_engines():
    assert names("django") and names("jinja2")
    assert names("django") & names("jinja2") == set()
    assert app_template_names() & names("jinja2") == set()


@pytest.mark.parametrize("engine", ["django", "jinja2"])
def test_every_template_compiles_under_the_engine_that_holds_it(engine):
    for name in sorted(names(engine)):
        template = loader.get_template(name)
        assert template.backend is engines[engine], name
        if engine == "jinja2":
            assert isinstance(template.template, Jinja2Template), name


# A template named by the code: render(request, "x"), template_name = "x", get_template("x"),
# render_to_string("x"); by a template: extends/include/import/from "x".
CODE_NAMES = ("render", "render_to_string", "get_template", "select_template", "TemplateResponse")
TEMPLATE_NAME = re.compile(r"{%-?\s*(?:extends|include|import|from)\s+['\"]([^'\"]+)['\"]")


def _named_by_code() -> list[tuple[str, str]]:
    found = []
    packages = [folder for folder in ROOT.iterdir() if (folder / "__init__.py").exists() and folder.name != "tests"]
    for path in (path for package in packages for path in package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            literals = []
            if isinstance(node, ast.Call):
                func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if func in CODE_NAMES:
                    literals = node.args[:2]
            elif isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "template_name" for t in node.targets):
                literals = [node.value]
            for literal in literals:
                if (
                    isinstance(literal, ast.Constant)
                    and isinstance(literal.value, str)
                    and literal.value.endswith(".html")
                ):
                    found.append((f"{path.relative_to(ROOT)}:{node.lineno}", literal.value))
    return found


def test_every_template_the_code_names_is_found():
    named = _named_by_code()
    assert {"casework/queue.html", "home/dashboard.html"} <= {name for _where, name in named}
    missing = []
    for where, name in named:
        try:
            loader.get_template(name)
        except TemplateDoesNotExist:
            missing.append(f"{where} names {name}")
    assert missing == []


@pytest.mark.parametrize("engine", ["django", "jinja2"])
def test_a_template_names_only_templates_of_its_own_engine(engine):
    wrong = []
    for name in sorted(names(engine)):
        text = (FOLDERS[engine] / name).read_text(encoding="utf-8")
        for other in TEMPLATE_NAME.findall(text):
            try:
                engines[engine].get_template(other)
            except TemplateDoesNotExist:
                wrong.append(f"{name} names {other}, not a {engine} template")
    assert wrong == []


def test_every_jinja2_page_is_listed_with_its_url():
    pages = {name for name in names("jinja2") if not Path(name).name.startswith("_") and name != "frame.html"}
    assert pages == set(JINJA2_PAGES)


@pytest.mark.django_db
def test_each_jinja2_page_renders_through_its_view_as_a_jinja2_template(client, centre, grid):
    client.force_login(centre)
    for name, url in JINJA2_PAGES.items():
        response = client.get(url(centre, grid) if callable(url) else url)
        assert response.status_code == 200, url
        # The test client reads the context and the template's name as it does the Django engine's.
        assert response.templates[0].name == name
        assert isinstance(response.templates[0], Jinja2Template)
        assert "user" in response.context and "csrf_input" in response.context
        assert response.content.decode().rstrip().endswith("</html>")


# ---- the two frames -------------------------------------------------------------------------

CSRF = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+"')
TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")([^"]+)"')


def normalized(html: str) -> str:
    """The HTML with each CSRF token (masked anew each time it is written) and the whitespace
    between tags made alike."""
    html = CSRF.sub(r'\1…"', html)
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


def frames(user, language: str, unread: int) -> tuple[str, str]:
    request = RequestFactory().get("/notices/?page=2&q=a%26b")
    request.user = user
    request.session = {}
    request._messages = default_storage(request)
    messages.success(request, "已保存 <草稿>")
    request.idle_left = 1234
    if user.is_authenticated:
        user.unread_notice_count = unread
    with translation.override(language):
        django_frame = engines["django"].from_string('{% extends "base.html" %}').render({}, request)
        jinja2_frame = engines["jinja2"].from_string('{% extends "frame.html" %}').render({}, request)
    # Each frame writes one token, wherever it needs it.
    for frame in (django_frame, jinja2_frame):
        assert len({token for _where, token in TOKEN.findall(frame)}) == 1
    return normalized(django_frame), normalized(jinja2_frame)


ROLES = ["centre", "community_staff", "grid_worker", "leader", "district_staff", "mediator"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_two_frames_write_the_same_html_for_every_role(request, role, language):
    user = request.getfixturevalue(role)
    user = user.user if role == "mediator" else user
    for unread in (0, 3):
        django_frame, jinja2_frame = frames(user, language, unread)
        assert jinja2_frame == django_frame
    # The frame of a signed-in user: its menu (the current page marked), the count, the message.
    assert 'aria-current="page"' in jinja2_frame and '<span class="count">3</span>' in jinja2_frame
    assert "已保存 &lt;草稿&gt;" in jinja2_frame and 'data-idle-timeout="1234"' in jinja2_frame
    assert 'value="/notices/?page=2&amp;q=a%26b"' in jinja2_frame


@pytest.mark.django_db
def test_the_two_frames_write_the_same_html_signed_out():
    from django.contrib.auth.models import AnonymousUser

    django_frame, jinja2_frame = frames(AnonymousUser(), "zh-hans", 0)
    assert jinja2_frame == django_frame
    assert "site-nav" not in jinja2_frame and "lang-switch" in jinja2_frame


def test_a_difference_between_the_frames_would_be_seen():
    """The comparison is of the HTML itself: a changed attribute or word is a difference, whitespace
    between tags is not."""
    assert normalized("<p>a</p>\n  <p>b</p>") == normalized("<p>a</p><p>b</p>")
    assert normalized('<a href="/x">') != normalized('<a href="/y">')
    assert normalized('<input name="csrfmiddlewaretoken" value="abc">') == normalized(
        '<input name="csrfmiddlewaretoken" value="xyz">'
    )


@pytest.mark.django_db
def test_translations_kept_per_process_follow_the_language_of_each_page(centre):
    from django.utils.translation import gettext_lazy

    template = engines["jinja2"].from_string('{{ _("案件队列") }}|{{ label }}|{{ _("第 %(page)s 页", page=n) }}')
    label = gettext_lazy("调解中")
    request = RequestFactory().get("/")
    request.user = centre
    written = {}
    for language in ("zh-hans", "en", "zh-hans", "en"):
        with translation.override(language):
            text = template.render({"label": label, "n": "<2>"}, request)
        assert written.setdefault(language, text) == text
    assert written["zh-hans"] == "案件队列|调解中|第 &lt;2&gt; 页"
    assert written["en"] == "Case queue|Mediating|Page &lt;2&gt;"


def test_a_url_without_arguments_kept_per_process_follows_the_script_prefix():
    from django.urls import set_script_prefix

    template = engines["jinja2"].from_string("{{ url('casework:queue') }} {{ url('casework:export') }}")
    assert template.render({}) == "/cases/ /cases/export.xlsx"
    set_script_prefix("/fengqiao/")
    try:
        assert template.render({}) == "/fengqiao/cases/ /fengqiao/cases/export.xlsx"
    finally:
        set_script_prefix("/")
    assert template.render({}) == "/cases/ /cases/export.xlsx"
    assert engines["jinja2"].from_string("{{ url('casework:intake') }}").render({}) == "/cases/new/"
