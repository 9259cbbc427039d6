"""Synthetic but realistic data at scale, loaded with PostgreSQL COPY.

The shape of real work: most cases concluded long ago, a few percent open, categories and
communities skewed (a few busy communities, many quiet grids), one large subdistrict (the
benchmark's centre staff) among many. Cases get two or more parties, a description put together
from their category's phrases, and every event of their path to their status (register, accept,
assign, start, the conclusion, a follow-up, close; or decline, or withdraw), as the services write
them: the reports replay those events to state a period as of its end. Deterministic for a given
size; the transition events are written in committed chunks, so an interrupted load resumes.
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
    RecordKind,
    Referral,
    Risk,
    Source,
    Transition,
    WithdrawnBy,
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
# What a description is made of, by category code: what happened, then what is asked (two picks
# each, so that similar cases share words and differ in others, as real ones do).
PHRASES = {
    "family": (["夫妻感情不和", "离婚后子女抚养权", "老人赡养费用", "兄弟姐妹分家", "家庭财产分割", "彩礼返还"],
               ["要求支付抚养费", "要求分割房产", "协商赡养方案", "双方多次争吵"]),
    "neighbour": (["楼上漏水渗到楼下", "装修噪音扰民", "楼道堆放杂物", "宠物狗夜间吠叫", "空调外机滴水",
                   "共用墙体开裂"],
                  ["要求赔偿维修费用", "双方多次争吵", "要求停止侵害", "上门沟通未果"]),
    "property_mgmt": (["物业费上涨", "小区停车位管理", "电梯长期故障", "公共收益去向不明", "绿化带被占用"],
                      ["业主拒绝缴纳物业费", "要求物业公司整改", "业主委员会出面交涉", "要求公开账目"]),
    "housing": (["宅基地边界", "房屋租赁押金", "房屋买卖过户", "违章搭建遮挡采光", "租客拖欠房租"],
                ["要求退还押金", "要求拆除搭建", "要求确认权属", "要求腾退房屋"]),
    "labour": (["拖欠农民工工资", "未签劳动合同", "工伤医疗费用", "加班费计算", "解除劳动关系补偿"],
               ["要求支付工资", "要求经济补偿", "要求补签合同", "班组长失联"]),
    "consumer": (["网购商品质量问题", "预付卡商家跑路", "装修公司延期交房", "美容服务纠纷", "餐饮食品安全"],
                 ["要求退款", "要求三倍赔偿", "商家拒绝退货", "要求继续履行"]),
    "damages": (["饲养宠物咬伤路人", "高空抛物砸坏车辆", "施工损坏管道", "打架致人受伤", "广告牌脱落砸伤"],
                ["要求赔偿医药费", "要求赔偿车辆损失", "责任划分有争议", "要求赔礼道歉"]),
    "contract": (["民间借贷到期未还", "货款拖欠", "合伙经营散伙", "工程款结算", "担保责任"],
                 ["要求归还借款", "要求支付货款及利息", "对账金额有争议", "要求解除合同"]),
    "medical": (["手术后遗症", "诊所误诊", "药品不良反应", "护理不当摔伤"],
                ["要求医疗机构赔偿", "要求复印病历", "对鉴定结论有异议", "要求减免医疗费"]),
    "demolition": (["征收补偿标准", "拆迁安置房分配", "临时过渡费", "青苗补偿"],
                   ["要求提高补偿", "拒绝签订协议", "要求尽快安置", "家庭成员分配有争议"]),
    "traffic": (["电动车与行人相撞", "小区内车辆剐蹭", "停车场车辆被刮", "非机动车追尾"],
                ["要求赔偿修车费", "保险理赔有争议", "要求赔偿误工费", "责任认定有争议"]),
    "other": (["广场舞噪音", "村民用水纠纷", "垃圾站选址", "快递丢件"],
              ["要求协调解决", "双方各执一词", "要求相关部门介入", "多次反映未果"]),
}  # fmt: skip
# Who withdrew a withdrawn case, and how often: mostly the parties themselves.
WITHDRAWN_BY_WEIGHTS = [(WithdrawnBy.PARTY, 70), (WithdrawnBy.MEDIATOR, 18), (WithdrawnBy.CENTRE, 12)]
# Marks the transition events this generator wrote, so that an interrupted load resumes after them.
EVENT_NOTE = "基准数据"
EVENT_CHUNK = 50_000


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
                    row = [grid_id, InspectionKind.MONTHLY, month, found, min(found, 1), found == 0, "", centre.pk, now]
                    yield [*row, False, False]

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
                "late",
                "on_behalf",
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
                if total and (n % 50_000 == 0 or n == total):
                    _progress(label, n, total, started)


def generate(size: int, *, seed: int = 2021, base: int | None = None) -> dict:
    """Load `size` cases (idempotent for a given size: an existing bench load of that size is kept).

    With `base`, the first `base` cases are generated and the rest are copies of them made inside
    PostgreSQL (bench.multiply): the way to a load too large to generate case by case."""
    if connection.vendor != "postgresql":
        raise SystemExit("the benchmark data generator needs PostgreSQL (set DATABASE_URL)")
    current = DisputeCase.objects.filter(external_ref__startswith="bench-").count()
    subdistricts, grids_by_subdistrict = _territory()
    centre, mediator_ids = _people(subdistricts[0])
    _inspections(grids_by_subdistrict, centre, seed)
    if current == size:
        print(f"  {size:,} benchmark cases already loaded")
        from .multiply import restore_indexes

        restore_indexes()  # a load by copies interrupted while its indexes were being built again
        if _transitions(centre, seed):
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        return {"centre": centre, "generated": False}
    if base and base < size:
        from .multiply import multiply

        if current < base:
            generate(base, seed=seed)
        multiply(size, base)
        with connection.cursor() as cursor:
            print("  VACUUM ANALYZE …")
            cursor.execute("VACUUM ANALYZE")
        return {"centre": centre, "generated": True}
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
    codes_by_category = dict(Category.objects.values_list("pk", "code"))

    def description(category_id) -> str:
        what, asked = PHRASES.get(codes_by_category[category_id], PHRASES["other"])
        return "，".join([*rng.sample(what, 2), *rng.sample(asked, 2)]) + "。"

    fields = [f for f in DisputeCase._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    defaults = {f.attname: _default(f) for f in fields}
    attnames = [f.attname for f in fields]
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM casework_disputecase")
        first_id = cursor.fetchone()[0] + 1
        # The rows below take their ids from the table's sequence, which inserts rolled back or an
        # interrupted load may have moved on: it starts again where the parties and events expect.
        cursor.execute("SELECT setval(pg_get_serial_sequence('casework_disputecase', 'id'), %s, false)", [first_id])
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
            # Nothing concluded or closed in the future either.
            latest = now - dt.timedelta(minutes=1)
            concluded = min(concluded, latest) if concluded else None
            closed = min(closed, latest) if closed else None
            risk = rng.choices([Risk.NORMAL, Risk.ELEVATED, Risk.MAJOR], cum_weights=risk_cum)[0]
            party_count = 2 if rng.random() < 0.9 else rng.randrange(3, 8)
            warning = [r for r, on in (("major_risk", risk == Risk.MAJOR), ("many_parties", party_count >= 5)) if on]
            case_id = first_id + n
            plan.append((case_id, registered, party_count))
            category_id = rng.choices(categories, cum_weights=cat_cum)[0]
            values = {
                "number": f"{codes[sub]}-{day.year}-{counters[key]:06d}",
                "year": day.year,
                "external_ref": f"bench-{case_id}",
                "subdistrict_id": sub,
                "community_id": community_id,
                "grid_id": grid_id,
                "category_id": category_id,
                "source": rng.choice(sources),
                "risk": risk,
                "level": level,
                "description": description(category_id),
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

        # The party's other particulars (sex, age, …) are left blank, as a registration without them is.
        named = ["case_id", "role", "kind", "name", "id_number", "id_number_index", "phone", "phone_index", "address"]
        blank_fields = [f for f in Party._meta.concrete_fields if not f.primary_key and f.column not in named]
        blanks = [_default(f) for f in blank_fields]

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
                        *blanks,
                    ]

        phone_purpose = Party._meta.get_field("phone").purpose
        _copy(
            "casework_party",
            named + [f.column for f in blank_fields],
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

        _copy("casework_caseevent", EVENT_COLUMNS, event_rows(), size, "events")
        for (sub, year), last in counters.items():
            connection.cursor().execute(
                "INSERT INTO casework_casenumbercounter (subdistrict_id, year, last_number) VALUES (%s, %s, %s) "
                "ON CONFLICT (subdistrict_id, year) DO UPDATE SET last_number = GREATEST("
                "casework_casenumbercounter.last_number, EXCLUDED.last_number)",
                [sub, year, last],
            )
    _transitions(centre, seed)
    with connection.cursor() as cursor:
        # VACUUM too: it sets the visibility map, without which the reports' index-only scans read the heap.
        print("  VACUUM ANALYZE …")
        cursor.execute("VACUUM ANALYZE")
    return {"centre": centre, "generated": True}


EVENT_COLUMNS = [
    *("case_id", "at", "actor_id", "name", "from_status", "to_status", "note", "data", "imported"),
    *("chain_seq", "chain_hash"),
]


def _path(case: dict, rng: random.Random, latest: dt.datetime) -> list[tuple]:
    """The events after `register` that brought a case to its status: (name, from, to, at, data)."""
    status, accepted = case["status"], case["accepted_at"]
    registered = case["registered_at"]
    if status == CaseStatus.REPORTED:
        return []
    if status == CaseStatus.DECLINED:
        referral = rng.choice(list(Referral.values))
        return [(Transition.DECLINE, "reported", status, registered + dt.timedelta(days=1), {"referral": referral})]
    path = [(Transition.ACCEPT, "reported", "accepted", accepted, {"level": case["level"]})]
    if status == CaseStatus.WITHDRAWN:
        by = rng.choices([b for b, _ in WITHDRAWN_BY_WEIGHTS], weights=[w for _, w in WITHDRAWN_BY_WEIGHTS])[0]
        at = accepted + dt.timedelta(days=rng.randrange(1, 20))
        return [*path, (Transition.WITHDRAW, "accepted", status, at, {"by": by})]
    if status == CaseStatus.ACCEPTED:
        return path
    path.append((Transition.ASSIGN, "accepted", "assigned", accepted + dt.timedelta(hours=2), {
        "mediator": case["lead_mediator_id"]
    }))  # fmt: skip
    if status == CaseStatus.ASSIGNED:
        return path
    path.append((Transition.START, "assigned", "mediating", accepted + dt.timedelta(days=1), {}))
    if status == CaseStatus.MEDIATING:
        return path
    concluded, outcome = case["concluded_at"], case["outcome"]
    name = Transition.REACH_AGREEMENT if outcome == Outcome.AGREED else Transition.FAIL
    path.append((name, "mediating", outcome, concluded, {}))
    if case["follow_up_count"]:
        path.append((RecordKind.FOLLOW_UP, "", "", concluded + dt.timedelta(days=7), {}))
    if status == CaseStatus.CLOSED:
        path.append((Transition.CLOSE, outcome, status, case["closed_at"], {}))
    # In order and never after now (the service writes an event at the moment it happens).
    moment = registered
    timed = []
    for name, from_status, to_status, at, data in path:
        moment = max(moment, min(at, latest))
        timed.append((name, from_status, to_status, moment, data))
    return timed


def _transitions(centre, seed: int) -> bool:
    """Write every case's transition events after its `register`, EVENT_CHUNK cases a transaction,
    resuming after the last case whose events were written. True if any were written."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(case_id), 0) FROM casework_caseevent WHERE note = %s", [EVENT_NOTE])
        done = cursor.fetchone()[0]
    bench = DisputeCase.objects.filter(external_ref__startswith="bench-")
    last = bench.order_by("-pk").values_list("pk", flat=True).first() or 0
    if done >= last:
        return False
    total = bench.filter(pk__gt=done).count()
    latest = timezone.now() - dt.timedelta(minutes=1)
    fields = ["pk", "status", "registered_at", "accepted_at", "concluded_at", "closed_at", "outcome", "level"]
    fields += ["lead_mediator_id", "follow_up_count"]
    written, started = 0, time.monotonic()
    while done < last:
        rows = list(bench.filter(pk__gt=done).order_by("pk").values(*fields)[:EVENT_CHUNK])
        with transaction.atomic():
            head = chain.head(CaseEvent)

            def event_rows(rows=rows, head=head):
                seq, previous = head
                for case in rows:
                    rng = random.Random(seed * 1_000_003 + case["pk"])  # per case: the same on a resumed load
                    for name, from_status, to_status, at, data in _path(case, rng, latest):
                        seq += 1
                        values = {"case_id": case["pk"], "at": at, "actor_id": centre.pk, "name": name}
                        values |= {"from_status": from_status, "to_status": to_status, "note": EVENT_NOTE}
                        values |= {"data": data, "imported": False}
                        previous = chain.digest(previous, CaseEvent(**values, chain_seq=seq))
                        yield [*list(values.values())[:-2], json.dumps(data), False, seq, previous]

            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
            _copy("casework_caseevent", EVENT_COLUMNS, event_rows(), None, "transition events")
        done = rows[-1]["pk"]
        written += len(rows)
        _progress("cases with their transition events", written, total, started)
    return True


def _default(field):
    value = field.get_default()
    if isinstance(value, list | dict):
        return json.dumps(value)
    return value
