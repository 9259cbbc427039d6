# The moved table takes its new app's name.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0001_initial'),
        ('reports', '0003_notice_and_ledger_import_moved'),
    ]

    operations = [
        migrations.AlterModelTable(
            name='ledgerimport',
            table=None,
        ),
    ]
