"""Every write of territory and people: screening returns (排查) filed for a grid."""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.refusals import NotPermitted
from common.text import clean_text

from . import boundaries
from .enums import Crs, InspectionKind, Role
from .models import Community, Grid, Inspection, SensitivePeriod, SpotResolution, User, period_end
from .permissions import active, is_grid_worker_for

# A mainland mobile number, as SMS gateways take it.
MOBILE = re.compile(r"1[3-9][0-9]{9}")


def grids_without_worker():
    """Grids no active grid worker covers (无网格员): the centre or the community files for them."""
    covered = User.grids.through.objects.filter(user__is_active=True).values("grid_id")
    return Grid.objects.exclude(pk__in=covered)


def grids_filed_on_behalf_by(user):
    """The grids without a grid worker whose returns `user` may file on their behalf: the centre's
    staff for their subdistrict's, a community's staff for their community's."""
    if not active(user):
        return Grid.objects.none()
    if user.has_role(Role.CENTRE_STAFF) and user.subdistrict_id:
        return grids_without_worker().filter(community__subdistrict_id=user.subdistrict_id)
    if user.has_role(Role.COMMUNITY_STAFF) and user.community_id:
        return grids_without_worker().filter(community_id=user.community_id)
    return Grid.objects.none()


def grids_for_filing(user):
    """The grids whose returns `user` files: a grid worker's own grids; for centre and community
    staff, the grids in their territory that have no grid worker."""
    if not active(user):
        return Grid.objects.none()
    if user.has_role(Role.GRID_WORKER):
        return user.grids.select_related("community").order_by("community__code", "code")
    return grids_filed_on_behalf_by(user).select_related("community").order_by("community__code", "code")


def _count(value, field: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: [_("请填写非负整数。")]}) from None
    if number < 0:
        raise ValidationError({field: [_("请填写非负整数。")]})
    return number


def _filer(actor, grid) -> bool:
    """May `actor` write a return of `grid`: its grid worker, or staff for a grid without one (then
    True: on its behalf); refused otherwise."""
    own = grid is not None and is_grid_worker_for(actor, grid.pk)
    on_behalf = not own and grid is not None and grids_filed_on_behalf_by(actor).filter(pk=grid.pk).exists()
    if not (own or on_behalf):
        if actor is not None and actor.has_role(Role.GRID_WORKER):
            raise NotPermitted(_("只能为本人负责的网格填报排查记录。"))
        raise NotPermitted(_("只能为本辖区内无网格员的网格代为填报排查记录。"))
    return on_behalf


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
    """排查填报: a grid worker files one return for one of their grids and one period; centre or
    community staff file for a grid without a grid worker (recorded as filed on its behalf). A
    return filed after its day or month has ended is 补报 (late)."""
    on_behalf = _filer(actor, grid)
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
                late=today > period_end(kind, period),
                on_behalf=on_behalf,
            )
    except IntegrityError:
        raise ValidationError({"period": [_("该网格本期的排查记录已填报。")]}) from None


SPOT_TEXT_LIMITS = {
    "what": (gettext_lazy("纠纷简述"), 200),
    "place": (gettext_lazy("地点"), 100),
    "resolved_by": (gettext_lazy("化解人"), 50),
}


def _spot_text(value, field: str, label: str, limit: int, *, required: bool = True) -> str:
    value = clean_text((value or "").strip(), field=label)
    if required and not value:
        raise ValidationError({field: [_("请填写%(label)s。") % {"label": label}]})
    if len(value) > limit:
        raise ValidationError({field: [_("%(label)s不能超过%(limit)s字。") % {"label": label, "limit": limit}]})
    return value


def spot_resolution_add(
    *, actor, inspection: Inspection, what, place, resolved_by, resolved_on, parties="", at=None
) -> SpotResolution:
    """就地化解: record a dispute of a filed return that was resolved on the spot, without a case.
    Whoever may file the grid's return may record it; it falls within the return's period and not
    after today; a return's resolutions never outnumber its disputes found less its registered cases."""
    _filer(actor, inspection.grid)
    given = {"what": what, "place": place, "resolved_by": resolved_by}
    texts = {field: _spot_text(given[field], field, label, limit) for field, (label, limit) in SPOT_TEXT_LIMITS.items()}
    parties = _spot_text(parties, "parties", _("当事人"), 200, required=False)
    at = at or timezone.now()
    if not isinstance(resolved_on, dt.date):
        raise ValidationError({"resolved_on": [_("请填写化解日期。")]})
    start, end = inspection.period, period_end(inspection.kind, inspection.period)
    if not start <= resolved_on <= end:
        raise ValidationError(
            {"resolved_on": [_("化解日期须在该排查期间内（%(start)s～%(end)s）。") % {"start": start, "end": end}]}
        )
    if resolved_on > timezone.localtime(at).date():
        raise ValidationError({"resolved_on": [_("化解日期不能晚于今天。")]})
    with transaction.atomic():
        # Locked: two resolutions recorded at once must not both take the return's last place.
        locked = Inspection.objects.select_for_update().get(pk=inspection.pk)
        room = locked.disputes_found - locked.cases_registered - locked.resolutions.count()
        if room <= 0:
            raise ValidationError(
                _(
                    "该排查记录发现纠纷 %(found)s 件，其中登记立案 %(registered)s 件，已记录就地化解 %(spot)s 件，"
                    "不能再增加。如有遗漏，请联系综治中心更正排查记录。"
                )
                % {
                    "found": locked.disputes_found,
                    "registered": locked.cases_registered,
                    "spot": locked.disputes_found - locked.cases_registered - room,
                }
            )
        return SpotResolution.objects.create(
            inspection=locked,
            **texts,
            parties=parties,
            resolved_on=resolved_on,
            recorded_by=actor,
            recorded_at=at,
        )


