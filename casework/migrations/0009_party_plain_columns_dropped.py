"""Parties' personal data sealed at rest, step 3 of 3: the plain columns (and their indexes) dropped,
the sealed ones take their names."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("casework", "0008_party_seal_existing")]

    operations = [
        *(migrations.RemoveField(model_name="party", name=name) for name in ("id_number", "phone", "address")),
        *(
            migrations.RenameField(model_name="party", old_name=f"sealed_{name}", new_name=name)
            for name in ("id_number", "phone", "address")
        ),
    ]
