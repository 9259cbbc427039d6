# Judicial confirmation: each answer an appended entry; the agreement keeps only the current status.

import datetime as dt

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def entries_from_the_record(apps, schema_editor):
    """Each judicial-confirmation answer recorded so far becomes an entry: the case's appended
    司法确认 events hold every answer with its date, court and who recorded it; an agreement whose
    answer has no event (written some other way) keeps that answer as one entry."""
    Agreement = apps.get_model("mediation", "Agreement")
    Entry = apps.get_model("mediation", "JudicialConfirmationEntry")
    CaseEvent = apps.get_model("casework", "CaseEvent")

    def day(value):
        return dt.date.fromisoformat(value) if value else None

    for agreement in Agreement.objects.iterator():
        events = CaseEvent.objects.filter(case_id=agreement.case_id, name="judicial_confirmation").order_by("at", "id")
        rows = [
            Entry(
                agreement_id=agreement.pk,
                status=event.data.get("status") or "not_applied",
                applied_on=day(event.data.get("applied_on")),
                court=(event.data.get("court") or "")[:100],
                answered_on=day(event.data.get("answered_on")),
                recorded_by_id=event.actor_id or agreement.recorded_by_id,
                recorded_at=event.at,
            )
            for event in events
        ]
        if not rows and (agreement.judicial_confirmation != "not_applied" or agreement.judicial_applied_on):
            rows = [
                Entry(
                    agreement_id=agreement.pk,
                    status=agreement.judicial_confirmation,
                    applied_on=agreement.judicial_applied_on,
                    court=agreement.judicial_court,
                    answered_on=agreement.judicial_answered_on,
                    note="迁移前记录",
                    recorded_by_id=agreement.recorded_by_id,
                    recorded_at=agreement.recorded_at,
                )
            ]
        Entry.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("mediation", "0006_record_corrections"),
        ("casework", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="JudicialConfirmationEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("not_applied", "未申请"),
                            ("pending", "已申请，待裁定"),
                            ("confirmed", "法院确认有效"),
                            ("rejected", "法院驳回申请"),
                        ],
                        max_length=16,
                        verbose_name="司法确认",
                    ),
                ),
                ("applied_on", models.DateField(blank=True, null=True, verbose_name="申请日期")),
                ("court", models.CharField(blank=True, max_length=100, verbose_name="受理法院")),
                ("answered_on", models.DateField(blank=True, null=True, verbose_name="裁定日期")),
                ("note", models.CharField(blank=True, max_length=200, verbose_name="说明")),
                ("recorded_at", models.DateTimeField(verbose_name="记录时间")),
                (
                    "agreement",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="judicial_entries",
                        to="mediation.agreement",
                        verbose_name="调解协议",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="记录人",
                    ),
                ),
            ],
            options={
                "verbose_name": "司法确认记录",
                "verbose_name_plural": "司法确认记录",
                "ordering": ["recorded_at", "id"],
                "indexes": [models.Index(fields=["agreement", "recorded_at"], name="judicial_entry_agreement_idx")],
            },
        ),
        migrations.RunPython(entries_from_the_record, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="agreement",
            name="judicial_answered_on",
        ),
        migrations.RemoveField(
            model_name="agreement",
            name="judicial_applied_on",
        ),
        migrations.RemoveField(
            model_name="agreement",
            name="judicial_court",
        ),
    ]
