"""The figures, each defined once, and the reports made of them.

The success rate is the system's headline figure: agreed ÷ concluded, with its count and a
95% Wilson interval. Overdue, on time, concluded and open are defined below (one function
each, with its docstring); the dashboard, the report pages, the exports and the API all
read them from here.
"""

import datetime as dt
import json
import math
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    JSONField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, NullIf
from django.utils import timezone

from casework import calendar
from casework.enums import (
    CONCLUDED,
    IN_MEDIATION,
    NOT_YET_CONCLUDED,
    OPEN,
    CaseStatus,
    Level,
    Outcome,
    RecordKind,
    Referral,
    Risk,
    Source,
    Transition,
    WarningReason,
    WithdrawnBy,
    running_deadline,
)
from casework.models import CaseEvent, DisputeCase, SupervisionOrder
from grids.enums import InspectionKind
from grids.models import Grid, Inspection, SensitivePeriod, User
from mediation.enums import THIRD_PARTY_KINDS, JudicialConfirmation
from mediation.models import Agreement, FollowUp, Mediator

from . import summary
from .models import MonthlyCount

Z95 = 1.959963984540054


def wilson_interval(successes: int, total: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval; unlike the normal approximation it behaves at 0% and 100%."""
    if total == 0:
        return None
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    # The interval always holds the observed rate; rounding alone gave 0.9999999999999999 for 10 of 10.
    return (max(0.0, min(centre - half, p)), min(1.0, max(centre + half, p)))


@dataclass(frozen=True)
class SuccessRate:
    concluded: int
    agreed: int

    @property
    def rate(self) -> float | None:
        return self.agreed / self.concluded if self.concluded else None

    @property
    def ci95(self) -> tuple[float, float] | None:
        return wilson_interval(self.agreed, self.concluded)

    def as_dict(self) -> dict:
        ci = self.ci95
        return {
            "concluded": self.concluded,
            "agreed": self.agreed,
            "rate": round(self.rate, 3) if self.rate is not None else None,
            "ci95": [round(ci[0], 4), round(ci[1], 4)] if ci else None,
        }

    def __str__(self) -> str:
        if not self.concluded:
            return "—（0 件办结）"
        return f"{self.rate:.1%}, {self.agreed} of {self.concluded}"


def among(ids: list[int]):
    """A right-hand side for `__in` over ids already read: on PostgreSQL one array parameter, so the
    statement is the same size for ten ids or a hundred thousand, and planned from their number
    (a subquery in their place is planned and run again in each statement that uses it)."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", (ids,))
    # SQLite (`make run`): one JSON text parameter too, not one parameter an id (it allows 32,766).
    return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(ids),))


def day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in the deployment's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def concluded_cases(cases=None, *, since: dt.date | None = None, until: dt.date | None = None, community: bool = False):
    """Cases concluded (agreed or failed, closed since or not) between two dates, both inclusive;
    `community`: as a community counts its own, its failures taken up the ladder kept (they are
    open again: DisputeCase.objects.concluded_for_community)."""
    cases = DisputeCase.objects.all() if cases is None else cases
    start = day_start(since) if since else None
    end = day_start(until + dt.timedelta(days=1)) if until else None
    return cases.concluded_for_community(start, end) if community else cases.concluded_between(start, end)


def success_rates(
    cases=None, *, since: dt.date | None = None, until: dt.date | None = None, community_failures: bool = False
) -> tuple[SuccessRate, SuccessRate]:
    """(all, third-party) agreed ÷ concluded over `cases` (default: all), by conclusion date; one query.

    `community_failures`: a community's own figures, which keep its failures taken up the ladder
    (counted as failures, in the same query)."""
    concluded = concluded_cases(cases, since=since, until=until, community=community_failures)
    return success_pair(concluded.aggregate(**SUCCESS_COUNTS))


# The counts behind the success rates, over concluded cases: aggregated at once, or per group.
_AGREED = Q(outcome=Outcome.AGREED)
_THIRD_PARTY = Q(lead_mediator__kind__in=THIRD_PARTY_KINDS)
SUCCESS_COUNTS = {
    "concluded": Count("pk"),
    "agreed": Count("pk", filter=_AGREED),
    "third_party_concluded": Count("pk", filter=_THIRD_PARTY),
    "third_party_agreed": Count("pk", filter=_THIRD_PARTY & _AGREED),
}


def success_pair(counts: dict) -> tuple[SuccessRate, SuccessRate]:
    """(all, third-party) from a row of SUCCESS_COUNTS (an absent row: none concluded)."""
    return (
        SuccessRate(concluded=counts.get("concluded") or 0, agreed=counts.get("agreed") or 0),
        SuccessRate(concluded=counts.get("third_party_concluded") or 0, agreed=counts.get("third_party_agreed") or 0),
    )


def success_rate(
    cases=None,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    third_party: bool = False,
    community_failures: bool = False,
) -> SuccessRate:
    """Agreed ÷ concluded over `cases` (default: all), or over their third-party mediations."""
    overall, third = success_rates(cases, since=since, until=until, community_failures=community_failures)
    return third if third_party else overall


# ---------------------------------------------------------------------------
# One definition per figure. Every page, export, API answer and the dashboard reads
# these; a report applies them to each case's state at the period's last instant.


def running_due(status: str, *, accept_due, conclude_due, follow_up_due, followed_up: bool) -> dt.date | None:
    """The one deadline running in a state, from given values (casework.enums.running_deadline says which,
    as it does for DisputeCase.current_due)."""
    field = running_deadline(status, int(followed_up))
    dates = {"accept_due": accept_due, "conclude_due": conclude_due, "follow_up_due": follow_up_due}
    return dates[field] if field else None


def is_open(status: str) -> bool:
    """Open (在办): not declined, withdrawn or closed. Agreed and failed cases stay open until closed."""
    return status in OPEN


def is_overdue(status: str, due: dt.date | None, day: dt.date) -> bool:
    """Overdue (逾期): open, and the deadline running in its state fell before `day`.

    A case is overdue for its acceptance, its conclusion or its first follow-up alike: one set
    serves the overdue count, its list and the sentence under the on-time rate.
    """
    return is_open(status) and due is not None and due < day


def is_pending_overdue(status: str, due: dt.date | None, day: dt.date) -> bool:
    """Overdue and not yet concluded: the overdue cases the on-time rate counts in its denominator.

    Overdue cases waiting only for a follow-up were concluded already; they are overdue but
    not pending a conclusion.
    """
    return status in NOT_YET_CONCLUDED and is_overdue(status, due, day)


def is_concluded_outcome(status: str) -> bool:
    """Concluded (办结): a conclusion reached, agreed or failed (closed since or not).

    Declined and withdrawn cases are not concluded; a report shows them beside the rate.
    """
    return status in CONCLUDED


def is_on_time(concluded_on: dt.date, conclude_due: dt.date | None) -> bool:
    """On time (按期): concluded on or before the conclusion deadline running then (none: on time)."""
    return conclude_due is None or concluded_on <= conclude_due


def overdue_q(today: dt.date) -> Q:
    """The live form of `is_overdue` (next_due holds the deadline running in the current state)."""
    return Q(status__in=OPEN, next_due__lt=today)


def pending_overdue_q(today: dt.date) -> Q:
    """The live form of `is_pending_overdue`."""
    return Q(status__in=NOT_YET_CONCLUDED, next_due__lt=today)


def concluded_on_time_q() -> Q:
    """The live form of `is_on_time`, over concluded cases annotated with `concluded_on` (their local date)."""
    return Q(conclude_due__isnull=True) | Q(concluded_on__lte=F("conclude_due"))


