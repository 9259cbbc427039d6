"""The queue, its XLSX export, and intake. Every case listed starts from cases_visible_to(user)."""

import datetime as dt
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from common import xlsx
from common.audit import audit, audit_export
from common.enums import AuditAction
from common.refusals import NotPermitted, Refusal, show_refusal
from grids.enums import Role

from .filters import queue_filter, tab_choices
from .forms import CaseIntakeForm, contact_fields, party_formset
from .models import Party
from .paging import cursor_of, keyset_page, keyset_page_before, sort_keys
from .personal_data import audit_sealed_search, mask_id_number, mask_phone
from .rows import as_rows, row_values
from .selectors import case_list_related, cases_visible_to, prior_cases_of_parties
from .services import case_register

PAGE_SIZE = 50
# The queue counts its cases exactly up to here and says "10,000+" beyond: a count never scans a million rows.
COUNT_LIMIT = 10_000
# An export is a working list, not a data dump; past this the user narrows the filter.
EXPORT_LIMIT = 10_000
SORTABLE = [
    ("number", gettext_lazy("编号")),
    ("registered_at", gettext_lazy("登记时间")),
    ("status", gettext_lazy("状态")),
    ("next_due", gettext_lazy("期限")),
]
REGISTERING_ROLES = (Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.CENTRE_STAFF)


def _page_number(request) -> int:
    try:
        return max(1, min(int(request.GET.get("page", 1)), 100_000))
    except ValueError:
        return 1


class QueryLinks:
    """The page's query string with some parameters set or dropped, as `{% querystring %}` writes it
    (kept keys in place, new ones last), for the ~20 links of a queue page: the tag deep-copies the
    query and renders a node each time, here the query is read once."""

    def __init__(self, query):
        self.query = query
        self.items = dict(query.lists())

    def __call__(self, **changes) -> str:
        items = dict(self.items)
        for key, value in changes.items():
            if value is None:
                items.pop(key, None)
            else:
                items[key] = [str(value)]
        if not items and not self.query:
            return ""
        params = QueryDict(mutable=True)
        for key, values in items.items():
            params.setlist(key, values)
        return f"?{params.urlencode()}"


def _sort_links(current: str, links: QueryLinks):
    out = {}
    for field, label in SORTABLE:
        ascending = current == field
        param = f"-{field}" if ascending else field
        out[field] = {
            "label": label,
            "param": param,
            "href": links(o=param, after=None, page=None),
            "arrow": "↑" if ascending else ("↓" if current == f"-{field}" else ""),
        }
    return out


def _page_links(links: QueryLinks, tabs, current_tab, page, previous_cursor, next_cursor) -> dict:
    """The tabs', the pager's and the exports' links (each leaves the page's cursor behind)."""
    unpaged = links(after=None, before=None, page=None)
    previous = unpaged
    if page > 2 and previous_cursor:
        previous = links(after=None, before=previous_cursor, page=page - 1)
    return {
        "unpaged": unpaged,
        "tabs": [
            {"label": label, "href": links(tab=code, after=None, before=None, page=None), "active": code == current_tab}
            for code, label in tabs
        ],
        "previous": previous,
        "next": links(after=next_cursor, before=None, page=page + 1) if next_cursor is not None else "",
    }


@login_required
def queue(request):
    filterset = queue_filter(request)
    cases = filterset.qs
    # Keyset paging: `after` is the previous page's last sort key, `before` the next page's first
    # (上一页); `page` only numbers the page for the reader.
    after, before = request.GET.get("after") or None, request.GET.get("before") or None
    previous_cursor = None
    if before and not after:
        values, previous_cursor, next_cursor = keyset_page_before(row_values(cases), before, PAGE_SIZE)
        page = _page_number(request) if previous_cursor else 1
    else:
        values, next_cursor = keyset_page(row_values(cases), after, PAGE_SIZE)
        page = _page_number(request) if after else 1
        if after and values:
            previous_cursor = cursor_of(values[0], sort_keys(cases))
    total = cases.order_by()[: COUNT_LIMIT + 1].count()
    cleaned = getattr(filterset.form, "cleaned_data", {})
    audit_sealed_search(request, cleaned.get("q") or "", where="casework:queue")
    links = QueryLinks(request.GET)
    current_tab = cleaned.get("tab") or "all"
    context = {
        "filter": filterset,
        "rows": as_rows(values),
        "page": page,
        "total": total,
        "total_capped": total > COUNT_LIMIT,
        "count_limit": COUNT_LIMIT,
        "next_cursor": next_cursor,
        "previous_cursor": previous_cursor,
        "has_next": next_cursor is not None,
        "has_previous": page > 1,
        "links": _page_links(links, tab_choices(), current_tab, page, previous_cursor, next_cursor),
        "current_tab": current_tab,
        "pinned": [
            {**pin, "drop": links(**{pin["name"]: None}, after=None, before=None, page=None)}
            for pin in filterset.pinned()
        ],
        "sort_links": _sort_links(request.GET.get("o", ""), links),
        "today": timezone.localdate(),
        "can_register": any(request.user.has_role(r) for r in REGISTERING_ROLES),
    }
    return render(request, "casework/queue.html", context)


def _local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _party_cell(party: Party) -> str:
    # The export is a list, so it is masked like the queue (full data only on the case page).
    details = [d for d in (party.masked_phone, party.masked_id_number) if d]
    return f"{party.get_role_display()}：{party.name}" + (f"（{'，'.join(details)}）" if details else "")


