"""Keyset paging: a page starts right after the last row of the one before it, found through the
sort's index, so page 2,000 costs what page 1 does (OFFSET would read and drop 100,000 rows).

The cursor is the last row's sort key in the URL (`?after=1,2026-05-01T09:30:00+08:00,123` for
`-is_warning, -registered_at, -id`): readable, bookmarkable, and it keeps the filter beside it.
"""

import datetime as dt
import operator
from functools import reduce

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import F, Func, Q, Value


class Row(Func):
    """A row constructor: PostgreSQL compares rows column by column and can bound an index scan with it."""

    function = "ROW"
    output_field = models.Field()


def sort_keys(qs) -> list[tuple[models.Field, bool]]:
    """(field, descending) for each term of the queryset's explicit order_by."""
    keys = []
    for term in qs.query.order_by:
        name = term.lstrip("-")
        field = qs.model._meta.pk if name == "pk" else qs.model._meta.get_field(name)
        keys.append((field, term.startswith("-")))
    return keys


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def cursor_of(row, keys) -> str:
    """The cursor of a row: a model instance or a values() dict (which carries the sort columns)."""
    if isinstance(row, dict):
        return ",".join(_text(row[field.attname]) for field, _ in keys)
    return ",".join(_text(field.value_from_object(row)) for field, _ in keys)


def parse_cursor(cursor: str, keys) -> list | None:
    """The sort key a cursor stands for, or None when it is not one (a stale or edited URL starts over)."""
    parts = cursor.split(",")
    if len(parts) != len(keys):
        return None
    values = []
    for (field, _), part in zip(keys, parts, strict=True):
        if part == "":
            if not field.null:
                return None
            values.append(None)
        elif isinstance(field, models.BooleanField):
            if part not in ("0", "1"):
                return None
            values.append(part == "1")
        else:
            try:
                values.append(field.to_python(part))
            except (ValidationError, ValueError, TypeError, FieldDoesNotExist):
                return None
    return values


def _beyond(field, descending: bool, value) -> Q | None:
    """Rows strictly after `value` in this column's order (PostgreSQL: NULLS LAST ascending, FIRST descending)."""
    name = field.attname
    if value is None:
        return Q(**{f"{name}__isnull": False}) if descending else None
    after = Q(**{f"{name}__{'lt' if descending else 'gt'}": value})
    if field.null and not descending:
        after |= Q(**{f"{name}__isnull": True})
    return after


def after_key(qs, keys, values):
    """The rows of `qs` that sort after the key `values`."""
    directions = {descending for _, descending in keys}
    if len(directions) == 1 and not any(field.null for field, _ in keys):
        # One direction and no NULLs: a single row comparison, which the composite index bounds.
        lhs = Row(*[F(field.attname) for field, _ in keys])
        rhs = Row(*[Value(value, output_field=field) for (field, _), value in zip(keys, values, strict=True)])
        return qs.alias(_keyset=lhs).filter(**{"_keyset__lt" if directions == {True} else "_keyset__gt": rhs})
    # Mixed directions or NULLs: the same order spelled out, column by column.
    terms, prefix = [], Q()
    for (field, descending), value in zip(keys, values, strict=True):
        beyond = _beyond(field, descending, value)
        if beyond is not None:
            terms.append(prefix & beyond)
        prefix &= Q(**{f"{field.attname}__isnull": True}) if value is None else Q(**{field.attname: value})
    return qs.filter(reduce(operator.or_, terms)) if terms else qs.none()


def keyset_page(qs, cursor: str | None, size: int) -> tuple[list, str | None]:
    """One page of `qs` (which must end its order_by with a unique column) after `cursor`, and the
    next page's cursor (None on the last page). One row more than a page says whether there is a
    next page, without COUNT(*)."""
    keys = sort_keys(qs)
    values = parse_cursor(cursor, keys) if cursor else None
    if values is not None:
        qs = after_key(qs, keys, values)
    rows = list(qs[: size + 1])
    has_next = len(rows) > size
    rows = rows[:size]
    return rows, cursor_of(rows[-1], keys) if has_next else None


def _flipped(term: str) -> str:
    return term[1:] if term.startswith("-") else f"-{term}"


def keyset_page_before(qs, cursor: str, size: int) -> tuple[list, str | None, str | None]:
    """上一页: the `size` rows just before `cursor` in `qs`'s order, the cursor to go further back
    (None on the first page) and the cursor of the page's last row (for 下一页).

    The same keyset walked the other way: every column's direction flipped (PostgreSQL's NULLS
    LAST ascending becomes NULLS FIRST descending, the exact reverse), then the rows put back.
    """
    keys = sort_keys(qs)
    values = parse_cursor(cursor, keys)
    if values is None:
        rows, next_cursor = keyset_page(qs, None, size)
        return rows, None, next_cursor
    backwards = qs.order_by(*[_flipped(term) for term in qs.query.order_by])
    rows = list(after_key(backwards, sort_keys(backwards), values)[: size + 1])
    has_previous = len(rows) > size
    rows = list(reversed(rows[:size]))
    if not rows:
        return [], None, None
    return rows, cursor_of(rows[0], keys) if has_previous else None, cursor_of(rows[-1], keys)
