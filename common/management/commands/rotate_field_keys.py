"""Re-seal every sealed value under the current field key; with --reindex, recompute every blind
index under the current index key instead.

Put the new key first in FENGQIAO_FIELD_KEYS (the old one after it), restart the web and the
workers, then run this. It works online: a row is readable under either key id until its turn,
and each batch is one short transaction holding only its own rows. It is resumable: the rows still
to do are found from the key ids stored beside the ciphertexts, so a run cut short (killed, a
lost connection) is simply run again. At the end it reads every row back and checks that every
value opens and is under the current key; only then may the old key be removed.

The blind-index key has no id beside the indexes: after it is replaced, `--reindex` recomputes each
row's indexes in batches, writing only the rows whose index differs, so a run cut short is simply
run again and does only what is left. Until it ends an exact search misses the rows not yet done.
It ends by checking that every index is its value's under the current key.
"""

import time

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from common import crypto
from common.fields import BlindIndexField, SealedField


def models_with(field_class):
    """(model, its fields of `field_class`) for every model that has any."""
    found = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, field_class)]
        if fields:
            found.append((model, fields))
    return found


def _stale_indexes(rows, fields) -> list:
    """The rows whose indexes are not their values' under the current index key, put right in memory."""
    stale = []
    for row in rows:
        fresh = {f.attname: f.for_value(getattr(row, f.source)) for f in fields}
        if any(getattr(row, name) != value for name, value in fresh.items()):
            for name, value in fresh.items():
                setattr(row, name, value)
            stale.append(row)
    return stale


def _stale_condition(fields) -> str:
    quote = connection.ops.quote_name
    return " OR ".join(f"({quote(f.column)} <> '' AND {quote(f.column)} NOT LIKE %s ESCAPE '\\')" for f in fields)


def _current_prefix(current: str) -> str:
    """LIKE pattern of a value sealed under `current` (key ids may hold `_`, a LIKE wildcard)."""
    return current.replace("_", "\\_") + crypto.SEPARATOR + "%"


class Command(BaseCommand):
    help = "Re-seal every sealed value under the current field key, in batches, then verify every row."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--pause", type=float, default=0.0, help="seconds to wait between batches, to go easy on a busy database"
        )
        parser.add_argument("--verify-only", action="store_true", help="only check that every row is under the key")
        parser.add_argument(
            "--reindex", action="store_true", help="recompute the blind indexes under the current index key instead"
        )

    def handle(self, *args, batch_size, pause, verify_only, reindex, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        if reindex:
            for model, fields in models_with(BlindIndexField):
                self.reindex(model, fields, batch_size=batch_size, pause=pause, verify_only=verify_only)
            return
        current = crypto.keyring().current_id
        self.stdout.write(f"Current field key: {current}")
        for model, fields in models_with(SealedField):
            if not verify_only:
                self.rotate(model, fields, current, batch_size=batch_size, pause=pause)
            self.verify(model, fields, current, batch_size=batch_size)

    def _stale(self, model, fields, current, select: str, *, after: int = 0, tail: str = "", params=()) -> list:
        quote = connection.ops.quote_name
        pk = quote(model._meta.pk.column)
        sql = (
            f"SELECT {select} FROM {quote(model._meta.db_table)} WHERE {pk} > %s AND ({_stale_condition(fields)}) "
            + tail
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [after, *([_current_prefix(current)] * len(fields)), *params])
            return [row[0] for row in cursor.fetchall()]

    def _stale_ids(self, model, fields, current, *, after: int, limit: int) -> list[int]:
        pk = connection.ops.quote_name(model._meta.pk.column)
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        tail = f"ORDER BY {pk} LIMIT %s{lock}"
        return self._stale(model, fields, current, pk, after=after, tail=tail, params=[limit])

    def rotate(self, model, fields, current, *, batch_size: int, pause: float) -> None:
        label = model._meta.label_lower
        total = self._stale(model, fields, current, "COUNT(*)")[0]
        self.stdout.write(f"{label}: {total} rows to re-seal under {current}")
        done, last = 0, 0
        names = [f.name for f in fields]
        while True:
            with transaction.atomic():
                ids = self._stale_ids(model, fields, current, after=last, limit=batch_size)
                if not ids:
                    break
                # Read (under whichever key each value names) and written back under the current key.
                rows = list(model._base_manager.filter(pk__in=ids).only("pk", *names))
                model._base_manager.bulk_update(rows, names)
            done += len(ids)
            last = ids[-1]
            self.stdout.write(f"{label}: {done}/{total} re-sealed", ending="\n")
            self.stdout.flush()
            if pause:
                time.sleep(pause)

    def verify(self, model, fields, current, *, batch_size: int) -> None:
        label = model._meta.label_lower
        quote = connection.ops.quote_name
        pk = quote(model._meta.pk.column)
        columns = ", ".join(quote(f.column) for f in fields)
        checked, last = 0, 0
        while True:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {pk}, {columns} FROM {quote(model._meta.db_table)} WHERE {pk} > %s ORDER BY {pk} LIMIT %s",
                    [last, batch_size],
                )
                rows = cursor.fetchall()
            if not rows:
                break
            for row in rows:
                for field, sealed in zip(fields, row[1:], strict=True):
                    if sealed and crypto.key_id_of(sealed) != current:
                        raise CommandError(f"{label} {row[0]}: {field.name} is still under {crypto.key_id_of(sealed)}")
                    try:
                        crypto.unseal(sealed, purpose=field.purpose)
                    except crypto.SealedDataError as exc:
                        raise CommandError(f"{label} {row[0]}: {exc}") from None
            checked += len(rows)
            last = rows[-1][0]
        self.stdout.write(self.style.SUCCESS(f"{label}: verified {checked} rows, every value opens under {current}"))

    def reindex(self, model, fields, *, batch_size: int, pause: float, verify_only: bool) -> None:
        """Each batch is one short transaction locking its own rows; a row already right is not written."""
        label = model._meta.label_lower
        manager = model._base_manager
        names = ["pk", *(f.source for f in fields), *(f.name for f in fields)]
        total = manager.count()
        if not verify_only:
            self.stdout.write(f"{label}: {total} rows to check against the current index key")
        checked, written, last = 0, 0, 0
        while True:
            with transaction.atomic():
                rows = list(manager.filter(pk__gt=last).order_by("pk").only(*names).select_for_update()[:batch_size])
                if not rows:
                    break
                stale = _stale_indexes(rows, fields)
                if stale and verify_only:
                    raise CommandError(f"{label} {stale[0].pk}: its blind index is not under the current index key")
                manager.bulk_update(stale, [f.name for f in fields])
            checked += len(rows)
            written += len(stale)
            last = rows[-1].pk
            if not verify_only:
                self.stdout.write(f"{label}: {checked}/{total} checked, {written} reindexed")
                self.stdout.flush()
                if pause:
                    time.sleep(pause)
        if not verify_only:
            # The check that ends it: a row written meanwhile by a server still on the old key shows here.
            self.reindex(model, fields, batch_size=batch_size, pause=0, verify_only=True)
            return
        self.stdout.write(self.style.SUCCESS(f"{label}: verified {checked} rows, every index under the current key"))
