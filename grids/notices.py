"""Notices of screening returns (排查): what a grid worker owes today and what they missed; the
centre's staff are told of the grids that have no grid worker. Once per (user, return)."""

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from common.enums import NoticeKind
from common.notices import notify

from .enums import Role
from .models import User
from .selectors import returns_owed, users_with_roles
from .services import grids_without_worker


def _return_link(row) -> str:
    # The filing page is served by a higher app, named by setting (FENGQIAO_RETURN_URL_NAME).
    return (
        f"{reverse(settings.FENGQIAO_RETURN_URL_NAME)}?grid={row['grid'].pk}&kind={row['kind']}&period={row['param']}"
    )


def _tell(users, row) -> int:
    missed = row["missed"]
    words = {"grid": row["grid"].name, "label": row["label"]}
    text = (
        _("%(grid)s %(label)s 未按时填报（缺报）。请尽快补报，点此直接填报。")
        if missed
        else _("%(grid)s %(label)s 待填报。未发现矛盾纠纷也请提交零报告。")
    ) % words
    return len(
        notify(
            users,
            kind=NoticeKind.RETURN_MISSED if missed else NoticeKind.RETURN_OWED,
            key=f"{row['grid'].pk}:{row['kind']}:{row['period']}",
            text=text,
            link=_return_link(row),
        )
    )


def returns_owed_notify(*, today: dt.date | None = None) -> int:
    """Tell each grid worker of the returns they owe and missed; the centre of grids without one."""
    today = today or timezone.localdate()
    sent = 0
    workers = [u for u in User.objects.filter(is_active=True).prefetch_related("grids") if u.has_role(Role.GRID_WORKER)]
    for worker in workers:
        for row in returns_owed(worker.grids.all(), today):
            sent += _tell([worker], row)
    orphans = grids_without_worker().select_related("community")
    staff_by_subdistrict: dict[int, list] = {}
    for row in returns_owed(orphans, today):
        subdistrict_id = row["grid"].community.subdistrict_id
        if subdistrict_id not in staff_by_subdistrict:
            staff_by_subdistrict[subdistrict_id] = users_with_roles(Role.CENTRE_STAFF, subdistrict_id=subdistrict_id)
        sent += _tell(staff_by_subdistrict[subdistrict_id], row)
    return sent
