"""Report pages, exports and screening returns. Thin: selectors read, services write."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from casework.enums import CaseStatus
from common.audit import audit_export
from common.refusals import NotPermitted, Refusal, show_refusal
from grids import selectors as grid_selectors
from grids import services as grid_services
from grids.enums import InspectionKind, Role

from . import charts, district, exports, selectors, services, statistics
from .analysis.views import report_judgement
from .exports import percent
from .forms import GenerateReportForm, InspectionForm, SpotResolutionForm, parse_period


def _readers_only(user):
    if not selectors.can_read_reports(user):
        raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def report_list(request):
    _readers_only(request.user)
    can_generate = services.can_generate_reports(request.user)
    form = GenerateReportForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not can_generate:
            raise NotPermitted(_("只有综治中心工作人员可以生成报表。"))
        if form.is_valid():
            try:
                snapshot, created = services.report_generate(
                    kind=form.cleaned_data["kind"],
                    period=form.cleaned_data["period"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except (ValidationError, Refusal) as exc:
                status = show_refusal(form, exc)
            else:
                if not created:
                    messages.info(request, _("数据未变化，沿用现有第%(v)s版。") % {"v": snapshot.version})
                return redirect("reports:detail", pk=snapshot.pk)
    page = Paginator(selectors.snapshot_list(request.user), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/report_list.html",
        {"page": page, "form": form, "can_generate": can_generate},
        status=status,
    )


def _community_param(request) -> int | None:
    value = request.GET.get("community", "")
    if not value:
        return None
    if not value.isdigit():
        raise Http404
    return int(value)


def _view_context(request, snapshot):
    community_id = _community_param(request)
    figures = selectors.view_figures(request.user, snapshot, community_id)
    own = selectors.reader_community_id(request.user)
    shown = own if own is not None else community_id
    communities = dict(selectors.community_choices(snapshot))
    return figures, shown, communities.get(shown) if shown is not None else None


@login_required
def report_detail(request, pk: int):
    snapshot = selectors.snapshot_for(request.user, pk, legacy=True)
    if snapshot.is_legacy:
        return render(
            request,
            "reports/report_legacy.html",
            {"snapshot": snapshot, "can_generate": services.can_generate_reports(request.user)},
        )
    figures, community_id, community_name = _view_context(request, snapshot)
    wide = selectors.reader_community_id(request.user) is None
    context = {
        "snapshot": snapshot,
        "figures": figures,
        "totals": figures["totals"],
        "rate": exports.rate_text(figures["success_rate"]),
        "rate_period": exports.rate_text(figures["success_rate_period"]),
        "rate_period_percent": percent(figures["success_rate_period"]["rate"]),
        "third_party_rate": exports.rate_text(figures["third_party"]["cumulative"]),
        "third_party_rate_period": exports.rate_text(figures["third_party"]["period"]),
        "on_time_rate": percent(figures["on_time"]["rate"]),
        "level_rates": [
            {**row, "key": level, "label": label, "rate": percent(row["rate"])}
            for level, label in (("community", _("社区")), ("subdistrict", _("街道")), ("district", _("区")))
            if (row := figures["on_time"].get("by_level", {}).get(level))
        ],
        "coverage": percent(figures["inspections"]["coverage"]),
        "supervision_on_time_rate": percent((figures.get("supervision") or {}).get("on_time_rate")),
        # Reports frozen before the district rung have no district share: shown as none.
        "ladder": {
            key: exports.share_text(figures["ladder"][key]) if key in figures["ladder"] else ""
            for key in ("community", "subdistrict", "referred", "district")
        },
        "charts": charts.report_charts(figures),
        "community_id": community_id,
        "community_name": community_name,
        "communities": selectors.community_choices(snapshot) if wide else [],
        "scope_query": f"community={community_id}&" if community_id is not None and wide else "",
        "versions": selectors.snapshot_list(request.user).filter(
            subdistrict_id=snapshot.subdistrict_id, kind=snapshot.kind, period=snapshot.period
        ),
        "can_generate": services.can_generate_reports(request.user),
        "judgement": report_judgement(figures.get("judgement")),
    }
    return render(request, "reports/report_detail.html", context)


@login_required
def report_compare(request, pk: int):
    """Leaders' and the centre's comparison: every community's headline figures side by side."""
    snapshot = selectors.snapshot_for(request.user, pk)
    if selectors.reader_community_id(request.user) is not None:
        raise Http404
    rows = selectors.community_comparison(snapshot)
    return render(
        request,
        "reports/report_compare.html",
        {"snapshot": snapshot, "rows": rows, "figures": snapshot.figures},
    )


