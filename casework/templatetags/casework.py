"""Labels of a case's coded fields for list rows.

`case.get_status_display` rebuilds a hashable copy of the field's choices on every call, and
hashing each lazy label translates it: 50 rows cost ~600 translations. The enum's own label is one.
"""

from django import template

from casework.enums import CaseStatus, Risk

register = template.Library()


def _label(enum, value) -> str:
    try:
        return str(enum(value).label)
    except ValueError:
        return value


@register.filter
def status_label(value) -> str:
    return _label(CaseStatus, value)


@register.filter
def risk_label(value) -> str:
    return _label(Risk, value)
