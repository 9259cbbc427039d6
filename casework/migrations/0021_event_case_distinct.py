"""The planner's count of the cases the events belong to, declared rather than sampled.

ANALYZE estimates how many distinct cases the events table holds from a sample of 30,000 rows,
and on a large table it undercounts them: at 10M cases (64.5M events) it estimated 329k. The
planner then expects ~200 events a case where there are ~6.5, and reading the events of a
report's period (tens of thousands of cases at once) it walked the whole (case, at) index in case
order — 13 GB of buffers, ~20 s — instead of looking up each case's events (~2 s). A case keeps a
handful of events whatever the table's size (6.5 in the bench's loads, 7.3 in the demo), so the
count is stated as a fraction of the rows, which stays true as the table grows.
"""

from django.db import migrations

from common.migration_sql import on_postgresql

FORWARD = """
ALTER TABLE casework_caseevent ALTER COLUMN case_id SET (n_distinct = -0.15);
ANALYZE casework_caseevent (case_id);
"""
BACKWARD = """
ALTER TABLE casework_caseevent ALTER COLUMN case_id RESET (n_distinct);
ANALYZE casework_caseevent (case_id);
"""


class Migration(migrations.Migration):
    dependencies = [("casework", "0020_queue_community_count")]
    operations = [on_postgresql(FORWARD, BACKWARD)]
