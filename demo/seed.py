"""The Baihuazhou demo: territory, people, mediators and six years of cases, all made
through the services so that every case carries its full history of events; beside it a
smaller neighbouring subdistrict of the same district, and the district's centre.

Deterministic (a fixed random seed) and idempotent: reference rows are fetched or
created by natural key, and each case by its `external_ref` (demo-NNN), inside one
transaction per case, so a second run — or a run after an interrupted one — adds
only what is missing.
"""

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from casework import services as case_services
from casework.enums import Guidance, Level, Outcome, RecordKind, Referral, Risk, Source, WithdrawnBy
from casework.models import CaseEvent, Category, DisputeCase
from casework.personal_data import id_check_digit
from common.prepared import attached
from grids import services as grid_services
from grids.enums import Crs, InspectionKind, Role
from grids.models import Community, District, Grid, Inspection, SensitivePeriod, Subdistrict, User
from grids.permissions import user_grid_ids
from mediation import corrections
from mediation import services as mediation_services
from mediation.enums import AgreementForm, FollowUpMethod, MediatorKind, OrganizationKind, SignatureMark
from mediation.models import MediationOrganization, Mediator
from mediation.selectors import case_page_related
from reports.statistics import add_months

from .boundaries import schematic

DEFAULT_PASSWORD = "baihuazhou2021"
# 就地化解 the demo's grid workers record: what, and where in the grid.
SPOT_RESOLUTIONS = [
    ("两户因楼道堆放杂物争吵，当场协调清理", "3栋楼道"),
    ("邻居装修噪音扰民，现场约定施工时间", "5栋402"),
    ("停车占用消防通道引发口角，当场劝离", "小区东门"),
    ("宠物狗夜间吠叫，双方当面沟通后和解", "8栋楼下"),
    ("晾晒衣物滴水纠纷，现场调整晾晒位置", "2栋"),
]
SEED = 2021
# The headline figure of Baihuazhou's 2021 work summary: 83 third-party mediations, 78 agreed.
CONCLUDED, AGREED = 83, 78

COMMUNITIES = [
    ("hsm", "火神庙社区"),
    ("zyq", "状元桥社区"),
    ("nhl", "南湖路社区"),
    ("gwx", "桂旺巷社区"),
    ("yjc", "杨家厂社区"),
    ("xjt", "小金台社区"),
    ("ljjm", "刘将军庙社区"),
]
GRIDS_PER_COMMUNITY = 3

ORGANIZATIONS = [
    ("德济爱民公益协会", OrganizationKind.NGO, "0791-86001234"),
    ("江西豫章律师事务所", OrganizationKind.LAW_FIRM, "0791-86005678"),
    ("百花洲街道人民调解委员会", OrganizationKind.COMMITTEE, "0791-86009999"),
]
# (username, name, kind, organisation index); every mediator signs in, since only they start their cases.
MEDIATORS = [
    ("mediator", "王立言", MediatorKind.LAWYER, 1),
    ("mediator2", "李慧敏", MediatorKind.SOCIAL_WORKER, 0),
    ("mediator3", "张守正", MediatorKind.LEGAL_ADVISER, 1),
    ("mediator4", "刘和平", MediatorKind.PEOPLES_MEDIATOR, 2),
    ("mediator5", "陈晓燕", MediatorKind.VOLUNTEER, 0),
    ("mediator6", "赵明达", MediatorKind.LAWYER, 1),
    ("mediator7", "孙静怡", MediatorKind.SOCIAL_WORKER, 0),
]
# Third-party mediators: lawyers, social workers and legal advisers brought in by the centre.
THIRD_PARTY = {"mediator", "mediator2", "mediator3", "mediator6", "mediator7"}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段漕钱汤尹黎易常武乔贺赖龚文"
STREETS = ("百花洲路", "中山路", "胜利路", "象山北路", "叠山路", "孺子路")
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰萍红娟建国志强海燕春梅德兴文彬晓东丹子豪思远雨婷佳怡宏"

