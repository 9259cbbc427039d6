"""A case as a list row (the queue, the home pages): only the columns a row shows, read with
values(), and the rows written out in Python (`rows_html`). Through the template engine a page of
50 rows was ~1,500 nodes, each resolved and escaped on its own: most of the queue's server time.

The labels are the enums' own (one translation each); `get_status_display` would rebuild and
translate the field's choices on every call.
"""

import datetime as dt
from html import escape

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from .enums import CaseStatus, Level, Risk

# What a row shows, and what the mediator's list needs to say the next step.
COLUMNS = (
    "id",
    "number",
    "is_warning",
    "registered_at",
    "community__name",
    "grid__name",
    "category__name",
    "risk",
    "status",
    "level",
    "lead_mediator__name",
    "lead_mediator__user_id",
    "next_due",
    "community_attempts",
    "subdistrict_attempts",
    "session_count",
    "follow_up_count",
)
# A case tried this many times in the community and still there is flagged for the centre (the
# "331" practice: three tries in the community, then the subdistrict).
LADDER_FLAG_ATTEMPTS = 3
RISK_BADGES = {Risk.MAJOR: " danger", Risk.ELEVATED: " warn"}


def ladder_html(level: str, community_attempts: int, subdistrict_attempts: int) -> str:
    """The 331 ladder of a case: 社区 n 次 → 街道 n 次, a 上报 marker once it went up, and a flag
    for the centre when three community attempts left it at the community."""
    escalated = level == Level.SUBDISTRICT and community_attempts > 0
    parts = []
    if community_attempts or subdistrict_attempts or escalated:
        parts.append(
            format_html(
                '<span class="ladder" title="{}">{} → {}</span>',
                _("331：社区调解次数 → 街道调解次数"),
                _("社区 %(community)s 次") % {"community": community_attempts},
                _("街道 %(subdistrict)s 次") % {"subdistrict": subdistrict_attempts},
            )
        )
    if escalated:
        parts.append(format_html(' <span class="badge warn">{}</span>', _("上报")))
    if level == Level.DISTRICT:
        parts.append(format_html(' <span class="badge danger">{}</span>', _("上报区")))
    if level == Level.COMMUNITY and community_attempts >= LADDER_FLAG_ATTEMPTS:
        parts.append(
            format_html(
                ' <span class="badge danger" title="{}">{}</span>',
                _("社区已调解三次仍未化解，请综治中心关注"),
                _("社区三次未化解"),
            )
        )
    return mark_safe("".join(parts))


class CaseRow:
    """One row, its text ready: the template only writes attributes out."""

    __slots__ = (
        "category",
        "due",
        "follow_up_count",
        "is_warning",
        "ladder",
        "lead_user_id",
        "mediator",
        "next_due",
        "next_step",
        "number",
        "overdue",
        "pk",
        "place",
        "registered",
        "risk",
        "risk_badge",
        "risk_label",
        "session_count",
        "status",
        "status_label",
        "url",
    )

    def __init__(self, values: dict, page: "RowPage"):
        self.pk = values["id"]
        self.number = values["number"]
        self.url = f"{page.url_prefix}{self.pk}/"
        self.is_warning = values["is_warning"]
        self.registered = values["registered_at"].astimezone(page.timezone).strftime("%Y-%m-%d %H:%M")
        self.place = f"{values['community__name']} · {values['grid__name']}"
        self.category = values["category__name"]
        self.risk = values["risk"]
        self.risk_label = page.risk_labels.get(self.risk, self.risk)
        self.risk_badge = RISK_BADGES.get(self.risk, "")
        self.status = values["status"]
        self.status_label = page.status_labels.get(self.status, self.status)
        self.ladder = ladder_html(values["level"], values["community_attempts"], values["subdistrict_attempts"])
        self.mediator = values["lead_mediator__name"] or "—"
        self.lead_user_id = values["lead_mediator__user_id"]
        self.next_due = values["next_due"]
        self.due = self.next_due.isoformat() if self.next_due else ""
        self.overdue = self.next_due is not None and self.next_due < page.today
        self.session_count = values["session_count"]
        self.follow_up_count = values["follow_up_count"]
        self.next_step = ""


WARNING_ROW = ' class="warning"'