@login_required
def report_cases(request, pk: int):
    """Drill-down: exactly the cases stored behind one figure, within the reader's scope, then and now."""
    snapshot = selectors.snapshot_for(request.user, pk)
    key = request.GET.get("figure", "")
    community_id = _community_param(request)
    ids = selectors.figure_ids(request.user, snapshot, key, community_id)
    cases = selectors.drill_down(request.user, snapshot, key, community_id, ids=ids)
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    cases_on_page = list(page)
    then = selectors.states_then(snapshot, [case.pk for case in cases_on_page])
    labels = dict(CaseStatus.choices)
    rows = [(case, labels.get(then.get(case.pk), "—")) for case in cases_on_page]
    title = statistics.figure_title(key, selectors.snapshot_period(snapshot), snapshot.material.get("labels", {}))
    scope = f"community={community_id}&" if community_id is not None else ""
    return render(
        request,
        "reports/report_cases.html",
        {
            "snapshot": snapshot,
            "figure": key,
            "title": title,
            "page": page,
            "rows": rows,
            "stored": len(ids),
            "query": f"{scope}{urlencode({'figure': key})}&",
            "scope_query": scope,
            # The ledger (a sibling app) serves the figure's cases in its layout; named by setting.
            "ledger_export_url": reverse(settings.FENGQIAO_FIGURE_EXPORT_URL_NAMES["ledger"], args=[snapshot.pk]),
        },
    )


