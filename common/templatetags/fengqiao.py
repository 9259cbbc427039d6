"""The project-wide template helpers, for both engines: the Django engine's tags and filters here,
the same functions as the Jinja2 environment's globals and filters (`jinja2_globals`,
`jinja2_filters`, read by common.jinja2). The frame's parts that are worked out (the idle timeout,
the language switch) are functions here, so that the two frames cannot work them out differently."""

from django import template
from django.conf import settings
from django.template import defaultfilters
from django.utils.formats import localize
from django.utils.timezone import template_localtime
from django.utils.translation import get_language_info

register = template.Library()


@register.filter
def has_role(user, roles: str) -> bool:
    """`user|has_role:"centre_staff,leader"`: true when the user holds any of the comma-separated roles."""
    if not getattr(user, "is_authenticated", False):
        return False
    return any(user.has_role(role.strip()) for role in roles.split(","))


@register.simple_tag
def percent(part, whole) -> str:
    """`{% percent agreed concluded %}` → "94.0%", or "—" when there is nothing to divide."""
    if not whole:
        return "—"
    return f"{part / whole:.1%}"


# A perfect record over this many cases is more likely unrecorded failures than perfection (domain: called out).
PERFECT_RATE_MIN_CASES = 10


@register.filter
def too_perfect(agreed, concluded) -> bool:
    """`agreed|too_perfect:concluded`: 100% over many cases, to be checked rather than celebrated."""
    return bool(concluded) and concluded >= PERFECT_RATE_MIN_CASES and agreed == concluded


def idle_left(request) -> int:
    """Seconds before this session ends unused, as the sign-in middleware counted them for this
    request (FENGQIAO_IDLE_TIMEOUT when it did not): the page warns a minute before."""
    return getattr(request, "idle_left", settings.FENGQIAO_IDLE_TIMEOUT)


@register.simple_tag(takes_context=True)
def idle_timeout(context) -> int:
    return idle_left(context.get("request"))


@register.simple_tag
def other_languages(current: str) -> list[tuple[str, str]]:
    """The language switch's buttons: (code, the language's own name) of each language but `current`."""
    return [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES if code != current]


# What the Django engine does to a value on its own: a Jinja2 template asks for it by name.
def date(value, arg=None) -> str:
    """Django's `|date:"Y-m-d"`, given an aware time in the current time zone as the engine gives it."""
    return defaultfilters.date(template_localtime(value), arg)


def localized(value) -> str:
    """A value written out as the Django engine writes `{{ value }}`: a time in the current time zone,
    dates and numbers in the language's format."""
    return localize(template_localtime(value))


jinja2_globals = {"percent": percent, "idle_left": idle_left, "other_languages": other_languages}
jinja2_filters = {
    "has_role": has_role,
    "too_perfect": too_perfect,
    "date": date,
    "localized": localized,
    "linebreaksbr": defaultfilters.linebreaksbr,
}
