"""A large bench load as copies of a smaller one, made inside PostgreSQL.

The Python generator writes a few hundred cases a second here (the transition events most of all):
ten million would take most of a day. A load of `size` cases is instead the generator's load
of `base` cases followed by copies of it: each copy is the same cases in the same places, with the
same dates, statuses, parties and events, under new ids (shifted by a multiple of `base`) and new
case numbers (each subdistrict's yearly counter runs on), so the busy centre keeps its share and
every distribution its shape. Sealed party values and their blind indexes are copied as they are:
the key is the same. The events are linked into the audit chain as the application links them, and
the reports' summary triggers stay on, so the monthly counts follow the copies as they would any
bulk insert (`manage.py reconcile_summary` checks them).

A copy is one transaction: an interrupted load resumes at the first copy not yet committed. The
base's events are read once and held (a few hundred bytes each): a base of tens of thousands of
cases, copied many times, not millions.
"""

import json
import sys
import time

from django.db import connection, transaction

# Base events read and written per statement (one COPY each) within a copy's transaction.
EVENT_BATCH = 100_000


def _base_range() -> tuple[int, int, int]:
    """(first id, last id, count) of the bench cases in the database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(MIN(id), 0), COALESCE(MAX(id), 0), COUNT(*) FROM casework_disputecase "
            "WHERE external_ref LIKE 'bench-%%'"
        )
        return cursor.fetchone()


def multiply(size: int, base: int) -> int:
    """Grow a bench load of `base` cases (ids contiguous, nothing else after them) to `size` by
    copies of it; resumes after the copies already committed. The number of copies written."""
    if size % base:
        raise SystemExit(f"{size:,} is not a multiple of the base load's {base:,} cases")
    first, last, count = _base_range()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM casework_disputecase")
        (highest,) = cursor.fetchone()
    if count % base or last - first + 1 != count or highest != last:
        raise SystemExit(
            f"the bench cases are not whole copies of {base:,} contiguous ones "
            f"({count:,} cases, ids {first:,}…{last:,}, highest id {highest:,}): start from a base load"
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM casework_party WHERE case_id BETWEEN %s AND %s "
            "AND (supersedes_id IS NOT NULL OR corrected_by_id IS NOT NULL))",
            [first, first + base - 1],
        )
        (corrected,) = cursor.fetchone()
    if corrected:
        raise SystemExit("the base load has corrected parties: copies would point at the base's")
    copies = size // base
    done = count // base
    if done < copies:
        set_indexes_aside()
    started = time.monotonic()
    templates = []  # the base's events, read once
    for k in range(done, copies):
        _copy(k, first, base, templates)
        elapsed = time.monotonic() - started
        rate = (k + 1 - done) * base / elapsed
        left = (copies - k - 1) * base / rate
        sys.stdout.write(f"\r  copies: {k + 1:>4}/{copies} ({(k + 1) * base:,} cases, {rate:,.0f} cases/s, ")
        sys.stdout.write(f"~{left / 60:,.0f} min left)")
        sys.stdout.flush()
    if copies > done:
        sys.stdout.write("\n")
    restore_indexes()
    return copies - done


# Where the definitions of the indexes set aside during a load are kept until they are built again.
ASIDE = "bench_index_aside"
TABLES = ("casework_disputecase", "casework_party", "casework_caseevent")


def set_indexes_aside() -> None:
    """Drop the copied tables' secondary indexes, keeping their definitions, before the copies.

    Each copy has the same dates, places and numbers as the base: its keys land all over every such
    index, so that updating them costs more with every copy (the table's insert took three times as
    long at half a million cases as at a hundred thousand). Built once at the end from the sorted
    rows instead, they cost a scan of each table. Kept: the primary and unique keys (they refuse a
    wrong copy), and the indexes on an event's or a party's case, which the summary triggers and
    the copies themselves look rows up by (new case ids only ever add to their end)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {ASIDE} (name text PRIMARY KEY, definition text NOT NULL)")
        cursor.execute(
            f"""SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
            WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary AND NOT i.indisunique
            AND NOT (a.attname = 'case_id' AND i.indrelid <> 'casework_disputecase'::regclass)
            AND c.relname NOT IN (SELECT name FROM {ASIDE})""",
            [list(TABLES)],
        )
        for name, definition in cursor.fetchall():
            cursor.execute(f"INSERT INTO {ASIDE} (name, definition) VALUES (%s, %s)", [name, definition])
            cursor.execute(f'DROP INDEX "{name}"')


