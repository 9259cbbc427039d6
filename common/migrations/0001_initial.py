# AuditEntry (from grids) and Notice (from reports) move here: state only, the tables stay; 0002 renames them.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('casework', '0006_report_covering_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('grids', '0003_audit_entry'),
        ('reports', '0002_ledger_import'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AuditEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('at', models.DateTimeField(db_index=True, verbose_name='时间')),
                        ('username', models.CharField(blank=True, max_length=150, verbose_name='用户名')),
                        ('action', models.CharField(choices=[('login', '登录'), ('login_failed', '登录失败'), ('logout', '退出'), ('roles_changed', '角色或范围变更'), ('personal_data_revealed', '查看完整个人信息'), ('exported', '导出')], db_index=True, max_length=32, verbose_name='事项')),
                        ('target', models.CharField(blank=True, max_length=100, verbose_name='对象')),
                        ('detail', models.JSONField(blank=True, default=dict, verbose_name='详情')),
                        ('ip', models.GenericIPAddressField(blank=True, null=True, verbose_name='IP地址')),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='操作人')),
                    ],
                    options={
                        'verbose_name': '审计日志',
                        'verbose_name_plural': '审计日志',
                        'db_table': 'grids_auditentry',
                        'ordering': ['-at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='Notice',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('due_soon', '即将到期'), ('due_today', '今日到期'), ('warning', '预警'), ('report', '报表已生成')], max_length=16, verbose_name='类型')),
                        ('key', models.CharField(max_length=64)),
                        ('text', models.TextField(verbose_name='内容')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='时间')),
                        ('read_at', models.DateTimeField(blank=True, null=True, verbose_name='已读时间')),
                        ('case', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='casework.disputecase', verbose_name='案件')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notices', to=settings.AUTH_USER_MODEL, verbose_name='接收人')),
                    ],
                    options={
                        'verbose_name': '通知',
                        'verbose_name_plural': '通知',
                        'db_table': 'reports_notice',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [models.Index(fields=['user', 'read_at'], name='notice_user_unread_idx')],
                        'constraints': [models.UniqueConstraint(fields=('user', 'kind', 'key'), name='notice_once')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
