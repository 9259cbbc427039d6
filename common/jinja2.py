"""The Jinja2 environment of the pages rendered by Jinja2 (`templates_jinja2/`, Django's own
Jinja2 backend). The hot pages are there: a Jinja2 template compiles to Python, where the Django
engine resolves and renders each node on every request.

What a Jinja2 template gets, besides its view's context and the context processors' (the same as the
Django engine's, `config/settings.py`): `_()`/`gettext`/`ngettext`/`pgettext` bound to Django's
translations, `csrf_input`/`csrf_token` (from the backend), `url(name, *args, **kwargs)`, `static`,
the frame's helpers (common.templatetags.fengqiao) and the helpers of every library listed in the
backend's `libraries` option (`jinja2_globals` and `jinja2_filters` of each module).
"""

from importlib import import_module

import jinja2
from django.template.defaultfilters import floatformat
from django.templatetags.static import static
from django.test.signals import template_rendered
from django.urls import reverse
from django.utils.translation import gettext, ngettext, npgettext, pgettext

from common.templatetags import fengqiao


class Template(jinja2.Template):
    """A template that says it was rendered, as the Django engine's templates do under the test
    runner, so that a test reads `response.context` and `assertTemplateUsed` whatever the engine.
    Nobody listens outside the tests: then it costs one check."""

    def render(self, *args, **kwargs):
        if not template_rendered.has_listeners():
            return super().render(*args, **kwargs)
        context = dict(*args, **kwargs)
        template_rendered.send(sender=self, template=self, context=context)
        return super().render(context)


class Environment(jinja2.Environment):
    template_class = Template


def url(name: str, *args, **kwargs) -> str:
    """`url('casework:queue')`, `url('mediation:case', case.pk)`: Django's reverse."""
    return reverse(name, args=args or None, kwargs=kwargs or None)


def environment(*, libraries=(), **options) -> Environment:
    env = Environment(extensions=["jinja2.ext.i18n"], **options)
    env.install_gettext_callables(gettext, ngettext, newstyle=True, pgettext=pgettext, npgettext=npgettext)
    env.globals.update(url=url, static=static)
    env.filters.update(floatformat=floatformat)
    for module in (fengqiao, *(import_module(path) for path in libraries)):
        env.globals.update(getattr(module, "jinja2_globals", {}))
        env.filters.update(getattr(module, "jinja2_filters", {}))
    return env
