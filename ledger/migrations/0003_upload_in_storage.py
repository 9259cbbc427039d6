# Ledger uploads move from a column to the site's storage (shared by every machine); an upload
# still waiting for a worker keeps its file, written to the storage under its id.

from django.core.files.base import ContentFile
from django.db import migrations, models


def content_to_storage(apps, schema_editor):
    LedgerImport = apps.get_model("ledger", "LedgerImport")
    for job in LedgerImport.objects.exclude(content=None).iterator():
        job.file.save(f"{job.pk}.xlsx", ContentFile(bytes(job.content)), save=False)
        job.save(update_fields=["file"])


def storage_to_content(apps, schema_editor):
    LedgerImport = apps.get_model("ledger", "LedgerImport")
    for job in LedgerImport.objects.exclude(file="").iterator():
        with job.file.open("rb") as stream:
            job.content = stream.read()
        job.save(update_fields=["content"])


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0002_table_renamed'),
    ]

    operations = [
        migrations.AddField(
            model_name='ledgerimport',
            name='file',
            field=models.FileField(blank=True, editable=False, max_length=255, upload_to='ledger/uploads/', verbose_name='文件'),
        ),
        migrations.RunPython(content_to_storage, storage_to_content),
        migrations.RemoveField(
            model_name='ledgerimport',
            name='content',
        ),
    ]
