"""The access matrix (issue 7): every URL of the URLconf × every role and an anonymous visitor ×
objects inside and outside the scope, each cell asserted against the rules of who may see and do what.

The expectations are written out here from those rules, not read from casework.permissions:
- a case outside the user's scope answers 404 ("never its data");
- a case the user may see, an action the user may not take: 403;
- an anonymous visitor: 302 to the sign-in page on the web, 401 on the API;
- an allowed action answers 200/201/302, or 400/409 when the (deliberately minimal) body or the
  case's state refuses it: the role passed.

A URL added to the URLconf without an entry in ROUTES fails `test_every_url_has_a_matrix_entry`.
Each cell runs in a savepoint rolled back afterwards, so every cell sees the same cases.
"""

import datetime as dt

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from api.services import token_issue
from casework.enums import CaseStatus
from grids import services as grid_services
from grids.enums import Role
from ledger.models import LedgerImport
from reports import district as district_reports
from reports import services as report_services
from tests.api.bodies import follow_up_body, registration, session_body, written_agreement_body
from tests.factories import (
    CommunityFactory,
    DistrictFactory,
    GridFactory,
    MediatorFactory,
    SubdistrictFactory,
    UserFactory,
    register,
)
from tests.reports.conftest import MARCH
from tests.workflow import drive

pytestmark = pytest.mark.django_db

THIS_MONTH = timezone.localdate().replace(day=1)
LAST_MONTH = (THIS_MONTH - dt.timedelta(days=1)).replace(day=1)

PERSONAS = (
    "centre",
    "leader",
    "community",  # staff of the case's community
    "community2",  # staff of another community
    "gridworker",  # grid worker of the case's grid
    "gridworker2",  # grid worker of another grid of the same community
    "lead",  # the case's lead mediator
    "mediator2",  # a mediator with no part in the case
    "district",  # district centre staff (区综治中心) of the district holding both subdistricts
    "dleader",  # a district leader of the same district
    "otherdistrict",  # district centre staff of another district
    "admin",
    "anon",
)
SIGNED_IN = frozenset(PERSONAS) - {"anon"}

# District staff and leaders read every case and report of their district's subdistricts, and change nothing.
DISTRICT_READERS = frozenset({"district", "dleader"})
# Who sees a case of `community`/`grid` led by `lead`: the subdistrict's centre and leaders, the
# community's staff, the grid's worker, the case's mediators and the district's readers.
SEES_CASE = frozenset({"centre", "leader", "community", "gridworker", "lead"}) | DISTRICT_READERS

# Who may run each transition on a community-level case.
TRANSITION_WHO = {
    "accept": {"centre", "community"},
    "decline": {"centre", "community"},
    "assign": {"centre", "community"},
    "reassign": {"centre"},
    "start": {"lead"},
    "reach_agreement": {"lead"},
    "fail": {"lead"},
    "escalate": {"centre", "community", "lead"},
    # The subdistrict's centre refers up (here a community-level case: 409, unavailable).
    "refer_district": {"centre"},
    "withdraw": {"centre", "lead"},
    "close": {"centre"},
    "recuse": {"centre", "lead"},
}
# Records: sessions and follow-ups by the case's mediators (and the centre, "everything in the
# workflow"); extending a deadline is the centre's; a conflict (回避) is declared by the mediator concerned.
RECORD_WHO = {
    "session": ("mediating", {"centre", "lead"}),
    "extend": ("mediating", {"centre"}),
    "conflict": ("mediating", {"lead"}),
    "follow_up": ("agreed", {"centre", "lead"}),
    "judicial": ("agreed", {"centre", "lead"}),
    # 督办 by the district's centre staff (its leaders read only); answered by the centre, and only
    # while an order waits (none on these cases: refused to everyone who sees them).
    "supervise": ("mediating", {"district"}),
    "supervision_answer": ("mediating", set()),
}
# Full personal data: centre staff and the case's own mediators.
PERSONAL_DATA = {"centre", "lead"}
# A subdistrict's figures (its returns, its analysis): centre staff, leaders and community staff (of any
# community: a report is subdistrict-wide).
SUBDISTRICT_READERS = {"centre", "leader", "community", "community2"}
# Report snapshots: the subdistrict's readers and the district's.
REPORT_READERS = SUBDISTRICT_READERS | DISTRICT_READERS
# The lists of reports: every reader gets one, of their own territory (another district's: empty).
LIST_READERS = REPORT_READERS | {"otherdistrict"}
LIST_DISTRICT_READERS = DISTRICT_READERS | {"otherdistrict"}
CENTRE = {"centre"}
# Registering is open to these roles, each in their own territory (the intake page lists only that).
REGISTERING = {"centre", "community", "community2", "gridworker", "gridworker2"}
REGISTERING_IN_GRID = {"centre", "community", "gridworker"}

