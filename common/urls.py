"""URLs that take no arguments (the menu's, the frame's, a page's buttons), reversed once."""

import functools

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse


@functools.cache
def _reversed(name: str, prefix: str, urlconf: str) -> str:
    return reverse(name, urlconf=urlconf)


def plain_reverse(name: str) -> str:
    """Django's reverse of `name`, once per process, script prefix and URLconf: the same URL on every
    page, where resolving it again costs more than the rest of a menu entry."""
    return _reversed(name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
