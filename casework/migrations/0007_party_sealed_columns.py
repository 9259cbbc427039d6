"""Parties' ID numbers, phones and addresses sealed at rest, step 1 of 3: the sealed columns and the
blind indexes beside the plain ones (docs/security.md)."""

from django.db import migrations

import casework.personal_data
import common.fields

SEALED = [
    ("id_number", "身份证号", 18, [casework.personal_data.validate_id_number]),
    ("phone", "手机号码", 11, [casework.personal_data.validate_mobile]),
    ("address", "住址", 200, []),
]


class Migration(migrations.Migration):
    # After the free-text cleaning, which reads the plain addresses (mediation 0002).
    dependencies = [("casework", "0006_report_covering_indexes"), ("mediation", "0002_free_text_cleaned")]

    operations = [
        *(
            migrations.AddField(
                model_name="party",
                name=f"sealed_{name}",
                field=common.fields.SealedField(
                    blank=True,
                    default="",
                    max_length=length,
                    purpose=f"casework.party.{name}",
                    validators=validators,
                    verbose_name=label,
                ),
                preserve_default=False,
            )
            for name, label, length, validators in SEALED
        ),
        migrations.AddField(
            model_name="party",
            name="id_number_index",
            field=common.fields.BlindIndexField(db_index=True, source="id_number"),
        ),
        migrations.AddField(
            model_name="party",
            name="phone_index",
            field=common.fields.BlindIndexField(db_index=True, source="phone"),
        ),
    ]