def open_q() -> Q:
    """The live form of `is_open`."""
    return Q(status__in=OPEN)


def warning_q() -> Q:
    """The live early warning (预警) stock: open cases flagged at registration."""
    return open_q() & Q(is_warning=True)


def _ladder_level(level: str) -> str:
    """The level of the ladder a leg belongs to (a case accepted before levels were recorded: community)."""
    return level if level in (Level.SUBDISTRICT, Level.DISTRICT) else Level.COMMUNITY


def is_third_party(mediator_kind: str | None) -> bool:
    """Third-party (第三方) mediation: led by a lawyer, social worker or legal adviser (无限合伙人)."""
    return mediator_kind in THIRD_PARTY_KINDS


def on_time_rate(on_time: int, concluded: int, pending_overdue: int) -> float | None:
    """On time ÷ (the period's conclusions + overdue cases not yet concluded): a backlog lowers it."""
    return _rate(on_time, concluded + pending_overdue)


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def share(count: int, total: int) -> dict:
    """A share with its count and 95% Wilson interval (the ladder shares, coverage …)."""
    ci = wilson_interval(count, total)
    return {
        "count": count,
        "total": total,
        "rate": _rate(count, total),
        "ci95": [round(ci[0], 4), round(ci[1], 4)] if ci else None,
    }


# ---------------------------------------------------------------------------
# Reports. A report is of one subdistrict and one period. `collect` reconstructs each case
# as it stood at the period's last instant from the append-only events and writes down,
# for every figure, the ids of the cases behind it (the "material"); `derive` turns any
# material into figures. The subdistrict's report derives from all of it, a community's
# view from the same material restricted to the community's cases, and a drill-down lists
# exactly the stored ids — so a figure and its list cannot disagree, and nothing said
# about the period changes when cases change later.


@dataclass(frozen=True)
class Period:
    kind: str  # "daily" or "monthly" (reports.enums.ReportKind)
    start: dt.date
    end: dt.date  # inclusive

    @classmethod
    def daily(cls, day: dt.date) -> "Period":
        return cls("daily", day, day)

    @classmethod
    def monthly(cls, day: dt.date) -> "Period":
        first = day.replace(day=1)
        return cls("monthly", first, add_months(first, 1) - dt.timedelta(days=1))

    @classmethod
    def of(cls, kind: str, day: dt.date) -> "Period":
        return cls.monthly(day) if kind == "monthly" else cls.daily(day)

    # Cached: the replay compares every event of the period's cases with both.
    @cached_property
    def start_at(self) -> dt.datetime:
        return day_start(self.start)

    @cached_property
    def end_at(self) -> dt.datetime:
        """Exclusive end: midnight after the last day."""
        return day_start(self.end + dt.timedelta(days=1))

    @property
    def label(self) -> str:
        """2026年10月, or 2026年10月31日."""
        if self.kind == "monthly":
            return f"{self.start.year}年{self.start.month}月"
        return f"{self.start.year}年{self.start.month}月{self.start.day}日"

    @property
    def end_label(self) -> str:
        return f"{self.end.month}月{self.end.day}日"


def add_months(first: dt.date, months: int) -> dt.date:
    """The first of the month `months` after the month of `first` (negative goes back)."""
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def cumulative_since() -> dt.date:
    return settings.FENGQIAO_STATS_SINCE


TREND_MONTHS = 6
# A withdrawal recorded without saying whose decision it was.
UNSTATED = "unstated"
CONCLUSIONS = (Transition.REACH_AGREEMENT, Transition.FAIL)
LEAD_EVENTS = (Transition.ASSIGN, Transition.REASSIGN, Transition.ESCALATE, Transition.REFER_DISTRICT)
# The rungs up the ladder: each starts the receiving level's clock and ends the leg of the level it leaves
# (the event's data names that leg: community, subdistrict).
HAND_UPS = {
    Transition.ESCALATE: (Level.SUBDISTRICT, "community"),
    Transition.REFER_DISTRICT: (Level.DISTRICT, "subdistrict"),
}


@dataclass
class CaseAtEnd:
    """One case as it stood at the period's last instant, replayed from its events."""

    id: int
    number: str
    community_id: int
    status: str = ""
    level: str = ""
    lead: int | None = None
    followed_up: bool = False
    conclude_due: dt.date | None = None
    due: dt.date | None = None
    imported: bool = False
    # The period's last conclusion: (moment, outcome, level, lead, conclude_due then).
    conclusion: tuple | None = None
    # Escalated in the period: whether the community's leg had overrun its deadline (None: not escalated).
    community_leg_late: bool | None = None
    withdrawn_by: str = ""
    withdrawn: bool = False
    # Referred up to the district in the period: whether the subdistrict's leg had overrun its deadline.
    subdistrict_leg_late: bool | None = None
    referred_district: bool = False
    # Failed at community level in the period (taken up the ladder since or not).
    community_failed: bool = False
    declined: str | None = None


def _deadline_changes(events: list) -> list[tuple]:
    """(moment, from, to) of every later change to the conclusion deadline: an extension, or the
    subdistrict's own clock starting at an escalation."""
    changes = []
    for event in events:
        data = event["details"] or {}
        if event["name"] == RecordKind.EXTEND:
            changes.append((event["at"], data["from"], data["to"]))
        elif event["name"] in HAND_UPS and data.get("deadline"):
            changes.append((event["at"], data["deadline"]["from"], data["deadline"]["to"]))
    return changes


def _conclude_due_at(row: dict, changes: list, moment: dt.datetime) -> dt.date | None:
    """The conclusion deadline running at `moment`, from the case's deadline changes."""
    before = [c for c in changes if c[0] < moment]
    if before:
        return dt.date.fromisoformat(before[-1][2])
    if changes:
        return dt.date.fromisoformat(changes[0][1]) if changes[0][1] else None
    return row["conclude_due"]


def _replay(row: dict, events: list, period: Period) -> CaseAtEnd:
    case = CaseAtEnd(id=row["pk"], number=row["number"], community_id=row["community_id"])
    changes = _deadline_changes(events)
    seen_event = False
    for event in events:
        if event["at"] >= period.end_at:
            break
        seen_event = True
        name, data = event["name"], event["details"] or {}
        if event["to_status"]:
            case.status = event["to_status"]
        if name == Transition.REGISTER:
            case.imported = event["imported"]
        elif name == Transition.ACCEPT:
            case.level = data.get("level", case.level)
        elif name in HAND_UPS:
            case.level, case.lead = HAND_UPS[name][0], None
        elif name in (Transition.ASSIGN, Transition.REASSIGN):
            case.lead = data.get("mediator")
        elif name == RecordKind.FOLLOW_UP:
            case.followed_up = True
        if event["to_status"] == CaseStatus.ACCEPTED and name != Transition.ACCEPT:
            case.lead = None  # escalated, or the lead recused: no lead until the next assignment
        if event["at"] < period.start_at:
            continue
        if name in CONCLUSIONS:
            due = _conclude_due_at(row, changes, event["at"])
            case.conclusion = (event["at"], event["to_status"], case.level, case.lead, due)
            if name == Transition.FAIL and case.level == Level.COMMUNITY:
                case.community_failed = True
        elif name == Transition.ESCALATE and "community" in data and "community_failure" not in data:
            # The community's leg ends here (a failure taken up was judged at its conclusion).
            case.community_leg_late = bool(data["community"]["overdue"])
        elif name == Transition.REFER_DISTRICT:
            case.referred_district = True
            if "subdistrict" in data and "subdistrict_failure" not in data:
                case.subdistrict_leg_late = bool(data["subdistrict"]["overdue"])
        elif name == Transition.WITHDRAW:
            case.withdrawn, case.withdrawn_by = True, data.get("by") or UNSTATED
        elif name == Transition.DECLINE:
            case.declined = data.get("referral") or Referral.OTHER
    if not seen_event:
        # Registered before the period's end but without events (data older than the log):
        # its present state is the best evidence there is.
        case.status = row["status"]
    case.conclude_due = _conclude_due_at(row, changes, period.end_at)
    case.due = running_due(
        case.status,
        accept_due=row["accept_due"],
        conclude_due=case.conclude_due,
        follow_up_due=row["follow_up_due"],
        followed_up=case.followed_up,
    )
    return case


