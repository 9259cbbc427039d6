import json

import pytest
from django.core.management import CommandError, call_command

from reports.models import Snapshot
from tests.factories import register
from tests.reports.conftest import MARCH, at

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("generate_report", *args, stdout=out)
    return out.getvalue()


def test_generate_report_makes_a_version_then_reports_the_existing_one(world):
    assert "made version 1" in run("monthly", "--period", "2025-03")
    assert "unchanged, existing version 1" in run("monthly", "--period", "2025-03")
    assert Snapshot.objects.count() == 1


def test_generate_report_with_a_reason_makes_a_new_version(world):
    run("monthly", "--period", "2025-03")
    assert "made version 2" in run("monthly", "--period", "2025-03", "--reason", "更正")
    assert Snapshot.objects.get(version=2).reason == "更正"


def test_generate_report_after_a_change_makes_a_new_version(world, centre, grid):
    run("daily", "--period", "2025-03-11")
    register(centre, grid, at=at(3, 11, 15))
    assert "made version 2" in run("daily", "--period", "2025-03-11")


def test_generate_report_json_prints_the_success_rate(world):
    figures = json.loads(run("monthly", "--period", "2025-03", "--json"))
    assert figures["success_rate"] == {
        "concluded": 3,
        "agreed": 2,
        "rate": 0.667,
        "ci95": [0.2077, 0.9385],
        "since": "2020-01-01",
        "until": "2025-03-31",
    }
    assert figures["period"] == MARCH.isoformat()


def test_dry_run_writes_nothing(world):
    assert "nothing written" in run("monthly", "--period", "2025-03", "--dry-run")
    assert not Snapshot.objects.exists()


@pytest.mark.parametrize("period", ["2025-3", "2025-03-01", "March", "2999-01"])
def test_generate_report_rejects_a_bad_monthly_period(world, period):
    with pytest.raises(CommandError):
        run("monthly", "--period", period)
    assert not Snapshot.objects.exists()
