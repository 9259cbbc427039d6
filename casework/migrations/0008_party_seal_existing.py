"""Parties' personal data sealed at rest, step 2 of 3: every existing plain value sealed and indexed,
in batches of 1,000 rows, each batch its own transaction (rows locked only while their batch runs).
Idempotent: a run cut short is simply run again by the next `migrate`."""

from django.db import migrations, transaction

from common import crypto

BATCH = 1000
FIELDS = ("id_number", "phone", "address")


def _batches(Party, fields):
    last = 0
    while True:
        with transaction.atomic():
            rows = list(
                Party.objects.filter(pk__gt=last).order_by("pk").select_for_update().only("pk", *fields)[:BATCH]
            )
            if not rows:
                return
            yield rows
            last = rows[-1].pk


def seal_existing(apps, schema_editor):
    Party = apps.get_model("casework", "Party")
    for rows in _batches(Party, FIELDS):
        for party in rows:
            for name in FIELDS:
                # The sealed field seals on write: the plain value is copied as it is.
                setattr(party, f"sealed_{name}", getattr(party, name))
            party.id_number_index = crypto.blind_index(party.id_number, purpose="casework.party.id_number")
            party.phone_index = crypto.blind_index(party.phone, purpose="casework.party.phone")
        Party.objects.bulk_update(rows, [*(f"sealed_{name}" for name in FIELDS), "id_number_index", "phone_index"])


def unseal_existing(apps, schema_editor):
    Party = apps.get_model("casework", "Party")
    for rows in _batches(Party, [f"sealed_{name}" for name in FIELDS]):
        for party in rows:
            for name in FIELDS:
                setattr(party, name, getattr(party, f"sealed_{name}"))
        Party.objects.bulk_update(rows, list(FIELDS))


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("casework", "0007_party_sealed_columns")]
    operations = [migrations.RunPython(seal_existing, unseal_existing, elidable=False)]