def password_changed_by_owner(*, user) -> None:
    """The user chose their own password: an administrator's initial one is no longer in use."""
    if user.must_change_password:
        user.must_change_password = False
        user.save(update_fields=["must_change_password"])


def boundary_set(*, target: Community | Grid, boundary, crs: str) -> Community | Grid:
    """Give a grid or community its boundary (GeoJSON text or data), or clear it with None.
    A bad boundary raises ValidationError and writes nothing."""
    if crs not in Crs.values:
        raise ValidationError({"boundary_crs": [_("请选择坐标系：WGS-84 或 GCJ-02。")]})
    checked = None
    if boundary not in (None, ""):
        try:
            checked = boundaries.geometry(boundary)
        except ValidationError as exc:
            raise ValidationError({"boundary": exc.messages}) from None
    with transaction.atomic():
        target.boundary, target.boundary_crs = checked, crs if checked else ""
        target.save(update_fields=["boundary", "boundary_crs"])
    return target


def _target(properties: dict, subdistrict_id: int | None, where: str):
    """The grid (by grid_code, narrowed by community_code) or community (community_code alone) a feature names."""
    grid_code = str(properties.get("grid_code") or "").strip()
    community_code = str(properties.get("community_code") or "").strip()
    if not grid_code and not community_code:
        raise ValidationError(
            _("%(where)s：属性中须有 grid_code（网格代码）或 community_code（社区代码）。") % {"where": where}
        )
    model, lookup = (Grid, {"code": grid_code}) if grid_code else (Community, {"code": community_code})
    rows = model.objects.filter(**lookup)
    if grid_code and community_code:
        rows = rows.filter(community__code=community_code)
    if subdistrict_id is not None:
        rows = rows.filter(
            **({"community__subdistrict_id": subdistrict_id} if grid_code else {"subdistrict_id": subdistrict_id})
        )
    found = list(rows[:2])
    name = grid_code or community_code
    if not found:
        raise ValidationError(
            _("%(where)s：找不到代码为 %(code)s 的%(kind)s。")
            % {"where": where, "code": name, "kind": "网格" if grid_code else "社区"}
        )
    if len(found) > 1:
        raise ValidationError(
            _("%(where)s：代码 %(code)s 对应多个网格，请同时注明 community_code。") % {"where": where, "code": name}
        )
    return found[0]


def boundaries_import(*, collection, crs: str, subdistrict_id: int | None = None) -> dict:
    """Boundaries from one GeoJSON FeatureCollection whose features name a grid (properties.grid_code,
    with community_code where codes repeat) or a community (community_code alone).

    Every feature is checked first; one bad feature refuses the whole file (ValidationError listing
    every problem) and nothing is written. Returns the counts written."""
    if crs not in Crs.values:
        raise ValidationError(_("请选择坐标系：WGS-84 或 GCJ-02。"))
    items = boundaries.features(collection)
    problems, targets, seen = [], [], set()
    for n, (properties, geometry) in enumerate(items, 1):
        where = _("第%(n)s个要素") % {"n": n}
        try:
            target = _target(properties, subdistrict_id, where)
            if (type(target), target.pk) in seen:
                raise ValidationError(
                    _("%(where)s：%(name)s 在文件中出现了不止一次。") % {"where": where, "name": target}
                )
            seen.add((type(target), target.pk))
            checked = boundaries.geometry(geometry)
        except ValidationError as exc:
            problems += [
                m if m.startswith(where) else f"{where}（{target_name(properties)}）：{m}" for m in exc.messages
            ]
            continue
        targets.append((target, checked))
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        for target, checked in targets:
            target.boundary, target.boundary_crs = checked, crs
            target.save(update_fields=["boundary", "boundary_crs"])
    return {
        "grids": sum(isinstance(t, Grid) for t, _g in targets),
        "communities": sum(isinstance(t, Community) for t, _g in targets),
    }


def target_name(properties: dict) -> str:
    return str(properties.get("grid_code") or properties.get("community_code") or "?")


def contact_update(*, user, email: str, mobile: str) -> None:
    """Where the user's notices by e-mail and SMS go; blank: that channel is not used."""
    email, mobile = (email or "").strip(), (mobile or "").strip()
    errors = {}
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            errors["email"] = [_("请输入有效的电子邮箱地址。")]
    if mobile and not MOBILE.fullmatch(mobile):
        errors["mobile"] = [_("手机号码为 11 位数字，以 1 开头。")]
    if errors:
        raise ValidationError(errors)
    user.email, user.mobile = email, mobile
    user.save(update_fields=["email", "mobile"])
