"""Rows stored before the free-text rule (common.text) may hold control characters, which broke
every XLSX export of their cases. Remove them (carriage returns become line feeds) and record each
row changed in the access audit: which row, which fields, which characters, never the text itself
(it may be personal data)."""

import re

from django.core.exceptions import FieldError
from django.db import migrations
from django.utils import timezone

from common.append_only import lift

# The same class of characters common.text refuses (NUL cannot be stored in PostgreSQL at all).
CONTROLS = "[\x01-\x08\x0b-\x1f\x7f-\x9f]"
_CONTROLS = re.compile(CONTROLS)

FIELDS = {
    ("casework", "DisputeCase"): ["description", "decline_reason", "fail_reason", "withdraw_reason"],
    ("casework", "Party"): ["name", "address"],
    ("mediation", "MediationSession"): ["location", "attendees", "rights_explained_by", "summary"],
    ("mediation", "Agreement"): ["facts", "responsibilities", "terms", "performance_method", "judicial_court"],
    ("mediation", "FollowUp"): ["notes"],
    ("mediation", "ConflictDeclaration"): ["reason"],
    ("grids", "Inspection"): ["notes"],
}


def _clean(value: str) -> str:
    return _CONTROLS.sub("", re.sub(r"\r\n?", "\n", value))


def clean(apps, schema_editor):
    AuditEntry = apps.get_model("common", "AuditEntry")
    now = timezone.now()
    # A database migrated in steps has the record tables' append-only triggers already; this
    # correction is the one rewrite they allow, recorded in the audit below.
    lift(schema_editor, [apps.get_model(app, name)._meta.db_table for app, name in FIELDS])
    for (app, name), fields in FIELDS.items():
        model = apps.get_model(app, name)
        for field in fields:
            try:
                found = model.objects.filter(**{f"{field}__regex": CONTROLS}).values_list("pk", field)
            except FieldError:
                # A sealed column (docs/security.md) answers no pattern in SQL. This migration runs
                # before the sealing, so its values were cleaned plain; new ones pass the free-text rule.
                continue
            for pk, value in found:
                if not isinstance(value, str):
                    continue
                removed = sorted({f"U+{ord(c):04X}" for c in _CONTROLS.findall(value)})
                model.objects.filter(pk=pk).update(**{field: _clean(value)})
                AuditEntry.objects.create(
                    at=now,
                    username="migration",
                    action="text_cleaned",
                    target=f"{app}.{name.lower()}:{pk}"[:100],
                    detail={"field": field, "removed": removed},
                )


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0006_report_covering_indexes"),
        ("common", "0004_audit_actions"),
        ("grids", "0004_audit_entry_moved"),
        ("mediation", "0001_initial"),
    ]

    operations = [migrations.RunPython(clean, migrations.RunPython.noop)]