def _export(request, pk: int, render_bytes, content_type: str, extension: str):
    snapshot = selectors.snapshot_for(request.user, pk)
    figures, _community_id, community_name = _view_context(request, snapshot)
    response = HttpResponse(render_bytes(snapshot, figures, community_name), content_type=content_type)
    filename = (
        f"report-{snapshot.subdistrict.code}-{snapshot.kind}-{snapshot.period_label}-v{snapshot.version}.{extension}"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Figures and case numbers only, no party's personal data: masked.
    rows = len(figures["warnings"]) + len(figures["overdue_cases"])
    audit_export(request, what=f"report:{snapshot.pk}:{extension}", rows=rows, masked=True)
    return response


@login_required
def report_xlsx(request, pk: int):
    return _export(
        request, pk, exports.snapshot_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
    )


@login_required
def report_pdf(request, pk: int):
    return _export(request, pk, exports.snapshot_pdf, "application/pdf", "pdf")


def _chosen_return(request, owed):
    """The owed return named in the URL (?grid=&kind=&period=), else the first one owed."""
    source = request.POST if request.method == "POST" else request.GET
    wanted = (source.get("grid", ""), source.get("kind", ""), source.get("period", ""))
    for row in owed:
        if (str(row["grid"].pk), row["kind"], row["param"]) == wanted:
            return row
    return owed[0] if owed else None


@login_required
@require_http_methods(["GET", "POST"])
def inspection_file(request):
    """排查填报: the returns a grid worker owes (today's, this month's, missed ones), one tap each,
    the chosen one filed as a zero report in one more tap or with its counts. Centre and community
    staff file here for the grids of their territory that have no grid worker."""
    grids = grid_services.grids_for_filing(request.user)
    if not (request.user.has_role(Role.GRID_WORKER) or grids.exists()):
        raise Http404
    owed = grid_selectors.returns_owed(grids, timezone.localdate())
    chosen = _chosen_return(request, owed)
    initial = {"grid": chosen["grid"].pk, "kind": chosen["kind"], "period": chosen["param"]} if chosen else {}
    form = InspectionForm(request.POST or None, grids=grids, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            inspection = grid_services.inspection_file(actor=request.user, **data)
        except (ValidationError, Refusal) as exc:
            status = show_refusal(form, exc)
        else:
            done = _("%(grid)s %(period)s 已填报。") % {"grid": inspection.grid.name, "period": inspection.period_label}
            messages.success(request, done + (_("（补报）") if inspection.late else ""))
            return redirect("reports:inspections")
    return render(
        request,
        "reports/inspection_form.html",
        {
            "form": form,
            "owed": owed,
            "chosen": chosen,
            "filed": grid_selectors.inspections_filed_by(request.user),
        },
        status=status,
    )


@login_required
def spot_resolutions(request, pk: int):
    """就地化解 of one screening return: the ones recorded, and the short form to record another
    (whoever may file the grid's return). A return the reader may not see: 404."""
    inspection = get_object_or_404(
        grid_selectors.inspections_visible_to(request.user).select_related("grid__community"), pk=pk
    )
    today = timezone.localdate()
    initial = {"resolved_by": request.user.display_name, "resolved_on": min(today, inspection.period_end)}
    form = SpotResolutionForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and not form.is_valid():
        status = 400
    elif request.method == "POST":
        try:
            grid_services.spot_resolution_add(actor=request.user, inspection=inspection, **form.cleaned_data)
        except (ValidationError, Refusal) as exc:
            status = show_refusal(form, exc)
        else:
            messages.success(request, _("已记录就地化解。"))
            return redirect("reports:spot", pk=inspection.pk)
    resolutions = list(inspection.resolutions.order_by("-resolved_on", "-pk"))
    return render(
        request,
        "reports/spot_resolutions.html",
        {
            "inspection": inspection,
            "form": form,
            "resolutions": resolutions,
            "not_pursued": inspection.disputes_found - inspection.cases_registered - len(resolutions),
        },
        status=status,
    )


@login_required
def spot_resolutions_of_grid(request):
    """The 就地化解 of a grid's return for a period (the map's link): 404 without such a return in
    the reader's scope."""
    try:
        kind = request.GET["kind"]
        period = parse_period(kind, request.GET["period"])
        grid = int(request.GET["grid"])
    except (KeyError, ValueError, ValidationError):
        raise Http404 from None
    inspection = get_object_or_404(
        grid_selectors.inspections_visible_to(request.user), grid_id=grid, kind=kind, period=period
    )
    return redirect("reports:spot", pk=inspection.pk)


@login_required
def inspection_missing(request):
    """缺报: the grids without a return for a period, with the workers responsible."""
    territory = selectors.territory_for(request.user, request.GET.get("subdistrict"))
    kind = request.GET.get("kind") or InspectionKind.MONTHLY
    if kind not in InspectionKind.values:
        raise Http404
    today = timezone.localdate()
    try:
        period = parse_period(kind, request.GET["period"]) if request.GET.get("period") else today
    except ValidationError:
        raise Http404 from None
    inspection_kind, period_date, required = statistics.inspection_requirement(kind, period)
    grids = statistics.missing_returns(inspection_kind, period_date, territory.grids)
    on_behalf = set(grid_services.grids_filed_on_behalf_by(request.user).values_list("pk", flat=True))
    return render(
        request,
        "reports/inspection_missing.html",
        {
            "kind": inspection_kind,
            "kinds": InspectionKind.choices,
            "period": period_date,
            "period_text": period_date.strftime("%Y-%m") if inspection_kind == InspectionKind.MONTHLY else period_date,
            "required": required,
            "grids": grids if required else [],
            "late": selectors.late_returns(territory, inspection_kind, period_date) if required else [],
            "territory": territory,
            "on_behalf": on_behalf,
            "period_param": period_date.strftime("%Y-%m") if inspection_kind == InspectionKind.MONTHLY else period_date,
        },
    )


# -- the district's monthly reports (区月报): district staff and leaders of that district only -------


@login_required
def district_report_list(request):
    page = Paginator(district.district_report_list(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "reports/district_report_list.html", {"page": page})


@login_required
def district_report_detail(request, pk: int):
    report = district.district_report_for(request.user, pk)
    figures = report.figures
    rows = [
        {
            **_district_texts(row),
            "url": reverse("reports:detail", args=[row["snapshot"]]),
            "cases": reverse("reports:cases", args=[row["snapshot"]]),
        }
        for row in figures["subdistricts"]
    ]
    context = {
        "report": report,
        "figures": figures,
        "rows": rows,
        "total": _district_texts(figures["district"]),
        "versions": district.district_report_list(request.user).filter(period=report.period),
    }
    return render(request, "reports/district_report_detail.html", context)


def _district_texts(row: dict) -> dict:
    """A district report's row with its rates written out: the rate, its counts and the interval."""
    on_time = row["on_time"]
    return {
        **row,
        "texts": {
            "success": exports.rate_text(row["success_rate"]),
            "third_party": exports.rate_text(row["third_party"]),
            "on_time": f"{percent(on_time['rate'])}（{on_time['on_time']}/{on_time['of']}）",
            **{key: exports.share_text(row["ladder"][key]) for key in ("community", "subdistrict", "district")},
        },
    }


def _district_export(request, pk: int, render_bytes, content_type: str, extension: str):
    report = district.district_report_for(request.user, pk)
    response = HttpResponse(render_bytes(report), content_type=content_type)
    filename = f"report-{report.district.code}-monthly-{report.period_label}-v{report.version}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Counts and rates only, no case and no party.
    audit_export(
        request, what=f"district_report:{report.pk}:{extension}", rows=len(report.figures["subdistricts"]), masked=True
    )
    return response


@login_required
def district_report_xlsx(request, pk: int):
    return _district_export(
        request, pk, exports.district_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
    )


@login_required
def district_report_pdf(request, pk: int):
    return _district_export(request, pk, exports.district_pdf, "application/pdf", "pdf")
