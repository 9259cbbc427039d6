"""Server-rendered SVG bar charts: geometry here, markup in templates/reports/_bars.html.

No JavaScript and no CDN (government intranets); every bar links to its drill-down.
"""

ROW_HEIGHT = 22
LABEL_WIDTH = 140
BAR_SPACE = 360


def bars(rows, *, value="count", label="label", drill="drill") -> dict:
    """Horizontal bars for rows of {label, count, drill}; widths relative to the largest."""
    rows = list(rows)
    peak = max((row[value] or 0 for row in rows), default=0)
    items = []
    for index, row in enumerate(rows):
        amount = row[value] or 0
        items.append(
            {
                "label": row[label],
                "value": amount,
                "drill": row.get(drill),
                "y": index * ROW_HEIGHT,
                "text_y": index * ROW_HEIGHT + 15,
                "width": round(BAR_SPACE * amount / peak, 1) if peak else 0,
                "value_x": LABEL_WIDTH + (round(BAR_SPACE * amount / peak, 1) if peak else 0) + 6,
            }
        )
    return {
        "items": items,
        "height": max(len(items), 1) * ROW_HEIGHT,
        "label_width": LABEL_WIDTH,
        "width": LABEL_WIDTH + BAR_SPACE + 60,
    }


def trend_columns(trend: list[dict]) -> dict:
    """Grouped columns per month: new cases and conclusions, each linking to its month's cases."""
    peak = max((max(row["registered"], row["concluded"]) for row in trend), default=0) or 1
    height, column, gap = 160, 18, 24
    months = []
    for index, row in enumerate(trend):
        x = index * (2 * column + gap)
        months.append(
            {
                "month": row["month"],
                "x": x,
                "label_x": x + column,
                "series": [
                    {
                        "name": name,
                        "x": x + offset * column,
                        "value": row[name],
                        "h": round(height * row[name] / peak, 1),
                        "y": round(height - height * row[name] / peak, 1),
                        "drill": row[f"drill_{name}"],
                    }
                    for offset, name in enumerate(("registered", "concluded"))
                ],
            }
        )
    return {"months": months, "height": height, "width": max(len(trend), 1) * (2 * column + gap), "column": column}
