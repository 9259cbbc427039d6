"""The reports' history as counts: the month × place × category × outcome × lead table
(`MonthlyCount`), kept by PostgreSQL triggers, checked and repaired by reconciliation.

What a case adds to the table is one function of the case and its events,
`fengqiao_summary_rows(case, registered_at, except_events)`, in the database:

- `registered`: +1 in the month it was registered;
- `concluded`: +1 in every month with a conclusion (达成协议 or 调解不成), as the month ended
  (its last conclusion that month; third-party or not by the lead mediator then) — the trend's counts;
- `cumulative`: +1 in the month of each conclusion since `FENGQIAO_STATS_SINCE`, and −1 there for
  the conclusion it replaced — so the months up to a period's end add up to every case concluded
  by then, counted once, as it ended (a case failed, escalated and concluded again moves).

The triggers apply the difference one write makes: a new conclusion or lead event (assign,
reassign, escalate: the lead a conclusion names), a new case, a case whose place, category or
registration time is corrected. Being in the database, they hold for every path that writes: the
services, the ledger's bulk inserts, the benchmark's COPY. The same function recomputes a month
from the cases for `reconcile_summary`, so the triggers and the check cannot disagree on what a
case counts for.

SQLite (`make run`) has no triggers here: the report recomputes the same counts from the events
(reports.statistics), which at a demo's size costs nothing.

Installed from the migration that made the table and again after every `migrate` (the functions
carry the time zone and the statistics' start date, which are settings).
"""

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models.signals import post_migrate
from django.utils import timezone

from casework.enums import Transition
from mediation.enums import THIRD_PARTY_KINDS

logger = logging.getLogger(__name__)

TABLE = "reports_monthlycount"
CELL = ("month", "subdistrict_id", "community_id", "category_id", "measure", "outcome", "third_party")
CONCLUSION_NAMES = (Transition.REACH_AGREEMENT.value, Transition.FAIL.value)
LEAD_NAMES = (Transition.ASSIGN.value, Transition.REASSIGN.value, Transition.ESCALATE.value)


def _names(names) -> str:
    return ", ".join(f"'{name}'" for name in names)


def _since_at() -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(settings.FENGQIAO_STATS_SINCE, dt.time.min))


