"""The planner knows that a community lies in one subdistrict: the queue's "this subdistrict, this
community" filter is estimated at the community's own size, so PostgreSQL reads the queue index in
order and stops after a page instead of sorting every matching case."""

import json

from django.db import connection

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
