import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from grids.models import Inspection, SensitivePeriod

pytestmark = pytest.mark.django_db


def test_sensitive_period_cannot_end_before_it_starts():
    period = SensitivePeriod(name="春节", start=dt.date(2025, 2, 5), end=dt.date(2025, 1, 28))
    with pytest.raises(ValidationError):
        period.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        period.save()


def test_sensitive_periods_covering_a_day():
    SensitivePeriod.objects.create(name="国庆", start=dt.date(2025, 10, 1), end=dt.date(2025, 10, 7))
    assert SensitivePeriod.objects.covering(dt.date(2025, 10, 7)).exists()
    assert not SensitivePeriod.objects.covering(dt.date(2025, 10, 8)).exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"zero_report": True, "disputes_found": 1},
        {"zero_report": False, "disputes_found": 0},
        {"zero_report": False, "disputes_found": 1, "cases_registered": 2},
        {"zero_report": True, "period": dt.date(2025, 3, 2)},
    ],
)
def test_inspection_constraints_hold_in_the_database(grid, grid_worker, fields):
    data = {
        "grid": grid,
        "kind": "monthly",
        "period": dt.date(2025, 3, 1),
        "filed_by": grid_worker,
        "filed_at": timezone.now(),
        **fields,
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Inspection.objects.create(**data)


def test_one_return_per_grid_kind_and_period(grid, grid_worker):
    data = {
        "grid": grid,
        "kind": "monthly",
        "period": dt.date(2025, 3, 1),
        "filed_by": grid_worker,
        "filed_at": timezone.now(),
        "zero_report": True,
    }
    Inspection.objects.create(**data)
    with pytest.raises(IntegrityError), transaction.atomic():
        Inspection.objects.create(**data)
    Inspection.objects.create(**{**data, "kind": "daily"})