class Collector:
    """Builds one report's material: id sets per figure, and what the figures are made from."""

    def __init__(self, subdistrict_id: int, period: Period, *, history: str | None = None):
        self.subdistrict_id = subdistrict_id
        self.period = period
        # Where the history (cumulative figures, trend) is counted from: "summary" (the table the
        # triggers keep, PostgreSQL) or "events" (every conclusion replayed: SQLite, and the check).
        self.history = history or ("summary" if summary.kept() else "events")
        self.sets: dict[str, set[int]] = defaultdict(set)
        # Figures counted, not listed: key -> community id (str) -> count. Their cases are listed
        # when a drill-down asks (history_ids), from the append-only events as of the period's end.
        self.counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.community: dict[int, int] = {}
        self.then: dict[int, str] = {}
        self.labels: dict[str, dict] = defaultdict(dict)

    def add(self, key: str, case_id: int):
        self.sets[key].add(case_id)

    def note(self, case_id: int, community_id: int, status: str):
        self.community[case_id] = community_id
        self.then.setdefault(case_id, status)

    def collect(self) -> dict:
        with calendar.preloaded():
            self._cases()
            self._history()
            self._follow_ups()
            self._judicial()
            self._inspections()
            collect_supervision(self)
        return self.material()

    # -- the period's cases -------------------------------------------------

    def _population(self):
        """The period's cases: registered in it, open now, or changed since it began (what a case is
        now says nothing of what it was then). Each part read on its own index and united: an OR of
        the three made PostgreSQL visit every case of the subdistrict, and look up its events."""
        period = self.period
        ours = DisputeCase.objects.filter(subdistrict_id=self.subdistrict_id, registered_at__lt=period.end_at)
        changed = CaseEvent.objects.filter(at__gte=period.start_at).exclude(to_status="").values("case_id")
        parts = (
            ours.filter(registered_at__gte=period.start_at),
            ours.filter(status__in=OPEN),
            ours.filter(pk__in=changed),
        )
        first, *others = (part.values_list("pk", flat=True).order_by() for part in parts)
        # Read once and handed on as ids: the rows and their events are then looked up by key.
        return list(first.union(*others))

    def _cases(self):
        period = self.period
        rows = list(
            DisputeCase.objects.filter(pk__in=among(self._population())).values(
                "pk", "number", "community_id", "community__name", "grid_id", "grid__name", "category_id",
                "category__name", "source", "risk", "registered_at", "occurred_on", "is_warning", "warning_reasons",
                "accept_due", "conclude_due", "follow_up_due", "status", "level", "grid__community__name",
            )
        )  # fmt: skip
        events = defaultdict(list)
        for event in (
            CaseEvent.objects.filter(case_id__in=among([row["pk"] for row in rows]))
            .order_by("case_id", "at", "id")
            # Most events carry no data: NULL costs nothing to read, an empty object a JSON parse each.
            .values("case_id", "at", "name", "to_status", "imported", details=NullIf("data", Value({}, JSONField())))
        ):
            events[event["case_id"]].append(event)
        mediators = {m["pk"]: m for m in Mediator.objects.values("pk", "name", "kind", "organization__name")}
        # In the language of this report, translated once rather than for every case.
        self.choice_labels = {
            choices: {choice.value: str(choice.label) for choice in choices}
            for choices in (Source, Risk, CaseStatus, WarningReason)
        }
        self.overdue_rows, self.warning_rows, self.days = [], [], {}
        late_after = settings.FENGQIAO_LATE_REGISTRATION_WORKING_DAYS
        for row in rows:
            case = _replay(row, events[row["pk"]], period)
            cid = case.id
            self.note(cid, row["community_id"], case.status)
            self.labels["community"][row["community_id"]] = row["community__name"]
            if row["registered_at"] >= period.start_at:
                self._registered(case, row)
                found = row["occurred_on"]
                registered_on = timezone.localtime(row["registered_at"]).date()
                if found and registered_on > calendar.add_working_days(found, late_after):
                    self.add("late_registration", cid)
            if is_open(case.status):
                self.add("open", cid)
                self.add(f"open:status={case.status}", cid)
                if case.lead:
                    self.add(f"open:mediator={case.lead}", cid)
                    self.labels["mediator"][case.lead] = mediators.get(case.lead, {}).get("name", "—")
                if row["is_warning"]:
                    self.add("warning", cid)
                    self.warning_rows.append(self._case_row(case, row, mediators))
            if is_overdue(case.status, case.due, period.end):
                self.add("overdue", cid)
                self.overdue_rows.append(self._case_row(case, row, mediators))
                if is_pending_overdue(case.status, case.due, period.end):
                    self.add("pending_overdue", cid)
                    self.add("late", cid)
                    if case.status in IN_MEDIATION:
                        self.add(f"late_{_ladder_level(case.level)}", cid)
                else:
                    self.add("overdue_follow_up", cid)
            if case.conclusion:
                self._concluded(case, row, mediators)
            if case.community_failed:
                self.add("failed_community", cid)
            if case.community_leg_late is not None:
                self.add("late_community" if case.community_leg_late else "on_time_community", cid)
            if case.referred_district:
                self.add("referred_district", cid)
            if case.subdistrict_leg_late is not None:
                self.add("late_subdistrict" if case.subdistrict_leg_late else "on_time_subdistrict", cid)
            if case.withdrawn:
                self.add("withdrawn", cid)
                self.add(f"withdrawn:by={case.withdrawn_by}", cid)
            if case.declined:
                self.add("declined", cid)
                self.add(f"declined:referral={case.declined}", cid)

    def _registered(self, case: CaseAtEnd, row: dict):
        cid = case.id
        self.add("registered", cid)
        if case.imported:
            self.add("registered_imported", cid)
        for dimension, value, label in (
            ("category", row["category_id"], row["category__name"]),
            ("community", row["community_id"], row["community__name"]),
            ("grid", row["grid_id"], row["grid__name"]),
            ("source", row["source"], self.choice_labels[Source].get(row["source"], "—")),
            ("risk", row["risk"], self.choice_labels[Risk].get(row["risk"], "—")),
        ):
            self.add(f"registered:{dimension}={value}", cid)
            self.labels[dimension][value] = label
        self.add(f"registered:hot={row['community_id']}.{row['category_id']}", cid)
        self.labels["grid_community"][row["grid_id"]] = row["community_id"]

    def _concluded(self, case: CaseAtEnd, row: dict, mediators: dict):
        cid = case.id
        moment, outcome, level, lead, due = case.conclusion
        self.add("concluded", cid)
        self.add(outcome, cid)  # "agreed" or "failed"
        self.add(f"ladder_{_ladder_level(level)}", cid)
        if case.imported:
            self.add("concluded_imported", cid)
        concluded_on = timezone.localtime(moment).date()
        self.add("on_time" if is_on_time(concluded_on, due) else "late", cid)
        self.add(f"{'on_time' if is_on_time(concluded_on, due) else 'late'}_{_ladder_level(level)}", cid)
        if not is_on_time(concluded_on, due):
            self.add("late_concluded", cid)
        self.days[cid] = round((moment - row["registered_at"]).total_seconds() / 86400, 2)
        mediator = mediators.get(lead) if lead else None
        if mediator:
            self.add(f"concluded:mediator={lead}", cid)
            self.add(f"{outcome}:mediator={lead}", cid)
            self.labels["mediator"][lead] = mediator["name"]
            org = mediator["organization__name"] or "—"
            self.add(f"concluded:organization={org}", cid)
            self.labels["organization"][org] = org
            if is_third_party(mediator["kind"]):
                self.add("third_party_concluded", cid)
                if outcome == CaseStatus.AGREED:
                    self.add("third_party_agreed", cid)

    def _case_row(self, case: CaseAtEnd, row: dict, mediators: dict) -> dict:
        reasons = self.choice_labels[WarningReason]
        return {
            "id": case.id,
            "number": case.number,
            "community_id": row["community_id"],
            "community": row["community__name"],
            "category": row["category__name"],
            "status": case.status,
            "status_label": self.choice_labels[CaseStatus].get(case.status, case.status),
            "due": case.due.isoformat() if case.due else None,
            "responsible": self._responsible(case, row, mediators),
            "warning": [reasons[r] for r in row["warning_reasons"] if r in reasons],
        }

    @staticmethod
    def _responsible(case: CaseAtEnd, row: dict, mediators: dict) -> str:
        """Who had the case in hand at the period's end (信息责任追究 names them)."""
        if case.lead and case.lead in mediators:
            return f"调解员 {mediators[case.lead]['name']}"
        if case.status == CaseStatus.REPORTED or case.level == Level.COMMUNITY:
            return row["community__name"]  # community names say 社区 themselves
        return "区综治中心" if case.level == Level.DISTRICT else "综治中心"

    # -- cumulative and trend -------------------------------------------------

    def _conclusion_events(self, start_at: dt.datetime, until_at: dt.datetime | None = None, case_ids=None):
        lead = CaseEvent.objects.filter(
            case_id=OuterRef("case_id"), name__in=LEAD_EVENTS, at__lte=OuterRef("at")
        ).order_by("-at", "-id")
        events = CaseEvent.objects.filter(
            case__subdistrict_id=self.subdistrict_id,
            name__in=CONCLUSIONS,
            at__gte=start_at,
            at__lt=until_at or self.period.end_at,
        )
        if case_ids is not None:
            events = events.filter(case_id__in=case_ids)
        return (
            events
            # As text cast to an integer, not the JSON value: SQLite (`make run`) hands back a bare
            # number that JSONField would try to parse.
            .annotate(
                lead=Subquery(lead.annotate(lead_id=Cast(KT("data__mediator"), IntegerField())).values("lead_id")[:1])
            )
            .order_by("at", "id")
            .values("case_id", "at", "to_status", "lead", "case__community_id", "case__status")
        )

    def _cumulative(self):
        kinds = dict(Mediator.objects.values_list("pk", "kind"))
        last = {}
        for event in self._conclusion_events(day_start(cumulative_since())):
            last[event["case_id"]] = event  # a case concluded twice counts once, as it ended
        for cid, event in last.items():
            self.note(cid, event["case__community_id"], event["case__status"])
            self.add("cumulative_concluded", cid)
            agreed = event["to_status"] == CaseStatus.AGREED
            if agreed:
                self.add("cumulative_agreed", cid)
            if is_third_party(kinds.get(event["lead"])):
                self.add("cumulative_third_party_concluded", cid)
                if agreed:
                    self.add("cumulative_third_party_agreed", cid)

    # -- the history: cumulative figures and the trend, counted ------------------

    def _history(self):
        first = add_months(self.period.start, -(TREND_MONTHS - 1))
        if self.period.kind == "monthly":
            self.trend_months = [add_months(first, n).strftime("%Y-%m") for n in range(TREND_MONTHS)]
        if self.history == "summary":
            self._history_from_summary(first)
            return
        replayed = Collector(self.subdistrict_id, self.period, history="events")
        replayed._cumulative()
        if self.period.kind == "monthly":
            replayed._trend()
        for key, ids in replayed.sets.items():
            for cid in ids:
                self.counts[key][str(replayed.community[cid])] += 1

    def _history_from_summary(self, first: dt.date):
        """Closed months from the table; a daily report adds its own month's days from the events."""
        period = self.period
        following = period.end + dt.timedelta(days=1)
        cut = following if following.day == 1 else period.end.replace(day=1)
        ours = MonthlyCount.objects.filter(subdistrict_id=self.subdistrict_id, month__lt=cut)
        for row in (
            ours.filter(measure="cumulative")
            .values("community_id", "outcome", "third_party")
            .annotate(n=Sum("count"))
            .order_by()
        ):
            self._count_cumulative(str(row["community_id"]), row["outcome"], row["third_party"], row["n"])
        if period.kind == "monthly":
            for row in (
                ours.filter(measure__in=("registered", "concluded"), month__gte=first)
                .values("measure", "month", "community_id", "outcome")
                .annotate(n=Sum("count"))
                .order_by()
            ):
                month, community = row["month"].strftime("%Y-%m"), str(row["community_id"])
                self.counts[f"{row['measure']}@{month}"][community] += row["n"]
                if row["outcome"] == CaseStatus.AGREED:
                    self.counts[f"agreed@{month}"][community] += row["n"]
        if cut <= period.end:
            self._cumulative_days(day_start(cut), dict(Mediator.objects.values_list("pk", "kind")))

    def _cumulative_days(self, month_at: dt.datetime, kinds: dict):
        """The days of the period's month up to its end: each case's last conclusion in them counts,
        and the conclusion it replaced (the table's months, or earlier days) no longer does."""
        since_at = day_start(cumulative_since())
        last = {}
        for event in self._conclusion_events(max(month_at, since_at)):
            last[event["case_id"]] = event
        if not last:
            return
        replaced = {}
        if month_at > since_at:
            for event in self._conclusion_events(since_at, until_at=month_at, case_ids=list(last)):
                replaced[event["case_id"]] = event
        for sign, events in ((1, last), (-1, replaced)):
            for event in events.values():
                community = str(event["case__community_id"])
                self._count_cumulative(community, event["to_status"], is_third_party(kinds.get(event["lead"])), sign)

    def _count_cumulative(self, community: str, outcome: str, third_party: bool, n: int):
        agreed = outcome == CaseStatus.AGREED
        self.counts["cumulative_concluded"][community] += n
        if agreed:
            self.counts["cumulative_agreed"][community] += n
        if third_party:
            self.counts["cumulative_third_party_concluded"][community] += n
            if agreed:
                self.counts["cumulative_third_party_agreed"][community] += n

    def _trend(self):
        first = add_months(self.period.start, -(TREND_MONTHS - 1))
        for cid, community_id, status, registered_at in DisputeCase.objects.filter(
            subdistrict_id=self.subdistrict_id,
            registered_at__gte=day_start(first),
            registered_at__lt=self.period.end_at,
        ).values_list("pk", "community_id", "status", "registered_at"):
            self.note(cid, community_id, status)
            self.add(f"registered@{_month_label(registered_at)}", cid)
        last = {}
        for event in self._conclusion_events(day_start(first)):
            last[(event["case_id"], _month_label(event["at"]))] = event
        for (cid, month), event in last.items():
            self.note(cid, event["case__community_id"], event["case__status"])
            self.add(f"concluded@{month}", cid)
            if event["to_status"] == CaseStatus.AGREED:
                self.add(f"agreed@{month}", cid)

    def _follow_ups(self):
        self.follow_ups = []
        for case_id, community_id, status, performed, satisfaction in FollowUp.objects.filter(
            case__subdistrict_id=self.subdistrict_id, date__gte=self.period.start, date__lte=self.period.end
        ).values_list("case_id", "case__community_id", "case__status", "performed", "satisfaction"):
            self.note(case_id, community_id, status)
            self.add("followed_up", case_id)
            self.follow_ups.append([case_id, performed, satisfaction])

    # -- the judicial-confirmation window (art. 33) ---------------------------

    def _judicial(self):
        """Applications and confirmations recorded in the period, and windows that closed in it with
        no application made in time, as known at the period's end (the answers are appended events)."""
        period = self.period
        answers = defaultdict(list)
        for event in CaseEvent.objects.filter(
            case__subdistrict_id=self.subdistrict_id, name=RecordKind.JUDICIAL_CONFIRMATION, at__lt=period.end_at
        ).values("case_id", "at", "data", "case__community_id", "case__status"):
            answers[event["case_id"]].append(event)
            data, in_period = event["data"] or {}, event["at"] >= period.start_at
            status, before = data.get("status"), data.get("from_status")
            if in_period and before == JudicialConfirmation.NOT_APPLIED and status != before:
                self.note(event["case_id"], event["case__community_id"], event["case__status"])
                self.add("judicial_applied", event["case_id"])
            if in_period and status == JudicialConfirmation.CONFIRMED and before != status:
                self.note(event["case_id"], event["case__community_id"], event["case__status"])
                self.add("judicial_confirmed", event["case_id"])
        for case_id, community_id, status, deadline in Agreement.objects.filter(
            case__subdistrict_id=self.subdistrict_id,
            judicial_deadline__gte=period.start,
            judicial_deadline__lte=period.end,
        ).values_list("case_id", "case__community_id", "case__status", "judicial_deadline"):
            applied = [
                e
                for e in answers[case_id]
                if (e["data"] or {}).get("applied_on") and e["data"]["applied_on"] <= deadline.isoformat()
            ]
            if not applied:
                self.note(case_id, community_id, status)
                self.add("judicial_lapsed", case_id)

    # -- screening returns (信息责任追究) ----------------------------------

    def _inspections(self):
        period = self.period
        kind, period_date, required = inspection_requirement(period.kind, period.start)
        due_at = inspection_due_at(kind, period_date)
        registered_by_grid = defaultdict(int)
        for key, ids in self.sets.items():
            if key.startswith("registered:grid="):
                registered_by_grid[int(key.partition("=")[2])] = len(
                    [i for i in ids if i in self.sets.get("registered:source=grid_worker", ())]
                )
        returns = {
            r["grid_id"]: r
            for r in Inspection.objects.filter(
                grid__community__subdistrict_id=self.subdistrict_id, kind=kind, period=period_date
            )
            .annotate(on_spot=Count("resolutions"))
            .values("grid_id", "disputes_found", "cases_registered", "zero_report", "filed_at", "on_spot")
        }
        grids = []
        for grid in (
            Grid.objects.filter(community__subdistrict_id=self.subdistrict_id)
            .select_related("community")
            .prefetch_related(Prefetch("workers", queryset=User.objects.filter(is_active=True).order_by("username")))
            .order_by("community__code", "code")
        ):
            filed = returns.get(grid.pk)
            on_time = bool(filed and filed["filed_at"] <= due_at)
            grids.append(
                {
                    "grid_id": grid.pk,
                    "grid": grid.name,
                    "community_id": grid.community_id,
                    "community": grid.community.name,
                    "workers": [w.display_name for w in grid.workers.all()],
                    "filed": on_time,
                    "late": bool(filed) and not on_time,
                    "zero_report": bool(filed and on_time and filed["zero_report"]),
                    "found": filed["disputes_found"] if filed and on_time else 0,
                    # 就地化解: of the disputes found, those resolved on the spot without a case.
                    "on_spot": filed["on_spot"] if filed and on_time else 0,
                    "reported_registered": filed["cases_registered"] if filed else None,
                    "actual_registered": registered_by_grid.get(grid.pk, 0),
                }
            )
            self.labels["community"].setdefault(grid.community_id, grid.community.name)
        self.inspections = {
            "kind": kind,
            "period": period_date.isoformat(),
            "required": required,
            "due_at": timezone.localtime(due_at).isoformat(),
            "grids": grids,
        }

    def material(self) -> dict:
        by_community = defaultdict(list)
        for cid, community_id in self.community.items():
            by_community[community_id].append(cid)
        then = defaultdict(list)
        for cid, status in self.then.items():
            then[status].append(cid)
        return {
            "period": {"kind": self.period.kind, "start": self.period.start.isoformat()},
            "sets": {key: sorted(ids) for key, ids in sorted(self.sets.items())},
            "counts": {
                key: {community: n for community, n in sorted(by.items()) if n}
                for key, by in sorted(self.counts.items())
                if any(by.values())
            },
            "community": {str(k): sorted(v) for k, v in sorted(by_community.items())},
            "then": {k: sorted(v) for k, v in sorted(then.items())},
            "labels": {dim: {str(k): v for k, v in values.items()} for dim, values in self.labels.items()},
            "days": {str(k): v for k, v in sorted(self.days.items())},
            "follow_ups": sorted(self.follow_ups),
            "overdue_rows": sorted(self.overdue_rows, key=lambda r: (r["due"] or "", r["number"])),
            "warning_rows": sorted(self.warning_rows, key=lambda r: r["number"]),
            "inspections": self.inspections,
            "trend_months": getattr(self, "trend_months", []),
        }


