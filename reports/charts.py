"""The charts of a report as plain data: one spec per chart, drawn in the browser by Apache
ECharts (static/js/report-charts.js, vendored under static/vendor/echarts/) and on the server
for the PDF (reports.exports, matplotlib). Each spec carries the table shown beside it, so
screen readers and printouts have the same numbers.
"""


def percent(rate) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _bars(chart_id: str, title: str, rows: list[dict], series_name: str = "件数") -> dict:
    return {
        "id": chart_id,
        "title": title,
        "type": "bar",
        "categories": [row["label"] for row in rows],
        "series": [{"name": series_name, "data": [row["count"] for row in rows]}],
        "drills": [[row["drill"] for row in rows]],
        "table": {"headers": ["名称", series_name], "rows": [[row["label"], row["count"]] for row in rows]},
    }


def trend(figures: dict) -> dict:
    rows = figures["trend"]
    names = [("registered", "新登记"), ("concluded", "办结"), ("agreed", "调解成功")]
    return {
        "id": "trend",
        "title": "近六个月趋势（新登记 / 办结 / 调解成功）",
        "type": "line",
        "categories": [row["month"] for row in rows],
        "series": [{"name": label, "data": [row[key] for row in rows]} for key, label in names],
        "drills": [[row[f"drill_{key}"] for row in rows] for key, _label in names],
        "table": {
            "headers": ["月份", "新登记", "办结", "调解成功", "成功率"],
            "rows": [
                [r["month"], r["registered"], r["concluded"], r["agreed"], percent(r["success_rate"])] for r in rows
            ],
        },
    }


def heat_map(figures: dict) -> dict:
    cells = figures["hot_spots"]
    communities = sorted({c["community"] for c in cells})
    categories = sorted({c["category"] for c in cells})
    return {
        "id": "hot",
        "title": "热点（社区 × 类别，本期新登记）",
        "type": "heatmap",
        "categories": categories,
        "rows": communities,
        "series": [
            {
                "name": "件数",
                "data": [
                    [categories.index(c["category"]), communities.index(c["community"]), c["count"]] for c in cells
                ],
            }
        ],
        "drills": [[c["drill"] for c in cells]],
        "table": {
            "headers": ["社区", "类别", "件数"],
            "rows": [[c["community"], c["category"], c["count"]] for c in cells],
        },
    }


def ladder(figures: dict) -> dict:
    ladder = figures["ladder"]
    rows = [
        ("社区层级办结（小事不出社区）", ladder["community"]["count"], "ladder_community"),
        ("街道层级办结", ladder["subdistrict_only"], "ladder_subdistrict"),
        ("不予受理、引导至其他途径", ladder["referred"]["count"], "declined"),
    ]
    return {
        "id": "ladder",
        "title": "调处层级（社区 → 街道 → 引导出）",
        "type": "pie",
        "categories": [label for label, _n, _d in rows],
        "series": [{"name": "件数", "data": [n for _label, n, _d in rows]}],
        "drills": [[drill for _label, _n, drill in rows]],
        "table": {"headers": ["层级", "件数"], "rows": [[label, n] for label, n, _d in rows]},
    }


def durations(figures: dict) -> dict:
    d = figures["durations"]
    rows = [("中位数", d["p50"]), ("90分位", d["p90"]), ("平均", d["mean"])]
    return {
        "id": "durations",
        "title": f"登记至办结天数（本期办结 {d['count']} 件）",
        "type": "bar",
        "categories": [label for label, _v in rows],
        "series": [{"name": "天数", "data": [v for _label, v in rows]}],
        "drills": [["concluded"] * len(rows)],
        "table": {"headers": ["统计量", "天数"], "rows": [[label, v] for label, v in rows]},
    }


def satisfaction(figures: dict) -> dict:
    follow_up = figures["follow_up"]
    labels = [f"{n}分" for n in range(1, 6)]
    return {
        "id": "satisfaction",
        "title": f"回访满意度（本期回访 {follow_up['count']} 次）",
        "type": "bar",
        "categories": labels,
        "series": [{"name": "回访次数", "data": follow_up["distribution"]}],
        "drills": [["followed_up"] * len(labels)],
        "table": {"headers": ["满意度", "回访次数"], "rows": list(zip(labels, follow_up["distribution"], strict=True))},
    }


def report_charts(figures: dict) -> list[dict]:
    """Every chart of a report, in the order of its sections (monthly reports have all of them)."""
    charts = []
    if "trend" in figures:
        charts.append(trend(figures))
    charts.append(_bars("category", "本期新登记按类别", figures["by_category"]))
    charts.append(_bars("community", "本期新登记按社区", figures["by_community"]))
    charts.append(_bars("state", "期末在办案件按状态", figures["by_state"]))
    if figures.get("hot_spots"):
        charts.append(heat_map(figures))
    charts.append(ladder(figures))
    charts.append(durations(figures))
    if "follow_up" in figures:
        charts.append(satisfaction(figures))
    return charts
