"""Reusable reads of cases. Every page, export, API endpoint and report drill-down
starts from `cases_visible_to(user)`: it is the one visibility scope."""

import datetime as dt

from django.db.models import Exists, OuterRef, Q

from grids.enums import Role
from grids.models import Grid

from .models import CaseEvent, DisputeCase, Party, SupervisionOrder
from .personal_data import sealed_search


def cases_visible_to(user):
    """The cases `user` may see, as a queryset (no duplicates, no DISTINCT needed)."""
    if not (user and user.is_authenticated and user.is_active):
        return DisputeCase.objects.none()
    scope = Q()
    if user.subdistrict_id and (user.has_role(Role.CENTRE_STAFF) or user.has_role(Role.LEADER)):
        scope |= Q(subdistrict_id=user.subdistrict_id)
    if user.is_district_wide:
        scope |= Q(subdistrict__district_id=user.district_id)
    if user.has_role(Role.COMMUNITY_STAFF) and user.community_id:
        scope |= Q(community_id=user.community_id)
    if user.has_role(Role.GRID_WORKER):
        grids = user.grids.through.objects.filter(user_id=user.id, grid_id=OuterRef("grid_id"))
        scope |= Q(Exists(grids))
    if user.has_role(Role.MEDIATOR):
        co = DisputeCase.co_mediators.through.objects.filter(disputecase_id=OuterRef("pk"), mediator__user_id=user.id)
        scope |= Q(lead_mediator__user_id=user.id) | Q(Exists(co))
    if not scope:
        return DisputeCase.objects.none()
    return DisputeCase.objects.filter(scope)


def scope_key(user) -> str:
    """A name for the cases `user` sees, one part per branch of cases_visible_to: users who see the
    same cases (two centre staff of one subdistrict) share it, so what is counted over a scope may be
    kept once for all of them. The grid worker's and mediator's branches are their own."""
    if not (user and user.is_authenticated and user.is_active):
        return "none"
    parts = []
    if user.subdistrict_id and (user.has_role(Role.CENTRE_STAFF) or user.has_role(Role.LEADER)):
        parts.append(f"s{user.subdistrict_id}")
    if user.is_district_wide:
        parts.append(f"d{user.district_id}")
    if user.has_role(Role.COMMUNITY_STAFF) and user.community_id:
        parts.append(f"c{user.community_id}")
    if user.has_role(Role.GRID_WORKER) or user.has_role(Role.MEDIATOR):
        parts.append(f"u{user.pk}")
    return "-".join(parts) or "none"


def case_list_related(qs):
    """What a list row shows, loaded with the rows (a constant number of queries)."""
    return qs.select_related("community", "grid", "category", "lead_mediator")


def involving_mediator(qs, mediator_id: int):
    """The cases of `qs` in which mediator `mediator_id` is the lead or a co-mediator (the queue's and the
    API's `mediator` filter alike)."""
    co = DisputeCase.co_mediators.through.objects.filter(disputecase_id=OuterRef("pk"), mediator_id=mediator_id)
    return qs.filter(Q(lead_mediator_id=mediator_id) | Q(Exists(co)))


def case_queue(user):
    """The rows of a user's queue: the visible cases with what a row shows (filters narrow it further)."""
    return case_list_related(cases_visible_to(user))


def grids_open_to(user):
    """The grids `user` may register a case in (the queryset form of permissions.can_register_in)."""
    if not (user and user.is_authenticated and user.is_active):
        return Grid.objects.none()
    scope = Q()
    if user.has_role(Role.GRID_WORKER):
        # Exists, not a join: a grid with several workers must not come back twice.
        scope |= Q(Exists(user.grids.through.objects.filter(user_id=user.id, grid_id=OuterRef("pk"))))
    if user.has_role(Role.COMMUNITY_STAFF) and user.community_id:
        scope |= Q(community_id=user.community_id)
    if user.has_role(Role.CENTRE_STAFF) and user.subdistrict_id:
        scope |= Q(community__subdistrict_id=user.subdistrict_id)
    if not scope:
        return Grid.objects.none()
    return Grid.objects.filter(scope).select_related("community").order_by("community__code", "code")


def prior_cases_of_parties(*, id_numbers, phones, since: dt.datetime, exclude_case_id=None):
    """Cases registered since `since` in which a party with one of these ID numbers or phones appears."""
    # Through the blind indexes: the values themselves are sealed and cannot be compared in SQL.
    id_indexes = {Party.index_of("id_number", v) for v in id_numbers if v} - {""}
    phone_indexes = {Party.index_of("phone", v) for v in phones if v} - {""}
    if not id_indexes and not phone_indexes:
        return DisputeCase.objects.none()
    match = Q()
    if id_indexes:
        match |= Q(id_number_index__in=id_indexes)
    if phone_indexes:
        match |= Q(phone_index__in=phone_indexes)
    parties = Party.objects.filter(match, case_id=OuterRef("pk"))
    qs = DisputeCase.objects.filter(Exists(parties), registered_at__gte=since)
    if exclude_case_id:
        qs = qs.exclude(pk=exclude_case_id)
    return qs


def search_cases(qs, text: str):
    """The queue's free-text search (page and API): case number, description or a party's name, in part;
    a party's ID number or phone only whole, through its blind index (nothing else about a sealed value
    can be searched)."""
    text = text.strip()
    if not text:
        return qs
    # Exists, not a join, so a case with two matching parties is one row and no DISTINCT is needed.
    named = Party.objects.filter(case_id=OuterRef("pk"), name__icontains=text)
    match = Q(number__icontains=text) | Q(description__icontains=text) | Q(Exists(named))
    sealed = sealed_search(text)
    if sealed is not None:
        field, value = sealed
        exact = Q(**{f"{field}_index": Party.index_of(field, value)})
        match |= Q(Exists(Party.objects.filter(exact, case_id=OuterRef("pk"))))
    return qs.filter(match)


def latest_event(case_id: int) -> CaseEvent | None:
    return CaseEvent.objects.filter(case_id=case_id).select_related("actor").order_by("-at", "-id").first()


def supervision_orders_of(case):
    """The case's 督办 orders, oldest first, each with its answer when it has one."""
    return SupervisionOrder.objects.filter(case=case).select_related("answer").order_by("issued_at", "id")