ALLOWED = frozenset({200, 201, 302, 400, 409})


class Cell:
    """One request and what each persona must get."""

    def __init__(self, method, path, expect, *, api=False, data=None, label=""):
        self.method, self.path, self.expect, self.api, self.data = method, path, expect, api, data
        self.label = label or f"{method} {path}"


def on_case(who, *, sees=SEES_CASE, outside=False):
    """Expectations for an action on a case: 404 unless seen, 403 unless `who`, else allowed. A case
    `outside` is the neighbouring subdistrict's, in the same district: only the district's readers see it."""
    expect = {}
    for persona in SIGNED_IN:
        if (outside and persona not in DISTRICT_READERS) or persona not in sees:
            expect[persona] = {404}
        elif persona in who:
            expect[persona] = ALLOWED
        else:
            expect[persona] = {403}
    return expect


def by_role(allowed, refused=403, everyone=None):
    """Expectations for a page that is not about one case."""
    return {p: (everyone or (ALLOWED if p in allowed else {refused})) for p in SIGNED_IN}


def api_transition_body(name, world):
    return {
        "accept": {"level": "community"},
        "decline": {"reason": "不属于调解范围", "referral": "court"},
        "assign": {"mediator": world["spare"].pk},
        "reassign": {"mediator": world["spare"].pk, "reason": "工作调整"},
        "start": {},
        "reach_agreement": written_agreement_body(),
        "fail": {"reason": "双方分歧较大", "guidance": "litigation"},
        "escalate": {"reason": "需街道协调"},
        "refer_district": {"reason": "需区级统筹"},
        "withdraw": {"reason": "申请人撤回", "by": "party"},
        "close": {},
        "recuse": {"reason": "与申请人系亲属"},
    }[name]


