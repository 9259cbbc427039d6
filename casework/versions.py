"""The version of the cases' state in the shared cache: what is counted over cases (the dashboards'
figures) may be kept under it, and is read again as soon as any case changes.

Every change of a case writes an event (services.record_event), so that one path replaces the
version, at once and again when its transaction commits (common.options.changed); a ledger import's
deferred writes replace it once, when they are flushed. A case or a calendar day saved or deleted
some other way (the admin, a test's factory) replaces it too. What is kept is also keyed by the day:
the overdue count changes at midnight with no write at all.
"""

from django.db.models.signals import post_delete, post_save

from common import options

CASES_KEY = "fengqiao:cases:version"


def cases_version() -> str:
    return options.current_version(CASES_KEY)


def cases_changed(**_) -> None:
    options.changed(CASES_KEY)


def watch_cases() -> None:
    from .models import CalendarDay, DisputeCase

    for model in (DisputeCase, CalendarDay):
        label = model._meta.label
        post_save.connect(cases_changed, sender=model, dispatch_uid=f"cases-version:{label}:save")
        post_delete.connect(cases_changed, sender=model, dispatch_uid=f"cases-version:{label}:delete")