def collect_supervision(collector: Collector):
    """督办 of the report's subdistrict, as known at the period's end (orders and answers are
    append-only rows, so their times are the record): orders issued in the period, answers given in
    it on time or late, and orders still unanswered at the end (overdue when their day had passed).
    Counted by case, as every figure is: a case with two such orders counts once."""
    period = collector.period
    answered_at = "answer__answered_at"
    for row in (
        SupervisionOrder.objects.filter(case__subdistrict_id=collector.subdistrict_id, issued_at__lt=period.end_at)
        .filter(
            Q(issued_at__gte=period.start_at) | Q(answer__isnull=True) | Q(**{f"{answered_at}__gte": period.start_at})
        )
        .values("case_id", "case__community_id", "case__status", "issued_at", "due", answered_at)
        .order_by("pk")
    ):
        cid, answer = row["case_id"], row[answered_at]
        collector.note(cid, row["case__community_id"], row["case__status"])
        if row["issued_at"] >= period.start_at:
            collector.add("supervision_issued", cid)
        if answer is not None and period.start_at <= answer < period.end_at:
            on_time = is_on_time(timezone.localtime(answer).date(), row["due"])
            collector.add("supervision_on_time" if on_time else "supervision_late", cid)
        if answer is None or answer >= period.end_at:
            collector.add("supervision_unanswered", cid)
            if row["due"] < period.end:
                collector.add("supervision_overdue", cid)


