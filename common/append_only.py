"""The file keeps everything (People's Mediation Law art. 27): in the database itself, a record
table refuses DELETE, and any UPDATE that changes what was recorded, on PostgreSQL and on SQLite
(`make run`) alike. Each table lists the few columns that legitimately change (a current value
whose every change is also appended elsewhere).

Each app protects its own tables from its AppConfig.ready() with `protect(self, {...})`. The
triggers are (re)installed after every `migrate` (post_migrate): SQLite rebuilds a table on most
schema changes and would silently drop a trigger a migration had created once.

TRUNCATE is left to database privileges, as for the case events (docs/deployment.md): test
databases are emptied with it.
"""

from django.db import connections
from django.db.models.signals import post_migrate

# One PostgreSQL function for every table; the trigger's arguments name the columns an UPDATE may
# change. Comparing the rows as JSON without those keys covers columns added later as well.
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION fengqiao_append_only() RETURNS trigger AS $$
DECLARE
    mutable text[] := COALESCE(TG_ARGV, '{}'::text[]);
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '% is append-only (DELETE refused)', TG_TABLE_NAME USING ERRCODE = 'raise_exception';
    END IF;
    IF (to_jsonb(NEW) - mutable) IS DISTINCT FROM (to_jsonb(OLD) - mutable) THEN
        RAISE EXCEPTION '% is append-only (UPDATE of recorded content refused)', TG_TABLE_NAME
            USING ERRCODE = 'raise_exception';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def _quote(connection, name: str) -> str:
    return connection.ops.quote_name(name)


def trigger_sql(vendor: str, table: str, columns: list[str], mutable: tuple[str, ...], quote=lambda n: f'"{n}"'):
    """The statements that make `table` append-only; `columns` are all its columns."""
    name = f"{table}_record_append_only"
    if vendor == "postgresql":
        args = ", ".join(f"'{column}'" for column in mutable)
        return [
            PG_FUNCTION,
            f"DROP TRIGGER IF EXISTS {quote(name)} ON {quote(table)}",
            f"CREATE TRIGGER {quote(name)} BEFORE UPDATE OR DELETE ON {quote(table)} "
            f"FOR EACH ROW EXECUTE FUNCTION fengqiao_append_only({args})",
        ]
    if vendor == "sqlite":
        recorded = [column for column in columns if column not in mutable]
        changed = " OR ".join(f"OLD.{quote(c)} IS NOT NEW.{quote(c)}" for c in recorded)
        return [
            f"DROP TRIGGER IF EXISTS {quote(name + '_delete')}",
            f"CREATE TRIGGER {quote(name + '_delete')} BEFORE DELETE ON {quote(table)} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only (DELETE refused)'); END",
            f"DROP TRIGGER IF EXISTS {quote(name + '_update')}",
            f"CREATE TRIGGER {quote(name + '_update')} BEFORE UPDATE ON {quote(table)} WHEN {changed} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only (UPDATE of recorded content refused)'); END",
        ]
    return []  # another database: the models' own refusals (NeverDeleteModel) still hold


def lift(schema_editor, tables: list[str]) -> None:
    """Drop the triggers of `tables` for a data migration that must correct recorded content in
    place (control characters stored before the free-text rule). The `migrate` that runs it puts
    them back at its end (post_migrate); one that fails midway leaves them off until the next."""
    connection = schema_editor.connection
    for table in tables:
        name = f"{table}_record_append_only"
        if connection.vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {_quote(connection, name)} ON {_quote(connection, table)}")
        elif connection.vendor == "sqlite":
            for suffix in ("_delete", "_update"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {_quote(connection, name + suffix)}")


def install(app_config, tables: dict[str, tuple[str, ...]], using: str = "default") -> list[str]:
    """Install the triggers of `app_config`'s record tables on database `using`; the tables done."""
    connection = connections[using]
    existing = set(connection.introspection.table_names())
    done = []
    with connection.cursor() as cursor:
        for model_name, mutable in tables.items():
            model = app_config.get_model(model_name)
            table = model._meta.db_table
            if table not in existing:
                continue  # not migrated yet (a partial migrate)
            unknown = set(mutable) - {field.column for field in model._meta.concrete_fields}
            if unknown:
                raise ValueError(f"{table}: no such columns {sorted(unknown)}")
            # The table as it is, not as the model is: after `migrate APP EARLIER` a column the
            # model has may not exist yet, and SQLite's trigger names every column it compares.
            columns = [column.name for column in connection.introspection.get_table_description(cursor, table)]
            for statement in trigger_sql(
                connection.vendor,
                table,
                columns,
                tuple(c for c in mutable if c in columns),
                quote=lambda n: _quote(connection, n),
            ):
                cursor.execute(statement)
            done.append(table)
    return done


# Every protected table, "app_label.Model" -> the columns an UPDATE may change: what the triggers
# install, and what the tests walk, so that a table protected later is tried without being named.
PROTECTED: dict[str, tuple[str, ...]] = {}


def protect(app_config, tables: dict[str, tuple[str, ...]]) -> None:
    """Keep `tables` (model name -> the columns an UPDATE may change) append-only after each migrate."""
    PROTECTED.update({f"{app_config.label}.{name}": tuple(mutable) for name, mutable in tables.items()})

    def receiver(sender, using="default", **kwargs):
        install(app_config, tables, using=using)

    post_migrate.connect(receiver, sender=app_config, weak=False, dispatch_uid=f"append_only:{app_config.label}")
