"""How the services write: at once (a click), or collected and sent in bulk (many new cases).

Replaying a paper ledger's history (ledger) calls the services some ten times per
case, and each call costs a handful of round trips: a 10,000-row ledger would take minutes.
Inside `deferred_writes()` the services run exactly as they do for a click — the same
permission checks, FSM transitions, validations, deadlines, warning flags and events —
but the rows they would INSERT, and the updates they would make to a case created inside
the block, are kept in memory and written by `flush()` with one bulk INSERT per table.

Primary keys are reserved from the tables' own sequences when an object is added, so a
service can still put a session's id into its event. A case created here keeps its
parties, co-mediators and conflict declarations in memory (`DisputeCase.related()` reads
them from there) until they are written.

Nothing is written behind the block's back: while it is open, an INSERT, UPDATE or DELETE
that does not come from the block itself (a service calling `.save()` or
`objects.create()` instead of `save_new`) is refused with RuntimeError. Only cases created
inside the block may change in it: a deferred write to any other case would be silently
lost, so it is refused; and the services that change rows which already exist (escalate,
reassign, extend, 回避 declarations, judicial confirmation) refuse to run in the block at
all (`refuse_deferred`). tests/casework/test_writes.py keeps these rules.
"""

import datetime as dt
from collections import defaultdict
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar

from django.db import connection, transaction

from common.prepared import detach

from . import calendar, versions
from .models import CaseNumberCounter, DisputeCase, Party

_current: ContextVar["DeferredWrites | None"] = ContextVar("fengqiao_deferred_writes", default=None)

# Keys drawn from a sequence per round trip.
_ID_BLOCK = 1000
_RELATIONS = ("parties", "co_mediators", "conflicts")
_WRITES = ("INSERT", "UPDATE", "DELETE")


def current() -> "DeferredWrites | None":
    return _current.get()


def refuse_deferred() -> None:
    """For a service whose writes are not collected (it changes rows that already exist): refuse
    to run among deferred writes rather than write behind their back."""
    if current() is not None:
        raise RuntimeError("This service does not run among deferred writes.")


def atomic():
    """A service's transaction; while writes are only collected there is nothing in it to undo."""
    return nullcontext() if current() is not None else transaction.atomic()


def save_new(obj):
    """Insert `obj` now, or when the deferred writes are flushed."""
    pending = current()
    if pending is None:
        obj.save()
    else:
        pending.add(obj)
    return obj


def save_new_many(objs: list) -> list:
    pending = current()
    if pending is None:
        return type(objs[0]).objects.bulk_create(objs) if objs else objs
    for obj in objs:
        pending.add(obj)
    return objs


def set_co_mediators(case, mediators) -> None:
    pending = current()
    if pending is None:
        case.co_mediators.set(mediators)
        detach(case, "co_mediators")
    else:
        pending.set_co_mediators(case, mediators)


@contextmanager
def deferred_writes():
    """Collect the services' writes for new cases; flush them on a clean exit (inside one transaction)."""
    if current() is not None:
        raise RuntimeError("Deferred writes do not nest.")
    pending = DeferredWrites()
    with transaction.atomic(), calendar.preloaded(), connection.execute_wrapper(pending.refuse_other_writes):
        token = _current.set(pending)
        try:
            yield pending
        finally:
            _current.reset(token)
        pending.flush()


