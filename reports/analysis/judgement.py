"""研判: this month's new cases by category, community and grid against the same days last year and
against the three months before, each change tested (significance.py), plus the people and places
that keep coming back.

Counts are the reports' figure "new cases" (live.registered_q: by registration time), over the reader's scope
(casework.selectors.cases_visible_to), so a number here and the report's agree on what they count.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, CharField, Count, Min, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Concat

from casework.models import Category, Party
from grids.models import Community
from reports.models import MonthlyCount
from reports.statistics import Period, add_months

from .live import DIMENSIONS, registered_q
from .significance import compare_rates, flag_rises

JUDGED_DIMENSIONS = ("category", "community", "grid")
# Each table's title, in the order above: the 研判 page, the report's section and its exports.
JUDGEMENT_TITLES = {"category": "按纠纷类别", "community": "按社区", "grid": "按网格"}
# The dimensions the reports' monthly counts are kept by (a grid is not), with where their names are.
SUMMARY_DIMENSIONS = {"category": Category, "community": Community}
REPEAT_WINDOW_DAYS = 365
REPEAT_MIN_CASES = 2


@dataclass(frozen=True)
class Windows:
    """The three stretches of a month's 研判, each a Period with inclusive ends."""

    current: Period
    last_year: Period
    previous: Period  # the three whole months before the current month

    @classmethod
    def of(cls, month: dt.date, today: dt.date) -> "Windows":
        first = month.replace(day=1)
        if first > today:
            raise ValueError("the month has not begun")
        month_end = add_months(first, 1) - dt.timedelta(days=1)
        end = min(month_end, today)  # the current month so far, compared like for like
        last_year_first = add_months(first, -12)
        last_year_end = min(last_year_first + (end - first), add_months(last_year_first, 1) - dt.timedelta(days=1))
        return cls(
            current=Period("range", first, end),
            last_year=Period("range", last_year_first, last_year_end),
            previous=Period("range", add_months(first, -3), first - dt.timedelta(days=1)),
        )

    @staticmethod
    def days(period: Period) -> int:
        return (period.end - period.start).days + 1


def _counts(cases, dimension: str, windows: Windows, today: dt.date) -> list[dict]:
    """Per value of the dimension: registered cases in each window; one query."""
    field, label = DIMENSIONS[dimension]
    registered = {name: registered_q(getattr(windows, name)) for name in ("current", "last_year", "previous")}
    # The span from last year's window to the current one bounds the three: one index range.
    span = registered_q(Period("range", windows.last_year.start, windows.current.end))
    return list(
        cases.filter(span)
        .filter(registered["current"] | registered["last_year"] | registered["previous"])
        .values(field, label)
        .annotate(**{name: Count("pk", filter=q) for name, q in registered.items()})
        .order_by(label, field)
    )


def _counts_with_summary(cases, dimension: str, windows: Windows, cells: Q) -> list[dict]:
    """The same rows as _counts, the three whole months before from the reports' monthly counts
    (`cells`: the MonthlyCount cells of exactly the cases of `cases`): the current days and last
    year's are two short index ranges, where the span holding all three is a year of rows."""
    field, label = DIMENSIONS[dimension]
    rows: dict = {}
    for name in ("current", "last_year"):
        for row in (
            cases.filter(registered_q(getattr(windows, name))).values(field, label).annotate(n=Count("pk")).order_by()
        ):
            rows.setdefault(row[field], {field: row[field], label: row[label], "current": 0, "last_year": 0})
            rows[row[field]][name] = row["n"]
    names = SUMMARY_DIMENSIONS[dimension].objects.filter(pk=OuterRef(field)).order_by().values("name")
    previous = (
        MonthlyCount.objects.filter(
            cells, measure="registered", month__gte=windows.previous.start, month__lte=windows.previous.end
        )
        .values(field)
        .annotate(n=Sum("count"), name=Subquery(names[:1]))
        .filter(n__gt=0)
        .order_by()
    )
    for row in previous:
        rows.setdefault(row[field], {field: row[field], label: row["name"], "current": 0, "last_year": 0})
    counted = {row[field]: row["n"] for row in previous}
    for key, row in rows.items():
        row["previous"] = counted.get(key, 0)
    return sorted(rows.values(), key=lambda row: (row[label], row[field]))


def judgement_table(cases, dimension: str, windows: Windows, today: dt.date, cells: Q | None = None) -> list[dict]:
    """Rows of one dimension, each with both comparisons; the rising rows first.

    `cells`, where given, are the reports' monthly counts of exactly `cases` (the cockpit's scope of
    whole places): the three months before are read from them. The two comparisons of every row
    form one family for the false-discovery control.
    """
    field, label = DIMENSIONS[dimension]
    if cells is not None and dimension in SUMMARY_DIMENSIONS:
        rows = _counts_with_summary(cases, dimension, windows, cells)
    else:
        rows = _counts(cases, dimension, windows, today)
    days = {name: windows.days(getattr(windows, name)) for name in ("current", "last_year", "previous")}
    tests = []
    for row in rows:
        tests.append(compare_rates(row["current"], days["current"], row["last_year"], days["last_year"]))
        tests.append(compare_rates(row["current"], days["current"], row["previous"], days["previous"]))
    flagged = flag_rises(tests)
    table = []
    for index, row in enumerate(rows):
        vs_year, vs_previous = flagged[2 * index], flagged[2 * index + 1]
        table.append(
            {
                "key": row[field],
                "label": row[label] or "—",
                "current": row["current"],
                "vs_year": vs_year,
                "vs_previous": vs_previous,
                "rising": vs_year.rising or vs_previous.rising,
            }
        )
    table.sort(key=lambda r: (not r["rising"], -r["current"], r["label"]))
    return table


