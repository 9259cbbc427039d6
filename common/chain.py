"""Tamper-evident audit trails: each row of a chained table carries an SM3 hash of its content and of
the hash of the row before it (docs/security.md, "What the audit chain proves").

A row's place in its chain (`chain_seq`) and its hash are given inside the insert's transaction,
under a PostgreSQL advisory lock per table held until that transaction ends, so two transactions
inserting at once cannot both take the same predecessor: the chain never forks, and a unique
constraint on `chain_seq` would refuse a fork if it ever were tried. Bulk inserts (the ledger
import's deferred writes) are chained the same way, row by row in the order given.

`verify(model)` walks a chain in order and names the first link that does not hold: content
changed after the insert, a row deleted (a gap in the places) or a row slipped in without a link.
"""

import datetime as dt
import json
from dataclasses import dataclass

from django.db import connection, models, transaction

from .crypto import sm3_hex

GENESIS = "0" * 64


class ChainedQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            link(self.model, [obj for obj in objs if obj.chain_seq is None])
            return super().bulk_create(objs, *args, **kwargs)


class ChainedModel(models.Model):
    """An append-only table whose rows are linked by SM3 hashes in insertion order."""

    chain_seq = models.BigIntegerField(null=True, editable=False, unique=True)
    chain_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            return super().save(*args, **kwargs)
        # The lock must last until the insert's transaction ends: one is begun if there is none,
        # and none is nested (no savepoint) when there is.
        with transaction.atomic(using=kwargs.get("using"), savepoint=False):
            if self.chain_seq is None:
                link(type(self), [self])
            return super().save(*args, **kwargs)


def _lock_key(table: str) -> int:
    # A signed 64-bit key per table, the same in every process.
    return int(sm3_hex(f"fengqiao-chain:{table}".encode())[:16], 16) - 2**63


def canonical(value):
    """A value as the hash covers it: moments in UTC, dates and moments as ISO text."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def fields_of(obj) -> dict:
    """What a row's hash covers: every stored field but its id and its hash, by name, as JSON values."""
    fields = {}
    for field in type(obj)._meta.concrete_fields:
        if field.primary_key or field.attname == "chain_hash":
            continue
        value = getattr(obj, field.attname)
        if isinstance(field, models.JSONField):
            # As the database gives it back: tuples are lists, keys in any order.
            value = json.loads(json.dumps(value, cls=field.encoder))
        elif isinstance(field, models.GenericIPAddressField) and value:
            value = field.to_python(value)
        fields[field.attname] = canonical(value)
    # Anything else (an IP address object) as its text, so the fields read back from an archive are equal.
    return json.loads(json.dumps(fields, default=str))


def hashed_text(fields: dict) -> str:
    """The text of a row's fields that its hash covers (after its predecessor's hash and a newline)."""
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def digest_fields(previous: str, fields: dict) -> str:
    return sm3_hex(previous.encode() + b"\n" + hashed_text(fields).encode())


def digest(previous: str, obj) -> str:
    return digest_fields(previous, fields_of(obj))


def head(model) -> tuple[int, str]:
    """The last link: (its place, its hash), or (0, GENESIS) for an empty chain."""
    last = (
        model._base_manager.filter(chain_seq__isnull=False)
        .order_by("-chain_seq")
        .values_list("chain_seq", "chain_hash")
    )
    return last.first() or (0, GENESIS)


