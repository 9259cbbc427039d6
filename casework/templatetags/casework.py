"""Template tags for a case's links and its 331 ladder."""

from django import template
from django.conf import settings
from django.urls import reverse

from casework.rows import ladder_html, rows_html

register = template.Library()


@register.simple_tag
def case_url(pk) -> str:
    """The case page, which a higher app serves (FENGQIAO_CASE_URL_NAME)."""
    return reverse(settings.FENGQIAO_CASE_URL_NAME, args=[pk])


@register.simple_tag
def queue_export_url(kind: str) -> str:
    """An export of the queue's filtered cases that a higher app serves (FENGQIAO_QUEUE_EXPORT_URL_NAMES)."""
    return reverse(settings.FENGQIAO_QUEUE_EXPORT_URL_NAMES[kind])


@register.simple_tag
def ladder(case):
    """The 331 ladder of a case (casework.rows.ladder_html)."""
    return ladder_html(case.level, case.community_attempts, case.subdistrict_attempts)


@register.simple_tag
def case_rows(rows, show_next=False):
    """The rows of a case list (casework.rows.CaseRow), written out in one go."""
    return rows_html(rows, bool(show_next))