def restore_indexes() -> None:
    """Build again every index set aside (each committed on its own: an interrupted build resumes)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [ASIDE])
        if not cursor.fetchone()[0]:
            return
        cursor.execute(f"SELECT name, definition FROM {ASIDE} ORDER BY name")
        aside = cursor.fetchall()
    started = time.monotonic()
    for n, (name, definition) in enumerate(aside, start=1):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
            cursor.execute(definition)
            cursor.execute(f"DELETE FROM {ASIDE} WHERE name = %s", [name])
        sys.stdout.write(f"\r  indexes built again: {n}/{len(aside)} ({time.monotonic() - started:,.0f} s)")
        sys.stdout.flush()
    if aside:
        sys.stdout.write("\n")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {ASIDE}")


def _copy(k: int, first: int, base: int, templates: list) -> None:
    """Copy k (1, 2, …) of the base cases, their parties and their events, in one transaction."""
    from casework.models import DisputeCase, Party

    shift = k * base
    low, high = first, first + base - 1
    case_columns = [f.column for f in DisputeCase._meta.concrete_fields if not f.primary_key]
    renumbered = {
        "number": (
            "split_part(d.number, '-', 1) || '-' || d.year || '-' || "
            "lpad((split_part(d.number, '-', 3)::int + %(k)s * c.last)::text, "
            "greatest(6, length((split_part(d.number, '-', 3)::int + %(k)s * c.last)::text)), '0')"
        ),
        "external_ref": "'bench-' || (d.id + %(shift)s)",
    }
    selected = ", ".join(renumbered.get(c, f"d.{connection.ops.quote_name(c)}") for c in case_columns)
    party_columns = [f.column for f in Party._meta.concrete_fields if not f.primary_key]
    party_selected = ", ".join("p.case_id + %(shift)s" if c == "case_id" else f"p.{c}" for c in party_columns)
    params = {"k": k, "shift": shift, "low": low, "high": high}
    # Each subdistrict's yearly numbering in the base: copy k numbers on from k times its last.
    counters = (
        "WITH c AS (SELECT subdistrict_id, year, MAX(split_part(number, '-', 3)::int) AS last "
        "FROM casework_disputecase WHERE id BETWEEN %(low)s AND %(high)s GROUP BY subdistrict_id, year) "
    )
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            # A copy's rows name the same places, people and cases as the base's rows they copy, which
            # their foreign keys checked when the base was written: checking each again (a look-up per
            # row at commit) would be most of a copy's time. Only those checks are lifted, only inside
            # this transaction; the append-only and the summary triggers run as for any insert.
            checks = _foreign_key_checks(cursor)
            for table, trigger in checks:
                cursor.execute(f'ALTER TABLE {table} DISABLE TRIGGER "{trigger}"')
            quoted = ", ".join(connection.ops.quote_name(c) for c in case_columns)
            cursor.execute(
                f"INSERT INTO casework_disputecase (id, {quoted}) "
                f"{counters}SELECT d.id + %(shift)s, {selected} FROM casework_disputecase d "
                "JOIN c ON c.subdistrict_id = d.subdistrict_id AND c.year = d.year "
                "WHERE d.id BETWEEN %(low)s AND %(high)s ORDER BY d.id",
                params,
            )
            cursor.execute(
                f"INSERT INTO casework_party ({', '.join(party_columns)}) SELECT {party_selected} "
                "FROM casework_party p WHERE p.case_id BETWEEN %(low)s AND %(high)s ORDER BY p.id",
                params,
            )
            cursor.execute(
                f"{counters}INSERT INTO casework_casenumbercounter (subdistrict_id, year, last_number) "
                "SELECT subdistrict_id, year, (%(k)s + 1) * last FROM c "
                "ON CONFLICT (subdistrict_id, year) DO UPDATE SET last_number = GREATEST("
                "casework_casenumbercounter.last_number, EXCLUDED.last_number)",
                params,
            )
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('casework_disputecase', 'id'), %(high)s + %(shift)s)", params
            )
        _copy_events(shift, low, high, templates)
        with connection.cursor() as cursor:
            for table, trigger in checks:
                cursor.execute(f'ALTER TABLE {table} ENABLE TRIGGER "{trigger}"')


def _foreign_key_checks(cursor) -> list[tuple[str, str]]:
    """The insert-side foreign key check triggers of the tables a copy writes."""
    cursor.execute(
        "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE tgisinternal "
        "AND tgfoid = 'pg_catalog.\"RI_FKey_check_ins\"'::regproc "
        "AND tgrelid IN ('casework_disputecase'::regclass, 'casework_party'::regclass, "
        "'casework_caseevent'::regclass)"
    )
    return cursor.fetchall()


def _copy_events(shift: int, low: int, high: int, templates: list) -> None:
    """The base cases' events again, for the copied cases, in the base's chain order, each linked
    into the chain after the last as common.chain links them (its digest of the same fields)."""
    from casework.models import CaseEvent
    from common import chain, crypto

    from .generate import EVENT_COLUMNS

    if not templates:
        templates.extend(_event_templates(low, high))
    seq, previous = chain.locked_head(CaseEvent)
    for start in range(0, len(templates), EVENT_BATCH):
        lines = []
        for case_id, before, between, after, copied in templates[start : start + EVENT_BATCH]:
            seq += 1
            case = str(case_id + shift)
            previous = crypto.sm3_hex(f"{previous}\n{before}{case}{between}{seq}{after}".encode())
            lines.append(f"{case}\t{copied}\t{seq}\t{previous}\n")
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY casework_caseevent ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy:
                copy.write("".join(lines).encode())


# Stand-ins for the two fields a copied event changes, cut out of its hashed text.
_CASE, _SEQ = 7_777_777_777_777_771, 7_777_777_777_777_772


def _event_templates(low: int, high: int) -> list:
    """Each base event in chain order: (case id, its hashed text before the case id, between the case
    id and its place in the chain, after that, its other columns as COPY text)."""
    from casework.models import CaseEvent
    from common import chain

    from .generate import EVENT_COLUMNS

    columns = [c for c in EVENT_COLUMNS if c not in ("chain_seq", "chain_hash")]
    fields = [f.attname for f in CaseEvent._meta.concrete_fields if not f.primary_key and f.attname != "chain_hash"]
    if sorted(fields) != sorted([*columns, "chain_seq"]):
        raise SystemExit(f"the events' fields changed ({fields}): the copy must write them all")
    out = []
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM casework_caseevent WHERE case_id BETWEEN %s AND %s ORDER BY chain_seq",
            [low, high],
        )
        for row in cursor.fetchall():
            values = dict(zip(columns, row, strict=True))
            if isinstance(values["data"], str):  # jsonb may come back as its text
                values["data"] = json.loads(values["data"])
            hashed = dict(values, at=chain.canonical(values["at"]), case_id=_CASE, chain_seq=_SEQ)
            content = chain.hashed_text(hashed)
            before, rest = content.split(str(_CASE))
            between, after = rest.split(str(_SEQ))
            copied = "\t".join(
                _copy_text(v)
                for v in (
                    values["at"].isoformat(),
                    values["actor_id"],
                    values["name"],
                    values["from_status"],
                    values["to_status"],
                    values["note"],
                    json.dumps(values["data"], ensure_ascii=False),
                    "t" if values["imported"] else "f",
                )
            )
            out.append((values["case_id"], before, between, after, copied))
    return out


def _copy_text(value) -> str:
    """A value as COPY's text format writes it."""
    if value is None:
        return "\\N"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.multiply", description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, required=True, help="cases wanted in all")
    parser.add_argument("--base", type=int, required=True, help="cases generated one by one, then copied")
    args = parser.parse_args(argv)
    generate(args.size, base=args.base)


if __name__ == "__main__":
    import bench.run  # noqa: F401  (the bench's settings, Django set up)
    from bench.generate import generate

    main()
