"""PostgreSQL learns that a case's community decides its subdistrict (and its grid the community).

The queue filters by the reader's subdistrict and, often, a community. Without this the planner
multiplies the two selectivities as if they were independent, expects a community's closed cases
to be a few dozen when they are thousands, and sorts them all instead of reading the queue index
in order: at 1M cases the page's statement went from ~80 ms to under 1 ms with the statistics.
"""

from django.db import migrations

FORWARD = """
CREATE STATISTICS IF NOT EXISTS case_territory_stats (dependencies)
    ON subdistrict_id, community_id, grid_id FROM casework_disputecase;
ANALYZE casework_disputecase;
"""
BACKWARD = "DROP STATISTICS IF EXISTS case_territory_stats;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("casework", "0019_report_period_indexes")]
    operations = [migrations.RunPython(forward, backward)]
