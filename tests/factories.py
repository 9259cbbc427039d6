"""Plain factory_boy factories, and `case_in_state`, which walks a case to any state
through the real services (never by assigning the status)."""

import datetime as dt

import factory
from django.utils import timezone

from casework import services as case_services
from casework.enums import CaseStatus, Level, Referral, Risk, Source
from casework.models import Category
from grids.enums import Role
from grids.models import Community, Grid, Subdistrict, User
from mediation import services as mediation_services
from mediation.enums import MediatorKind, OrganizationKind
from mediation.models import MediationOrganization, Mediator

PASSWORD = "correct-horse-battery-9"


class SubdistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subdistrict
        django_get_or_create = ["code"]

    code = "BHZ"
    name = "百花洲街道"


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    subdistrict = factory.SubFactory(SubdistrictFactory)
    code = factory.Sequence(lambda n: f"c{n}")
    name = factory.Sequence(lambda n: f"测试{n}社区")


class GridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grid

    community = factory.SubFactory(CommunityFactory)
    code = factory.Sequence(lambda n: f"g{n}")
    name = factory.Sequence(lambda n: f"第{n}网格")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    roles = factory.LazyFunction(list)
    subdistrict = factory.SubFactory(SubdistrictFactory)
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def grids(self, create, extracted, **kwargs):
        if create and extracted:
            self.grids.set(extracted)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MediationOrganization

    name = factory.Sequence(lambda n: f"调解组织{n}")
    kind = OrganizationKind.NGO


class MediatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mediator

    name = factory.Sequence(lambda n: f"调解员{n}")
    kind = MediatorKind.LAWYER
    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory, roles=[Role.MEDIATOR])


def category(code="neighbour") -> Category:
    return Category.objects.get(code=code)


def party(role="applicant", name="张三", **extra) -> dict:
    return {"role": role, "name": name, **extra}


def register(actor, grid, *, parties=None, risk=Risk.NORMAL, at=None, **extra):
    return case_services.case_register(
        actor=actor,
        grid=grid,
        category=extra.pop("category", None) or category(),
        source=extra.pop("source", Source.GRID_WORKER),
        risk=risk,
        description=extra.pop("description", "楼上漏水影响楼下住户"),
        parties=parties or [party(), party("respondent", "李四")],
        at=at,
        **extra,
    )


# The events of a case walked all the way to closure, in order.
CLOSED_CASE_EVENTS = ["register", "accept", "assign", "start", "session", "reach_agreement", "follow_up", "close"]


# The path to each state, as (service, actor key, kwargs) steps after registration.
def case_in_state(state: str, *, centre, mediator: Mediator, grid, level=Level.SUBDISTRICT, at=None):
    """A case registered by centre staff and driven through the services to `state`."""
    at = at or timezone.now() - dt.timedelta(days=10)
    case = register(centre, grid, at=at)
    if state == CaseStatus.REPORTED:
        return case
    if state == CaseStatus.DECLINED:
        return case_services.case_decline(case, actor=centre, reason="不属于调解范围", referral=Referral.COURT)
    case_services.case_accept(case, actor=centre, level=level)
    if state == CaseStatus.ACCEPTED:
        return case
    if state == CaseStatus.WITHDRAWN:
        return case_services.case_withdraw(case, actor=centre, reason="当事人撤回")
    mediation_services.case_assign(case, actor=centre, mediator=mediator)
    if state == CaseStatus.ASSIGNED:
        return case
    mediation_services.case_start(case, actor=mediator.user)
    mediation_services.session_log(
        case,
        actor=mediator.user,
        held_at=timezone.now() - dt.timedelta(hours=1),
        location="第三方调解室",
        summary="听取双方陈述",
        public=False,
        rights_explained=True,
        rights_explained_by=mediator.name,
    )
    if state == CaseStatus.MEDIATING:
        return case
    if state == CaseStatus.FAILED:
        return mediation_services.case_fail(case, actor=mediator.user, reason="分歧大", guidance="litigation")
    mediation_services.case_reach_agreement(
        case,
        actor=mediator.user,
        form="oral",
        terms="赔偿500元",
        signed_on=timezone.localdate(),
    )
    if state == CaseStatus.AGREED:
        return case
    mediation_services.follow_up_record(
        case, actor=mediator.user, date=timezone.localdate(), performed=True, satisfaction=5
    )
    if state == CaseStatus.CLOSED:
        return case_services.case_close(case, actor=centre)
    raise ValueError(state)


# Each signed-in page also saves the session (SESSION_SAVE_EVERY_REQUEST, for idle expiry): a
# savepoint, the UPDATE and its release, the same on every page whatever it lists. Query budgets add it.
SESSION_SAVE = 3
