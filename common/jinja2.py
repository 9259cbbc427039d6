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
from django.utils.translation import gettext, gettext_lazy, ngettext, npgettext, pgettext
from jinja2 import pass_context

from common.templatetags import fengqiao

from .urls import plain_reverse


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


# Translations, once per process and language: a page writes ~60 labels and strings, and each of
# Django's gettext calls looks up the active language and its catalogs again. The language is the
# page's (LANGUAGE_CODE, from the i18n context processor); without it, Django's gettext as usual.
TRANSLATIONS_KEPT = 5000
_translations: dict[tuple[str, str], str] = {}
# Lazy translations by their id, each held with its text so that the id is not reused.
_lazy_translations: dict[tuple[str, int], tuple[object, str]] = {}
# A lazy translation (gettext_lazy): translated when written, like a string given to _().
LAZY_TRANSLATION = type(gettext_lazy(""))


@pass_context
def _gettext(context, message: str) -> str:
    language = context.get("LANGUAGE_CODE")
    if language is None:
        return gettext(message)
    text = _translations.get((language, message))
    if text is None:
        if len(_translations) >= TRANSLATIONS_KEPT:
            _translations.clear()
        text = _translations[language, message] = gettext(message)
    return text


@pass_context
def _finalize(context, value):
    """Each value a template writes: a lazy translation is written as its language's text, kept
    like _()'s."""
    if type(value) is LAZY_TRANSLATION:
        language = context.get("LANGUAGE_CODE")
        if language is None:
            return str(value)
        held = _lazy_translations.get((language, id(value)))
        if held is None or held[0] is not value:
            if len(_lazy_translations) >= TRANSLATIONS_KEPT:
                _lazy_translations.clear()
            held = _lazy_translations[language, id(value)] = (value, str(value))
        return held[1]
    return value


def url(name: str, *args, **kwargs) -> str:
    """`url('casework:queue')`, `url('mediation:case', case.pk)`: Django's reverse. A URL without
    arguments (the frame's, a page's buttons) is reversed once per process, script prefix and URLconf."""
    if args or kwargs:
        return reverse(name, args=args or None, kwargs=kwargs or None)
    return plain_reverse(name)


def environment(*, libraries=(), **options) -> Environment:
    env = Environment(extensions=["jinja2.ext.i18n"], finalize=_finalize, **options)
    env.install_gettext_callables(_gettext, ngettext, newstyle=True, pgettext=pgettext, npgettext=npgettext)
    env.globals.update(url=url, static=static)
    env.filters.update(floatformat=floatformat)
    for module in (fengqiao, *(import_module(path) for path in libraries)):
        env.globals.update(getattr(module, "jinja2_globals", {}))
        env.filters.update(getattr(module, "jinja2_filters", {}))
    return env
