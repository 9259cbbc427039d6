"""Third-party mediation as a concept: cases led by lawyers, social workers and legal advisers
are counted apart from those of people's mediators and volunteers, everywhere a rate is shown."""

import pytest
from rest_framework.test import APIClient

from casework.enums import CaseStatus
from mediation.enums import MediatorKind
from mediation.models import Mediator
from reports.statistics import Period, report_figures, success_rate, success_rates
from tests.factories import MediatorFactory
from tests.workflow import drive

pytestmark = pytest.mark.django_db
S = CaseStatus


@pytest.fixture
def world(centre, mediator, grid):
    """A lawyer: 2 agreed, 1 failed. A people's mediator: 1 failed. A volunteer: 1 agreed."""
    peoples = MediatorFactory(kind=MediatorKind.PEOPLES_MEDIATOR)
    volunteer = MediatorFactory(kind=MediatorKind.VOLUNTEER)
    cases = {}
    for key, state, who in [
        ("a1", S.AGREED, mediator),
        ("a2", S.AGREED, mediator),
        ("f1", S.FAILED, mediator),
        ("f2", S.FAILED, peoples),
        ("a3", S.AGREED, volunteer),
    ]:
        cases[key] = drive(state, centre=centre, lead=who, grid=grid)
    return cases


def test_a_mediators_kind_says_whether_they_are_third_party(db):
    kinds = {kind: MediatorFactory(kind=kind).is_third_party for kind in MediatorKind}
    assert kinds == {
        MediatorKind.LAWYER: True,
        MediatorKind.SOCIAL_WORKER: True,
        MediatorKind.LEGAL_ADVISER: True,
        MediatorKind.PEOPLES_MEDIATOR: False,
        MediatorKind.VOLUNTEER: False,
    }
    assert set(Mediator.objects.third_party().values_list("kind", flat=True)) == {
        MediatorKind.LAWYER,
        MediatorKind.SOCIAL_WORKER,
        MediatorKind.LEGAL_ADVISER,
    }


def test_the_rates_overall_and_third_party(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        overall, third = success_rates()
    assert (overall.agreed, overall.concluded) == (3, 5)
    assert (third.agreed, third.concluded) == (2, 3)
    assert success_rate(third_party=True) == third


def test_the_queue_filters_third_party_mediations(client, centre, world):
    client.force_login(centre)
    page = client.get("/cases/?concluded_any=true&third_party=true").content.decode()
    shown = {key for key, case in world.items() if case.number in page}
    assert shown == {"a1", "a2", "f1"}
    page = client.get("/cases/?concluded_any=true&third_party=false").content.decode()
    assert {key for key, case in world.items() if case.number in page} == {"f2", "a3"}


def test_the_dashboard_shows_both_rates_each_drillable(client, centre, world):
    client.force_login(centre)
    page = client.get("/").content.decode()
    assert "第三方调解成功率" in page and "累计调解成功率" in page
    assert 'href="/cases/?concluded_any=true&amp;third_party=true">3</a>' in page
    assert 'href="/cases/?concluded_any=true&amp;third_party=true&amp;outcome=agreed">2</a>' in page
    assert 'href="/cases/?concluded_any=true">5</a>' in page


def test_the_api_rate_filters_third_party(centre, world):
    from api.services import token_issue

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=centre)[1]}")
    body = client.get("/api/v1/stats/success-rate/?third_party=true").json()
    assert (body["agreed"], body["concluded"]) == (2, 3)
    assert client.get("/api/v1/stats/success-rate/").json()["concluded"] == 5


def test_the_report_counts_third_party_mediations_by_the_same_kinds(world, subdistrict):
    from django.utils import timezone

    figures = report_figures(Period.monthly(timezone.localdate()), subdistrict.pk)
    third = figures["third_party"]["cumulative"]
    assert (third["agreed"], third["concluded"]) == (2, 3)
    assert (figures["success_rate"]["agreed"], figures["success_rate"]["concluded"]) == (3, 5)
