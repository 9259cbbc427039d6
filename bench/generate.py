"""Synthetic but realistic data at scale, loaded with PostgreSQL COPY.

The shape of real work: most cases concluded long ago, a few percent open, categories and
communities skewed (a few busy communities, many quiet grids), one large subdistrict (the
benchmark's centre staff) among many. Cases get two or more parties and a register event.
Deterministic for a given size.
"""

import datetime as dt
import itertools
import json
import random
import sys
import time

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from casework.enums import (
    FOLLOW_UP_STATES,
    OPEN,
    WITH_MEDIATOR,
    CaseStatus,
    Level,
    Outcome,
    Risk,
    Source,
    running_deadline,
)
from casework.models import CaseEvent, Category, DisputeCase, Party
from common import chain, crypto
from grids.enums import InspectionKind, Role
from grids.models import Community, Grid, Inspection, Subdistrict, User
from mediation.models import MediationOrganization, Mediator

BENCH_PASSWORD = "bench-password-2026"
SUBDISTRICTS = 40
COMMUNITIES_PER_SUBDISTRICT = 12
GRIDS_PER_COMMUNITY = 8
# The benchmark user's subdistrict carries this share of all cases (a busy urban centre).
HOME_SHARE = 0.10
MEDIATORS = 400
STATUS_WEIGHTS = [
    (CaseStatus.CLOSED, 880),
    (CaseStatus.DECLINED, 25),
    (CaseStatus.WITHDRAWN, 25),
    (CaseStatus.AGREED, 12),
    (CaseStatus.FAILED, 3),
    (CaseStatus.REPORTED, 12),
    (CaseStatus.ACCEPTED, 10),
    (CaseStatus.ASSIGNED, 10),
    (CaseStatus.MEDIATING, 23),
]
START = dt.date(2020, 1, 1)


def _progress(label: str, done: int, total: int, started: float):
    rate = done / max(time.monotonic() - started, 1e-6)
    sys.stdout.write(f"\r  {label}: {done:>10,}/{total:,} ({rate:,.0f}/s)")
    if done >= total:
        sys.stdout.write("\n")
    sys.stdout.flush()


def _territory():
    """Subdistricts, communities and grids in three bulk inserts (existing rows are kept)."""
    with transaction.atomic():
        Subdistrict.objects.bulk_create(
            [Subdistrict(code="BHZ" if s == 0 else f"S{s:03d}", name=f"基准街道{s:03d}") for s in range(SUBDISTRICTS)],
            ignore_conflicts=True,
        )
        subdistricts = list(Subdistrict.objects.filter(name__startswith="基准街道").order_by("name"))
        Community.objects.bulk_create(
            [
                Community(subdistrict=sub, code=f"c{c:02d}", name=f"{sub.code}社区{c:02d}")
                for sub in subdistricts
                for c in range(COMMUNITIES_PER_SUBDISTRICT)
            ],
            ignore_conflicts=True,
        )
        communities = list(Community.objects.filter(subdistrict__in=subdistricts).order_by("subdistrict_id", "code"))
        Grid.objects.bulk_create(
            [
                Grid(community=com, code=f"g{g:02d}", name=f"{com.name}网格{g}")
                for com in communities
                for g in range(GRIDS_PER_COMMUNITY)
            ],
            ignore_conflicts=True,
        )
    grids_by_subdistrict = {sub.pk: [] for sub in subdistricts}
    for grid in Grid.objects.filter(community__in=communities).select_related("community").order_by("id"):
        grids_by_subdistrict[grid.community.subdistrict_id].append(grid)
    return subdistricts, grids_by_subdistrict