class DeferredWrites:
    def __init__(self):
        self.objects: dict[type, list] = defaultdict(list)
        self.co_mediator_rows: list = []
        self.cases: dict[int, DisputeCase] = {}
        self.counters: dict[tuple[int, int], CaseNumberCounter] = {}
        self._counted_from: dict[tuple[int, int], int] = {}
        self._ids: dict[type, list[int]] = defaultdict(list)
        # Parties by ID number and phone -> when their cases were registered: the DB's (preloaded)
        # and this block's, flushed or not, for the repeat-dispute warning.
        self._party_cases: dict[tuple[str, str], list[tuple[int, dt.datetime]]] = defaultdict(list)
        self._preloaded: set[tuple[str, str]] = set()
        self._writing = False

    # Nothing else writes

    @contextmanager
    def writing(self):
        """The block's own writes (the counters, the keys, the flush): the only ones let through."""
        writing, self._writing = self._writing, True
        try:
            yield
        finally:
            self._writing = writing

    def refuse_other_writes(self, execute, sql, params, many, context):
        """A database execute wrapper: refuses the writes that do not come from the block itself."""
        if not self._writing and sql.lstrip()[:6].upper() in _WRITES:
            raise RuntimeError(f"A write behind the deferred writes' back (use casework.writes): {sql[:120]}")
        return execute(sql, params, many, context)

    # Collecting

    def add(self, obj):
        model = type(obj)
        if obj.pk is None:
            obj.pk = self._next_id(model)
        self.objects[model].append(obj)
        if model is DisputeCase:
            self.cases[obj.pk] = obj
            obj.unwritten_relations = {name: [] for name in _RELATIONS}
        elif getattr(obj, "case_id", None) in self.cases:
            related = model._meta.get_field("case").remote_field.related_name
            relations = obj.case.unwritten_relations
            if related in relations:
                relations[related].append(obj)
            if related == "parties":
                self._index_party(obj, obj.case)
        return obj

    def require(self, case) -> None:
        """Refuse a deferred change to a case that was not created in this block (it would be lost)."""
        if self.cases.get(case.pk) is not case:
            raise RuntimeError(f"Case {case.pk} was not created in these deferred writes.")

    def set_co_mediators(self, case, mediators) -> None:
        self.require(case)
        through = DisputeCase.co_mediators.through
        self.co_mediator_rows = [r for r in self.co_mediator_rows if r.disputecase_id != case.pk]
        self.co_mediator_rows.extend(through(disputecase_id=case.pk, mediator_id=m.pk) for m in mediators)
        case.unwritten_relations["co_mediators"] = list(mediators)

    def counter(self, subdistrict, year: int) -> CaseNumberCounter:
        """The subdistrict's numbering for the year, locked once and counted in memory until the flush."""
        key = (subdistrict.pk, year)
        if key not in self.counters:
            with self.writing():
                self.counters[key], _created = CaseNumberCounter.objects.select_for_update().get_or_create(
                    subdistrict=subdistrict, year=year
                )
            self._counted_from[key] = self.counters[key].last_number
        return self.counters[key]

    def claim(self, case, *, increments, cleared) -> None:
        """What a conditional UPDATE (apply_transition's, add_record's) does, to a case that exists only here so far."""
        self.require(case)
        for name in increments:
            setattr(case, name, getattr(case, name) + 1)
        for name in cleared:
            setattr(case, name, None)

    def _next_id(self, model) -> int:
        ids = self._ids[model]
        if not ids:
            with self.writing():
                ids.extend(reversed(_reserve_ids(model, _ID_BLOCK)))
        return ids.pop()

    # The repeat-dispute warning

    def preload_parties(self, id_numbers, phones) -> None:
        """Read once the registrations of every party about to be named, instead of once per case."""
        wanted = {("id", v) for v in id_numbers if v} | {("phone", v) for v in phones if v}
        wanted -= self._preloaded
        by_kind = defaultdict(list)
        for kind, value in wanted:
            by_kind[kind].append(value)
        for kind, field in (("id", "id_number"), ("phone", "phone")):
            # Looked up by blind index (the values are sealed), answered by value.
            values = {Party.index_of(field, value): value for value in by_kind[kind]}
            indexes = list(values)
            for start in range(0, len(indexes), 5000):
                rows = Party.objects.filter(**{f"{field}_index__in": indexes[start : start + 5000]}).values_list(
                    f"{field}_index", "case_id", "case__registered_at"
                )
                for index, case_id, registered_at in rows:
                    self._party_cases[(kind, values[index])].append((case_id, registered_at))
        self._preloaded |= wanted

    def _index_party(self, party, case) -> None:
        for key in (("id", party.id_number), ("phone", party.phone)):
            if key[1]:
                self._party_cases[key].append((case.pk, case.registered_at))

    def has_prior_case(self, *, id_numbers, phones, since: dt.datetime, until: dt.datetime) -> bool:
        """The in-memory form of selectors.prior_cases_of_parties(...).filter(registered_at__lte=until).exists()."""
        keys = [("id", v) for v in id_numbers if v] + [("phone", v) for v in phones if v]
        missing = [k for k in keys if k not in self._preloaded]
        if missing:
            self.preload_parties([v for k, v in missing if k == "id"], [v for k, v in missing if k == "phone"])
        return any(since <= registered_at <= until for key in keys for _case, registered_at in self._party_cases[key])

    # Rows that fail

    @contextmanager
    def row(self):
        """One case's writes: all kept, or, when a service refuses, none (the counters too)."""
        mark = {model: len(objs) for model, objs in self.objects.items()}
        through, numbers = list(self.co_mediator_rows), {k: c.last_number for k, c in self.counters.items()}
        try:
            yield
        except BaseException:
            for model, objs in self.objects.items():
                dropped = objs[mark.get(model, 0) :]
                del objs[mark.get(model, 0) :]
                if model is DisputeCase:
                    for case in dropped:
                        del self.cases[case.pk]
                        self._forget_parties(case)
            self.co_mediator_rows = through
            for key, counter in self.counters.items():
                counter.last_number = numbers.get(key, self._counted_from[key])
            raise

    def _forget_parties(self, case) -> None:
        for party in case.unwritten_relations["parties"]:
            for key in (("id", party.id_number), ("phone", party.phone)):
                found = self._party_cases.get(key, [])
                found[:] = [f for f in found if f[0] != case.pk]

    # Writing

    def flush(self) -> None:
        """Write what has been collected (cases first), then start afresh for the next cases."""
        with self.writing():
            for model, objs in self.objects.items():
                model.objects.bulk_create(objs, batch_size=2000)
            if self.co_mediator_rows:
                DisputeCase.co_mediators.through.objects.bulk_create(self.co_mediator_rows, batch_size=2000)
            for counter in self.counters.values():
                counter.save(update_fields=["last_number"])
        for case in self.cases.values():
            # As a case read back from the table: its relations from the database from now on.
            case.unwritten_relations = None
        self.objects.clear()
        self.co_mediator_rows = []
        self.cases = {}
        # The flushed rows' events were recorded without touching the cases' version: once for all.
        versions.cases_changed()


def _reserve_ids(model, count: int) -> list[int]:
    """`count` primary keys nobody else will be given, from the table's own sequence."""
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, count]
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite (`make run`): Django's keys are AUTOINCREMENT, so new rows are numbered above
        # sqlite_sequence, which moving takes the database's write lock until the transaction ends.
        quoted, key = connection.ops.quote_name(table), connection.ops.quote_name(column)
        cursor.execute(
            "INSERT INTO sqlite_sequence (name, seq) SELECT %s, 0 "
            "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = %s)",
            [table, table],
        )
        cursor.execute(
            f"UPDATE sqlite_sequence SET seq = MAX(seq, (SELECT COALESCE(MAX({key}), 0) FROM {quoted})) + %s "
            "WHERE name = %s RETURNING seq",
            [count, table],
        )
        last = cursor.fetchone()[0]
        return list(range(last - count + 1, last + 1))