DESCRIPTIONS = {
    "neighbour": "楼上住户装修噪音及漏水影响楼下住户，双方多次争吵。",
    "family": "夫妻因子女抚养及家庭财产分配发生矛盾，一方要求调解。",
    "property_mgmt": "业主因物业费上涨及小区停车管理与物业公司发生纠纷。",
    "housing": "老旧房屋共用墙体维修费用分担产生争议。",
    "labour": "务工人员被拖欠工资三个月，要求用工单位支付。",
    "consumer": "消费者预付卡消费后商家停业，要求退还余款。",
    "damages": "电动车与行人碰撞致人受伤，双方就赔偿金额协商未果。",
    "contract": "个人借款到期未还，出借人要求偿还本息。",
    "medical": "患者家属对诊所治疗效果不满，要求赔偿。",
    "traffic": "小区内车辆剐蹭，双方对责任认定有分歧。",
    "other": "沿街商铺占道经营引发周边居民不满。",
}
CATEGORY_WEIGHTS = {
    "neighbour": 26,
    "family": 14,
    "property_mgmt": 16,
    "housing": 8,
    "labour": 9,
    "consumer": 6,
    "damages": 7,
    "contract": 6,
    "medical": 2,
    "traffic": 4,
    "other": 2,
}
LOCATIONS = ["第三方调解室", "社区调解室", "综治中心调解室", "当事人家中"]

# The district both subdistricts belong to, and its accounts (the district centre reads, never writes).
DISTRICT = ("DHQ", "东湖区")
DISTRICT_ACCOUNTS = [
    ("district", "龚伟（区综治中心）", Role.DISTRICT_STAFF),
    ("districtleader", "万志刚（区领导）", Role.DISTRICT_LEADER),
]
# The neighbouring subdistrict: two communities of two grids, one people's mediator, a few cases
# (days ago, what happens, category), mediated by no third party (the headline is Baihuazhou's alone).
NEIGHBOUR = ("YZJ", "豫章街道")
NEIGHBOUR_SEED = 2022
NEIGHBOUR_COMMUNITIES = [("sjt", "绳金塔社区"), ("ymg", "羊子巷社区")]
NEIGHBOUR_GRIDS = 2
NEIGHBOUR_COMMITTEE = "豫章街道人民调解委员会"
NEIGHBOUR_CASES = [
    (400, "agreed", "neighbour"),
    (260, "agreed", "family"),
    (150, "failed", "property_mgmt"),
    (90, "agreed", "labour"),
    (20, "mediating", "neighbour"),
    (45, "accepted", "consumer"),  # accepted long ago, never assigned: overdue
    (1, "reported", "damages"),
]

# Screening returns: a sensitive period around the seeding day, monthly returns for the
# last three months; a few grids never file (缺报) and most find nothing (零报告).
SENSITIVE_PERIOD = "年末安全稳定敏感期"
SENSITIVE_DAYS_BEFORE, SENSITIVE_DAYS_AFTER = 5, 3
RETURN_MONTHS = 3
# Grids that miss their returns (by code): one with a worker, one without.
MISSING_RETURNS = {"hsm-02", "hsm-03", "nhl-03"}


@dataclass
class Plan:
    """One demo case: when it was registered and what happens to it afterwards."""

    ref: str
    registered_at: dt.datetime
    story: str
    grid: Grid
    category: Category
    risk: str = Risk.NORMAL
    source: str = Source.GRID_WORKER
    level: str = Level.SUBDISTRICT
    mediator_username: str = ""
    party_count: int = 2
    repeat_of: str = ""
    options: dict = field(default_factory=dict)


