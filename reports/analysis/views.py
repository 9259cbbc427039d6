"""The analysis pages. Thin: the figures come from judgement / forecast / similar / geo."""

import datetime as dt
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from casework.selectors import cases_visible_to
from reports.selectors import territory_for
from reports.statistics import Period, add_months

from . import cockpit, forecast, geo, judgement, series, similar
from .significance import ALPHA

DRILL_PARAMS = {"category": "category", "community": "community", "grid": "grid"}


def _territory(request):
    """The reader's cases and grids (a district reader's whole district, or the subdistrict picked); 404
    for anyone who reads no figures."""
    return territory_for(request.user, request.GET.get("subdistrict"))


def _month(request, today: dt.date) -> dt.date:
    """?month=YYYY-MM, default this month; a malformed or future month answers 404."""
    text = request.GET.get("month")
    if not text:
        return today.replace(day=1)
    try:
        month = dt.date.fromisoformat(f"{text}-01")
    except ValueError:
        raise Http404 from None
    if month > today:
        raise Http404
    return month


def queue_link(period, **filters) -> str:
    """The case queue (scope applies there too) narrowed to a dimension's value and a period."""
    params = {**filters, "registered_after": period.start.isoformat(), "registered_before": period.end.isoformat()}
    return f"{reverse('casework:queue')}?{urlencode(params)}"


def judgement_context(
    tables: dict, windows, repeat_parties: list, repeat_places: list, narrowing: dict | None = None
) -> dict:
    """What the 研判 tables show, with every count linked to its cases in the queue (scope applies
    there): the 研判 page's and the monthly report's section alike."""
    sections = []
    # In the 研判's own order (a stored report's JSON keeps no order).
    tables = {dimension: tables[dimension] for dimension in judgement.JUDGED_DIMENSIONS if dimension in tables}
    for dimension, rows in tables.items():
        for row in rows:
            param = {DRILL_PARAMS[dimension]: row["key"]}
            row["drill"] = {
                name: queue_link(getattr(windows, name), **param, **(narrowing or {}))
                for name in ("current", "last_year", "previous")
            }
        sections.append({"dimension": dimension, "title": judgement.JUDGEMENT_TITLES[dimension], "rows": rows})
    for place in repeat_places:
        start, end = (dt.date.fromisoformat(str(place[k])) for k in ("start", "end"))
        place["drill"] = queue_link(Period("range", start, end), grid=place["grid_id"], category=place["category_id"])
    return {
        "windows": windows,
        "sections": sections,
        "rising": {dimension: [row for row in rows if row["rising"]] for dimension, rows in tables.items()},
        "repeat_parties": repeat_parties,
        "repeat_places": repeat_places,
        "alpha": ALPHA,
    }


def report_judgement(stored: dict | None) -> dict | None:
    """The monthly report's 研判 section from what its snapshot stored (None: made before it had one)."""
    if not stored:
        return None
    return judgement_context(
        stored["tables"], judgement.stored_windows(stored), stored["repeat_parties"], stored["repeat_places"]
    )


@login_required
def judgement_page(request):
    territory = _territory(request)
    today = timezone.localdate()
    month = _month(request, today)
    figures = judgement.judgement(territory.cases, month, today)
    context = judgement_context(
        figures["tables"],
        figures["windows"],
        figures["repeat_parties"],
        figures["repeat_places"],
        territory.narrowing,
    )
    return render(
        request,
        "analysis/judgement.html",
        {"month": month, "month_text": month.strftime("%Y-%m"), "territory": territory, **context},
    )


@login_required
def forecast_page(request):
    territory = _territory(request)
    today = timezone.localdate()
    table = series.forecast_table(territory.cases, today)
    next_month = add_months(today.replace(day=1), 1)
    sections = [
        {"dimension": dimension, "title": title, "rows": table["rows"].get(dimension, [])}
        for dimension, title in (("total", "全部案件"), ("category", "按纠纷类别"), ("community", "按社区"))
    ]
    return render(
        request,
        "analysis/forecast.html",
        {
            "table": table,
            "sections": sections,
            "this_month": today.replace(day=1),
            "next_month": next_month,
            "min_months": forecast.MIN_MONTHS,
            "min_mean": forecast.MIN_MEAN,
            "territory": territory,
        },
    )