def _people(home):
    password = make_password(BENCH_PASSWORD)
    centre, _ = User.objects.get_or_create(
        username="bench_centre",
        defaults={
            "full_name": "基准中心",
            "roles": [Role.CENTRE_STAFF],
            "subdistrict": home,
            "password": password,
            # Staff and superuser too, so the Django admin changelist can be measured over the same rows.
            "is_staff": True,
            "is_superuser": True,
        },
    )
    org, _ = MediationOrganization.objects.get_or_create(name="基准调解组织", defaults={"kind": "ngo"})
    existing = Mediator.objects.filter(organization=org).count()
    Mediator.objects.bulk_create(
        [Mediator(name=f"调解员{i:04d}", kind="lawyer", organization=org) for i in range(existing, MEDIATORS)]
    )
    return centre, list(Mediator.objects.filter(organization=org).values_list("pk", flat=True))


# Most grids file their monthly screening return (排查); the few that do not are the report's 缺报 list.
INSPECTION_FILED_SHARE = 0.96


def _inspections(grids_by_subdistrict, centre, seed: int):
    """A monthly return for ~96% of grids in every month since START (skipped when already loaded)."""
    if Inspection.objects.filter(filed_by=centre).exists():
        return
    rng = random.Random(seed + 1)
    grid_ids = sorted(g.pk for grids in grids_by_subdistrict.values() for g in grids)
    today = timezone.localdate()
    months = []
    month = START
    while month < today.replace(day=1):
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    now = timezone.now()

    def rows():
        for month in months:
            for grid_id in grid_ids:
                if rng.random() < INSPECTION_FILED_SHARE:
                    found = 0 if rng.random() < 0.6 else rng.randrange(1, 4)
                    yield [grid_id, InspectionKind.MONTHLY, month, found, min(found, 1), found == 0, "", centre.pk, now]

    total = sum(1 for _ in rows())
    rng.seed(seed + 1)
    with transaction.atomic():
        _copy(
            "grids_inspection",
            [
                "grid_id",
                "kind",
                "period",
                "disputes_found",
                "cases_registered",
                "zero_report",
                "notes",
                "filed_by_id",
                "filed_at",
            ],
            rows(),
            total,
            "inspection returns",
        )


def _copy(table: str, columns: list[str], rows, total: int, label: str):
    started = time.monotonic()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3 cursor under Django's wrapper
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for n, row in enumerate(rows, start=1):
                copy.write_row(row)
                if n % 50_000 == 0 or n == total:
                    _progress(label, n, total, started)


