"""`manage.py check` warns when a deadline falls in a year the working-day calendar does not hold."""

from django.core import checks
from django.db import DatabaseError
from django.utils import timezone


@checks.register(checks.Tags.database)
def calendar_horizon(app_configs=None, databases=None, **kwargs):
    """A database check: it runs with `manage.py check --database default` and on every `migrate`
    (a deploy), not when a worker or the development server starts without a database to ask."""
    from .calendar import horizon_gaps  # models are ready only once checks run

    if not databases:
        return []
    try:
        gaps = horizon_gaps(timezone.localdate())
    except DatabaseError:
        # No database yet (an image build, before the first migrate): nothing to warn about.
        return []
    return [checks.Warning(gap.message, hint=gap.hint, id="casework.W001") for gap in gaps]
