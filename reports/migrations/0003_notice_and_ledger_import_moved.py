# Notice now belongs to common and LedgerImport to ledger (their tables are renamed there).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0002_ledger_import'),
        ('common', '0001_initial'),
        ('ledger', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='notice',
                    name='case',
                ),
                migrations.RemoveField(
                    model_name='notice',
                    name='user',
                ),
                migrations.DeleteModel(
                    name='LedgerImport',
                ),
                migrations.DeleteModel(
                    name='Notice',
                ),
            ],
            database_operations=[],
        ),
    ]
