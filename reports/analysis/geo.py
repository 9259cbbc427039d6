"""民情地图: each grid's figures for a period, and the grids' own boundaries as GeoJSON for the map.

The figures are the reports' definitions (live.py) over the reader's scope, all grids in one query
by conditional aggregation; flows (new, concluded, agreed) are the period's, stocks (open, overdue,
预警) as of now.
"""

import datetime as dt

from django.db.models import Count

from grids.models import SpotResolution
from reports.statistics import Period, wilson_interval

from . import live

FIGURES = ("registered", "open", "overdue", "warning", "concluded", "agreed")
MEASURES = {
    "registered": "新增案件",
    "open": "在办案件",
    "overdue": "逾期案件",
    "warning": "预警案件",
    "success": "调解成功率",
    "on_spot": "就地化解",
}


def grid_figures(cases, period: Period, today: dt.date) -> dict[int, dict]:
    """{grid id: {figure: count}} for every grid with any case in the figures; one query."""
    return live.counts(cases, period, today, FIGURES, by="grid_id")


def spot_counts(grids, period: Period) -> dict[int, int]:
    """就地化解 per grid: disputes resolved on the spot in `period` (not cases: screening returns
    record them); one query."""
    return dict(
        SpotResolution.objects.filter(
            inspection__grid__in=grids, resolved_on__gte=period.start, resolved_on__lte=period.end
        )
        .values_list("inspection__grid_id")
        .annotate(n=Count("pk"))
        .order_by()
    )


def success(figures: dict) -> dict:
    concluded, agreed = figures["concluded"], figures["agreed"]
    ci = wilson_interval(agreed, concluded)
    return {
        "rate": round(agreed / concluded, 3) if concluded else None,
        "ci95": [round(ci[0], 3), round(ci[1], 3)] if ci else None,
    }


def map_data(grids, figures: dict[int, dict], on_spot: dict[int, int] | None = None) -> dict:
    """The map's GeoJSON (the grids with a boundary; each feature named by the grid's id, which
    ECharts joins on) and each grid's figures, 就地化解 among them; the grids without a boundary
    listed apart."""
    features, regions, unmapped = [], [], []
    for grid in grids:
        counts = figures.get(grid.pk, dict.fromkeys(FIGURES, 0))
        region = {
            "on_spot": (on_spot or {}).get(grid.pk, 0),
            "id": grid.pk,
            "name": str(grid.pk),
            "grid": grid.name,
            "community": grid.community.name,
            **counts,
            **{f"success_{k}": v for k, v in success(counts).items()},
        }
        if grid.boundary:
            features.append({"type": "Feature", "properties": {"name": str(grid.pk)}, "geometry": grid.boundary})
            regions.append(region)
        else:
            unmapped.append(region)
    return {"geojson": {"type": "FeatureCollection", "features": features}, "regions": regions, "unmapped": unmapped}