def function_sql() -> list[str]:
    """The functions and triggers, with the deployment's time zone and start date written in."""
    tz = settings.TIME_ZONE.replace("'", "")
    since = _since_at().isoformat()
    conclusions, leads = _names(CONCLUSION_NAMES), _names(LEAD_NAMES)
    third = _names(sorted(THIRD_PARTY_KINDS))
    cell = ", ".join(CELL)
    insert = f"""INSERT INTO {TABLE} AS t ({cell}, count)
    SELECT r.month, c.subdistrict_id, c.community_id, c.category_id, r.measure, r.outcome, r.third_party, sum(r.n)"""
    upsert = """
    GROUP BY 1, 2, 3, 4, 5, 6, 7
    HAVING sum(r.n) <> 0
    -- One order for every writer, so two transactions never wait on each other's cells crosswise.
    ORDER BY 2, 5, 1, 3, 4, 6, 7
    ON CONFLICT (subdistrict_id, measure, month, community_id, category_id, outcome, third_party)
    DO UPDATE SET count = t.count + EXCLUDED.count"""
    return [
        "DROP FUNCTION IF EXISTS fengqiao_summary_rows(bigint, timestamptz, bigint[]) CASCADE",
        "DROP FUNCTION IF EXISTS fengqiao_summary_change(bigint, timestamptz, bigint[], bigint, text) CASCADE",
        # What one case counts for, leaving out some of its events — what it counted for before they
        # came; `p_mediator` read as of kind `p_kind` — what it counted for before the kind changed.
        f"""
CREATE OR REPLACE FUNCTION fengqiao_summary_rows(
    p_case bigint, p_registered timestamptz, p_except bigint[], p_mediator bigint DEFAULT 0, p_kind text DEFAULT ''
)
RETURNS TABLE(month date, measure text, outcome text, third_party boolean, n integer)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY
    WITH led AS (
        SELECT e.id, e.at, e.to_status::text AS outcome,
               date_trunc('month', e.at AT TIME ZONE '{tz}')::date AS month,
               COALESCE((
                   SELECT (l.data->>'mediator')::bigint FROM casework_caseevent l
                   WHERE l.case_id = p_case AND l.name IN ({leads}) AND l.at <= e.at AND l.id <> ALL(p_except)
                   ORDER BY l.at DESC, l.id DESC LIMIT 1
               ), 0) AS mediator
        FROM casework_caseevent e
        WHERE e.case_id = p_case AND e.name IN ({conclusions}) AND e.id <> ALL(p_except)
    ),
    conclusions AS (
        SELECT c.id, c.at, c.outcome, c.month,
               COALESCE(CASE WHEN c.mediator = p_mediator THEN p_kind
                             ELSE (SELECT m.kind FROM mediation_mediator m WHERE m.id = c.mediator) END
                        IN ({third}), false) AS third_party
        FROM led c
    ),
    counted AS (
        SELECT c.month, c.outcome, c.third_party,
               lag(c.outcome) OVER (ORDER BY c.at, c.id) AS before_outcome,
               lag(c.third_party) OVER (ORDER BY c.at, c.id) AS before_third_party
        FROM conclusions c WHERE c.at >= '{since}'::timestamptz
    )
    SELECT date_trunc('month', p_registered AT TIME ZONE '{tz}')::date, 'registered'::text, ''::text, false, 1
    UNION ALL
    (SELECT DISTINCT ON (c.month) c.month, 'concluded'::text, c.outcome, c.third_party, 1
     FROM conclusions c ORDER BY c.month, c.at DESC, c.id DESC)
    UNION ALL
    SELECT c.month, 'cumulative'::text, c.outcome, c.third_party, 1 FROM counted c
    UNION ALL
    SELECT c.month, 'cumulative'::text, c.before_outcome, c.before_third_party, -1 FROM counted c
    WHERE c.before_outcome IS NOT NULL;
END;
$$""",
        # What the case counts for now, less what it counted for without `p_except` (the events just
        # written) or with `p_mediator` of kind `p_kind` (before the kind changed).
        """
CREATE OR REPLACE FUNCTION fengqiao_summary_change(
    p_case bigint, p_registered timestamptz, p_except bigint[], p_mediator bigint, p_kind text
)
RETURNS TABLE(month date, measure text, outcome text, third_party boolean, n integer)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY
    SELECT x.month, x.measure, x.outcome, x.third_party, x.n
    FROM fengqiao_summary_rows(p_case, p_registered, '{}'::bigint[]) x
    UNION ALL
    SELECT x.month, x.measure, x.outcome, x.third_party, -x.n
    FROM fengqiao_summary_rows(p_case, p_registered, p_except, p_mediator, p_kind) x;
END;
$$""",
        # New events, once per statement (a service's one row, the ledger's bulk insert, a COPY): each
        # case they touch counts for what it counts for now, less what it counted for without them.
        f"""
CREATE OR REPLACE FUNCTION fengqiao_summary_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {insert}
    FROM (
        SELECT case_id, array_agg(id) AS ids FROM inserted
        WHERE name IN ({conclusions}, {leads}) GROUP BY case_id
    ) i
    JOIN casework_disputecase c ON c.id = i.case_id
    CROSS JOIN LATERAL fengqiao_summary_change(c.id, c.registered_at, i.ids, 0, '') r{upsert};
    RETURN NULL;
END;
$$""",
        # New cases, once per statement: no event can name them yet, so they count as registered only.
        f"""
CREATE OR REPLACE FUNCTION fengqiao_summary_cases() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {TABLE} AS t ({cell}, count)
    SELECT date_trunc('month', r.registered_at AT TIME ZONE '{tz}')::date, r.subdistrict_id, r.community_id,
           r.category_id, 'registered', '', false, count(*) AS n
    FROM inserted r
    GROUP BY 1, 2, 3, 4
    ORDER BY 2, 1, 3, 4
    ON CONFLICT (subdistrict_id, measure, month, community_id, category_id, outcome, third_party)
    DO UPDATE SET count = t.count + EXCLUDED.count;
    RETURN NULL;
END;
$$""",
        # A case corrected (where, what, when registered) or deleted: what it counted for moves or goes.
        f"""
CREATE OR REPLACE FUNCTION fengqiao_summary_case() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {TABLE} AS t ({cell}, count)
    SELECT r.month, r.subdistrict_id, r.community_id, r.category_id, r.measure, r.outcome, r.third_party, sum(r.n)
    FROM (
        SELECT x.month, OLD.subdistrict_id, OLD.community_id, OLD.category_id, x.measure, x.outcome, x.third_party,
               -x.n AS n
        FROM fengqiao_summary_rows(OLD.id, OLD.registered_at, '{{}}'::bigint[]) x
        UNION ALL
        SELECT x.month, NEW.subdistrict_id, NEW.community_id, NEW.category_id, x.measure, x.outcome, x.third_party, x.n
        FROM fengqiao_summary_rows(NEW.id, NEW.registered_at, '{{}}'::bigint[]) x WHERE TG_OP = 'UPDATE'
    ) r{upsert};
    RETURN NULL;
END;
$$""",
        # A mediator's kind changed (a lawyer recorded as a people's mediator, …): every case whose
        # conclusion they led moves between third-party and not.
        f"""
CREATE OR REPLACE FUNCTION fengqiao_summary_mediator() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {insert}
    FROM casework_disputecase c
    CROSS JOIN LATERAL fengqiao_summary_change(c.id, c.registered_at, '{{}}'::bigint[], OLD.id, OLD.kind) r
    WHERE c.id IN (
        SELECT case_id FROM casework_caseevent
        WHERE name IN ({leads}) AND data->>'mediator' = OLD.id::text
    ){upsert};
    RETURN NULL;
END;
$$""",
        "DROP TRIGGER IF EXISTS fengqiao_summary_mediator ON mediation_mediator",
        """
CREATE TRIGGER fengqiao_summary_mediator AFTER UPDATE ON mediation_mediator FOR EACH ROW
WHEN (OLD.kind IS DISTINCT FROM NEW.kind) EXECUTE FUNCTION fengqiao_summary_mediator()""",
        "DROP TRIGGER IF EXISTS fengqiao_summary_event ON casework_caseevent",
        """
CREATE TRIGGER fengqiao_summary_event AFTER INSERT ON casework_caseevent REFERENCING NEW TABLE AS inserted
FOR EACH STATEMENT EXECUTE FUNCTION fengqiao_summary_events()""",
        "DROP TRIGGER IF EXISTS fengqiao_summary_case ON casework_disputecase",
        """
CREATE TRIGGER fengqiao_summary_case AFTER INSERT ON casework_disputecase REFERENCING NEW TABLE AS inserted
FOR EACH STATEMENT EXECUTE FUNCTION fengqiao_summary_cases()""",
        "DROP TRIGGER IF EXISTS fengqiao_summary_case_gone ON casework_disputecase",
        """
CREATE TRIGGER fengqiao_summary_case_gone AFTER DELETE ON casework_disputecase FOR EACH ROW
EXECUTE FUNCTION fengqiao_summary_case()""",
        # Any other write to a case (every transition saves it) changes nothing here and costs nothing.
        "DROP TRIGGER IF EXISTS fengqiao_summary_case_moved ON casework_disputecase",
        """
CREATE TRIGGER fengqiao_summary_case_moved AFTER UPDATE ON casework_disputecase FOR EACH ROW
WHEN (OLD.registered_at IS DISTINCT FROM NEW.registered_at OR OLD.subdistrict_id IS DISTINCT FROM NEW.subdistrict_id
      OR OLD.community_id IS DISTINCT FROM NEW.community_id OR OLD.category_id IS DISTINCT FROM NEW.category_id)
EXECUTE FUNCTION fengqiao_summary_case()""",
    ]


