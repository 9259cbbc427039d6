"""Every write of territory and people: screening returns (排查) filed for a grid."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .enums import InspectionKind, Role
from .models import Grid, Inspection, SensitivePeriod
from .permissions import is_grid_worker_for


def grids_for_filing(user):
    """The grids whose returns `user` files: a grid worker's own grids."""
    if not (user and user.is_active and user.has_role(Role.GRID_WORKER)):
        return Grid.objects.none()
    return user.grids.select_related("community").order_by("community__code", "code")


def _count(value, field: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: [_("请填写非负整数。")]}) from None
    if number < 0:
        raise ValidationError({field: [_("请填写非负整数。")]})
    return number


def inspection_file(
    *,
    actor,
    grid: Grid,
    kind: str,
    period: dt.date,
    disputes_found,
    cases_registered,
    zero_report: bool,
    notes: str = "",
    at: dt.datetime | None = None,
) -> Inspection:
    """排查填报: a grid worker files one return for one of their grids and one period."""
    if grid is None or not is_grid_worker_for(actor, grid.pk):
        raise PermissionDenied(_("只能为本人负责的网格填报排查记录。"))
    if kind not in InspectionKind.values:
        raise ValidationError({"kind": [_("排查类型须为日查或月查。")]})
    if not isinstance(period, dt.date):
        raise ValidationError({"period": [_("请填写排查期间。")]})
    at = at or timezone.now()
    today = timezone.localtime(at).date()
    if kind == InspectionKind.MONTHLY:
        period = period.replace(day=1)
    if period > today:
        raise ValidationError({"period": [_("不能填报未来期间的排查记录。")]})
    if kind == InspectionKind.DAILY and not SensitivePeriod.objects.covering(period).exists():
        raise ValidationError({"period": [_("该日不在敏感期内，无需日查日报；请填报月查。")]})
    found = _count(disputes_found, "disputes_found")
    registered = _count(cases_registered, "cases_registered")
    if zero_report and (found or registered):
        raise ValidationError({"zero_report": [_("零报告不能填写发现的纠纷数或登记数。")]})
    if not zero_report and found == 0:
        raise ValidationError({"zero_report": [_("未发现纠纷时请明确勾选零报告。")]})
    if registered > found:
        raise ValidationError({"cases_registered": [_("登记立案数不能大于发现的纠纷数。")]})
    notes = (notes or "").strip()
    if len(notes) > 2000:
        raise ValidationError({"notes": [_("情况说明不能超过2000字。")]})
    try:
        with transaction.atomic():
            return Inspection.objects.create(
                grid=grid,
                kind=kind,
                period=period,
                disputes_found=found,
                cases_registered=registered,
                zero_report=bool(zero_report),
                notes=notes,
                filed_by=actor,
                filed_at=at,
            )
    except IntegrityError:
        raise ValidationError({"period": [_("该网格本期的排查记录已填报。")]}) from None
