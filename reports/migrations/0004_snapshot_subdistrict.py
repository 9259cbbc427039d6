# A snapshot belongs to one subdistrict and keeps the case sets behind its figures.
# Snapshots made before this migration were of the whole database, which then held one
# subdistrict: they are given the first one.

import django.db.models.deletion
from django.db import migrations, models


def assign_subdistrict(apps, schema_editor):
    Snapshot = apps.get_model("reports", "Snapshot")
    Subdistrict = apps.get_model("grids", "Subdistrict")
    first = Subdistrict.objects.order_by("pk").first()
    if first is not None:
        # The model forbids updates; the migration's historical model does not carry that rule.
        Snapshot.objects.filter(subdistrict__isnull=True).update(subdistrict=first)


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0004_audit_entry_moved"),
        ("reports", "0003_notice_and_ledger_import_moved"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="snapshot", name="snapshot_version_unique"),
        migrations.AddField(
            model_name="snapshot",
            name="subdistrict",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="grids.subdistrict",
                verbose_name="街道",
            ),
        ),
        migrations.AddField(
            model_name="snapshot",
            name="material",
            field=models.JSONField(default=dict, verbose_name="案件明细"),
        ),
        migrations.RunPython(assign_subdistrict, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="snapshot",
            name="subdistrict",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="grids.subdistrict",
                verbose_name="街道",
            ),
        ),
        migrations.AlterModelOptions(
            name="snapshot",
            options={
                "ordering": ["-period", "kind", "subdistrict_id", "-version"],
                "verbose_name": "报表",
                "verbose_name_plural": "报表",
            },
        ),
        migrations.AddConstraint(
            model_name="snapshot",
            constraint=models.UniqueConstraint(
                fields=("subdistrict", "kind", "period", "version"), name="snapshot_version_unique"
            ),
        ),
    ]