@login_required
def similar_fragment(request, pk: int):
    """类案参考 for a case page (loaded by htmx): 404 for a case outside the reader's scope."""
    scope = cases_visible_to(request.user)
    case = scope.select_related("category").filter(pk=pk).first()
    if case is None:
        raise Http404
    return render(request, "analysis/_similar.html", {"case": case, "similar": similar.similar_cases(scope, case)})


@login_required
def map_page(request):
    """民情地图: the reader's grids drawn from their own boundaries, coloured by a measure over a month."""
    territory = _territory(request)
    today = timezone.localdate()
    month = _month(request, today)
    measure = request.GET.get("measure") or "registered"
    if measure not in geo.MEASURES:
        raise Http404
    period = Period.monthly(month)
    grids = territory.grids.select_related("community").order_by("community__code", "code")
    figures = geo.grid_figures(territory.cases, period, today)
    data = geo.map_data(grids, figures, geo.spot_counts(grids, period))
    drill = {
        # Where a click on a grid leads: the queue, narrowed as the measure is (scope applies there).
        "registered": {"registered_after": period.start.isoformat(), "registered_before": period.end.isoformat()},
        "open": {"concluded_any": "false"},
        "overdue": {"overdue": "true"},
        "warning": {"warning": "true"},
        "success": {"concluded_after": period.start.isoformat(), "concluded_before": period.end.isoformat()},
        # Not cases: the month's screening returns of the grid, where they are recorded.
        "on_spot": None,
    }[measure]
    for region in data["regions"] + data["unmapped"]:
        if drill is None:
            query = {"grid": region["id"], "kind": "monthly", "period": period.start.strftime("%Y-%m")}
            region["drill"] = f"{reverse('reports:spot_grid')}?{urlencode(query)}"
        else:
            region["drill"] = f"{reverse('casework:queue')}?{urlencode({'grid': region['id'], **drill})}"
    return render(
        request,
        "analysis/map.html",
        {
            "month_text": month.strftime("%Y-%m"),
            "measure": measure,
            "measures": geo.MEASURES.items(),
            "map": {
                "geojson": data["geojson"],
                "regions": data["regions"],
                "measure": measure,
                "label": geo.MEASURES[measure],
            },
            "regions": data["regions"],
            "unmapped": data["unmapped"],
            "territory": territory,
        },
    )


def _cockpit_panel(request):
    return cockpit.panel_for(request.user)


@login_required
def cockpit_page(request):
    """驾驶舱: the map and the panel, full screen for the centre's wall; the panel polls itself."""
    # The wall display shows the reader's whole territory (a district: every subdistrict together).
    territory = territory_for(request.user)
    today = timezone.localdate()
    period = Period.monthly(today)
    grids = territory.grids.select_related("community").order_by("community__code", "code")
    data = geo.map_data(grids, geo.grid_figures(cases_visible_to(request.user), period, today))
    for region in data["regions"] + data["unmapped"]:
        query = {"grid": region["id"], "registered_after": period.start.isoformat(), "registered_before": today}
        region["drill"] = f"{reverse('casework:queue')}?{urlencode(query)}"
    context = {
        "panel": _cockpit_panel(request),
        "map": {"geojson": data["geojson"], "regions": data["regions"], "measure": "registered", "label": "本月新增"},
        "unmapped": data["unmapped"],
    }
    return render(request, "analysis/cockpit.html", context)


@login_required
def cockpit_panel(request):
    territory_for(request.user)
    return render(request, "analysis/_cockpit_panel.html", {"panel": _cockpit_panel(request)})
