"""Reads whose SQL the ORM builds once per connection instead of on every request.

Building a statement — resolving the filters, the joins of `select_related`, the ordering, the
columns and their converters — costs the ORM about a millisecond of CPU, several times what the
database takes to run it. A page that runs the same few statements on every request, only one
value changing (the case's id), prepares them: the queryset is built and compiled once, with a
marker in place of that value, and each run binds the value and turns the rows into model
instances exactly as the queryset's own iteration does (the same converters, the same
`select_related` instances).

A statement may also vary with a `key` (say, the compiled scope of a user): each key has its own
compiled form, the most recent `KEYS` of them kept. Several statements of one page go to the
database together (`together`).
"""

import threading
from collections import OrderedDict

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.query import get_related_populators

# The value the queryset is built with, found again in the compiled parameters: no row has it.
MARKER = -2_000_000_011
# Compiled forms kept per prepared read and thread, when the read varies with a key.
KEYS = 256


class _Compiled:
    """One compiled statement, bound to the connection it was compiled for (its converters are)."""

    def __init__(self, queryset, connection):
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        marked = [i for i, p in enumerate(params) if p == MARKER]
        if len(marked) != 1:
            raise ValueError("a prepared read binds exactly one value")
        if compiler.annotation_col_map or compiler.has_extra_select:
            raise ValueError("a prepared read loads model rows only")
        self.connection = connection
        self.sql, self.params, self.index = sql, list(params), marked[0]
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.model = klass_info["model"]
        self.init_list = [column[0].target.attname for column in select[self.start : self.end]]
        self.populators = get_related_populators(klass_info, select, connection.alias)
        self.converters = list(compiler.get_converters([column[0] for column in select]).items())

    def bound(self, value) -> list:
        params = self.params.copy()
        params[self.index] = value
        return params

    def objects(self, value) -> list:
        with self.connection.cursor() as cursor:
            cursor.execute(self.sql, self.bound(value))
            return self.instances(cursor.fetchall())

    def instances(self, rows) -> list:
        """The model instances of fetched rows, converted as the ORM converts them."""
        alias, found = self.connection.alias, []
        for row in rows:
            if self.converters:
                row = list(row)
                for position, (functions, expression) in self.converters:
                    value = row[position]
                    for function in functions:
                        value = function(value, expression, self.connection)
                    row[position] = value
            obj = self.model.from_db(alias, self.init_list, row[self.start : self.end])
            for populator in self.populators:
                populator.populate(row, obj)
            found.append(obj)
        return found


class Prepared:
    """A read of model rows `build(value)` (a queryset), compiled once per thread's connection (and key).

    `build` must give the same SQL for every value but the one bound, and use that value exactly
    once: it is called with MARKER when the statement is compiled.
    """

    def __init__(self, build):
        self.build = build
        self._local = threading.local()

    def statement(self, *, key=None, build=None, using=DEFAULT_DB_ALIAS) -> _Compiled:
        """The compiled statement of this thread's connection (and of `key`; with a key, `build`, when
        given, builds the queryset of that key the first time it is seen)."""
        connection = connections[using]
        kept = getattr(self._local, "kept", None)
        if kept is None:
            kept = self._local.kept = OrderedDict()
        compiled = kept.get((using, key))
        if compiled is None or compiled.connection is not connection:
            compiled = kept[(using, key)] = _Compiled((build or self.build)(MARKER), connection)
            if len(kept) > KEYS:
                kept.popitem(last=False)
        else:
            kept.move_to_end((using, key))
        return compiled

    def __call__(self, value, *, key=None, build=None, using=DEFAULT_DB_ALIAS) -> list:
        """The model instances the queryset would give with `value` bound."""
        return self.statement(key=key, build=build, using=using).objects(value)


def together(statements, *, using=DEFAULT_DB_ALIAS, first_found=False) -> list[list]:
    """The instances of several prepared statements, `statements` [(Prepared.statement(), value), ...],
    each list as that statement alone gives it: sent as one batch where the database takes one
    (PostgreSQL, the parameters bound on the client), so that the round trip and the driver's work
    per statement are paid once. `first_found`: the others only matter when the first finds a row;
    when it finds none, theirs are not read (or not run) and come back empty."""
    connection = connections[using]
    if connection.vendor != "postgresql" or len(statements) < 2:
        found = []
        for statement, value in statements:
            if first_found and found and not found[0]:
                found.append([])
            else:
                found.append(statement.objects(value))
        return found
    params = [param for statement, value in statements for param in statement.bound(value)]
    found = []
    with connection.cursor() as cursor:
        cursor.execute(";\n".join(statement.sql for statement, _value in statements), params)
        for position, (statement, _value) in enumerate(statements):
            if position:
                cursor.nextset()
            rows = cursor.fetchall()
            found.append([] if first_found and position and not found[0] else statement.instances(rows))
    return found


# A list read with its instance hangs on it as a plain list, the way Prefetch(to_attr=...) leaves one:
# under its own name, since the relation's name is the related manager's.
def attached_as(name: str) -> str:
    """The attribute `instance.<name>`, read with the instance, hangs on (Prefetch's `to_attr`)."""
    return f"loaded_{name}"


def attach(instance, name: str, rows: list) -> None:
    """Hang `rows` on `instance` as `Prefetch(name, to_attr=attached_as(name))` would: the list, and
    for a reverse foreign key each row's own link back to `instance` too."""
    relation = instance._meta.get_field(name)
    if relation.one_to_many:
        for row in rows:
            relation.field.set_cached_value(row, instance)
    setattr(instance, attached_as(name), rows)


def attached(instance, name: str) -> list:
    """The rows of `instance.<name>`: those read with the instance (`attach`, or a prefetch to
    `attached_as(name)`), else read now."""
    rows = getattr(instance, attached_as(name), None)
    return list(getattr(instance, name).all()) if rows is None else rows


def detach(instance, *names: str) -> None:
    """Forget the lists read with `instance` (those of `names`, or all): read again when next asked,
    as a refresh or a change through the related manager makes Django forget its prefetched ones."""
    prefix = attached_as("")
    for key in [key for key in vars(instance) if key.startswith(prefix)]:
        if not names or key in {attached_as(name) for name in names}:
            delattr(instance, key)