def supervision_figures(n: dict) -> dict:
    """The report's 督办 section from its counts: the answers' on-time rate is over the period's answers."""
    on_time, late = n["supervision_on_time"], n["supervision_late"]
    return {
        "issued": n["supervision_issued"],
        "on_time": on_time,
        "late": late,
        "unanswered": n["supervision_unanswered"],
        "overdue": n["supervision_overdue"],
        "on_time_rate": _rate(on_time, on_time + late),
    }


def _month_label(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m")


def collect(subdistrict_id: int, period: Period, *, history: str | None = None) -> dict:
    """The material of a report of `subdistrict_id` for `period`, as of the period's last instant.

    `history`: "summary" or "events" (Collector); by default the summary where it is kept."""
    return Collector(subdistrict_id, period, history=history).collect()


def is_history_key(key: str) -> bool:
    """A figure counted from the history (cumulative, a trend month): its cases listed on demand."""
    head = key.partition(":")[0]
    return head.startswith("cumulative_") or "@" in head


def history_ids(subdistrict_id: int, period: Period, key: str, community_id: int | None = None) -> list[int]:
    """The cases behind a history figure, as of the period's end: the conclusion events are
    append-only, so the list is what it was when the report was made (the case's community as now)."""
    replayed = Collector(subdistrict_id, period, history="events")
    if key.startswith("cumulative_"):
        replayed._cumulative()
    elif period.kind == "monthly":
        replayed._trend()
    ids = replayed.sets.get(key, set())
    if community_id is not None:
        ids = {cid for cid in ids if replayed.community.get(cid) == community_id}
    return sorted(ids)


def figure_count(material: dict, key: str) -> int:
    """How many cases a figure counts: its listed ids, or its counts (history figures)."""
    if key in material["sets"]:
        return len(material["sets"][key])
    return sum(material.get("counts", {}).get(key, {}).values())


def inspection_due_at(kind: str, period_date: dt.date) -> dt.datetime:
    """When a return is due (a later one is 补报): by the end of the day its report is made,
    the 1st of the next month for a monthly return, the day itself for a daily one."""
    if kind == InspectionKind.MONTHLY:
        return day_start(add_months(period_date, 1) + dt.timedelta(days=1))
    return day_start(period_date + dt.timedelta(days=1))


def restrict(material: dict, community_id: int) -> dict:
    """The material of one community: every set, row and return narrowed to its cases and grids."""
    mine = set(material["community"].get(str(community_id), ()))
    return {
        **material,
        "sets": {key: [i for i in ids if i in mine] for key, ids in material["sets"].items()},
        "counts": {
            key: {str(community_id): by[str(community_id)]}
            for key, by in material.get("counts", {}).items()
            if str(community_id) in by
        },
        "community": {str(community_id): sorted(mine)},
        "days": {k: v for k, v in material["days"].items() if int(k) in mine},
        "follow_ups": [row for row in material["follow_ups"] if row[0] in mine],
        "overdue_rows": [r for r in material["overdue_rows"] if r["community_id"] == community_id],
        "warning_rows": [r for r in material["warning_rows"] if r["community_id"] == community_id],
        "inspections": {
            **material["inspections"],
            "grids": [g for g in material["inspections"]["grids"] if g["community_id"] == community_id],
        },
        **(
            {"judgement": {"all": material["judgement"]["communities"].get(str(community_id))}}
            if "judgement" in material
            else {}
        ),
    }


# ---------------------------------------------------------------------------
# Figures from material (pure: no query).

BASE_FIGURES = (
    "registered", "registered_imported", "concluded", "agreed", "failed", "concluded_imported", "open",
    "overdue", "pending_overdue", "overdue_follow_up", "warning", "on_time", "late", "late_concluded",
    "withdrawn", "declined", "ladder_community", "ladder_subdistrict", "third_party_concluded",
    "third_party_agreed", "cumulative_concluded", "cumulative_agreed", "cumulative_third_party_concluded",
    "cumulative_third_party_agreed", "followed_up", "late_registration", "on_time_community", "late_community",
    "on_time_subdistrict", "late_subdistrict", "failed_community", "judicial_applied", "judicial_confirmed",
    "judicial_lapsed", "supervision_issued", "supervision_on_time", "supervision_late", "supervision_unanswered",
    "supervision_overdue", "ladder_district", "referred_district", "on_time_district", "late_district",
)  # fmt: skip

STATE_ORDER = list(CaseStatus.values)
# Whose decision a withdrawal was, as recorded with it; older and imported withdrawals may not say.
WITHDRAWN_BY = {**{b.value: str(b.label) for b in WithdrawnBy}, UNSTATED: "未注明"}


def _breakdown(material: dict, base: str, dimension: str, order=None) -> list[dict]:
    prefix = f"{base}:{dimension}="
    labels = material["labels"].get(dimension, {})
    rows = []
    for key, ids in material["sets"].items():
        if key.startswith(prefix) and ids:
            value = key[len(prefix) :]
            label = labels.get(value) or (order or {}).get(value) or value
            rows.append({"key": value, "label": str(label), "count": len(ids), "drill": key})
    return sorted(rows, key=lambda r: (-r["count"], r["label"]))


def _percentiles(values: list[float]) -> dict:
    values = sorted(values)
    if not values:
        return {"count": 0, "mean": None, "p50": None, "p90": None}
    return {
        "count": len(values),
        "mean": round(sum(values) / len(values), 1),
        "p50": round(_percentile(values, 0.5), 1),
        "p90": round(_percentile(values, 0.9), 1),
    }


def _percentile(sorted_values: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (what PostgreSQL's percentile_cont computes)."""
    position = (len(sorted_values) - 1) * fraction
    lower = math.floor(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * (position - lower)


def derive(material: dict) -> dict:
    """Every figure of a report from its material: counts, rates, breakdowns, lists."""
    n = {name: figure_count(material, name) for name in BASE_FIGURES}
    period = Period.of(material["period"]["kind"], dt.date.fromisoformat(material["period"]["start"]))
    states = {s.value: str(s.label) for s in CaseStatus}
    handled = n["concluded"] + n["declined"]
    figures = {
        "kind": period.kind,
        "period": period.start.isoformat(),
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "as_of": period.end.isoformat(),
        "totals": n,
        "success_rate": {
            **SuccessRate(concluded=n["cumulative_concluded"], agreed=n["cumulative_agreed"]).as_dict(),
            "since": cumulative_since().isoformat(),
            "until": period.end.isoformat(),
        },
        "success_rate_period": SuccessRate(concluded=n["concluded"], agreed=n["agreed"]).as_dict(),
        "third_party": {
            "period": SuccessRate(concluded=n["third_party_concluded"], agreed=n["third_party_agreed"]).as_dict(),
            "cumulative": SuccessRate(
                concluded=n["cumulative_third_party_concluded"], agreed=n["cumulative_third_party_agreed"]
            ).as_dict(),
        },
        "on_time": {
            "on_time": n["on_time"],
            "late": n["late"],
            "concluded": n["concluded"],
            "pending_overdue": n["pending_overdue"],
            "rate": on_time_rate(n["on_time"], n["concluded"], n["pending_overdue"]),
            # Each level of the ladder on its own clock: the community's legs end in a conclusion or
            # an escalation, the subdistrict's in a conclusion; a level's overdue cases not yet
            # concluded count against it.
            "by_level": {
                level.value: {
                    "on_time": n[f"on_time_{level}"],
                    "late": n[f"late_{level}"],
                    "rate": _rate(n[f"on_time_{level}"], n[f"on_time_{level}"] + n[f"late_{level}"]),
                }
                for level in Level
            },
        },
        # Beside the rate: what left the denominator, and where the cases ended up on the ladder.
        "withdrawn": _breakdown(material, "withdrawn", "by", WITHDRAWN_BY),
        "declined": _breakdown(material, "declined", "referral", {r.value: str(r.label) for r in Referral}),
        "ladder": {
            "handled": handled,
            "community": share(n["ladder_community"], handled),
            "subdistrict": share(n["ladder_community"] + n["ladder_subdistrict"], handled),
            "subdistrict_only": n["ladder_subdistrict"],
            # 大事不出街道 made measurable: the cases that ended at the district, and those sent up to it.
            "district": share(n["ladder_district"], handled),
            "referred_district": n["referred_district"],
            "referred": share(n["declined"], handled),
        },
        "by_state": sorted(_breakdown(material, "open", "status", states), key=lambda r: STATE_ORDER.index(r["key"])),
        "by_category": _breakdown(material, "registered", "category"),
        "by_community": _breakdown(material, "registered", "community"),
        "by_grid": _breakdown(material, "registered", "grid"),
        "by_source": _breakdown(material, "registered", "source"),
        "by_risk": _breakdown(material, "registered", "risk"),
        "by_mediator": _breakdown(material, "concluded", "mediator"),
        "by_organization": _breakdown(material, "concluded", "organization"),
        "warnings": material["warning_rows"],
        "overdue_cases": material["overdue_rows"],
        "durations": _percentiles(list(material["days"].values())),
        "inspections": _inspection_figures(material),
        "supervision": supervision_figures(n),
    }
    if period.kind == "monthly":
        figures.update(
            {
                "trend": _trend(material),
                "hot_spots": _hot_spots(material),
                "mediators": _mediators(material),
                "follow_up": _follow_up(material),
                # 研判: computed when the snapshot was made (the 研判 page's tables, as of the month's end).
                "judgement": material.get("judgement", {}).get("all"),
            }
        )
    return figures


def _trend(material: dict) -> list[dict]:
    rows = []
    for month in material["trend_months"]:
        registered, concluded, agreed = (
            figure_count(material, f"{name}@{month}") for name in ("registered", "concluded", "agreed")
        )
        rows.append(
            {
                "month": month,
                "registered": registered,
                "concluded": concluded,
                "agreed": agreed,
                "success_rate": _rate(agreed, concluded),
                "drill_registered": f"registered@{month}",
                "drill_concluded": f"concluded@{month}",
                "drill_agreed": f"agreed@{month}",
            }
        )
    return rows


def _hot_spots(material: dict) -> dict:
    """Community × category among the period's new cases: every cell, for the heat map."""
    communities = material["labels"].get("community", {})
    categories = material["labels"].get("category", {})
    cells = []
    for key, ids in material["sets"].items():
        if key.startswith("registered:hot=") and ids:
            community_id, _sep, category_id = key.partition("=")[2].partition(".")
            cells.append(
                {
                    "community": communities.get(community_id, community_id),
                    "category": categories.get(category_id, category_id),
                    "count": len(ids),
                    "drill": key,
                }
            )
    cells.sort(key=lambda c: (-c["count"], c["community"], c["category"]))
    return cells


def _mediators(material: dict) -> list[dict]:
    names = material["labels"].get("mediator", {})
    sets = material["sets"]
    rows = []
    for mediator_id, name in names.items():
        counts = {kind: len(sets.get(f"{kind}:mediator={mediator_id}", ())) for kind in ("open", "concluded", "agreed")}
        if any(counts.values()):
            rows.append(
                {
                    "mediator": name,
                    **counts,
                    "drill_open": f"open:mediator={mediator_id}",
                    "drill_concluded": f"concluded:mediator={mediator_id}",
                    "drill_agreed": f"agreed:mediator={mediator_id}",
                }
            )
    return sorted(rows, key=lambda r: (-r["open"], -r["concluded"], r["mediator"]))


def _follow_up(material: dict) -> dict:
    rows = material["follow_ups"]
    scores = [row[2] for row in rows if row[2] is not None]
    return {
        "count": len(rows),
        "performed": sum(1 for row in rows if row[1]),
        "mean": round(sum(scores) / len(scores), 2) if scores else None,
        "satisfied_rate": _rate(sum(1 for s in scores if s >= 4), len(rows)),
        "distribution": [sum(1 for s in scores if s == n) for n in range(1, 6)],
    }


def _inspection_figures(material: dict) -> dict:
    data = material["inspections"]
    grids = data["grids"]
    filed = [g for g in grids if g["filed"]]
    required = data["required"]
    workers = lambda g: g["workers"]  # noqa: E731
    missing = [g for g in grids if required and not g["filed"] and not g["late"]]
    late = [g for g in grids if required and g["late"]]
    return {
        "kind": data["kind"],
        "period": data["period"],
        "required": required,
        "due_at": data["due_at"],
        "grids": len(grids),
        "filed": len(filed),
        "zero_reports": sum(1 for g in filed if g["zero_report"]),
        # Found = registered + resolved on the spot + not pursued, as the returns say.
        "disputes_found": sum(g["found"] for g in filed),
        "cases_registered": sum(g["reported_registered"] or 0 for g in filed),
        "resolved_on_spot": sum(g.get("on_spot", 0) for g in filed),
        "not_pursued": sum(g["found"] - (g["reported_registered"] or 0) - g.get("on_spot", 0) for g in filed),
        "coverage": _rate(len(filed), len(grids)) if required else None,
        # 补报 (filed after the return was due) is neither on time nor missing: counted on its own.
        "missing_count": len(missing),
        "late_count": len(late),
        "missing": [
            {"grid_id": g["grid_id"], "grid": g["grid"], "community": g["community"], "workers": workers(g)}
            for g in missing
        ],
        "late": [
            {"grid_id": g["grid_id"], "grid": g["grid"], "community": g["community"], "workers": workers(g)}
            for g in late
        ],
        "mismatched": [
            {
                "grid_id": g["grid_id"],
                "grid": g["grid"],
                "community": g["community"],
                "workers": workers(g),
                "reported": g["reported_registered"],
                "actual": g["actual_registered"],
            }
            for g in grids
            if g["reported_registered"] is not None and g["reported_registered"] != g["actual_registered"]
        ],
    }


def report_figures(period: Period, subdistrict_id: int) -> dict:
    """A report's figures without storing it (the benchmark and the shell)."""
    return derive(collect(subdistrict_id, period))


def inspection_requirement(kind: str, day: dt.date) -> tuple[str, dt.date, bool]:
    """Which returns a report covers: (inspection kind, period date, required?).

    A monthly report covers the month's returns; a daily one the day's, which are
    required only inside a sensitive period.
    """
    if kind == InspectionKind.MONTHLY:
        return InspectionKind.MONTHLY, day.replace(day=1), True
    return InspectionKind.DAILY, day, SensitivePeriod.objects.covering(day).exists()


def missing_returns(kind: str, period_date: dt.date, grids=None):
    """Grids (of `grids`, default all) without a return for the period (缺报), with the workers responsible."""
    filed = Inspection.objects.filter(grid_id=OuterRef("pk"), kind=kind, period=period_date)
    grids = Grid.objects.all() if grids is None else grids
    return (
        grids.filter(~Exists(filed))
        .select_related("community__subdistrict")
        .prefetch_related(Prefetch("workers", queryset=User.objects.filter(is_active=True).order_by("username")))
        .order_by("community__subdistrict__code", "community__code", "code")
    )


# ---------------------------------------------------------------------------
# What each figure is called and means: drill-down titles, the exports' 说明 sheet.

# key -> (name, is a stock as of the period's end, definition)
FIGURES = {
    "registered": ("新登记案件", False, "本期登记的案件（按登记时间）。"),
    "registered_imported": ("其中导入案件", False, "本期登记的案件中由台账导入的（单列，不混同现场登记）。"),
    "concluded": (
        "办结案件",
        False,
        "本期达成调解成功或调解不成的案件（按办结时间；其后是否结案不论）。不含不予受理和撤回。",
    ),
    "agreed": ("调解成功", False, "本期办结且调解成功的案件。"),
    "failed": ("调解不成", False, "本期办结且调解不成的案件。"),
    "concluded_imported": ("其中导入案件", False, "本期办结的案件中由台账导入的。"),
    "open": ("在办案件", True, "期末未不予受理、未撤回、未结案的案件（调解成功、调解不成而未结案的仍在办）。"),
    "overdue": ("逾期案件", True, "期末在办、且当时所处环节的期限（受理、办结或首次回访）已过的案件。"),
    "pending_overdue": ("逾期未办结案件", True, "逾期案件中尚未办结的（受理或办结期限已过），计入按期办结率的分母。"),
    "overdue_follow_up": ("回访逾期案件", True, "逾期案件中已调解成功、首次回访期限已过而未回访的。"),
    "warning": ("预警案件", True, "期末在办的预警案件（重大风险、群体性或重复纠纷）。"),
    "on_time": ("按期办结", False, "本期办结、且办结日不晚于当时的办结期限的案件。"),
    "late": ("超期办结或逾期未结", False, "本期超期办结的案件，加上期末逾期未办结的案件。"),
    "late_concluded": ("超期办结", False, "本期办结、但办结日晚于办结期限的案件。"),
    "on_time_community": (
        "社区层级按期",
        False,
        "社区层级在本期按期了结的案件：在社区的办结期限内办结，或在期限内上报街道。",
    ),
    "late_community": (
        "社区层级超期",
        False,
        "社区层级超期的案件：本期超期办结、超期后上报街道，或期末在社区逾期未办结。",
    ),
    "on_time_subdistrict": (
        "街道层级按期",
        False,
        "街道层级本期按期了结的案件：按期办结，或在期限内上报区（上报的案件按街道自己的办结期限计，自上报之日起算）。",
    ),
    "late_subdistrict": (
        "街道层级超期",
        False,
        "街道层级本期超期办结、超期后上报区，或期末在街道逾期未办结的案件。",
    ),
    "judicial_applied": ("申请司法确认", False, "本期记录当事人已共同申请司法确认的调解协议所属案件。"),
    "judicial_confirmed": ("司法确认有效", False, "本期记录人民法院确认调解协议有效的案件。"),
    "judicial_lapsed": (
        "司法确认期限届满未申请",
        False,
        "司法确认申请期限（协议生效之日起三十日）在本期届满，期限内未申请的案件。",
    ),
    "withdrawn": ("撤回案件", False, "本期撤回的案件（离开成功率分母，须单列）。"),
    "declined": ("不予受理（引导至其他途径）", False, "本期不予受理、引导至法院、公安、信访、仲裁等的案件。"),
    "ladder_community": ("社区层级办结", False, "本期在社区层级办结的案件（小事不出社区）。"),
    "ladder_subdistrict": ("街道层级办结", False, "本期在街道层级办结的案件。"),
    "ladder_district": ("区层级办结", False, "本期在区层级办结的案件（街道上报区后办结；大事不出街道未做到）。"),
    "referred_district": ("上报区", False, "本期由街道上报区的案件（街道调解不成或无力化解）。"),
    "on_time_district": ("区层级按期", False, "区层级本期按期办结的案件（按区自己的办结期限计，自上报区之日起算）。"),
    "late_district": ("区层级超期", False, "区层级本期超期办结，或期末在区逾期未办结的案件。"),
    "failed_community": (
        "社区调解不成",
        False,
        "本期在社区层级调解不成的案件，其后上报街道的仍计入（社区的统计保留其失败）；"
        "小事不出社区、大事不出街道只按案件最终办结的层级计一次。",
    ),
    "third_party_concluded": ("第三方调解办结", False, "本期由律师、社工、法律顾问主持办结的案件。"),
    "third_party_agreed": ("第三方调解成功", False, "本期由律师、社工、法律顾问主持调解成功的案件。"),
    "cumulative_concluded": ("累计办结", False, "统计起始日至期末办结的案件。"),
    "cumulative_agreed": ("累计调解成功", False, "统计起始日至期末调解成功的案件。"),
    "cumulative_third_party_concluded": ("累计第三方调解办结", False, "统计起始日至期末第三方调解办结的案件。"),
    "cumulative_third_party_agreed": ("累计第三方调解成功", False, "统计起始日至期末第三方调解成功的案件。"),
    "followed_up": ("本期回访案件", False, "本期有回访记录的案件。"),
    "supervision_issued": ("本期督办案件", False, "本期区综治中心下达督办的案件。"),
    "supervision_on_time": ("督办按期答复", False, "本期答复督办、且答复日不晚于督办办理期限的案件。"),
    "supervision_late": ("督办超期答复", False, "本期答复督办、但答复日晚于督办办理期限的案件。"),
    "supervision_unanswered": ("督办未答复", True, "期末尚有督办未答复的案件。"),
    "supervision_overdue": ("督办逾期未答复", True, "期末尚有督办未答复、且办理期限已过的案件。"),
    "late_registration": (
        "迟报案件",
        False,
        "本期登记、且登记日晚于纠纷发生日若干个工作日（默认1个）的案件（信息责任追究）。",
    ),
}
DIMENSION_NAMES = {
    "status": "状态",
    "category": "类别",
    "community": "社区",
    "grid": "网格",
    "source": "来源",
    "risk": "风险等级",
    "mediator": "调解员",
    "organization": "调解组织",
    "by": "撤回方",
    "referral": "引导至",
    "hot": "社区×类别",
}
DIMENSION_VALUE_LABELS = {
    "status": {s.value: str(s.label) for s in CaseStatus},
    "by": WITHDRAWN_BY,
    "referral": {r.value: str(r.label) for r in Referral},
}


def figure_title(key: str, period: Period, labels: dict) -> str:
    """A drill-down's title in words: "2026年10月 逾期案件（截至10月31日）"."""
    head, _sep, narrowing = key.partition(":")
    base, _sep, month = head.partition("@")
    if month:
        year, number = month.split("-")
        when = f"{int(year)}年{int(number)}月"
    else:
        when = period.label
    name, stock, _definition = FIGURES.get(base, (base, False, ""))
    title = f"{when} {name}"
    if base.startswith("cumulative_"):
        since = cumulative_since()
        title = f"{since.year}年{since.month}月{since.day}日至{period.end_label} {name}"
    elif stock:
        title += f"（截至{period.end_label}）"
    if narrowing:
        dimension, _sep, value = narrowing.partition("=")
        if dimension == "hot":
            community_id, _sep, category_id = value.partition(".")
            value_label = (
                f"{labels.get('community', {}).get(community_id, community_id)}"
                f"·{labels.get('category', {}).get(category_id, category_id)}"
            )
        else:
            value_label = labels.get(dimension, {}).get(value) or DIMENSION_VALUE_LABELS.get(dimension, {}).get(
                value, value
            )
        title += f" · {DIMENSION_NAMES.get(dimension, dimension)}：{value_label}"
    return title


def is_figure_key(material: dict, key: str) -> bool:
    """Does `key` name a figure of this report (one that may count no case at all)?

    `base`, `base@YYYY-MM` (a trend month) or `base:dimension=value` with a value the report knows.
    """
    if key in material["sets"] or key in material.get("counts", {}):
        return True
    head, _sep, narrowing = key.partition(":")
    base, _sep, month = head.partition("@")
    if base not in FIGURES or (month and month not in material.get("trend_months", [])):
        return False
    if not narrowing:
        return True
    dimension, _sep, value = narrowing.partition("=")
    known = material["labels"].get(dimension, {}) or DIMENSION_VALUE_LABELS.get(dimension, {})
    return value in known
