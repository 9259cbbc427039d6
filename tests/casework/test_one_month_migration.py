"""The data migration that gives open cases the one-month conclusion deadline (and an escalated case
the subdistrict's own clock), leaving concluded cases' deadlines as they were."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from casework import services as case_services
from casework.enums import CaseStatus, Level
from casework.models import DisputeCase
from tests.factories import register
from tests.workflow import drive

BEFORE = [("casework", "0012_ladder_clocks")]
D = dt.date


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10)))


def _accepted(centre, grid, day, level=Level.SUBDISTRICT):
    case = register(centre, grid, at=_at(day - dt.timedelta(days=1)))
    return case_services.case_accept(case, actor=centre, level=level, at=_at(day))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_open_cases_get_one_month_and_concluded_ones_keep_theirs(centre, mediator, grid):
    plain = _accepted(centre, grid, D(2025, 9, 15))
    extended = _accepted(centre, grid, D(2025, 9, 15))
    case_services.case_extend_deadline(extended, actor=centre, reason="案情复杂", at=_at(D(2025, 10, 1)))
    escalated = _accepted(centre, grid, D(2025, 9, 1), level=Level.COMMUNITY)
    case_services.case_escalate(escalated, actor=centre, reason="社区调解未果", at=_at(D(2025, 10, 20)))
    concluded = drive(CaseStatus.AGREED, centre=centre, lead=mediator, grid=grid)
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()  # every app: going back unapplied dependents elsewhere too
    executor.migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            # As the thirty-working-day rule had left them (the escalation kept the community's deadline).
            for case, due in ((plain, D(2025, 10, 31)), (extended, D(2025, 12, 12)), (escalated, D(2025, 10, 17))):
                cursor.execute(
                    "UPDATE casework_disputecase SET conclude_due = %s, next_due = %s, escalated_at = NULL, "
                    "community_conclude_due = NULL, community_days = NULL, community_overdue = false WHERE id = %s",
                    [due, due, case.pk],
                )
            cursor.execute(
                "UPDATE casework_disputecase SET conclude_due = %s WHERE id = %s", [D(2001, 1, 1), concluded.pk]
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
    rows = {c.pk: c for c in DisputeCase.objects.filter(pk__in=[plain.pk, extended.pk, escalated.pk, concluded.pk])}
    assert (rows[plain.pk].conclude_due, rows[plain.pk].next_due) == (D(2025, 10, 15), D(2025, 10, 15))
    # 15 October + one month = Saturday 15 November → Monday 17.
    assert rows[extended.pk].conclude_due == D(2025, 11, 17)
    up = rows[escalated.pk]
    assert up.conclude_due == D(2025, 11, 20)  # the subdistrict's own month from 20 October
    assert (up.community_conclude_due, up.community_days, up.community_overdue) == (D(2025, 10, 17), 49, True)
    assert up.escalated_at == _at(D(2025, 10, 20))
    assert rows[concluded.pk].conclude_due == D(2001, 1, 1)