# Every named URL of the URLconf → the cells that check it. The admin is one entry: its own
# permission layer (is_staff) guards every one of its pages.
def routes(world):
    m, a, out = world["mediating"], world["agreed"], world["outside"]
    snap = world["snapshot"]
    cells = {}

    def add(name, *items):
        cells.setdefault(name, []).extend(items)

    # Web: the case and everything done from it.
    for case, outside in ((m, False), (out, True)):
        add("mediation:case", Cell("get", f"/mediation/cases/{case.pk}/", on_case(SIGNED_IN, outside=outside)))
        add(
            "mediation:reveal",
            Cell("post", f"/mediation/cases/{case.pk}/reveal/", on_case(PERSONAL_DATA, outside=outside)),
        )
        add(
            "mediation:action_form",
            Cell("get", f"/mediation/cases/{case.pk}/form/reassign/", on_case(CENTRE, outside=outside)),
        )
        for name, who in TRANSITION_WHO.items():
            add(
                "mediation:transition",
                Cell("post", f"/mediation/cases/{case.pk}/do/{name}/", on_case(who, outside=outside)),
            )
            add(
                f"api:transition-{name}",
                Cell(
                    "post",
                    f"/api/v1/cases/{case.pk}/transitions/{name}/",
                    on_case(who, outside=outside),
                    api=True,
                    data=api_transition_body(name, world),
                ),
            )
        add("api:case", Cell("get", f"/api/v1/cases/{case.pk}/", on_case(SIGNED_IN, outside=outside), api=True))
        add(
            "api:sessions",
            Cell(
                "post",
                f"/api/v1/cases/{case.pk}/sessions/",
                on_case({"centre", "lead"}, outside=outside),
                api=True,
                data=session_body(),
            ),
        )
    # 督办 through the API: the list for whoever sees the case; orders by the district's staff (409 when
    # the case is neither overdue nor warned); an answer to an order the case does not have: 404.
    for case, outside in ((m, False), (out, True)):
        path = f"/api/v1/cases/{case.pk}/supervision/"
        add("api:supervision", Cell("get", path, on_case(SIGNED_IN, outside=outside), api=True))
        body = {"instruction": "请办理", "working_days": 3}
        add("api:supervision", Cell("post", path, on_case({"district"}, outside=outside), api=True, data=body))
        add(
            "api:supervision-answer",
            Cell("post", f"{path}999999/answer/", by_role(set(), refused=404), api=True, data={"text": "已办理"}),
        )
    for name, (state, who) in RECORD_WHO.items():
        case = m if state == "mediating" else a
        add("mediation:record", Cell("post", f"/mediation/cases/{case.pk}/record/{name}/", on_case(who)))
        add("mediation:record", Cell("post", f"/mediation/cases/{out.pk}/record/{name}/", on_case(who, outside=True)))
    for case, outside in ((a, False), (world["outside_agreed"], True)):
        add(
            "mediation:agreement",
            Cell("get", f"/mediation/cases/{case.pk}/agreement/", on_case(SIGNED_IN, outside=outside)),
        )
        add(
            "mediation:agreement_pdf",
            Cell("get", f"/mediation/cases/{case.pk}/agreement.pdf", on_case(SIGNED_IN, outside=outside)),
        )
        add(
            "api:follow-ups",
            Cell(
                "post",
                f"/api/v1/cases/{case.pk}/follow-ups/",
                on_case({"centre", "lead"}, outside=outside),
                api=True,
                data=follow_up_body(),
            ),
        )

    # 更正: centre staff correct a party, a session or a follow-up of a case of theirs, on the web and the API.
    corrections = {
        "party": ("parties", "party-correction", {"reason": "姓名错字", "name": "张叁"}),
        "session": ("sessions", "session-correction", {"reason": "地点有误", "location": "会议室"}),
        "follow_up": ("follow-ups", "follow-up-correction", {"reason": "误记", "satisfaction": 3}),
    }
    for case, outside in ((a, False), (world["outside_closed"], True)):
        rows = {"party": case.parties.first(), "session": case.sessions.first(), "follow_up": case.follow_ups.first()}
        for kind, (segment, name, body) in corrections.items():
            row = rows[kind].pk
            web = f"/mediation/cases/{case.pk}/correct/{kind}/{row}/"
            add("mediation:correct", Cell("get", web, on_case(CENTRE, outside=outside)))
            add("mediation:correct", Cell("post", web, on_case(CENTRE, outside=outside), data=body))
            api = f"/api/v1/cases/{case.pk}/{segment}/{row}/correction/"
            add(f"api:{name}", Cell("post", api, on_case(CENTRE, outside=outside), api=True, data=body))

    # Web: lists, intake and exports (the scope filters what they hold; tests/casework covers that).
    add("home", Cell("get", "/", by_role(SIGNED_IN)))
    # Notices: each user's own (a notice of someone else's is neither listed nor marked).
    add("notices", Cell("get", "/notices/", by_role(SIGNED_IN)))
    add("notice_read", Cell("post", "/notices/read/", by_role(SIGNED_IN)))
    add("notice_settings", Cell("get", "/notices/settings/", by_role(SIGNED_IN)))
    add("casework:queue", Cell("get", "/cases/", by_role(SIGNED_IN)))
    add("casework:export", Cell("get", "/cases/export.xlsx", by_role(SIGNED_IN)))
    add("casework:intake", Cell("get", "/cases/new/", by_role(REGISTERING)))
    add("casework:duplicates", Cell("post", "/cases/new/duplicates/", by_role(REGISTERING)))
    add("mediation:mediators", Cell("get", "/mediation/mediators/", by_role(CENTRE)))
    add("mediation:mediator", Cell("get", f"/mediation/mediators/{world['lead'].pk}/", by_role(CENTRE)))
    add("mediation:organizations", Cell("get", "/mediation/organizations/", by_role(CENTRE)))

    # Reports: for centre staff, leaders and community staff; to others they do not exist (404).
    for suffix in ("", "cases/?figure=concluded", "export.xlsx", "export.pdf"):
        name = {"": "reports:detail", "export.xlsx": "reports:xlsx", "export.pdf": "reports:pdf"}.get(
            suffix, "reports:cases"
        )
        add(name, Cell("get", f"/reports/{snap.pk}/{suffix}", by_role(REPORT_READERS, refused=404)))
        add(name, Cell("get", f"/reports/999999/{suffix}", by_role(set(), refused=404)))
        # The neighbouring subdistrict's report is outside every persona's territory but the district's.
        outside = world["outside_snapshot"].pk
        add(name, Cell("get", f"/reports/{outside}/{suffix}", by_role(DISTRICT_READERS, refused=404)))
    # Community staff read their community's view; the side-by-side comparison is subdistrict-wide.
    wide = {"centre", "leader"} | DISTRICT_READERS
    add("reports:compare", Cell("get", f"/reports/{snap.pk}/communities/", by_role(wide, refused=404)))
    add(
        "reports:compare",
        Cell("get", f"/reports/{world['outside_snapshot'].pk}/communities/", by_role(DISTRICT_READERS, refused=404)),
    )
    # The district's monthly report: its own staff and leaders only; below the district (a subdistrict's
    # staff) it does not exist. Another district's staff have a list of their own (empty here).
    add("reports:district_list", Cell("get", "/reports/district/", by_role(LIST_DISTRICT_READERS, refused=404)))
    for suffix, name in (("", "district_detail"), ("export.xlsx", "district_xlsx"), ("export.pdf", "district_pdf")):
        path = f"/reports/district/{world['district_report'].pk}/{suffix}"
        add(f"reports:{name}", Cell("get", path, by_role(DISTRICT_READERS, refused=404)))
    add("reports:list", Cell("get", "/reports/", by_role(LIST_READERS, refused=404)))
    add(
        "reports:list",
        Cell(
            "post",
            "/reports/",
            {
                **by_role(LIST_READERS, refused=404),
                **{p: {403} for p in LIST_READERS - {"centre"}},
            },
        ),
    )
    # 排查填报: grid workers for their grids; the centre and a community's staff for the grids of
    # their territory without a grid worker (other_grid has none: the centre's and community2's).
    add(
        "reports:inspections",
        Cell(
            "get",
            "/reports/inspections/",
            by_role({"gridworker", "gridworker2", "centre", "community2"}, refused=404),
        ),
    )
    # 缺报 and the analysis pages: a subdistrict's readers over their own scope; the district's readers
    # (another district's too, over theirs, which holds no case here) over the whole district, or one
    # subdistrict of it picked — a subdistrict outside the reader's district is 404, as is any pick by
    # a reader of one subdistrict.
    figures_readers = SUBDISTRICT_READERS | DISTRICT_READERS | {"otherdistrict"}
    neighbour = f"?subdistrict={out.subdistrict_id}"
    for name, path in (
        ("reports:missing", "/reports/inspections/missing/"),
        ("analysis:judgement", "/analysis/"),
        ("analysis:forecast", "/analysis/forecast/"),
        ("analysis:map", "/analysis/map/"),
    ):
        add(name, Cell("get", path, by_role(figures_readers, refused=404)))
        add(name, Cell("get", path + neighbour, by_role(DISTRICT_READERS, refused=404)))
        add(name, Cell("get", path + "?subdistrict=x", by_role(set(), refused=404)))
    add("analysis:cockpit", Cell("get", "/analysis/cockpit/", by_role(figures_readers, refused=404)))
    add("analysis:cockpit_panel", Cell("get", "/analysis/cockpit/panel/", by_role(figures_readers, refused=404)))
    for case, outside in ((m, False), (out, True)):
        add("analysis:similar", Cell("get", f"/analysis/similar/{case.pk}/", on_case(SIGNED_IN, outside=outside)))

    # The ledger: import is the centre's; the template is a blank form; the export is scoped.
    add("ledger:upload", Cell("get", "/ledger/", by_role(CENTRE)))
    add("ledger:template", Cell("get", "/ledger/template/", by_role(SIGNED_IN)))
    add("ledger:export", Cell("get", "/ledger/export/", by_role(SIGNED_IN)))
    add("ledger:export_queue", Cell("get", "/ledger/export/queue/", by_role(SIGNED_IN)))
    # An upload's page: for the centre staff of its subdistrict (its uploader among them).
    for key, who in (("ledger_import", CENTRE), ("outside_ledger_import", set())):
        add("ledger:import", Cell("get", f"/ledger/imports/{world[key].pk}/", by_role(who, refused=404)))
    # A report's figure in the ledger layout: for the report's readers, like the figure's page.
    for pk, readers in ((snap.pk, REPORT_READERS), (999999, set())):
        path = f"/ledger/export/report/{pk}/?figure=concluded"
        add("ledger:export_report", Cell("get", path, by_role(readers, refused=404)))

    # Accounts and the platform.
    add("grids:login", Cell("get", "/login/", by_role(SIGNED_IN), label="GET /login/"))
    add("grids:logout", Cell("post", "/logout/", by_role(SIGNED_IN)))
    add("grids:password_change", Cell("get", "/password/", by_role(SIGNED_IN)))
    # A new account's one-time link: public; a wrong or used token shows that it is void.
    add("grids:password_set", Cell("get", "/password/set/MQ/no-such-token/", by_role(SIGNED_IN)))
    # Anyone signed in may enrol an authenticator; without one, the second step sends them there.
    add("grids:otp_setup", Cell("get", "/login/otp/setup/", by_role(SIGNED_IN)))
    add("grids:otp_verify", Cell("get", "/login/otp/", by_role(SIGNED_IN)))
    add("grids:keepalive", Cell("get", "/session/keepalive/", by_role(SIGNED_IN, everyone={204})))
    add("set_language", Cell("post", "/i18n/setlang/", by_role(SIGNED_IN)))
    add("healthz", Cell("get", "/healthz", by_role(SIGNED_IN)))
    add("admin", Cell("get", "/admin/", by_role({"admin"}, refused=302)))
    add("admin", Cell("get", f"/admin/casework/disputecase/{m.pk}/change/", by_role({"admin"}, refused=302)))
    # The territory import and its template: administrators only, like the rest of the admin.
    add("admin", Cell("get", "/admin/grids/district/import-territory/", by_role({"admin"}, refused=302)))
    add("admin", Cell("get", "/admin/grids/district/import-territory/template.xlsx", by_role({"admin"}, refused=302)))

    # API: reference lists, the queue, registration, statistics, schema.
    for name, path in (
        ("api:me", "me/"),
        ("api:communities", "communities/"),
        ("api:grids", "grids/"),
        ("api:categories", "categories/"),
        ("api:mediators", "mediators/"),
        ("api:cases", "cases/"),
        ("api:success-rate", "stats/success-rate/"),
    ):
        add(name, Cell("get", f"/api/v1/{path}", by_role(SIGNED_IN), api=True))
    grid, far_grid = world["grid"], world["far_grid"]
    add("api:cases", Cell("post", "/api/v1/cases/", by_role(REGISTERING_IN_GRID), api=True, data=registration(grid)))
    add("api:cases", Cell("post", "/api/v1/cases/", by_role(set()), api=True, data=registration(far_grid)))
    add("api:token", Cell("post", "/api/v1/auth/token/", by_role(SIGNED_IN), api=True, data={}))
    add("api:schema", Cell("get", "/api/schema/", by_role(SIGNED_IN), api=True))
    add("api:docs", Cell("get", "/api/docs/", by_role(SIGNED_IN), api=True))
    add("api:not-found", Cell("get", "/api/v1/cases/1/transitions/approve/", by_role(set(), refused=404), api=True))

    # API: report snapshots (readers as on the web; generating is the centre's) and screening returns
    # (a return is seen within the territory of its grid; filed by the grid's own worker).
    add("api:reports", Cell("get", "/api/v1/reports/", by_role(LIST_READERS), api=True))
    add("api:report", Cell("get", f"/api/v1/reports/{snap.pk}/", by_role(REPORT_READERS, refused=404), api=True))
    outside_report = f"/api/v1/reports/{world['outside_snapshot'].pk}/"
    add("api:report", Cell("get", outside_report, by_role(DISTRICT_READERS, refused=404), api=True))
    add("api:report", Cell("get", "/api/v1/reports/999999/", by_role(set(), refused=404), api=True))
    add("api:report-generate", Cell("post", "/api/v1/reports/generate/", by_role(CENTRE), api=True, data={}))
    add("api:inspections", Cell("get", "/api/v1/inspections/", by_role(SIGNED_IN), api=True))
    inspection = world["inspection"]
    sees_return = {"centre", "leader", "community", "gridworker"}
    add(
        "api:inspection",
        Cell("get", f"/api/v1/inspections/{inspection.pk}/", by_role(sees_return, refused=404), api=True),
    )
    # 就地化解 of a return: its page for whoever sees the return; the map's link by grid and period alike.
    add("reports:spot", Cell("get", f"/reports/inspections/{inspection.pk}/spot/", by_role(sees_return, refused=404)))
    period = LAST_MONTH.strftime("%Y-%m")
    spot_of_grid = f"/reports/inspections/spot/?kind=monthly&period={period}&grid={grid.pk}"
    add("reports:spot_grid", Cell("get", spot_of_grid, by_role(sees_return, refused=404)))
    body = {"grid": grid.pk, "kind": "monthly", "period": THIS_MONTH.strftime("%Y-%m"), "zero_report": True}
    add("api:inspections", Cell("post", "/api/v1/inspections/", by_role({"gridworker"}), api=True, data=body))
    return cells