def kept(using: str = "default") -> bool:
    """Is the table kept by triggers on this database (PostgreSQL)?"""
    return connections[using].vendor == "postgresql"


def install(using: str = "default") -> bool:
    """(Re)install the functions and triggers; False where the table is not kept (SQLite)."""
    target = connections[using]
    if target.vendor != "postgresql":
        return False
    tables = set(target.introspection.table_names())
    if not {TABLE, "casework_caseevent", "casework_disputecase", "mediation_mediator"} <= tables:
        return False
    with target.cursor() as cursor:
        for statement in function_sql():
            cursor.execute(statement)
    return True


def install_after_migrate(app_config) -> None:
    def receiver(sender, using="default", **kwargs):
        install(using)

    post_migrate.connect(receiver, sender=app_config, weak=False, dispatch_uid="reports:summary")


# ---------------------------------------------------------------------------
# Reconciliation: every month recomputed from the cases, compared cell by cell.


def _expected_sql() -> str:
    conclusions = _names(CONCLUSION_NAMES)
    return f"""
SELECT r.month, c.subdistrict_id, c.community_id, c.category_id, r.measure, r.outcome, r.third_party, sum(r.n)
FROM casework_disputecase c CROSS JOIN LATERAL fengqiao_summary_rows(c.id, c.registered_at, '{{}}'::bigint[]) r
WHERE c.id IN (
    SELECT id FROM casework_disputecase WHERE registered_at >= %(start)s AND registered_at < %(end)s
    UNION
    SELECT case_id FROM casework_caseevent WHERE name IN ({conclusions}) AND at >= %(start)s AND at < %(end)s
) AND r.month = %(month)s
GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(r.n) <> 0"""


def _month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return (
        timezone.make_aware(dt.datetime.combine(month, dt.time.min)),
        timezone.make_aware(dt.datetime.combine(following, dt.time.min)),
    )


