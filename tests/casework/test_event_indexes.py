"""The monthly counts' triggers read each touched case's conclusions by the case's own index, even
when the events table has no statistics yet (a first bulk load, all in one transaction): no index
leading with the event's name may offer the planner a scan over every conclusion in the table."""

from django.db import connection

from reports.summary import CONCLUSION_NAMES
from tests.factories import register


def test_a_cases_conclusions_are_read_by_the_cases_index_without_statistics(centre, grid):
    case = register(centre, grid)
    names = ", ".join(f"'{name}'" for name in CONCLUSION_NAMES)
    with connection.cursor() as cursor:
        # As after a bulk load: the rows are there, the statistics are not.
        cursor.execute(
            "INSERT INTO casework_caseevent (case_id, at, actor_id, name, from_status, to_status, note, data, "
            "imported, chain_seq, chain_hash) "
            "SELECT case_id, at, actor_id, name, from_status, to_status, note, data, imported, "
            "chain_seq + n, chain_hash FROM casework_caseevent, generate_series(1, 20000) n"
        )
        cursor.execute("SELECT relname FROM pg_class WHERE relname = 'casework_caseevent' AND reltuples > 0")
        assert cursor.fetchone() is None
        cursor.execute(f"EXPLAIN SELECT id FROM casework_caseevent WHERE case_id = %s AND name IN ({names})", [case.pk])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    scans = [line.split(" on ", 1)[1] for line in plan.splitlines() if "Index" in line and " on " in line]
    assert scans and all("case" in scan.split()[0] for scan in scans), plan


def test_the_planner_counts_a_handful_of_events_a_case_at_any_size(centre, grid):
    """Sampled, the number of distinct cases among the events is undercounted on a large table (by
    30 times at 10M cases), and the planner then walks the whole events index to read a period's
    cases' events: the count is declared as a fraction of the rows, and ANALYZE keeps it."""
    register(centre, grid)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE casework_caseevent")
        cursor.execute("SELECT n_distinct FROM pg_stats WHERE tablename = 'casework_caseevent' AND attname = 'case_id'")
        assert cursor.fetchone() == (-0.15,)
