"""The Baihuazhou demo: the system itself produces the seed's headline figure."""

import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from demo.seed import DemoSeeder
from grids.models import Inspection, SensitivePeriod, SpotResolution, Subdistrict
from reports import statistics

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    return DemoSeeder(progress=lambda message: None).run()


def test_demo_report_gives_83_concluded_78_agreed_94_0_percent(demo, capsys):
    period = timezone.localdate().strftime("%Y-%m")
    call_command("generate_report", "monthly", "--period", period, "--subdistrict", "BHZ", "--json")
    figures = json.loads(capsys.readouterr().out)
    rate = figures["third_party"]["cumulative"]
    assert (rate["concluded"], rate["agreed"], rate["rate"]) == (83, 78, 0.94)
    assert f"{rate['rate']:.1%}" == "94.0%"
    assert rate["ci95"][0] < 0.94 < rate["ci95"][1]
    assert str(statistics.success_rate(third_party=True)) == "94.0%, 78 of 83"


def test_demo_screening_returns_have_zero_reports_and_missing_returns_and_seed_once(demo):
    period = SensitivePeriod.objects.get()
    assert period.start <= timezone.localdate() <= period.end
    last_month = statistics.Period.monthly(statistics.add_months(timezone.localdate().replace(day=1), -1))
    monthly = statistics.report_figures(last_month, Subdistrict.objects.get(code="BHZ").pk)["inspections"]
    assert 0 < monthly["filed"] < monthly["grids"] and monthly["zero_reports"] > 0
    workers = [worker for missing in monthly["missing"] for worker in missing["workers"]]
    assert "何军（网格员）" in workers  # his second grid misses its return
    assert Inspection.objects.filter(kind="daily").exists()
    # 就地化解 recorded on returns, within what each found and did not register.
    on_spot = SpotResolution.objects.count()
    assert on_spot > 0 and monthly["disputes_found"] == (
        monthly["cases_registered"] + monthly["resolved_on_spot"] + monthly["not_pursued"]
    )
    again = DemoSeeder(progress=lambda message: None).run()
    assert again == {"users": 0, "cases": 0, "inspections": 0}
    assert SpotResolution.objects.count() == on_spot
    assert demo["inspections"] > 0