def months_to_check(since: dt.date | None = None) -> list[dt.date]:
    """Every month that has cases, events or counts, from the first to this one (or from `since`)."""
    tz = settings.TIME_ZONE
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT min(m) FROM (
                SELECT min(date_trunc('month', registered_at AT TIME ZONE %s))::date AS m FROM casework_disputecase
                UNION ALL SELECT min(month) FROM {TABLE}) x""",
            [tz],
        )
        first = cursor.fetchone()[0]
    if first is None:
        return []
    last = timezone.localdate().replace(day=1)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT max(month) FROM {TABLE}")
        last = max(last, cursor.fetchone()[0] or last)
    if since:
        first = max(first, since.replace(day=1))
    months = []
    while first <= last:
        months.append(first)
        first = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return months


def reconcile_month(month: dt.date, *, fix: bool = False) -> list[tuple]:
    """The differences of one month: (cell, counted, expected) for every cell that disagrees.
    With `fix`, the month's counts are rewritten from the cases (writers wait for that moment)."""
    start, end = _month_bounds(month)
    with transaction.atomic(), connection.cursor() as cursor:
        # Writers hold ROW EXCLUSIVE until they commit: this waits for them and keeps new ones out,
        # so the counts and the cases are compared as of one moment.
        cursor.execute(f"LOCK TABLE {TABLE} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(_expected_sql(), {"start": start, "end": end, "month": month})
        expected = {tuple(row[:7]): row[7] for row in cursor.fetchall()}
        cursor.execute(f"SELECT {', '.join(CELL)}, count FROM {TABLE} WHERE month = %s AND count <> 0", [month])
        counted = {tuple(row[:7]): row[7] for row in cursor.fetchall()}
        differences = [
            (cell, counted.get(cell, 0), expected.get(cell, 0))
            for cell in sorted(set(expected) | set(counted), key=str)
            if counted.get(cell, 0) != expected.get(cell, 0)
        ]
        if fix and differences:
            cursor.execute(f"DELETE FROM {TABLE} WHERE month = %s", [month])
            cursor.executemany(
                f"INSERT INTO {TABLE} ({', '.join(CELL)}, count) VALUES ({', '.join(['%s'] * 8)})",
                [(*cell, n) for cell, n in sorted(expected.items(), key=lambda item: str(item[0]))],
            )
    return differences


def reconcile(
    *, fix: bool = False, since: dt.date | None = None, progress: Callable[[dt.date, int], None] | None = None
) -> list[tuple]:
    """Every month checked (and with `fix` rewritten) one after another, each committed on its own:
    an interrupted run resumes from the month it reached (`since`)."""
    if not kept():
        return []
    differences = []
    for month in months_to_check(since):
        found = reconcile_month(month, fix=fix)
        differences += found
        if progress:
            progress(month, len(found))
    if differences:
        logger.error("monthly summary: %d cells differed from the cases%s", len(differences), " (fixed)" * fix)
    return differences


def rebuild(using: str = "default") -> None:
    """Install the triggers and fill the table from every case at once (the migration that made it)."""
    if not install(using):
        return
    with connections[using].cursor() as cursor:
        cursor.execute(f"LOCK TABLE {TABLE} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {TABLE}")
        cursor.execute(
            f"""INSERT INTO {TABLE} ({", ".join(CELL)}, count)
            SELECT r.month, c.subdistrict_id, c.community_id, c.category_id, r.measure, r.outcome, r.third_party,
                   sum(r.n)
            FROM casework_disputecase c
            CROSS JOIN LATERAL fengqiao_summary_rows(c.id, c.registered_at, '{{}}'::bigint[]) r
            GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(r.n) <> 0"""
        )
        # Statistics now, or the planner guesses a handful of rows and reads the heap (autovacuum
        # later sets the visibility map the report's index-only reads want).
        cursor.execute(f"ANALYZE {TABLE}")


def uninstall(using: str = "default") -> None:
    """Drop the triggers (the migration undone: the table goes with it)."""
    if connections[using].vendor != "postgresql":
        return
    with connections[using].cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS fengqiao_summary_event ON casework_caseevent")
        cursor.execute("DROP TRIGGER IF EXISTS fengqiao_summary_case ON casework_disputecase")
        cursor.execute("DROP TRIGGER IF EXISTS fengqiao_summary_case_moved ON casework_disputecase")
        cursor.execute("DROP TRIGGER IF EXISTS fengqiao_summary_case_gone ON casework_disputecase")
        cursor.execute("DROP TRIGGER IF EXISTS fengqiao_summary_mediator ON mediation_mediator")