# What an anonymous visitor gets: the public pages answer, everything else asks for credentials.
PUBLIC = {
    "grids:login",
    "grids:password_set",
    "grids:logout",
    "set_language",
    "healthz",
    "api:token",
    "api:schema",
    "api:docs",
    "api:not-found",
}


def anonymous_expectation(name, cell):
    if name in PUBLIC:
        return ALLOWED if name != "api:not-found" else {404}
    if name == "admin":
        return {302}
    return {401} if cell.api else {302}


def url_names():
    """Every route of the URLconf by qualified name; the admin's pages as the one name "admin"."""
    names = set()

    def walk(patterns, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = namespace if entry.namespace is None else ":".join(filter(None, [namespace, entry.namespace]))
                if inner == "admin":
                    names.add("admin")
                    continue
                walk(entry.url_patterns, inner)
            elif isinstance(entry, URLPattern):
                assert entry.name, f"unnamed URL pattern {entry.pattern} cannot have a matrix entry"
                names.add(":".join(filter(None, [namespace, entry.name])))

    walk(get_resolver().url_patterns, "")
    return names


@pytest.fixture
def world(
    subdistrict, community, other_community, grid, sibling_grid, other_grid, case_at, mediator, centre, grid_worker
):
    district = DistrictFactory(code="DHQ", name="东湖区")
    subdistrict.district = district
    subdistrict.save(update_fields=["district"])
    far = SubdistrictFactory(code="DHQ", name="东湖区另一街道", district=district)
    far_community = CommunityFactory(subdistrict=far)
    far_grid = GridFactory(community=far_community)
    far_centre = UserFactory(username="farcentre", roles=[Role.CENTRE_STAFF], subdistrict=far)
    far_lead = MediatorFactory(user__username="farmediator")
    outside = drive(CaseStatus.MEDIATING, centre=far_centre, lead=far_lead, co=None, grid=far_grid)
    outside_agreed = drive(CaseStatus.AGREED, centre=far_centre, lead=far_lead, co=None, grid=far_grid)
    outside_closed = drive(CaseStatus.CLOSED, centre=far_centre, lead=far_lead, co=None, grid=far_grid)
    register(far_centre, far_grid)

    def upload(user):
        now = timezone.now()
        return LedgerImport.objects.create(
            subdistrict_id=user.subdistrict_id,
            requested_by=user,
            requested_at=now,
            filename="台账.xlsx",
            sha256="0" * 64,
            size=1,
        )

    return {
        "ledger_import": upload(centre),
        "outside_ledger_import": upload(far_centre),
        "mediating": case_at(CaseStatus.MEDIATING),
        "agreed": case_at(CaseStatus.AGREED),
        "outside": outside,
        "outside_agreed": outside_agreed,
        "outside_closed": outside_closed,
        "snapshot": report_services.report_ensure(subdistrict=subdistrict, kind="monthly", period=MARCH),
        "outside_snapshot": report_services.report_ensure(subdistrict=far, kind="monthly", period=MARCH),
        "district_report": district_reports.district_report_ensure(district, MARCH),
        "inspection": grid_services.inspection_file(
            actor=grid_worker,
            grid=grid,
            kind="monthly",
            period=LAST_MONTH,
            disputes_found=0,
            cases_registered=0,
            zero_report=True,
        ),
        "lead": mediator,
        "spare": MediatorFactory(user__username="spare"),
        "grid": grid,
        "far_grid": far_grid,
        "district": district,
    }


@pytest.fixture
def personas(world, roles, other_community_staff, sibling_grid):
    district, elsewhere = world["district"], DistrictFactory(code="XHQ", name="西湖区")
    return {
        "district": UserFactory(username="district", roles=[Role.DISTRICT_STAFF], district=district),
        "dleader": UserFactory(username="dleader", roles=[Role.DISTRICT_LEADER], district=district),
        "otherdistrict": UserFactory(username="otherdistrict", roles=[Role.DISTRICT_STAFF], district=elsewhere),
        "centre": roles["centre"],
        "leader": roles["leader"],
        "community": roles["community"],
        "community2": other_community_staff,
        "gridworker": roles["gridworker"],
        "gridworker2": UserFactory(username="gridworker2", roles=[Role.GRID_WORKER], grids=[sibling_grid]),
        "lead": roles["mediator"],
        "mediator2": roles["mediator2"],
        "admin": roles["admin"],
    }


class _Rollback(Exception):
    pass


def ask(cell, user):
    """The status of one request by `user` (None: anonymous), its writes rolled back."""
    if cell.api:
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=user)[1]}")
    else:
        client = Client()
        if user is not None:
            client.force_login(user)
    kwargs = {"format": "json"} if cell.api and cell.method == "post" else {}
    response = None
    try:
        with transaction.atomic():
            response = getattr(client, cell.method)(cell.path, cell.data or {}, **kwargs)
            raise _Rollback
    except _Rollback:
        pass
    return response