def judgement(cases, month: dt.date, today: dt.date) -> dict:
    """The whole 研判 of a month over `cases` (the reader's scope)."""
    windows = Windows.of(month, today)
    tables = {dimension: judgement_table(cases, dimension, windows, today) for dimension in JUDGED_DIMENSIONS}
    return {
        "windows": windows,
        "tables": tables,
        "rising": {dimension: [row for row in rows if row["rising"]] for dimension, rows in tables.items()},
        "repeat_parties": repeat_parties(cases, windows.current.end),
        "repeat_places": repeat_places(cases, windows.current.end, today),
    }


def _repeat_window(end: dt.date) -> Period:
    return Period("range", end - dt.timedelta(days=REPEAT_WINDOW_DAYS - 1), end)


def repeat_parties(cases, end: dt.date, limit: int = 30) -> list[dict]:
    """重点人员: a person (by ID number, else by mobile number) in >= 2 of the cases registered in
    the 12 months to `end`. Two queries: the people, then their cases."""
    window = _repeat_window(end)
    in_window = cases.filter(registered_at__gte=window.start_at, registered_at__lt=window.end_at).values("pk")
    # One key per person: the ID number where recorded, else the mobile number, by their blind indexes
    # (both are sealed at rest and cannot be compared in SQL).
    person = Case(
        When(~Q(id_number_index=""), then=Concat(Value("id_number:"), "id_number_index")),
        default=Concat(Value("phone:"), "phone_index"),
        output_field=CharField(),
    )
    parties = (
        Party.objects.filter(case_id__in=in_window).exclude(id_number_index="", phone_index="").annotate(person=person)
    )
    people = list(
        parties.values("person")
        .annotate(cases=Count("case_id", distinct=True), name=Min("name"))
        .filter(cases__gte=REPEAT_MIN_CASES)
        .order_by("-cases", "person")[:limit]
    )
    if not people:
        return []
    numbers: dict[str, dict[int, str]] = {}
    masked: dict[str, str] = {}
    # Model rows, not values: the sealed fields are opened by the model, and only masked leave here.
    for party in parties.filter(person__in=[p["person"] for p in people]).select_related("case"):
        numbers.setdefault(party.person, {})[party.case_id] = party.case.number
        kind = party.person.partition(":")[0]
        masked[party.person] = party.masked_id_number if kind == "id_number" else party.masked_phone
    return [
        {
            "name": p["name"],
            "masked": masked.get(p["person"], ""),
            "kind": p["person"].partition(":")[0],
            "cases": p["cases"],
            "case_list": sorted(numbers.get(p["person"], {}).items()),
        }
        for p in people
    ]


def repeat_places(cases, end: dt.date, today: dt.date, limit: int = 30) -> list[dict]:
    """Repeat places: the same grid with >= 2 cases of one category in the 12 months to `end`
    (the same trouble in the same few streets). One query."""
    window = _repeat_window(end)
    rows = (
        cases.filter(registered_q(window))
        .values("grid_id", "grid__name", "community__name", "category_id", "category__name")
        .annotate(cases=Count("pk"))
        .filter(cases__gte=REPEAT_MIN_CASES)
        .order_by("-cases", "grid__name", "category__name")[:limit]
    )
    return [{**row, "start": window.start, "end": window.end} for row in rows]


def for_report(cases, month: dt.date) -> dict:
    """The 研判 of a month as a monthly report stores it: the very tables of the 研判 page, as of the
    month's last day, in JSON (a snapshot keeps what it said; the page is live)."""
    end = add_months(month.replace(day=1), 1) - dt.timedelta(days=1)
    figures = judgement(cases, month, end)
    windows = figures["windows"]
    tables = {
        dimension: [
            {**row, "vs_year": row["vs_year"].as_dict(), "vs_previous": row["vs_previous"].as_dict()} for row in rows
        ]
        for dimension, rows in figures["tables"].items()
    }
    return {
        "windows": {
            name: {"start": getattr(windows, name).start.isoformat(), "end": getattr(windows, name).end.isoformat()}
            for name in ("current", "last_year", "previous")
        },
        "tables": tables,
        "repeat_parties": [
            {**p, "case_list": [list(pair) for pair in p["case_list"]]} for p in figures["repeat_parties"]
        ],
        "repeat_places": [
            {**p, "start": p["start"].isoformat(), "end": p["end"].isoformat()} for p in figures["repeat_places"]
        ],
    }


def stored_windows(stored: dict) -> Windows:
    """The windows of a stored 研判, as Periods again."""
    return Windows(
        **{
            name: Period("range", dt.date.fromisoformat(w["start"]), dt.date.fromisoformat(w["end"]))
            for name, w in stored["windows"].items()
        }
    )
