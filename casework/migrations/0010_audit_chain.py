"""The audit chain (common.chain): every row linked to the one before by an SM3 hash, existing rows too."""

from django.db import migrations, models

from common import chain


def link_existing(apps, schema_editor):
    chain.link_existing(apps.get_model("casework", "CaseEvent"))


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0009_party_plain_columns_dropped"),
    ]

    operations = [
        migrations.AddField(
            model_name="caseevent",
            name="chain_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="caseevent",
            name="chain_seq",
            field=models.BigIntegerField(editable=False, null=True, unique=True),
        ),
        migrations.RunPython(link_existing, migrations.RunPython.noop),
    ]