def test_every_url_has_a_matrix_entry(world):
    covered = set(routes(world))
    names = url_names()
    assert names - covered == set(), f"URLs without a matrix entry: {sorted(names - covered)}"
    assert covered - names == set(), f"matrix entries for URLs that no longer exist: {sorted(covered - names)}"


def test_access_matrix_every_cell_answers_as_the_spec_says(world, personas, settings, capsys):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/11"
    checked, wrong = 0, []
    numbers = [world[key].number for key in ("mediating", "agreed", "outside", "outside_agreed")]
    for name, cells in routes(world).items():
        for cell in cells:
            for persona in PERSONAS:
                user = personas.get(persona)
                expected = cell.expect[persona] if persona != "anon" else anonymous_expectation(name, cell)
                response = ask(cell, user)
                checked += 1
                status = response.status_code
                if status not in expected:
                    wrong.append(f"{cell.label} as {persona}: {status}, expected {sorted(expected)}")
                elif persona == "anon" and status == 302 and name not in PUBLIC:
                    login = "/admin/login/" if name == "admin" else "/login/"
                    if not response["Location"].startswith(login):
                        wrong.append(f"{cell.label} as anon: redirected to {response['Location']}")
                elif status == 404 and any(n in response.content.decode(errors="ignore") for n in numbers):
                    wrong.append(f"{cell.label} as {persona}: the 404 shows a case number")
    with capsys.disabled():
        print(f"\naccess matrix: {checked} cells checked, {checked - len(wrong)} as the rules say")
    assert not wrong, f"{len(wrong)} of {checked} cells wrong:\n" + "\n".join(wrong)
    assert checked == sum(len(cells) for cells in routes(world).values()) * len(PERSONAS)
