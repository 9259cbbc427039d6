"""Labels of a case's coded fields for list rows.

`case.get_status_display` rebuilds a hashable copy of the field's choices on every call, and
hashing each lazy label translates it: 50 rows cost ~600 translations. The enum's own label is one.
"""

from django import template
from django.conf import settings
from django.urls import reverse

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


@register.simple_tag
def case_url(pk) -> str:
    """The case page, which a higher app serves (FENGQIAO_CASE_URL_NAME)."""
    return reverse(settings.FENGQIAO_CASE_URL_NAME, args=[pk])


@register.simple_tag
def queue_export_url(kind: str) -> str:
    """An export of the queue's filtered cases that a higher app serves (FENGQIAO_QUEUE_EXPORT_URL_NAMES)."""
    return reverse(settings.FENGQIAO_QUEUE_EXPORT_URL_NAMES[kind])


# A case tried this many times in the community and still there is flagged for the centre (the
# "331" practice: three tries in the community, then the subdistrict).
LADDER_FLAG_ATTEMPTS = 3


@register.inclusion_tag("casework/_ladder.html")
def ladder(case):
    """The 331 ladder of a case: 社区 n 次 → 街道 n 次, a 上报 marker once it went up, and a flag
    for the centre when three community attempts left it at the community."""
    escalated = case.level == "subdistrict" and case.community_attempts > 0
    return {
        "community": case.community_attempts,
        "subdistrict": case.subdistrict_attempts,
        "escalated": escalated,
        "flagged": case.level == "community" and case.community_attempts >= LADDER_FLAG_ATTEMPTS,
        "shown": case.community_attempts or case.subdistrict_attempts or escalated,
    }
