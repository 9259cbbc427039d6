# LedgerImport moves here from reports: state only, the table stays; 0002 renames it.

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('grids', '0003_audit_entry'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('reports', '0002_ledger_import'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='LedgerImport',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('requested_at', models.DateTimeField(verbose_name='上传时间')),
                        ('filename', models.CharField(max_length=255, verbose_name='文件名')),
                        ('sha256', models.CharField(max_length=64, verbose_name='文件摘要')),
                        ('size', models.PositiveIntegerField(verbose_name='文件大小')),
                        ('content', models.BinaryField(null=True)),
                        ('sheet', models.CharField(blank=True, max_length=100, verbose_name='工作表')),
                        ('valid_only', models.BooleanField(default=False, verbose_name='只导入无误的行')),
                        ('dry_run', models.BooleanField(default=False, verbose_name='试导入')),
                        ('state', models.CharField(choices=[('queued', '排队中'), ('running', '导入中'), ('done', '已完成'), ('failed', '失败')], default='queued', max_length=8, verbose_name='状态')),
                        ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='尝试次数')),
                        ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='开始时间')),
                        ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='完成时间')),
                        ('report', models.JSONField(default=dict, editable=False)),
                        ('error', models.TextField(blank=True, verbose_name='错误')),
                        ('requested_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='上传人')),
                        ('subdistrict', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='grids.subdistrict', verbose_name='街道')),
                    ],
                    options={
                        'verbose_name': '台账导入',
                        'verbose_name_plural': '台账导入',
                        'db_table': 'reports_ledgerimport',
                        'ordering': ['-requested_at'],
                        'indexes': [models.Index(fields=['subdistrict', '-requested_at'], name='ledger_import_recent_idx')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
