"""The site menu: one table of entries, each with the permission it needs, read by every page.

The menu sits in home because it links every app's pages (home is above all of them). Each entry
names a URL and a predicate on the user; a user with several roles gets the union, in table order.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from common.selectors import unread_notice_count
from common.urls import plain_reverse
from grids.enums import Role

CENTRE = Role.CENTRE_STAFF
LEADER = Role.LEADER
COMMUNITY = Role.COMMUNITY_STAFF
GRID = Role.GRID_WORKER
MEDIATOR = Role.MEDIATOR
DISTRICT = Role.DISTRICT_STAFF
DISTRICT_LEADER = Role.DISTRICT_LEADER
WORKING_ROLES = (CENTRE, LEADER, COMMUNITY, GRID, MEDIATOR, DISTRICT, DISTRICT_LEADER)
READERS = (CENTRE, LEADER, COMMUNITY, DISTRICT, DISTRICT_LEADER)


def any_of(*roles) -> Callable:
    def allowed(user) -> bool:
        return any(user.has_role(role) for role in roles)

    return allowed


@dataclass(frozen=True)
class Entry:
    key: str
    label: object
    url_name: str
    allowed: Callable


def home_label(user):
    """The home entry says what the home holds: a grid worker's grid, a mediator's own cases."""
    if any(user.has_role(role) for role in READERS):
        return _("首页")
    if user.has_role(MEDIATOR):
        return _("我的案件")
    if user.has_role(GRID):
        return _("我的网格")
    return _("首页")


# The menu of each role: centre — 首页 案件队列 登记纠纷 报表 排查与缺报
# 分析研判 台账 调解员 调解组织 通知; leader — 首页 案件队列 报表 排查与缺报 分析研判 通知; community staff — 首页
# 案件队列 登记纠纷 报表 排查与缺报 分析研判 通知; district staff and leaders — 首页 案件队列 报表 排查与缺报
# 分析研判 通知; grid worker — 我的网格 登记纠纷 排查填报 通知; mediator — 我的案件 通知.
MENU = (
    Entry("home", None, "home", any_of(*WORKING_ROLES)),
    Entry("queue", _("案件队列"), "casework:queue", any_of(*READERS)),
    Entry("intake", _("登记纠纷"), "casework:intake", any_of(CENTRE, COMMUNITY, GRID)),
    Entry("reports", _("报表"), "reports:list", any_of(*READERS)),
    Entry("missing", _("排查与缺报"), "reports:missing", any_of(*READERS)),
    Entry("analysis", _("分析研判"), "analysis:judgement", any_of(*READERS)),
    Entry("returns", _("排查填报"), "reports:inspections", any_of(GRID)),
    Entry("ledger", _("台账"), "ledger:upload", any_of(CENTRE)),
    Entry("mediators", _("调解员"), "mediation:mediators", any_of(CENTRE)),
    Entry("organizations", _("调解组织"), "mediation:organizations", any_of(CENTRE)),
    Entry("notices", _("通知"), "notices", any_of(*WORKING_ROLES)),
)


def menu_for(user, current_path: str = "") -> list[dict]:
    """The entries `user` may use, each with its URL and whether it is the page being shown."""
    if not (user and user.is_authenticated and user.is_active):
        return []
    items = []
    for entry in MENU:
        if not entry.allowed(user):
            continue
        url = plain_reverse(entry.url_name)
        current = current_path == url if url == "/" else current_path.startswith(url)
        items.append({"key": entry.key, "label": entry.label or home_label(user), "url": url, "current": current})
    # The longest matching prefix is the current page (/reports/inspections/ is not 报表).
    matching = [item for item in items if item["current"]]
    if len(matching) > 1:
        longest = max(matching, key=lambda item: len(item["url"]))
        for item in matching:
            item["current"] = item is longest
    return items


def unread_of(user) -> int:
    """The signed-in user arrives with the count (grids.backends.AccountBackend); otherwise one COUNT."""
    count = getattr(user, "unread_notice_count", None)
    return count if count is not None else unread_notice_count(user)


def menu(request):
    """Context processor: `site_menu` and `unread_notices`, worked out only on a page that shows them."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    return {
        "site_menu": SimpleLazyObject(lambda: menu_for(user, request.path)),
        "unread_notices": SimpleLazyObject(lambda: unread_of(user)),
    }
