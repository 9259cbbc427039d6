"""The official calendar of public holidays and 调休 working days, from `chinese-calendar`.

A leaf module (no models) so a data migration and the `load_calendar` command share it.
"""

import datetime as dt

import chinese_calendar

HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def official_overrides(start: dt.date, end: dt.date) -> list[tuple[dt.date, str, str]]:
    """Days between start and end (inclusive) that break the Monday-to-Friday rule: (date, kind, name)."""
    rows = []
    day = start
    while day <= end:
        weekday = day.weekday() < 5
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        if weekday and on_holiday:
            rows.append((day, "holiday", HOLIDAY_NAMES.get(name, name or "")))
        elif not weekday and not on_holiday:
            rows.append((day, "workday", f"{HOLIDAY_NAMES.get(name, name or '')}调休".lstrip()))
        day += dt.timedelta(days=1)
    return rows


def known_years() -> range:
    """The years the installed package carries official calendars for."""
    years = sorted({d.year for d in chinese_calendar.holidays})
    return range(years[0], years[-1] + 1)
