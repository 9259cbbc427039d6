"""Fixtures shared by the analysis tests."""

import datetime as dt

import pytest
from django.utils import timezone

from casework.models import DisputeCase
from tests.factories import category, register
from tests.workflow import drive


@pytest.fixture
def concluded(centre, mediator, grid, other_grid):
    """Three concluded cases in `grid`'s community, one in the other community, and one open case."""
    made = []
    for text, code in [("楼上漏水影响楼下住户", "neighbour"), ("物业费上涨", "property_mgmt"), ("拖欠工资", "labour")]:
        case = drive("agreed", centre=centre, lead=mediator, grid=grid)
        DisputeCase.objects.filter(pk=case.pk).update(description=text, category=category(code))
        made.append(case)
    far = drive("failed", centre=centre, lead=mediator, grid=other_grid)
    DisputeCase.objects.filter(pk=far.pk).update(description="楼上漏水严重")
    query = register(centre, grid, description="楼上又漏水了", at=timezone.now() - dt.timedelta(days=1))
    return {"made": made, "far": far, "query": query}