def locked_head(model) -> tuple[int, str]:
    """Take the table's chain lock, then read the head, in one round trip: two statements sent together
    (no parameters: the key is our own integer), the second run after the first, with a snapshot of
    its own, so it sees every link committed before the lock was granted."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    seq, digest_column = quote(model._meta.get_field("chain_seq").column), quote("chain_hash")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT pg_advisory_xact_lock({int(_lock_key(model._meta.db_table))}); "
            f"SELECT {seq}, {digest_column} FROM {table} WHERE {seq} IS NOT NULL ORDER BY {seq} DESC LIMIT 1"
        )
        cursor.nextset()
        row = cursor.fetchone()
    return (row[0], row[1]) if row else (0, GENESIS)


def link(model, objs) -> None:
    """Give `objs` (about to be inserted, in this order) their places and hashes. Call inside the
    transaction that inserts them: the lock is held until it ends."""
    if not objs:
        return
    if connection.vendor == "postgresql":
        seq, previous = locked_head(model)
    else:
        # SQLite (`make run`) takes the database's write lock for the whole transaction anyway.
        seq, previous = head(model)
    for obj in objs:
        seq += 1
        obj.chain_seq = seq
        obj.chain_hash = previous = digest(previous, obj)


@dataclass
class Verdict:
    checked: int
    broken: str = ""


def verify(model, *, batch_size: int = 2000) -> Verdict:
    """Walk the chain of `model` in order; the first link that does not hold, named, or none."""
    label = model._meta.label_lower
    unlinked = model._base_manager.filter(chain_seq__isnull=True).order_by("pk").values_list("pk", flat=True).first()
    if unlinked is not None:
        return Verdict(
            0, f"{label} id {unlinked}: a row without a place in the chain (inserted around the application)"
        )
    previous, expected, checked = GENESIS, 1, 0
    while True:
        rows = list(model._base_manager.filter(chain_seq__gte=expected).order_by("chain_seq")[:batch_size])
        if not rows:
            return Verdict(checked)
        for obj in rows:
            if obj.chain_seq != expected:
                return Verdict(
                    checked, f"{label} link {expected}: missing (deleted?); the chain resumes at link {obj.chain_seq}"
                )
            if obj.chain_hash != digest(previous, obj):
                return Verdict(
                    checked,
                    f"{label} link {expected} (id {obj.pk}): its content or hash was changed after it was written",
                )
            previous, expected, checked = obj.chain_hash, expected + 1, checked + 1


def link_existing(model, *, batch_size: int = 2000) -> None:
    """For a migration: chain the rows already in `model`'s table, in id order (their insertion order
    as far as it can be known), lifting its append-only triggers only while it does so.

    All of the table's own triggers, not one by name: the append-only guards are installed by more
    than one hand (a migration's, and the record tables' reinstalled after every migrate), and a
    database migrated backwards and forwards again already has them all."""
    table = connection.ops.quote_name(model._meta.db_table)
    postgres = connection.vendor == "postgresql"
    with transaction.atomic():
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        last = 0
        while True:
            rows = list(model._base_manager.filter(pk__gt=last, chain_seq__isnull=True).order_by("pk")[:batch_size])
            if not rows:
                break
            link(model, rows)
            model._base_manager.bulk_update(rows, ["chain_seq", "chain_hash"])
            last = rows[-1].pk
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def chained_models():
    from django.apps import apps

    return [model for model in apps.get_models() if issubclass(model, ChainedModel)]


def archive_rows(model, *, until=None, batch_size: int = 2000):
    """The rows of `model`'s chain from its first link, in order (those before `until`, a datetime, when given):
    what an archive holds, each with its place, its hash and the fields the hash covers."""
    label = model._meta.label_lower
    last = 0
    while True:
        rows = list(model._base_manager.filter(chain_seq__gt=last).order_by("chain_seq")[:batch_size])
        for obj in rows:
            if until is not None and obj.at >= until:
                return
            yield {"table": label, "seq": obj.chain_seq, "hash": obj.chain_hash, "fields": fields_of(obj)}
        if not rows:
            return
        last = rows[-1].chain_seq


def verify_archive(lines) -> tuple[dict[str, int], str]:
    """Check an archive (JSON lines from `archive_rows`) link by link, and against the live chain where
    they overlap: ({table: links checked}, the first problem or "")."""
    by_label = {m._meta.label_lower: m for m in chained_models()}
    state: dict[str, tuple[int, str]] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        label = row["table"]
        seq, previous = state.get(label, (0, GENESIS))
        if row["seq"] != seq + 1:
            return _counts(state), f"line {number}: {label} link {seq + 1} missing from the archive"
        if digest_fields(previous, row["fields"]) != row["hash"]:
            return _counts(state), f"line {number}: {label} link {row['seq']} does not hold in the archive"
        state[label] = (row["seq"], row["hash"])
    for label, (seq, last) in state.items():
        live = by_label[label]._base_manager.filter(chain_seq=seq).values_list("chain_hash", flat=True).first()
        if live is not None and live != last:
            return _counts(state), f"{label} link {seq}: the archive and the database disagree"
    return _counts(state), ""


def _counts(state) -> dict[str, int]:
    return {label: seq for label, (seq, _hash) in state.items()}
