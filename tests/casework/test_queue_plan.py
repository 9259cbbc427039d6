"""The queue's "this subdistrict, this community" filter at scale: the planner knows that a community
lies in one subdistrict (estimated at the community's own size, not a fraction of it), and the
page's total is counted from the community index alone."""

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework.models import DisputeCase
from tests.factories import SubdistrictFactory, grid_of, register


def estimated_and_actual(subdistrict_id: int, community_id: int) -> tuple[int, int]:
    where = "subdistrict_id = %s AND community_id = %s"
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE casework_disputecase")
        params = [subdistrict_id, community_id]
        cursor.execute(f"EXPLAIN (FORMAT JSON) SELECT id FROM casework_disputecase WHERE {where}", params)
        plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        cursor.execute(f"SELECT count(*) FROM casework_disputecase WHERE {where}", params)
        return plan[0]["Plan"]["Plan Rows"], cursor.fetchone()[0]


def test_a_community_filter_inside_its_subdistrict_is_estimated_at_its_size(centre, grid):
    template = register(centre, grid)
    # Four subdistricts of five communities, 100 cases each: copies of one registered case, since
    # only the territory columns' spread matters to the planner.
    places = [grid] + [grid_of(SubdistrictFactory(code=f"S{s}", name=f"街道{s}")) for s in range(3)]
    places = [grid_of(p.community.subdistrict) for p in places for _ in range(4)] + places
    copies = []
    for place in places:
        for n in range(100):
            row = DisputeCase.objects.get(pk=template.pk)
            row.pk, row.number = None, f"{template.number}-{place.pk}-{n}"
            row.subdistrict_id, row.community_id, row.grid_id = (
                place.community.subdistrict_id,
                place.community_id,
                place.pk,
            )
            copies.append(row)
    DisputeCase.objects.bulk_create(copies)
    estimate, actual = estimated_and_actual(grid.community.subdistrict_id, grid.community_id)
    # Without the dependency statistics the two filters' selectivities multiply: about a quarter.
    assert actual >= 100
    assert estimate >= actual / 2, (estimate, actual)


def test_the_queue_counts_a_communitys_cases_from_the_index_alone(client, centre, grid):
    register(centre, grid)
    client.force_login(centre)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("casework:queue"), {"status": "reported", "community": grid.community_id})
    assert response.status_code == 200
    [count] = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT COUNT(*)")]
    with connection.cursor() as cursor:
        # Only an index that holds every column the count reads can answer it with these off.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {count}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using case_com_status_queue_idx" in plan, plan
