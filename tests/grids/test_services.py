"""grids.services: screening returns (排查), filed by grid workers for their own grids."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from grids import services as grid_services
from grids.models import Inspection, SensitivePeriod
from tests.reports.conftest import MARCH, daily_zero_return, monthly_return

pytestmark = pytest.mark.django_db


def test_grid_worker_files_a_monthly_return_for_their_grid(grid_worker, grid):
    inspection = grid_services.inspection_file(
        actor=grid_worker,
        grid=grid,
        kind="monthly",
        period=dt.date(2025, 3, 17),
        disputes_found=3,
        cases_registered=2,
        zero_report=False,
        notes=" 走访 ",
    )
    assert (inspection.period, inspection.notes, inspection.filed_by) == (MARCH, "走访", grid_worker)


def test_zero_report_is_explicit_and_consistent(grid_worker, grid):
    common = {"actor": grid_worker, "grid": grid, "kind": "monthly", "period": MARCH}
    with pytest.raises(ValidationError, match="零报告"):
        grid_services.inspection_file(**common, disputes_found=0, cases_registered=0, zero_report=False)
    with pytest.raises(ValidationError, match="零报告"):
        grid_services.inspection_file(**common, disputes_found=1, cases_registered=0, zero_report=True)
    assert not Inspection.objects.exists()
    assert grid_services.inspection_file(**common, disputes_found=0, cases_registered=0, zero_report=True).zero_report


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"disputes_found": 1, "cases_registered": 2}, "cases_registered"),
        ({"disputes_found": -1}, "disputes_found"),
        ({"disputes_found": "三"}, "disputes_found"),
        ({"kind": "weekly"}, "kind"),
        ({"period": None}, "period"),
        ({"kind": "daily", "period": dt.date(2025, 3, 11)}, "period"),  # not a sensitive-period day
        ({"period": dt.date(2999, 1, 1)}, "period"),
        ({"notes": "长" * 2001}, "notes"),
    ],
)
def test_inspection_rejects_bad_input_and_writes_nothing(grid_worker, grid, changes, field):
    data = {
        "actor": grid_worker,
        "grid": grid,
        "kind": "monthly",
        "period": MARCH,
        "disputes_found": 1,
        "cases_registered": 0,
        "zero_report": False,
        **changes,
    }
    with pytest.raises(ValidationError) as error:
        grid_services.inspection_file(**data)
    assert field in error.value.message_dict
    assert not Inspection.objects.exists()


def test_inspection_for_another_grid_is_refused(grid_worker, sibling_grid, centre, grid):
    for actor, target in ((grid_worker, sibling_grid), (centre, grid)):
        with pytest.raises(PermissionDenied):
            monthly_return(actor, target, found=0)
    assert not Inspection.objects.exists()


def test_a_second_return_for_the_same_period_is_refused(grid_worker, grid):
    data = {
        "actor": grid_worker,
        "grid": grid,
        "kind": "monthly",
        "disputes_found": 0,
        "cases_registered": 0,
        "zero_report": True,
    }
    grid_services.inspection_file(**data, period=MARCH)
    with pytest.raises(ValidationError, match="已填报"):
        grid_services.inspection_file(**data, period=dt.date(2025, 3, 31))
    assert Inspection.objects.count() == 1


def test_daily_return_inside_a_sensitive_period_is_accepted(grid_worker, grid):
    SensitivePeriod.objects.create(name="国庆", start=dt.date(2025, 10, 1), end=dt.date(2025, 10, 7))
    inspection = daily_zero_return(grid_worker, grid, dt.date(2025, 10, 3))
    assert inspection.period == dt.date(2025, 10, 3)
