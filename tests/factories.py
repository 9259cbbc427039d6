"""Plain factory_boy factories, and `register`, a case registered through the real service
(tests.workflow.drive walks it on to any state)."""

import factory

from casework import services as case_services
from casework.enums import Risk, Source
from casework.models import Category
from grids.enums import Role
from grids.models import Community, District, Grid, Subdistrict, User
from mediation.enums import MediatorKind, OrganizationKind
from mediation.models import MediationOrganization, Mediator

PASSWORD = "correct-horse-battery-9"


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ["code"]

    code = "DHQ"
    name = "东湖区"


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


def into_district(subdistrict, **fields) -> District:
    """Put `subdistrict` into a new district (DistrictFactory's fields, overridden by `fields`)."""
    district = DistrictFactory(**fields)
    subdistrict.district = district
    subdistrict.save(update_fields=["district"])
    return district


def grid_of(subdistrict, **community) -> Grid:
    """A grid in a new community of `subdistrict` (CommunityFactory's fields, overridden by `community`)."""
    return GridFactory(community=CommunityFactory(subdistrict=subdistrict, **community))


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
