"""Versions of the cases' state in the shared cache: what is counted over cases (the dashboards'
figures) may be kept under them, and is read again as soon as a case it counted changes.

Three kinds of version. Each subdistrict's and each community's cases have theirs, and "any case"
has one: every change of a case writes an event (services.record_event), so that one path replaces
the versions of the case's subdistrict and community and of any case, at once and again when its
transaction commits (common.options.changed). What is counted over one subdistrict or community is
kept under its version, so a change elsewhere leaves it be; what is counted over any other scope
(a district, a mediator's cases) or over all cases (the calendar check) is kept under "any case".
The epoch is replaced by writes that do not say which cases they touched (a ledger import's
deferred writes, when they are flushed; the calendar loaded; a case deleted): everything kept is
read again. A case inserted without a service (a test's factory) replaces its scope's versions.
What is kept is also keyed by the day: the overdue count changes at midnight with no write at all.
"""

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_delete, post_save

from common import options

EPOCH_KEY = "fengqiao:cases:epoch"
ANY_KEY = "fengqiao:cases:any"
SCOPE_KEY = "fengqiao:cases:scope:"


def scope_version_keys(scope: str) -> list[str]:
    """The versions that what is counted over a scope (casework.selectors.scope_key) is kept under."""
    keys = [EPOCH_KEY]
    for part in scope.split("-"):
        # A subdistrict's (s…) or community's (c…) cases have their own version; other scopes
        # (a district, a user's own cases) change with any case.
        key = SCOPE_KEY + part if part[:1] in ("s", "c") else ANY_KEY
        if key not in keys:
            keys.append(key)
    return keys


def case_changed(case) -> None:
    """`case` changed: what was counted over its subdistrict, its community or any case is stale."""
    options.changed(ANY_KEY, f"{SCOPE_KEY}s{case.subdistrict_id}", f"{SCOPE_KEY}c{case.community_id}")


def cases_changed(**_) -> None:
    """Cases changed, which not said: everything kept over cases is stale."""
    options.changed(EPOCH_KEY)


def _case_saved(instance, **_) -> None:
    case_changed(instance)


def _grids_assigned(action, **_) -> None:
    # A grid worker's own cases are their grids' cases: a user's grids changed changes what their
    # scope counts, and that scope is kept under "any case".
    if action in ("post_add", "post_remove", "post_clear"):
        options.changed(ANY_KEY)


def watch_cases() -> None:
    from .models import CalendarDay, DisputeCase

    # A case is saved only when it is inserted (its changes are conditional UPDATEs, each with an event).
    post_save.connect(_case_saved, sender=DisputeCase, dispatch_uid="cases-version:case:save")
    post_delete.connect(cases_changed, sender=DisputeCase, dispatch_uid="cases-version:case:delete")
    post_save.connect(cases_changed, sender=CalendarDay, dispatch_uid="cases-version:calendar:save")
    post_delete.connect(cases_changed, sender=CalendarDay, dispatch_uid="cases-version:calendar:delete")
    m2m_changed.connect(_grids_assigned, sender=get_user_model().grids.through, dispatch_uid="cases-version:grids")
