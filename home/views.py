"""Each role's home page, the centre's (and the leader's, read-only) dashboard, and the district's.
Every figure is drawn from cases_visible_to(user) and links to the queue showing the cases behind it."""

import datetime as dt
import functools
import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.db.models import Count, F
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casework.calendar import horizon_gaps
from casework.enums import CaseStatus
from casework.rows import as_rows, case_rows, row_values
from casework.selectors import cases_visible_to, scope_key
from casework.versions import ANY_KEY, EPOCH_KEY, scope_version_keys
from common import delivery, notices, options
from common import selectors as notice_selectors
from common.enums import NoticeKind
from common.refusals import show_refusal
from common.urls import plain_reverse
from grids.enums import Role
from grids.selectors import returns_owed
from grids.services import contact_update, grids_for_filing
from mediation.selectors import my_cases, next_step
from reports.selectors import district_overview
from reports.statistics import is_open, open_q, overdue_q, success_rate, success_rates, warning_q

from .forms import NoticeSettingsForm

ATTENTION_ROWS = 10
RECENT_ROWS = 20
MISSED_SHOWN = 3


def _queue_url(**params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return plain_reverse("casework:queue") + (f"?{query}" if query else "")


# The dashboards' counts are kept in the shared cache for a day at most, under the versions of the
# cases they count and of the reference data (names, the mediators' kinds): a write replaces them at once.
FIGURES_SECONDS = 24 * 3600


@functools.cache
def _database_tag(name) -> str:
    # Short whatever the name (a SQLite file's path): cache keys stay well within 250 characters.
    return hashlib.sha256(str(name).encode()).hexdigest()[:12]


def _counted(user, today: dt.date, *, community: bool) -> tuple[dict, list]:
    """What a dashboard counts over the cases `user` sees (counts by state with their overdue and
    early warnings, the success rates, the attention rows' values: five queries) and, for the
    centre, the calendar check over all cases (two): kept in the shared cache, the counts under the
    versions of the user's scope (users who see the same cases share them), the calendar check under
    the version of any case (casework.versions). Two round trips to the cache when both are kept."""
    scope = scope_key(user)
    scoped = scope_version_keys(scope)
    keys = list(dict.fromkeys([*scoped, ANY_KEY, options.VERSION_KEY]))
    version = dict(zip(keys, options.current_versions(*keys), strict=True))
    day = today.isoformat()
    # One cache may serve several databases (the bench's loads of different sizes): named apart.
    database = _database_tag(connection.settings_dict["NAME"])
    reader = ("home:counted", database, scope, "community" if community else "all", day)
    counted_key = ":".join((*reader, *(version[key] for key in scoped), version[options.VERSION_KEY]))
    # Community staff are not shown the calendar check.
    gaps_key = (
        None if community else ":".join(("home:calendar-gaps", database, day, version[EPOCH_KEY], version[ANY_KEY]))
    )
    held = cache.get_many([key for key in (counted_key, gaps_key) if key])
    counted = held.get(counted_key)
    if counted is None:
        counted = _count(user, today, community=community)
        cache.set(counted_key, counted, FIGURES_SECONDS)
    gaps = [] if community else held.get(gaps_key)
    if gaps is None:
        gaps = horizon_gaps(today)
        cache.set(gaps_key, gaps, FIGURES_SECONDS)
    return counted, gaps


def _count(user, today: dt.date, *, community: bool) -> dict:
    cases = cases_visible_to(user)
    # Overdue, open and early warning as reports.statistics defines them (one definition each).
    rows = (
        cases.order_by()
        .values("status")
        .annotate(
            n=Count("pk"),
            overdue=Count("pk", filter=overdue_q(today)),
            warning=Count("pk", filter=warning_q()),
        )
    )
    cumulative, third_party = success_rates(cases, community_failures=community)
    month = success_rate(cases, since=today.replace(day=1), until=today, community_failures=community)
    return {
        "by_state": {row["status"]: (row["n"], row["overdue"], row["warning"]) for row in rows},
        "month": month,
        "cumulative": cumulative,
        "third_party": third_party,
        "attention": list(_attention(user, today)),
    }


def _figures(counted: dict, today: dt.date, *, community: bool) -> dict:
    """The figures of a dashboard, each with the link to the queue showing the cases behind it. A
    community's (counted with `community`) keep its failures taken up the ladder, which escalation
    reopened, and so do the links to their cases."""
    by_state = counted["by_state"]
    open_rows = [row for status, row in by_state.items() if is_open(status)]
    month_start = today.replace(day=1)
    own = {"taken_up": "true"} if community else {}
    return {
        "states": [
            {"status": s, "label": s.label, "count": by_state.get(s, (0,))[0], "url": _queue_url(status=s)}
            for s in CaseStatus
        ],
        "open": sum(row[0] for row in open_rows),
        "reported": by_state.get(CaseStatus.REPORTED, (0,))[0],
        "unassigned": by_state.get(CaseStatus.ACCEPTED, (0,))[0],
        "overdue": sum(row[1] for row in open_rows),
        "warning": sum(row[2] for row in open_rows),
        "month": counted["month"],
        "cumulative": counted["cumulative"],
        # The seed's headline is this figure: mediations led by lawyers, social workers, legal advisers.
        "third_party": counted["third_party"],
        "month_urls": {
            "concluded": _queue_url(concluded_after=month_start, concluded_before=today, **own),
            "agreed": _queue_url(concluded_after=month_start, concluded_before=today, outcome="agreed"),
        },
        "cumulative_urls": {
            "concluded": _queue_url(concluded_any="true", **own),
            "agreed": _queue_url(concluded_any="true", outcome="agreed"),
        },
        "third_party_urls": {
            "concluded": _queue_url(concluded_any="true", third_party="true", **own),
            "agreed": _queue_url(concluded_any="true", third_party="true", outcome="agreed"),
        },
        "urls": {
            "open": _queue_url(),
            "reported": _queue_url(tab="reported"),
            "unassigned": _queue_url(tab="accepted"),
            "overdue": _queue_url(tab="overdue"),
            "warning": _queue_url(tab="warning"),
        },
    }


def _attention(user, today):
    """Open cases that need someone now, as row values: early warnings first, then the most overdue."""
    return row_values(
        cases_visible_to(user)
        .filter(open_q())
        .filter(warning_q() | overdue_q(today))
        .order_by("-is_warning", F("next_due").asc(nulls_last=True), "id")[:ATTENTION_ROWS]
    )


def _dashboard_context(user, today: dt.date, *, community: bool) -> dict:
    counted, gaps = _counted(user, today, community=community)
    return {
        "figures": _figures(counted, today, community=community),
        "rows": as_rows(counted["attention"], today),
        "today": today,
        "month_start": today.replace(day=1),
        "calendar_gaps": gaps,
    }


def centre_dashboard(request):
    context = _dashboard_context(request.user, timezone.localdate(), community=False)
    context["read_only"] = not request.user.has_role(Role.CENTRE_STAFF)
    return render(request, "home/dashboard.html", context)


# The ladder's figures of a subdistrict's monthly report that the district home links to.
LADDER_DRILLS = ("ladder_community", "ladder_subdistrict", "ladder_district", "referred_district")


def district_home(request):
    """区综治中心 and district leaders: their subdistricts side by side, each figure drilling to the
    (read-only) queue narrowed to that subdistrict."""
    today = timezone.localdate()
    month_start = today.replace(day=1)
    rows = district_overview(request.user, today)
    for row in rows:
        sub = row["subdistrict"].pk
        row["urls"] = {
            "all": _queue_url(subdistrict=sub),
            "new": _queue_url(subdistrict=sub, registered_after=month_start, registered_before=today),
            "open": _queue_url(subdistrict=sub),
            "overdue": _queue_url(subdistrict=sub, tab="overdue"),
            "concluded": _queue_url(subdistrict=sub, concluded_any="true"),
            "agreed": _queue_url(subdistrict=sub, concluded_any="true", outcome="agreed"),
            "third_party": _queue_url(subdistrict=sub, concluded_any="true", third_party="true"),
            "third_party_agreed": _queue_url(
                subdistrict=sub, concluded_any="true", third_party="true", outcome="agreed"
            ),
        }
    for row in rows:
        report = row["report"]
        if report:
            # The figures only a report holds drill into that report's own case lists.
            cases = reverse("reports:cases", args=[report["pk"]])
            row["report_urls"] = {
                "detail": reverse("reports:detail", args=[report["pk"]]),
                **{key: f"{cases}?figure={key}" for key in LADDER_DRILLS},
                "missing": reverse("reports:detail", args=[report["pk"]]) + "#inspections",
            }
    context = {"rows": rows, "district": request.user.district, "today": today, "month_start": month_start}
    return render(request, "home/district_home.html", context)


def community_home(request):
    """Community staff: their community's open work (to accept, to assign), overdue and 预警 cases,
    and the community's figures; the same figures as the centre's, scoped to the community."""
    context = _dashboard_context(request.user, timezone.localdate(), community=True)
    context["community"] = request.user.community
    return render(request, "home/community_home.html", context)


def mediator_home(request):
    rows = case_rows(my_cases(request.user))
    for row in rows:
        row.next_step = next_step(row, request.user)
    return render(request, "home/mediator_home.html", {"rows": rows, "today": timezone.localdate()})


def grid_worker_home(request):
    """我的网格: the screening returns owed (one tap each to file), then the grid's recent cases."""
    today = timezone.localdate()
    rows = case_rows(cases_visible_to(request.user).order_by("-registered_at", "-id")[:RECENT_ROWS], today)
    owed = returns_owed(grids_for_filing(request.user), today)
    due = [row for row in owed if not row["missed"]]
    missed = [row for row in owed if row["missed"]]
    context = {
        "rows": rows,
        "owed": owed,
        "due": due,
        # A long list of missed returns folds: the oldest few shown, 展开 for the rest.
        "missed_shown": missed[:MISSED_SHOWN],
        "missed_folded": missed[MISSED_SHOWN:],
        "today": today,
    }
    return render(request, "home/grid_worker_home.html", context)


@login_required
def home(request):
    """Each role lands on its own page; a person with several roles gets the widest view."""
    user = request.user
    if user.has_role(Role.CENTRE_STAFF) or user.has_role(Role.LEADER):
        return centre_dashboard(request)
    if user.is_district_wide:
        return district_home(request)
    if user.has_role(Role.MEDIATOR):
        return mediator_home(request)
    if user.has_role(Role.COMMUNITY_STAFF):
        return community_home(request)
    if user.has_role(Role.GRID_WORKER):
        return grid_worker_home(request)
    if user.is_staff:
        return redirect("admin:index")
    return render(request, "home/no_role.html", status=403)


NOTICES_PER_PAGE = 50


@login_required
def notice_list(request):
    page = Paginator(notice_selectors.notices_for(request.user), NOTICES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "home/notices.html", {"page": page})


@login_required
@require_POST
def notice_read(request):
    """标为已读 (one notice) or 全部标为已读 (no notice named); only the user's own notices."""
    notice_id = request.POST.get("notice") or ""
    if notice_id and not notice_id.isdigit():
        notice_id = "0"  # names no notice: nothing is marked
    marked = notices.notice_mark_read(user=request.user, notice_id=int(notice_id) if notice_id else None)
    if not notice_id:
        messages.success(request, _("已将 %(n)s 条通知标为已读。") % {"n": marked})
    back = request.POST.get("next") or ""
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("notices")


# The notices each role is sent (the settings page offers these; a user with several roles gets the union).
_DEADLINES = {NoticeKind.DUE_SOON, NoticeKind.DUE_TODAY, NoticeKind.OVERDUE}
_REGISTERED = {NoticeKind.DECIDED, NoticeKind.CLOSED, NoticeKind.WITHDRAWN}
NOTICE_KINDS_BY_ROLE = {
    Role.CENTRE_STAFF: set(NoticeKind) - {NoticeKind.ASSIGNED, NoticeKind.PROGRESS, NoticeKind.JUDICIAL},
    Role.LEADER: {NoticeKind.REPORT},
    Role.DISTRICT_STAFF: {NoticeKind.REPORT, NoticeKind.SUPERVISION},
    Role.DISTRICT_LEADER: {NoticeKind.REPORT},
    Role.COMMUNITY_STAFF: _DEADLINES | _REGISTERED | {NoticeKind.PROGRESS},
    Role.GRID_WORKER: _REGISTERED | {NoticeKind.RETURN_OWED, NoticeKind.RETURN_MISSED},
    Role.MEDIATOR: _DEADLINES | {NoticeKind.ASSIGNED, NoticeKind.JUDICIAL, NoticeKind.WITHDRAWN},
}


def notice_kinds_of(user) -> set:
    kinds = set().union(*(NOTICE_KINDS_BY_ROLE.get(role, ()) for role in user.roles or []))
    return kinds or set(NoticeKind)


@login_required
def notice_settings(request):
    """通知设置: where one's notices go and by which channels, per kind; deadline reminders and
    预警 are always shown in the app (the service refuses to mute them, nothing is written)."""
    user = request.user
    table = delivery.preference_table(user, notice_kinds_of(user))
    initial = {"email": user.email, "mobile": user.mobile}
    initial.update({f"{row['kind']}-{c}": row[c] for row in table for c in ("in_app", "email", "sms")})
    form = NoticeSettingsForm(request.POST or None, table=table, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                contact_update(user=user, email=form.cleaned_data["email"], mobile=form.cleaned_data["mobile"])
                notices.notice_preferences_set(user=user, choices=form.choices())
        except ValidationError as exc:
            status = show_refusal(form, exc)
            user.refresh_from_db(fields=["email", "mobile"])
        else:
            messages.success(request, _("通知设置已保存。"))
            return redirect("notice_settings")
    elif request.method == "POST":
        status = 400
    rows = [{**row, "fields": [form[f"{row['kind']}-{c}"] for c in ("in_app", "email", "sms")]} for row in table]
    context = {"form": form, "rows": rows, "offered": settings.FENGQIAO_NOTICE_CHANNELS}
    return render(request, "home/notice_settings.html", context, status=status)
