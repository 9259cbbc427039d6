# AuditEntry now belongs to common (its table is renamed there).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('grids', '0003_audit_entry'),
        ('common', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name='AuditEntry',
                ),
            ],
            database_operations=[],
        ),
    ]
