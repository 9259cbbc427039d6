"""排查填报 as a grid worker lives it: what is owed today and this month, and what was missed, one
tap each from the home page; filed late is 补报; a grid without a grid worker is filed for by the
centre or the community, on its behalf."""

import datetime as dt
import re
from html import unescape

from django.urls import reverse
from django.utils import timezone

from grids.models import Inspection, SensitivePeriod
from grids.selectors import returns_owed

OWED_LINK = re.compile(r'<a class="owed-item[^"]*" href="([^"]+)"')


def test_a_grid_worker_owes_todays_and_this_months_returns_and_the_missed_ones(grid_worker, grid):
    today = timezone.localdate()
    SensitivePeriod.objects.create(name="国庆", start=today - dt.timedelta(days=1), end=today + dt.timedelta(days=5))
    owed = returns_owed(grid_worker.grids.all(), today)
    labels = [(row["kind"], row["period"], row["missed"]) for row in owed]
    month, last_month = today.replace(day=1), (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    # What is owed now first (today's, this month's), then the missed ones, oldest first.
    assert labels == [
        ("daily", today, False),
        ("monthly", month, False),
        ("monthly", last_month, True),
        ("daily", today - dt.timedelta(days=1), True),
    ]


def test_todays_return_is_filed_from_the_home_page_in_two_taps(client, grid_worker, grid):
    today = timezone.localdate()
    SensitivePeriod.objects.create(name="春节", start=today, end=today)
    client.force_login(grid_worker)
    home = client.get(reverse("home")).content.decode()
    links = [unescape(href) for href in OWED_LINK.findall(home)]
    today_link = next(link for link in links if f"period={today.isoformat()}" in link)
    # Tap 1: the return owed today, chosen; no period to type.
    form_page = client.get(today_link).content.decode()
    assert "正在填报" in form_page and f'name="period" value="{today.isoformat()}"' in form_page
    assert 'type="text" name="period"' not in form_page
    # Tap 2: 零报告.
    zero = re.search(r'<form method="post"[^>]*class="zero-report">(.*?)</form>', form_page, re.S).group(1)
    data = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', zero))
    response = client.post(reverse("reports:inspections"), data)
    assert response.status_code == 302
    inspection = Inspection.objects.get(kind="daily")
    assert (inspection.period, inspection.zero_report, inspection.late, inspection.on_behalf) == (
        today,
        True,
        False,
        False,
    )
    assert f"period={today.isoformat()}" not in client.get(reverse("home")).content.decode()


def test_a_long_list_of_missed_returns_folds_on_the_home_page(client, grid_worker, grid):
    """A fortnight of sensitive days missed: what is owed now and the oldest three missed show, 展开
    opens the rest; every one is still one tap away."""
    today = timezone.localdate()
    SensitivePeriod.objects.create(name="防汛", start=today - dt.timedelta(days=20), end=today)
    owed = returns_owed(grid_worker.grids.all(), today)
    missed = [row for row in owed if row["missed"]]
    assert len(missed) > 3 + 1
    client.force_login(grid_worker)
    home = client.get(reverse("home")).content.decode()
    shown, _, folded = home.partition('<details class="owed-more">')
    folded = folded.partition("</details>")[0]
    assert f"展开其余 {len(missed) - 3} 条缺报" in folded
    assert len(OWED_LINK.findall(shown)) == (len(owed) - len(missed)) + 3
    assert len(OWED_LINK.findall(folded)) == len(missed) - 3
    assert f"period={today.isoformat()}" in shown  # today's return is never folded away
    assert f"period={missed[0]['param']}" in shown and f"period={missed[-1]['param']}" in folded


def test_a_short_list_of_missed_returns_does_not_fold(client, grid_worker, grid):
    today = timezone.localdate()
    SensitivePeriod.objects.create(name="国庆", start=today - dt.timedelta(days=1), end=today)
    client.force_login(grid_worker)
    home = client.get(reverse("home")).content.decode()
    assert "owed-more" not in home and len(OWED_LINK.findall(home)) == len(returns_owed(grid_worker.grids.all(), today))


def test_a_return_filed_after_its_month_is_late_and_shown_as_such_on_missing(client, grid_worker, grid, centre):
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    client.force_login(grid_worker)
    data = {"grid": grid.pk, "kind": "monthly", "period": last_month.strftime("%Y-%m"), "zero_report": "on"}
    data.update(disputes_found=0, cases_registered=0)
    client.post(reverse("reports:inspections"), data)
    assert Inspection.objects.get().late is True
    client.force_login(centre)
    page = client.get(reverse("reports:missing"), {"kind": "monthly", "period": last_month.strftime("%Y-%m")})
    body = page.content.decode()
    assert "补报" in body and grid.name in body.split("补报")[-1]


def test_the_centre_files_for_a_grid_without_a_grid_worker_on_its_behalf(
    client, centre, grid, sibling_grid, grid_worker
):
    month = timezone.localdate().replace(day=1)
    client.force_login(centre)
    missing = client.get(reverse("reports:missing"), {"kind": "monthly"}).content.decode()
    assert "无网格员" in missing and "代为填报" in missing
    href = unescape(re.search(rf'href="([^"]*grid={sibling_grid.pk}[^"]*)">代为填报', missing).group(1))
    assert "正在填报" in client.get(href).content.decode()
    data = {"grid": sibling_grid.pk, "kind": "monthly", "period": month.strftime("%Y-%m"), "zero_report": "on"}
    data.update(disputes_found=0, cases_registered=0)
    assert client.post(reverse("reports:inspections"), data).status_code == 302
    inspection = Inspection.objects.get()
    assert (inspection.grid, inspection.filed_by, inspection.on_behalf) == (sibling_grid, centre, True)
    # A grid that has its grid worker is theirs to file, not the centre's.
    refused = client.post(reverse("reports:inspections"), {**data, "grid": grid.pk})
    assert refused.status_code == 200 and not Inspection.objects.filter(grid=grid).exists()


def test_grid_workers_are_told_of_returns_owed_and_the_centre_of_grids_without_one(
    grid_worker, grid, sibling_grid, centre
):
    from common.models import Notice
    from grids.notices import returns_owed_notify

    today = timezone.localdate()
    sent = returns_owed_notify(today=today)
    assert returns_owed_notify(today=today) == 0  # once per return
    mine = Notice.objects.filter(user=grid_worker)
    assert {n.kind for n in mine} == {"return_owed", "return_missed"}
    assert all(n.link.startswith(reverse("reports:inspections") + f"?grid={grid.pk}") for n in mine)
    # sibling_grid has no grid worker: the centre is told.
    assert Notice.objects.filter(user=centre, link__contains=f"grid={sibling_grid.pk}").count() == 2
    assert sent == mine.count() + 2