def rows_html(rows: list[CaseRow], show_next: bool = False) -> str:
    """The <tr>s of a case list. Every text is escaped (the labels once per page); the ladder is
    already HTML. Plain f-strings: format_html per cell cost more than the rest of the rows."""
    label = {
        key: escape(text)
        for key, text in (
            ("number", _("编号")),
            ("registered", _("登记时间")),
            ("place", _("社区 · 网格")),
            ("category", _("类别")),
            ("risk", _("风险")),
            ("status", _("状态")),
            ("mediator", _("主调解员")),
            ("due", _("期限")),
            ("step", _("下一步")),
        )
    }
    warning_badge = f' <span class="badge danger">{escape(_("预警"))}</span>'
    overdue = escape(_("超期"))
    out = []
    for row in rows:
        if row.overdue:
            due = f'<span class="overdue">{escape(row.due)} {overdue}</span>'
        else:
            due = f"<span>{escape(row.due)}</span>" if row.due else "—"
        warning = row.is_warning
        out.append(
            f"<tr{WARNING_ROW if warning else ''}>"
            f'<td data-label="{label["number"]}"><a href="{escape(row.url)}">{escape(row.number)}</a>'
            f"{warning_badge if warning else ''}</td>"
            f'<td data-label="{label["registered"]}">{escape(row.registered)}</td>'
            f'<td data-label="{label["place"]}">{escape(row.place)}</td>'
            f'<td data-label="{label["category"]}">{escape(row.category)}</td>'
            f'<td data-label="{label["risk"]}"><span class="badge{row.risk_badge}">{escape(row.risk_label)}</span></td>'
            f'<td data-label="{label["status"]}">{escape(row.status_label)}<div class="small">{row.ladder}</div></td>'
            f'<td data-label="{label["mediator"]}">{escape(row.mediator)}</td>'
            f'<td data-label="{label["due"]}">{due}</td>'
            + (f'<td data-label="{label["step"]}">{escape(row.next_step)}</td>' if show_next else "")
            + "</tr>\n"
        )
    return mark_safe("".join(out))


# A list's columns: (the key a page's sort links use, the header).
HEADERS = (
    ("number", _lazy("编号")),
    ("registered_at", _lazy("登记时间")),
    (None, _lazy("社区 · 网格")),
    (None, _lazy("类别")),
    (None, _lazy("风险")),
    ("status", _lazy("状态")),
    (None, _lazy("主调解员")),
    ("next_due", _lazy("期限")),
)


def table_html(rows: list[CaseRow], sort_links=None, show_next: bool = False) -> str:
    """A case list's whole table, for both engines: the head, each sortable column a link when the
    page sorts (`sort_links`: key -> {"href", "label", "arrow"}), then the rows."""
    sort_links = sort_links or {}
    head = []
    for key, header in HEADERS:
        link = sort_links.get(key) if key else None
        if link:
            head.append(f'<th><a href="{escape(link["href"])}">{escape(str(link["label"]))} {link["arrow"]}</a></th>')
        else:
            head.append(f"<th>{escape(str(header))}</th>")
    if show_next:
        head.append(f"<th>{escape(_('下一步'))}</th>")
    if rows:
        body = rows_html(rows, show_next)
    else:
        body = f'<tr><td colspan="9" class="muted">{escape(_("没有符合条件的案件。"))}</td></tr>\n'
    return mark_safe(
        '<div class="table-wrap">\n<table class="list responsive">\n  <thead><tr>\n    '
        + "\n    ".join(head)
        + "\n  </tr></thead>\n  <tbody>\n"
        + body
        + "  </tbody>\n</table>\n</div>\n"
    )


def case_url_prefix() -> str:
    """The case page's URL without the id: one reverse per page, not per row. The case page is served
    by a higher app (FENGQIAO_CASE_URL_NAME) under `<prefix><pk>/`."""
    url = reverse(settings.FENGQIAO_CASE_URL_NAME, args=[0])
    if not url.endswith("/0/"):
        raise ValueError(f"the case page's URL {url!r} does not end with its id")
    return url[: -len("0/")]


def row_values(qs):
    """`qs` reduced to what a row shows (its order and filters kept)."""
    return qs.values(*COLUMNS)


class RowPage:
    """What every row of a page shares, worked out once: the case page's URL prefix, the time zone,
    the day, the labels in the page's language (a lazy label translates itself each time it is read)."""

    def __init__(self, today: dt.date | None = None):
        self.url_prefix = case_url_prefix()
        self.timezone = timezone.get_current_timezone()
        self.today = today or timezone.localdate()
        self.status_labels = {value: str(label) for value, label in CaseStatus.choices}
        self.risk_labels = {value: str(label) for value, label in Risk.choices}


def as_rows(values, today: dt.date | None = None) -> list[CaseRow]:
    """Rows from row_values() dicts."""
    page = RowPage(today)
    return [CaseRow(v, page) for v in values]


def case_rows(qs, today: dt.date | None = None) -> list[CaseRow]:
    """The rows of a (sliced or not) queryset of cases."""
    return as_rows(row_values(qs), today)
