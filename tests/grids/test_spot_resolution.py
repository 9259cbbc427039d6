"""就地化解: disputes a screening return found and resolved on the spot, without a case. Recorded
on the return's phone page, counted in reports (found = registered + on the spot + not pursued) and
shown on the map."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from common.refusals import NotPermitted
from grids import services
from grids.enums import InspectionKind
from grids.models import SpotResolution
from reports.statistics import Period, collect, derive
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def filed(grid_worker, grid):
    """This month's return of `grid`: 3 disputes found, 1 registered as a case."""
    today = timezone.localdate()
    return services.inspection_file(
        actor=grid_worker,
        grid=grid,
        kind=InspectionKind.MONTHLY,
        period=today.replace(day=1),
        disputes_found=3,
        cases_registered=1,
        zero_report=False,
    )


def resolve(actor, inspection, **extra):
    values = {
        "what": "两户因晾衣杆占道争吵，当场劝和",
        "place": "3栋楼下",
        "resolved_by": "网格员",
        "resolved_on": inspection.period,
    }
    return services.spot_resolution_add(actor=actor, inspection=inspection, **{**values, **extra})


def test_a_return_records_up_to_what_it_found_less_what_it_registered(filed, grid_worker):
    resolve(grid_worker, filed)
    resolve(grid_worker, filed, parties="王某、李某")
    with pytest.raises(ValidationError) as refused:
        resolve(grid_worker, filed)
    assert "发现纠纷 3 件，其中登记立案 1 件，已记录就地化解 2 件，不能再增加" in str(refused.value)
    assert SpotResolution.objects.filter(inspection=filed).count() == 2


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"what": "   "}, "what", "请填写纠纷简述"),
        ({"place": "x" * 101}, "place", "地点不能超过100字"),
        ({"resolved_by": "a\x07b"}, "resolved_by", "化解人"),
        ({"resolved_on": dt.date(2000, 1, 1)}, "resolved_on", "化解日期须在该排查期间内"),
        ({"resolved_on": "2026-11-03"}, "resolved_on", "请填写化解日期"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_written(filed, grid_worker, extra, field, message):
    with pytest.raises(ValidationError) as refused:
        resolve(grid_worker, filed, **extra)
    assert message in str(refused.value)
    assert not SpotResolution.objects.exists()


def test_only_who_may_file_the_grids_return_records_it(filed, other_grid):
    stranger = UserFactory(username="gw_other", roles=["grid_worker"])
    stranger.grids.add(other_grid)
    with pytest.raises(NotPermitted):
        resolve(stranger, filed)
    assert not SpotResolution.objects.exists()


def test_the_phone_form_records_one_and_refuses_bad_input(filed, grid_worker, client):
    client.force_login(grid_worker)
    url = f"/reports/inspections/{filed.pk}/spot/"
    page = client.get(url).content.decode()
    assert 'name="what"' in page and 'name="place"' in page and 'type="date"' in page
    # The day is filled in as a date input reads it (ISO), not in the locale's format.
    assert f'value="{min(timezone.localdate(), filed.period_end).isoformat()}"' in page
    assert "排查发现 3 件 = 登记立案 1 + 就地化解 0 + 未立案 2" in page
    day = filed.period.isoformat()
    response = client.post(
        url, {"what": "邻里噪音，当场调和", "place": "5栋", "resolved_by": "张网格", "resolved_on": day}
    )
    assert response.status_code == 302
    response = client.post(url, {"what": "", "place": "5栋", "resolved_by": "张网格", "resolved_on": day})
    assert response.status_code == 400 and "必填项" in response.content.decode()
    assert SpotResolution.objects.count() == 1
    page = client.get(url).content.decode()
    assert "邻里噪音，当场调和" in page and "就地化解 1 + 未立案 1" in page
    # The return's row on the filing page leads here.
    assert url in client.get("/reports/inspections/").content.decode()


def test_a_return_outside_the_readers_scope_is_404(filed, other_grid, client):
    stranger = UserFactory(username="gw_other", roles=["grid_worker"])
    stranger.grids.add(other_grid)
    client.force_login(stranger)
    assert client.get(f"/reports/inspections/{filed.pk}/spot/").status_code == 404


def test_reports_count_them_beside_registered_cases(filed, grid_worker, subdistrict):
    resolve(grid_worker, filed)
    figures = derive(collect(subdistrict.pk, Period.monthly(filed.period)))["inspections"]
    assert (figures["disputes_found"], figures["cases_registered"]) == (3, 1)
    assert (figures["resolved_on_spot"], figures["not_pursued"]) == (1, 1)


def test_the_map_shows_them_and_leads_to_the_return(filed, grid_worker, centre, grid, client):
    resolve(grid_worker, filed)
    resolve(grid_worker, filed)
    client.force_login(centre)
    month = filed.period.strftime("%Y-%m")
    response = client.get(f"/analysis/map/?measure=on_spot&month={month}")
    # The test grid has no boundary: it is listed beside the map, with the same figures.
    (region,) = [r for r in response.context["regions"] + response.context["unmapped"] if r["id"] == grid.pk]
    assert "就地化解" in response.content.decode()
    assert region["on_spot"] == 2
    response = client.get(region["drill"])
    assert response.status_code == 302 and response.url == f"/reports/inspections/{filed.pk}/spot/"
