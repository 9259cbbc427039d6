"""The audit chain (common.chain): every row linked to the one before by an SM3 hash, existing rows too."""

from django.db import migrations, models

from common import chain


def link_existing(apps, schema_editor):
    chain.link_existing(apps.get_model("common", "AuditEntry"))


class Migration(migrations.Migration):
    # After every migration that writes audit entries of its own (mediation 0002), so they are chained too.
    dependencies = [
        ("common", "0006_notice_kind_judicial"),
        ("mediation", "0002_free_text_cleaned"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="chain_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="chain_seq",
            field=models.BigIntegerField(editable=False, null=True, unique=True),
        ),
        migrations.RunPython(link_existing, migrations.RunPython.noop),
    ]
