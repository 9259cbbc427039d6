"""Roles of the people who work in Fengqiao. A leaf module: imports nothing of ours."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    GRID_WORKER = "grid_worker", _("网格员")
    COMMUNITY_STAFF = "community_staff", _("社区干部")
    MEDIATOR = "mediator", _("调解员")
    CENTRE_STAFF = "centre_staff", _("综治中心工作人员")
    LEADER = "leader", _("街道领导")
    DISTRICT_STAFF = "district_staff", _("区综治中心工作人员")
    DISTRICT_LEADER = "district_leader", _("区领导")
    ADMINISTRATOR = "administrator", _("系统管理员")


# Roles that see every case of their subdistrict.
SUBDISTRICT_WIDE_ROLES = frozenset({Role.CENTRE_STAFF, Role.LEADER})

# Roles that read every case and report of their district's subdistricts, and change nothing.
DISTRICT_WIDE_ROLES = frozenset({Role.DISTRICT_STAFF, Role.DISTRICT_LEADER})


class InspectionKind(models.TextChoices):
    """A screening return (排查) covers a month always, and a day inside a sensitive period."""

    DAILY = "daily", _("日查")
    MONTHLY = "monthly", _("月查")


class Crs(models.TextChoices):
    """The coordinate system a boundary is stated in (the map draws what it is given)."""

    WGS84 = "wgs84", _("WGS-84")
    GCJ02 = "gcj02", _("GCJ-02")
