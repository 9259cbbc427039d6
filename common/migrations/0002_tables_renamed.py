# The moved tables take their new app's names; the access audit's append-only trigger follows.

from django.db import migrations

from common.migration_sql import on_postgresql

TRIGGER = """
DROP TRIGGER IF EXISTS grids_auditentry_append_only ON common_auditentry;
DROP FUNCTION IF EXISTS grids_auditentry_append_only();
CREATE OR REPLACE FUNCTION common_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'common_auditentry is append-only (% refused)', TG_OP USING ERRCODE = 'raise_exception';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER common_auditentry_append_only
    BEFORE UPDATE OR DELETE ON common_auditentry
    FOR EACH ROW EXECUTE FUNCTION common_auditentry_append_only();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('common', '0001_initial'),
        ('grids', '0004_audit_entry_moved'),
        ('reports', '0003_notice_and_ledger_import_moved'),
    ]

    operations = [
        migrations.AlterModelTable(
            name='auditentry',
            table=None,
        ),
        migrations.AlterModelTable(
            name='notice',
            table=None,
        ),
        on_postgresql(TRIGGER),
    ]
