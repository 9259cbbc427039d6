"""`manage.py check` warns when a deadline falls in a year the working-day calendar does not hold."""

from django.core import checks
from django.db import DatabaseError
from django.utils import timezone


@checks.register("fengqiao")
def calendar_horizon(app_configs=None, **kwargs):
    from .calendar import horizon_gaps  # models are ready only once checks run

    try:
        gaps = horizon_gaps(timezone.localdate())
    except DatabaseError:
        # No database yet (an image build, before the first migrate): nothing to warn about.
        return []
    return [checks.Warning(gap.message, hint=gap.hint, id="casework.W001") for gap in gaps]
