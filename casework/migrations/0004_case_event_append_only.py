"""CaseEvent is append-only in the database too: on PostgreSQL a trigger refuses UPDATE and DELETE.

TRUNCATE is left to database privileges (docs/deployment.md: the application role does not
own the tables in production), since test databases are emptied with it between tests.
"""

from django.db import migrations

from common.migration_sql import on_postgresql

FORWARD = """
CREATE OR REPLACE FUNCTION casework_caseevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'casework_caseevent is append-only (% refused)', TG_OP USING ERRCODE = 'raise_exception';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER casework_caseevent_append_only
    BEFORE UPDATE OR DELETE ON casework_caseevent
    FOR EACH ROW EXECUTE FUNCTION casework_caseevent_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS casework_caseevent_append_only ON casework_caseevent;
DROP FUNCTION IF EXISTS casework_caseevent_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("casework", "0003_reference_data")]
    operations = [on_postgresql(FORWARD, BACKWARD)]
