"""异常上升预警: a category's new cases in a community this month already above the upper bound of
the 95% prediction interval for the month. The centre's staff are told once per month per
(community, category): the notice's key carries the month, and common.notices.notify writes one
row per (user, kind, key) however often the sweep runs.

Only a series whose forecast is shown on the forecast page can raise the alarm (enough history,
enough cases, a back-test whose 80% coverage is at least 70%): the alarm is that page's forecast
being exceeded, not a second, laxer rule.
"""

import datetime as dt
from urllib.parse import urlencode

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from casework.models import DisputeCase
from common.enums import NoticeKind
from common.notices import notify
from grids.enums import Role
from grids.models import Subdistrict
from grids.selectors import users_with_roles

from .forecast import backtest, forecast, too_little
from .series import history_start, monthly_series

PAIR = ("community_id", "community__name", "category_id", "category__name")


def exceedances(cases, today: dt.date) -> list[dict]:
    """The (community, category) series of `cases` whose count this month exceeds its 95% upper bound."""
    this_month = today.replace(day=1)
    first = history_start(cases)
    if first is None or first >= this_month:
        return []
    found = []
    for (community_id, community, category_id, category), counts in monthly_series(
        cases, PAIR, first, this_month, today
    ).items():
        history, so_far = counts[:-1], counts[-1]
        if so_far == 0 or too_little(history):
            continue
        predicted = forecast(history, first, 1)
        # The back-test costs twelve fits: run it only for a series already over its bound.
        if not predicted.ok or so_far <= predicted.pi95[1] or not backtest(history, first).passes:
            continue
        found.append(
            {
                "community_id": community_id,
                "community": community,
                "category_id": category_id,
                "category": category,
                "count": so_far,
                "forecast": predicted,
            }
        )
    return found


def anomaly_alerts(*, today: dt.date | None = None) -> int:
    """Notify each subdistrict's centre staff of this month's exceedances; returns notices created."""
    today = today or timezone.localdate()
    created = 0
    for subdistrict in Subdistrict.objects.order_by("pk"):
        found = exceedances(DisputeCase.objects.filter(subdistrict=subdistrict), today)
        if not found:
            continue
        staff = users_with_roles(Role.CENTRE_STAFF, subdistrict_id=subdistrict.pk)
        for item in found:
            f = item["forecast"]
            text = (
                f"{today:%Y年%m月}{item['community']}「{item['category']}」纠纷已登记 {item['count']} 件，"
                f"超过本月预测的95%上限 {f.pi95[1]} 件（预计 {f.expected:.1f} 件，80%区间 {f.pi80[0]}–{f.pi80[1]}）。"
            )
            key = f"anomaly:{item['community_id']}:{item['category_id']}:{today:%Y-%m}"
            # The notice opens this month's cases of the pair in the queue.
            query = {
                "community": item["community_id"],
                "category": item["category_id"],
                "registered_after": today.replace(day=1).isoformat(),
                "registered_before": today.isoformat(),
            }
            link = f"{reverse('casework:queue')}?{urlencode(query)}"
            with transaction.atomic():
                created += len(notify(staff, kind=NoticeKind.ANOMALY, key=key, text=text, link=link))
    return created
