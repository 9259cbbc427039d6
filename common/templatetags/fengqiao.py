"""Role checks for templates, where `user.has_role("x")` cannot be called with an argument."""

from django import template
from django.conf import settings

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


@register.simple_tag(takes_context=True)
def idle_timeout(context) -> int:
    """Seconds before this session ends unused, as the sign-in middleware counted them for this
    request (FENGQIAO_IDLE_TIMEOUT when it did not): the page warns a minute before."""
    request = context.get("request")
    return getattr(request, "idle_left", settings.FENGQIAO_IDLE_TIMEOUT)
