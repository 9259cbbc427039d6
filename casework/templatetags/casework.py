"""Template helpers for a case's links, its 331 ladder and the case lists, for both engines: the
Django engine's tags here, the same functions as Jinja2 globals (`jinja2_globals`, common.jinja2)."""

from django import template
from django.conf import settings
from django.urls import reverse

from casework.rows import ladder_html, table_html

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
def case_table(rows, sort_links=None, show_next=False):
    """A case list's table, head and rows (casework.rows.table_html)."""
    return table_html(rows, sort_links, bool(show_next))


jinja2_globals = {
    "case_url": case_url,
    "queue_export_url": queue_export_url,
    "case_table": case_table,
    "ladder": ladder,
}