class DemoSeeder:
    def __init__(self, *, password: str = DEFAULT_PASSWORD, progress: Callable[[str], None] = print, today=None):
        self.password = password
        self.progress = progress
        self.now = timezone.now()
        self.today = today or timezone.localdate()
        self.rng = random.Random(SEED)
        self.created = {"users": 0, "cases": 0, "inspections": 0}

    # Reference data

    # The subdistrict seeded, its communities and how many grids each has.
    SUBDISTRICT = ("BHZ", "百花洲街道")
    COMMUNITIES = COMMUNITIES
    GRIDS_PER_COMMUNITY = GRIDS_PER_COMMUNITY

    def territory(self):
        code, name = self.SUBDISTRICT
        self.subdistrict, _ = Subdistrict.objects.get_or_create(code=code, defaults={"name": name})
        self.communities, self.grids = [], []
        for code, name in self.COMMUNITIES:
            community, _ = Community.objects.get_or_create(
                subdistrict=self.subdistrict, code=code, defaults={"name": name}
            )
            self.communities.append(community)
            for n in range(1, self.GRIDS_PER_COMMUNITY + 1):
                grid, _ = Grid.objects.get_or_create(
                    community=community, code=f"{code}-{n:02d}", defaults={"name": f"{name[:-2]}第{n}网格"}
                )
                self.grids.append(grid)

    def boundaries(self):
        """Schematic polygons (demo/boundaries.py), once: a territory given real ones keeps them."""
        if Grid.objects.filter(community__subdistrict=self.subdistrict, boundary__isnull=False).exists():
            return
        collection = schematic([code for code, _name in COMMUNITIES], GRIDS_PER_COMMUNITY)
        grid_services.boundaries_import(collection=collection, crs=Crs.WGS84, subdistrict_id=self.subdistrict.pk)

    def _user(self, username, full_name, roles, **extra):
        grids = extra.pop("grids", None)
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"full_name": full_name, "roles": roles, "subdistrict": self.subdistrict, **extra},
        )
        if created:
            user.set_password(self.password)
            user.save(update_fields=["password"])
            if grids:
                user.grids.set(grids)
            self.created["users"] += 1
        return user

    def people(self):
        hsm = self.communities[0]
        self.centre = self._user("centre", "周敏（综治中心）", [Role.CENTRE_STAFF])
        self.leader = self._user("leader", "吴建华（街道领导）", [Role.LEADER])
        self.community = self._user("community", "黄丽（火神庙社区）", [Role.COMMUNITY_STAFF], community=hsm)
        self.gridworker = self._user(
            "gridworker",
            "何军（网格员）",
            [Role.GRID_WORKER],
            grids=[g for g in self.grids if g.community_id == hsm.id][:2],
        )
        self.admin = self._user("admin", "系统管理员", [Role.ADMINISTRATOR], is_staff=True, is_superuser=True)
        organizations = []
        for name, kind, contact in ORGANIZATIONS:
            org, _ = MediationOrganization.objects.get_or_create(name=name, defaults={"kind": kind, "contact": contact})
            organizations.append(org)
        self.mediators = {}
        for username, name, kind, org_index in MEDIATORS:
            user = self._user(username, name, [Role.MEDIATOR])
            mediator, _ = Mediator.objects.get_or_create(
                user=user, defaults={"name": name, "kind": kind, "organization": organizations[org_index]}
            )
            self.mediators[username] = mediator
        # One grid worker for every other community (火神庙 has 何军 on two grids, its third has none).
        self.grid_workers = {}
        for n, community in enumerate(self.communities[1:], start=2):
            grids = [g for g in self.grids if g.community_id == community.id]
            worker = self._user(
                f"gridworker{n}", f"{SURNAMES[n]}{GIVEN[n]}（{community.name}网格员）", [Role.GRID_WORKER], grids=grids
            )
            for grid in grids:
                self.grid_workers[grid.pk] = worker
        for grid in self.gridworker.grids.all():
            self.grid_workers[grid.pk] = self.gridworker

    # People in disputes

    def _person(self, index: int) -> dict:
        rng = random.Random(SEED * 1000 + index)
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 50))
        first17 = f"360102{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
        return {
            "name": rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
            "id_number": first17 + id_check_digit(first17),
            "phone": f"1{rng.choice('3578')}{rng.randrange(0, 10)}{rng.randrange(0, 10**8):08d}",
            # Drawn after the rest, so that the names and numbers above stay what they were.
            "ethnicity": rng.choice(("汉族",) * 9 + ("回族", "畲族")),
            "address": f"南昌市东湖区{rng.choice(STREETS)}{rng.randrange(1, 200)}号",
        }

    def _parties(self, plan: Plan, index: int) -> list[dict]:
        parties = []
        for n in range(plan.party_count):
            person = self._person(index * 10 + n)
            person["role"] = "applicant" if n < max(1, plan.party_count - 1) else "respondent"
            parties.append(person)
        if plan.repeat_of:
            # The same applicant comes back: a repeat dispute (重复纠纷) for early warning.
            parties[0].update(self._person(int(plan.repeat_of) * 10))
        return parties

    # The plan

    def _moment(self, day: dt.date, hour: int) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, self.rng.randrange(0, 60))))

    def plan(self) -> list[Plan]:
        rng = self.rng
        categories = {c.code: c for c in Category.objects.all()}
        codes = list(CATEGORY_WEIGHTS)
        weights = [CATEGORY_WEIGHTS[c] for c in codes]
        third_party = sorted(THIRD_PARTY)
        plans: list[Plan] = []

        def new(ref, day, story, **kw):
            grid = kw.pop("grid", None) or rng.choice(self.grids)
            category = categories[kw.pop("category", None) or rng.choices(codes, weights)[0]]
            plans.append(
                Plan(
                    ref=ref,
                    registered_at=self._moment(day, rng.randrange(8, 17)),
                    story=story,
                    grid=grid,
                    category=category,
                    **kw,
                )
            )

        # 83 concluded third-party mediations since 2020, 78 agreed: spread evenly up to five weeks ago.
        first, last = dt.date(2020, 1, 8), self.today - dt.timedelta(days=35)
        span = (last - first).days
        failed = {7, 23, 41, 58}
        recent_open = {
            79: "agreed_waiting",
            80: "agreed_followed",
            81: "agreed_overdue_follow_up",
            82: "failed_open",
        }
        for i in range(CONCLUDED):
            day = first + dt.timedelta(days=span * i // (CONCLUDED - 1))
            story = "failed" if i in failed else "agreed"
            if i in recent_open:
                story = recent_open[i]
                day = self.today - dt.timedelta(days={79: 12, 80: 20, 81: 40, 82: 16}[i])
            new(
                f"demo-{i + 1:03d}",
                day,
                story,
                level=Level.COMMUNITY if i % 5 == 1 else Level.SUBDISTRICT,
                mediator_username=third_party[i % len(third_party)],
                source=rng.choice(
                    [Source.GRID_WORKER, Source.GRID_WORKER, Source.WALK_IN, Source.HOTLINE, Source.REFERRAL]
                ),
                risk=Risk.ELEVATED if i % 9 == 4 else Risk.NORMAL,
                options={"ladder": i % 17 == 3},
            )
        # Cases that never reached mediation.
        for n, (days_ago, story) in enumerate(
            [(900, "declined"), (400, "declined"), (120, "declined"), (700, "withdrawn"), (60, "withdrawn")]
        ):
            new(f"demo-{101 + n:03d}", self.today - dt.timedelta(days=days_ago), story)
        # Open cases in every non-terminal state, some overdue, some early-warning.
        hsm_grids = [g for g in self.grids if g.community_id == self.communities[0].id]
        open_cases = [
            ("reported", 1, {"grid": hsm_grids[0], "source": Source.GRID_WORKER}),
            ("reported", 0, {"grid": hsm_grids[1], "risk": Risk.MAJOR, "category": "demolition"}),
            ("reported", 9, {"source": Source.HOTLINE}),  # past the 3-day acceptance deadline
            ("accepted", 4, {"level": Level.COMMUNITY, "grid": hsm_grids[0]}),
            ("accepted", 70, {}),  # accepted long ago, never assigned: overdue
            ("assigned", 6, {"mediator_username": "mediator"}),
            (
                "assigned",
                3,
                {"mediator_username": "mediator2", "party_count": 6, "category": "property_mgmt"},
            ),
            ("mediating", 10, {"mediator_username": "mediator"}),
            ("mediating", 75, {"mediator_username": "mediator2"}),  # overdue
            (
                "mediating",
                30,
                {
                    "mediator_username": "mediator",
                    "level": Level.COMMUNITY,
                    "grid": hsm_grids[0],
                    "options": {"ladder": True},
                },
            ),
            ("mediating", 8, {"mediator_username": "mediator3", "repeat_of": "81"}),
            (
                "escalated",
                14,
                {"level": Level.COMMUNITY, "grid": hsm_grids[1], "mediator_username": "mediator2"},
            ),
        ]
        for n, (story, days_ago, kw) in enumerate(open_cases):
            kw = dict(kw)
            kw.setdefault("mediator_username", "mediator6")
            new(f"demo-{201 + n:03d}", self.today - dt.timedelta(days=days_ago), story, **kw)
        plans.sort(key=lambda p: (p.registered_at, p.ref))
        return plans

    # Running a plan through the services

    def _registrar(self, grid):
        return self.gridworker if grid.pk in user_grid_ids(self.gridworker) else self.centre

    def _step(self, at: dt.datetime, days: int, hours: int = 0) -> dt.datetime:
        moment = at + dt.timedelta(days=days, hours=hours, minutes=self.rng.randrange(5, 50))
        return min(moment, self.now - dt.timedelta(minutes=1))

    def run_plan(self, plan: Plan, index: int) -> DisputeCase:
        rng = self.rng
        at = plan.registered_at
        case = case_services.case_register(
            actor=self._registrar(plan.grid),
            grid=plan.grid,
            category=plan.category,
            source=plan.source,
            risk=plan.risk,
            description=DESCRIPTIONS.get(plan.category.code, DESCRIPTIONS["other"]),
            parties=self._parties(plan, index),
            occurred_on=(at - dt.timedelta(days=rng.randrange(1, 20))).date(),
            external_ref=plan.ref,
            at=at,
        )
        if plan.story == "reported":
            return case
        at = self._step(at, 1)
        if plan.story == "declined":
            return case_services.case_decline(
                case,
                actor=self.centre,
                reason="属于劳动仲裁受理范围，引导当事人申请仲裁。",
                referral=Referral.ARBITRATION,
                at=at,
            )
        case_services.case_accept(case, actor=self.centre, level=plan.level, at=at)
        if plan.story == "accepted":
            return case
        if plan.story == "withdrawn":
            return case_services.case_withdraw(
                case,
                actor=self.centre,
                reason="申请人表示双方已自行和解，撤回申请。",
                by=WithdrawnBy.PARTY,
                at=self._step(at, 2),
            )
        mediator = self.mediators[plan.mediator_username]
        at = self._step(at, 1)
        mediation_services.case_assign(case, actor=self.centre, mediator=mediator, at=at)
        if plan.story == "assigned":
            return case
        if plan.options.get("ladder"):
            # "331": several tries in the community, then the subdistrict takes it over.
            others = [m for u, m in self.mediators.items() if m != mediator and u in THIRD_PARTY]
            for attempt in range(2):
                at = self._step(at, 1)
                mediation_services.case_start(case, actor=mediator.user, at=at)
                at = self._step(at, 2)
                mediation_services.case_reassign(
                    case, actor=self.centre, mediator=others[attempt], reason="当事人要求更换调解员。", at=at
                )
                mediator = others[attempt]
        at = self._step(at, 1)
        mediation_services.case_start(case, actor=mediator.user, at=at)
        at = self._step(at, 2)
        self._session(case, mediator, at)
        if plan.options.get("ladder") and plan.level == Level.COMMUNITY:
            at = self._step(at, 1)
            case_services.case_escalate(case, actor=self.centre, reason="社区三次调解未果，上报街道第三方调解。", at=at)
            at = self._step(at, 1)
            mediation_services.case_assign(
                case, actor=self.centre, mediator=self.mediators[plan.mediator_username], at=at
            )
            mediator = self.mediators[plan.mediator_username]
            at = self._step(at, 1)
            mediation_services.case_start(case, actor=mediator.user, at=at)
            at = self._step(at, 1)
            self._session(case, mediator, at)
        if plan.story == "mediating":
            return case
        if plan.story == "escalated":
            return case_services.case_escalate(
                case,
                actor=self.community,
                reason="涉及多方利益，社区调解未果，上报街道。",
                at=self._step(at, 1),
            )
        at = self._step(at, rng.randrange(2, 12))
        if plan.story in {"failed", "failed_open"}:
            mediation_services.case_fail(
                case,
                actor=mediator.user,
                reason="双方分歧较大，被申请人拒绝继续调解。",
                guidance=rng.choice([Guidance.LITIGATION, Guidance.ARBITRATION]),
                at=at,
            )
            if plan.story == "failed":
                case_services.case_close(
                    case, actor=self.centre, note="调解不成，已告知诉讼途径。", at=self._step(at, 3)
                )
            return case
        written = rng.random() < 0.8
        mediation_services.case_reach_agreement(
            case,
            actor=mediator.user,
            form=AgreementForm.WRITTEN if written else AgreementForm.ORAL,
            terms="被申请人于协议签订之日起十五日内一次性支付申请人人民币3000元，双方就此纠纷再无其他争议。",
            performance_method="银行转账" if written else "",
            performance_deadline=timezone.localtime(at).date() + dt.timedelta(days=15) if written else None,
            responsibilities="被申请人承担主要责任。",
            facts=case.description,
            disputed_matters="赔偿数额及支付期限。",
            signatures=[{"party": p.pk, "mark": SignatureMark.SIGNATURE} for p in attached(case, "parties")],
            mediator_signed=True,
            committee_sealed=True,
            signed_on=timezone.localtime(at).date(),
            at=at,
        )
        if plan.story in {"agreed_waiting", "agreed_overdue_follow_up"}:
            return case
        at = self._step(at, rng.randrange(4, 12))
        mediation_services.follow_up_record(
            case,
            actor=mediator.user,
            date=timezone.localtime(at).date(),
            performed=True,
            satisfaction=rng.choice([4, 5, 5, 5]),
            method=rng.choice(list(FollowUpMethod.values)),
            notes="协议已履行，双方表示满意。",
            at=at,
        )
        if plan.story == "agreed":
            case_services.case_close(case, actor=self.centre, note="协议履行完毕，结案归档。", at=self._step(at, 2))
        return case

    def _session(self, case, mediator, at):
        mediation_services.session_log(
            case,
            actor=mediator.user,
            held_at=at - dt.timedelta(hours=1),
            location=self.rng.choice(LOCATIONS),
            attendees="申请人、被申请人、" + mediator.name,
            public=False,
            rights_explained=True,
            rights_explained_by=mediator.name,
            summary="告知双方调解的性质、效力及权利义务后，分别听取双方陈述，释法明理，促成协商。",
            at=at,
        )

    def cases(self):
        plans = self.plan()
        existing = set(
            DisputeCase.objects.filter(subdistrict=self.subdistrict, external_ref__startswith="demo-").values_list(
                "external_ref", flat=True
            )
        )
        for index, plan in enumerate(plans, start=1):
            if plan.ref in existing:
                continue
            with transaction.atomic():
                case = self.run_plan(plan, int(plan.ref.split("-")[1]))
            self.created["cases"] += 1
            self.progress(f"[{index}/{len(plans)}] {case.number} {case.get_status_display()}")

    # Screening returns

    def screening(self):
        period, _created = SensitivePeriod.objects.get_or_create(
            name=SENSITIVE_PERIOD,
            defaults={
                "start": self.today - dt.timedelta(days=SENSITIVE_DAYS_BEFORE),
                "end": self.today + dt.timedelta(days=SENSITIVE_DAYS_AFTER),
            },
        )
        filed = set(Inspection.objects.values_list("grid_id", "kind", "period"))
        this_month = self.today.replace(day=1)
        due = [(InspectionKind.MONTHLY, add_months(this_month, -n)) for n in range(1, RETURN_MONTHS + 1)]
        day = period.start
        while day < min(self.today, period.end + dt.timedelta(days=1)):
            due.append((InspectionKind.DAILY, day))
            day += dt.timedelta(days=1)
        for grid in self.grids:
            worker = self.grid_workers.get(grid.pk)
            if worker is None or grid.code in MISSING_RETURNS:
                continue
            for kind, day in due:
                if (grid.pk, kind, day) in filed:
                    continue
                rng = random.Random(f"{SEED}-{grid.code}-{kind}-{day}")
                found = rng.choice([0, 0, 0, 1, 2]) if kind == InspectionKind.MONTHLY else rng.choice([0] * 6 + [1])
                filed_on = day if kind == InspectionKind.DAILY else add_months(day, 1)
                at = timezone.make_aware(dt.datetime.combine(filed_on, dt.time(17, 30)))
                inspection = grid_services.inspection_file(
                    actor=worker,
                    grid=grid,
                    kind=kind,
                    period=day,
                    disputes_found=found,
                    cases_registered=min(found, rng.choice([0, 1])),
                    zero_report=found == 0,
                    notes="" if found == 0 else "入户走访发现邻里矛盾，已现场劝解。",
                    at=at,
                )
                self.created["inspections"] += 1
                # Most of what a return found and did not register was talked through on the spot.
                for _n in range(inspection.disputes_found - inspection.cases_registered):
                    if rng.random() < 0.7:
                        what, place = rng.choice(SPOT_RESOLUTIONS)
                        grid_services.spot_resolution_add(
                            actor=worker,
                            inspection=inspection,
                            what=what,
                            place=f"{grid.name}{place}",
                            resolved_by=worker.display_name,
                            resolved_on=min(day + dt.timedelta(days=rng.randrange(0, 20)), inspection.period_end),
                            at=at,
                        )

    def correction(self):
        """One 更正 on file: in the latest case 王立言 (`mediator`) mediated to an agreement, the
        applicant's ID number was mistyped (the sequence digits), corrected by the centre from the
        ID card; the case page shows 已更正."""
        case = (
            DisputeCase.objects.filter(
                subdistrict=self.subdistrict,
                external_ref__startswith="demo-",
                outcome=Outcome.AGREED,
                lead_mediator=self.mediators["mediator"],
            )
            .order_by("-registered_at", "-id")
            .first()
        )
        if case is None or case.events.filter(name=RecordKind.CORRECTION).exists():
            return
        case = case_page_related(DisputeCase.objects).get(pk=case.pk)
        applicant = next(p for p in attached(case, "parties") if p.role == "applicant" and p.id_number)
        first17 = applicant.id_number[:14] + f"{(int(applicant.id_number[14:17]) + 2) % 1000:03d}"
        corrections.correct(
            case,
            "party",
            applicant,
            actor=self.centre,
            reason="身份证号顺序码录入有误，经核对当事人身份证原件更正",
            id_number=first17 + id_check_digit(first17),
            at=min(case.concluded_at + dt.timedelta(days=2), timezone.now()),
        )

    def run(self) -> dict:
        with transaction.atomic():
            self.territory()
            self.boundaries()
            self.people()
        self.cases()
        with transaction.atomic():
            self.correction()
        with transaction.atomic():
            self.screening()
        neighbour = NeighbourSeeder(password=self.password, progress=self.progress, today=self.today)
        for key, n in neighbour.run().items():
            self.created[key] += n
        with transaction.atomic():
            self.district([self.subdistrict, neighbour.subdistrict])
        neighbour.refer_to_district()
        return self.created

    def district(self, subdistricts):
        """东湖区, holding both subdistricts, and its centre's account (read-only, district-wide)."""
        district, _ = District.objects.get_or_create(code=DISTRICT[0], defaults={"name": DISTRICT[1]})
        Subdistrict.objects.filter(pk__in=[s.pk for s in subdistricts], district__isnull=True).update(district=district)
        for username, full_name, role in DISTRICT_ACCOUNTS:
            self._user(username, full_name, [role], subdistrict=None, district=district)


class NeighbourSeeder(DemoSeeder):
    """豫章街道: a smaller subdistrict beside Baihuazhou, with its own communities, grids, staff,
    mediator and a handful of cases (none of them in Baihuazhou's figures)."""

    SUBDISTRICT = NEIGHBOUR
    COMMUNITIES = NEIGHBOUR_COMMUNITIES
    GRIDS_PER_COMMUNITY = NEIGHBOUR_GRIDS

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Its own stream: Baihuazhou's plan draws the same numbers whether or not this one runs.
        self.rng = random.Random(NEIGHBOUR_SEED)

    def people(self):
        first = self.communities[0]
        self.centre = self._user("yzcentre", "邓红（豫章街道综治中心）", [Role.CENTRE_STAFF])
        self.community = self._user("yzcommunity", "彭亮（绳金塔社区）", [Role.COMMUNITY_STAFF], community=first)
        self.gridworker = self._user(
            "yzgridworker",
            "袁芳（网格员）",
            [Role.GRID_WORKER],
            grids=[g for g in self.grids if g.community_id == first.id],
        )
        organization, _ = MediationOrganization.objects.get_or_create(
            name=NEIGHBOUR_COMMITTEE, defaults={"kind": OrganizationKind.COMMITTEE, "contact": "0791-86107777"}
        )
        user = self._user("yzmediator", "熊国庆", [Role.MEDIATOR])
        mediator, _ = Mediator.objects.get_or_create(
            user=user, defaults={"name": "熊国庆", "kind": MediatorKind.PEOPLES_MEDIATOR, "organization": organization}
        )
        self.mediators = {"yzmediator": mediator}
        self.grid_workers = {grid.pk: self.gridworker for grid in self.gridworker.grids.all()}

    def plan(self) -> list[Plan]:
        categories = {c.code: c for c in Category.objects.all()}
        plans = []
        for n, (days_ago, story, category) in enumerate(NEIGHBOUR_CASES):
            plans.append(
                Plan(
                    ref=f"demo-{301 + n:03d}",
                    registered_at=self._moment(self.today - dt.timedelta(days=days_ago), 9 + n),
                    story=story,
                    grid=self.grids[n % len(self.grids)],
                    category=categories[category],
                    mediator_username="yzmediator",
                )
            )
        return plans

    def run(self) -> dict:
        with transaction.atomic():
            self.territory()
            self.people()
        self.cases()
        return self.created

    # The case the neighbour's centre could not settle, referred up once its district exists.
    REFERRED_REF = "demo-305"

    def refer_to_district(self):
        """One case of 豫章街道 referred to the district (上报区), so the district's rung has a case:
        idempotent (a case already referred is left as it is)."""
        case = DisputeCase.objects.filter(
            subdistrict=self.subdistrict, external_ref=self.REFERRED_REF, level=Level.SUBDISTRICT
        ).first()
        if case is None:
            return
        last = CaseEvent.objects.filter(case=case).order_by("-at").values_list("at", flat=True).first()
        case_services.case_refer_district(
            case,
            actor=self.centre,
            reason="涉及跨街道的多户业主，街道调解未果，上报区综治中心统筹调处。",
            at=self._step(last, 1),
        )
