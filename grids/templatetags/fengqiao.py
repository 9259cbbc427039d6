"""Role checks for templates, where `user.has_role("x")` cannot be called with an argument."""

from django import template

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