def generate(size: int, *, seed: int = 2021) -> dict:
    """Load `size` cases (idempotent for a given size: an existing bench load of that size is kept)."""
    if connection.vendor != "postgresql":
        raise SystemExit("the benchmark data generator needs PostgreSQL (set DATABASE_URL)")
    current = DisputeCase.objects.filter(external_ref__startswith="bench-").count()
    subdistricts, grids_by_subdistrict = _territory()
    centre, mediator_ids = _people(subdistricts[0])
    _inspections(grids_by_subdistrict, centre, seed)
    if current == size:
        print(f"  {size:,} benchmark cases already loaded")
        return {"centre": centre, "generated": False}
    if current:
        raise SystemExit(f"the benchmark database holds {current:,} cases, not {size:,}: drop it first")
    rng = random.Random(seed)
    categories = list(Category.objects.values_list("pk", flat=True))
    cat_weights = [1.0 / (i + 1) ** 1.1 for i in range(len(categories))]
    statuses = [s for s, _ in STATUS_WEIGHTS]
    status_weights = [w for _, w in STATUS_WEIGHTS]
    today = timezone.localdate()
    now = timezone.now()
    span_days = (today - START).days
    tz = timezone.get_current_timezone()
    sub_ids = [s.pk for s in subdistricts]
    sub_weights = [HOME_SHARE] + [(1 - HOME_SHARE) / (len(sub_ids) - 1)] * (len(sub_ids) - 1)
    codes = {s.pk: s.code for s in subdistricts}
    grid_info = {sub: [(g.pk, g.community_id) for g in grids] for sub, grids in grids_by_subdistrict.items()}
    grid_weights = {sub: [1.0 / (i + 1) ** 0.7 for i in range(len(g))] for sub, g in grid_info.items()}
    for sub in grid_info:
        rng.shuffle(grid_weights[sub])
    # Cumulative weights once: random.choices recomputes them on every call otherwise.
    cum = itertools.accumulate
    grid_cum = {sub: list(cum(w)) for sub, w in grid_weights.items()}
    sub_cum, cat_cum, status_cum = list(cum(sub_weights)), list(cum(cat_weights)), list(cum(status_weights))
    risk_cum = list(cum([90, 8, 2]))
    sources = list(Source.values)

    fields = [f for f in DisputeCase._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    defaults = {f.attname: _default(f) for f in fields}
    attnames = [f.attname for f in fields]
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM casework_disputecase")
        first_id = cursor.fetchone()[0] + 1
    counters: dict[tuple[int, int], int] = {}
    plan = []  # (id, registered_at, party_count) for parties and events

    def case_rows():
        for n in range(size):
            sub = rng.choices(sub_ids, cum_weights=sub_cum)[0]
            grid_id, community_id = rng.choices(grid_info[sub], cum_weights=grid_cum[sub])[0]
            status = rng.choices(statuses, cum_weights=status_cum)[0]
            if status in OPEN:
                day = today - dt.timedelta(days=int(rng.expovariate(1 / 20)) % 200)
            else:
                day = START + dt.timedelta(days=rng.randrange(span_days))
            registered = dt.datetime.combine(day, dt.time(rng.randrange(8, 18), rng.randrange(60)), tz)
            # Today's office hours may not have happened yet: nothing is registered in the future.
            registered = min(registered, now - dt.timedelta(minutes=1 + n % 600))
            key = (sub, day.year)
            counters[key] = counters.get(key, 0) + 1
            accepted = concluded = closed = None
            outcome = level = ""
            lead = None
            conclude_due = follow_up_due = None
            if status not in (CaseStatus.REPORTED, CaseStatus.DECLINED):
                accepted = registered + dt.timedelta(days=1)
                level = Level.SUBDISTRICT if rng.random() < 0.6 else Level.COMMUNITY
                conclude_due = (accepted + dt.timedelta(days=42)).date()
            if status in WITH_MEDIATOR | FOLLOW_UP_STATES:
                lead = rng.choice(mediator_ids)
            if status in FOLLOW_UP_STATES:  # concluded (and perhaps closed since)
                concluded = accepted + dt.timedelta(days=int(rng.gammavariate(2.0, 8.0)) + 1)
                outcome = Outcome.AGREED if (status == CaseStatus.AGREED or rng.random() < 0.93) else Outcome.FAILED
                if status == CaseStatus.FAILED:
                    outcome = Outcome.FAILED
                follow_up_due = (concluded + dt.timedelta(days=21)).date() if outcome == Outcome.AGREED else None
            if status == CaseStatus.CLOSED:
                closed = concluded + dt.timedelta(days=10)
            risk = rng.choices([Risk.NORMAL, Risk.ELEVATED, Risk.MAJOR], cum_weights=risk_cum)[0]
            party_count = 2 if rng.random() < 0.9 else rng.randrange(3, 8)
            warning = [r for r, on in (("major_risk", risk == Risk.MAJOR), ("many_parties", party_count >= 5)) if on]
            case_id = first_id + n
            plan.append((case_id, registered, party_count))
            values = {
                "number": f"{codes[sub]}-{day.year}-{counters[key]:06d}",
                "year": day.year,
                "external_ref": f"bench-{case_id}",
                "subdistrict_id": sub,
                "community_id": community_id,
                "grid_id": grid_id,
                "category_id": rng.choices(categories, cum_weights=cat_cum)[0],
                "source": rng.choice(sources),
                "risk": risk,
                "level": level,
                "description": "楼上漏水影响楼下住户，双方多次协商未果。",
                "occurred_on": day - dt.timedelta(days=3),
                "status": status,
                "version": 1,
                "registered_at": registered,
                "registered_by_id": centre.pk,
                "accepted_at": accepted,
                "concluded_at": concluded,
                "closed_at": closed,
                "outcome": outcome,
                "accept_due": (registered + dt.timedelta(days=5)).date(),
                "conclude_due": conclude_due,
                "conclude_extended": False,
                "follow_up_due": follow_up_due,
                "lead_mediator_id": lead if status != CaseStatus.ACCEPTED else None,
                "session_count": 1 if concluded else 0,
                "follow_up_count": 1 if status == CaseStatus.CLOSED and outcome == Outcome.AGREED else 0,
                "is_warning": bool(warning),
                "warning_reasons": json.dumps(warning),
                "party_count": party_count,
            }
            # The running deadline by the one rule (DisputeCase.current_due reads it too).
            deadline = running_deadline(status, values["follow_up_count"])
            values["next_due"] = values[deadline] if deadline else None
            yield [values[a] if a in values else defaults[a] for a in attnames]

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
        _copy("casework_disputecase", columns, case_rows(), size, "cases")
        total_parties = sum(p for _, _, p in plan)
        surnames = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗"

        def party_rows():
            for case_id, _registered, count in plan:
                for i in range(count):
                    phone = f"13{rng.randrange(10**9):09d}"
                    # Sealed and indexed as the application writes them (common.crypto).
                    yield [
                        case_id,
                        "applicant" if i == 0 else "respondent",
                        "person",
                        rng.choice(surnames) + rng.choice("伟芳娜敏静丽强磊军洋勇艳杰"),
                        "",
                        "",
                        crypto.seal(phone, purpose=phone_purpose),
                        crypto.blind_index(phone, purpose=phone_purpose),
                        "",
                    ]

        phone_purpose = Party._meta.get_field("phone").purpose
        _copy(
            "casework_party",
            ["case_id", "role", "kind", "name", "id_number", "id_number_index", "phone", "phone_index", "address"],
            party_rows(),
            total_parties,
            "parties",
        )

        # Read before the COPY starts: the connection answers nothing else while it runs.
        head = chain.head(CaseEvent)

        def event_rows():
            # Linked into the audit chain as the application links them (common.chain).
            seq, previous = head
            for case_id, registered, _count in plan:
                seq += 1
                values = {"case_id": case_id, "at": registered, "actor_id": centre.pk, "name": "register"}
                values |= {"from_status": "", "to_status": "reported", "note": "", "data": {}, "imported": False}
                previous = chain.digest(previous, CaseEvent(**values, chain_seq=seq))
                yield [case_id, registered, centre.pk, "register", "", "reported", "", "{}", False, seq, previous]

        _copy(
            "casework_caseevent",
            [
                *("case_id", "at", "actor_id", "name", "from_status", "to_status", "note", "data", "imported"),
                *("chain_seq", "chain_hash"),
            ],
            event_rows(),
            size,
            "events",
        )
        for (sub, year), last in counters.items():
            connection.cursor().execute(
                "INSERT INTO casework_casenumbercounter (subdistrict_id, year, last_number) VALUES (%s, %s, %s) "
                "ON CONFLICT (subdistrict_id, year) DO UPDATE SET last_number = GREATEST("
                "casework_casenumbercounter.last_number, EXCLUDED.last_number)",
                [sub, year, last],
            )
    with connection.cursor() as cursor:
        # VACUUM too: it sets the visibility map, without which the reports' index-only scans read the heap.
        print("  VACUUM ANALYZE …")
        cursor.execute("VACUUM ANALYZE")
    return {"centre": centre, "generated": True}


def _default(field):
    value = field.get_default()
    if isinstance(value, list | dict):
        return json.dumps(value)
    return value