@login_required
def export(request):
    filterset = queue_filter(request)
    cases = filterset.qs.prefetch_related(Prefetch("parties", queryset=Party.objects.order_by("role", "id")))
    today = timezone.localdate()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("案件"))
    xlsx.append(
        sheet,
        [
            _("案件编号"),
            _("登记时间"),
            _("社区"),
            _("网格"),
            _("类别"),
            _("来源"),
            _("风险等级"),
            _("调解层级"),
            _("状态"),
            _("预警"),
            _("主调解员"),
            _("当前期限"),
            _("超期"),
            _("当事人"),
            _("纠纷简要情况"),
        ],
    )
    rows = 0
    for case in cases[:EXPORT_LIMIT]:
        rows += 1
        xlsx.append(
            sheet,
            [
                case.number,
                _local(case.registered_at),
                case.community.name,
                case.grid.name,
                case.category.name,
                case.get_source_display(),
                case.get_risk_display(),
                case.get_level_display(),
                case.get_status_display(),
                _("是") if case.is_warning else "",
                case.lead_mediator.name if case.lead_mediator_id else "",
                case.next_due.isoformat() if case.next_due else "",
                _("是") if case.is_overdue(today) else "",
                "；".join(_party_cell(p) for p in case.parties.all()),
                case.description,
            ],
        )
    response = HttpResponse(content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="cases-{today:%Y%m%d}.xlsx"'
    workbook.save(response)
    # The filter is not recorded: the queue's free-text search may hold what the user typed about a party.
    audit_export(request, what="casework:queue", rows=rows, masked=True)
    return response


def duplicate_hint(user, *, id_numbers=(), phones=()) -> dict | None:
    """Cases of the last 12 months, among those the user may open, with a party of one of these ID
    numbers or phones. Nothing about any other case, not even whether one exists: the hint would
    otherwise tell anyone who may register whether a person has a case anywhere."""
    if not id_numbers and not phones:
        return None
    since = timezone.now() - dt.timedelta(days=settings.FENGQIAO_REPEAT_WINDOW_DAYS)
    prior = prior_cases_of_parties(id_numbers=id_numbers, phones=phones, since=since)
    visible = prior.filter(pk__in=cases_visible_to(user).values("pk"))
    cases = list(case_list_related(visible).order_by("-registered_at")[:10])
    return {"cases": cases} if cases else None


def _can_register(user) -> bool:
    return any(user.has_role(r) for r in REGISTERING_ROLES)


@login_required
def intake(request):
    if not _can_register(request.user):
        raise NotPermitted(_("只有网格员、社区干部和综治中心工作人员可以登记纠纷。"))
    data = request.POST if request.method == "POST" else None
    form = CaseIntakeForm(data, user=request.user)
    formset = party_formset(data)
    status = 200
    if data is not None:
        if form.is_valid() and formset.is_valid():
            try:
                case = case_register(actor=request.user, parties=formset.party_rows(), **form.cleaned_data)
            except (ValidationError, Refusal) as exc:
                status = show_refusal(form, exc)
            else:
                messages.success(request, _("已登记案件 %(number)s。") % {"number": case.number})
                return redirect(settings.FENGQIAO_CASE_URL_NAME, pk=case.pk)
        else:
            status = 400
    return render(request, "casework/intake.html", {"form": form, "formset": formset}, status=status)


def _lookup_allowed(user) -> bool:
    """Counts the user's lookups in a fixed window (the cache is shared by every web process)."""
    window = settings.FENGQIAO_DUPLICATE_HINT_WINDOW_SECONDS
    key = f"fengqiao:duplicate-hint:{user.pk}:{int(time.time() // window)}"
    cache.add(key, 0, window)
    try:
        return cache.incr(key) <= settings.FENGQIAO_DUPLICATE_HINT_LIMIT
    except ValueError:  # expired between add and incr: a new window
        cache.add(key, 1, window)
        return True


@login_required
@require_POST
def duplicates(request):
    """The intake page's live hint: one ID number or phone per request (the field the user has just
    changed), throttled per user, each lookup audited like a reveal of personal data."""
    if not _can_register(request.user):
        raise NotPermitted(_("只有网格员、社区干部和综治中心工作人员可以登记纠纷。"))
    numbers = contact_fields(request.POST)
    trigger = request.htmx.trigger_name if request.htmx else None
    if trigger in numbers:
        numbers = {trigger: numbers[trigger]}
    if len(numbers) != 1:
        return HttpResponse(_("每次只能查询一个身份证号或手机号码。"), status=400)
    if not _lookup_allowed(request.user):
        return render(request, "casework/_duplicates.html", {"throttled": True}, status=429)
    ((name, value),) = numbers.items()
    is_id = name.endswith("id_number")
    hint = duplicate_hint(request.user, id_numbers=[value] if is_id else [], phones=[] if is_id else [value])
    audit(
        AuditAction.DUPLICATE_CHECKED,
        actor=request.user,
        request=request,
        target="casework:duplicates",
        detail={
            "field": "id_number" if is_id else "phone",
            "value": mask_id_number(value) if is_id else mask_phone(value),
            "cases": [case.number for case in (hint or {}).get("cases", [])],
        },
    )
    return render(request, "casework/_duplicates.html", {"hint": hint})
