"""Replaying a ledger's history: centre staff may enter the mediators' steps only when imported=True."""

import datetime as dt

import pytest
from django.utils import timezone

from casework import permissions
from casework.enums import CaseStatus, Transition
from casework.exceptions import CasePermissionDenied
from grids.enums import Role
from mediation import services as mediation_services
from tests.factories import SubdistrictFactory, UserFactory
from tests.workflow import drive


@pytest.fixture
def assigned(centre, mediator, grid):
    return drive(CaseStatus.ASSIGNED, centre=centre, lead=mediator, grid=grid)


def _session(case, actor):
    mediation_services.session_log(
        case,
        actor=actor,
        held_at=timezone.now() - dt.timedelta(hours=1),
        location="调解室",
        summary="听取陈述",
        public=False,
        rights_explained=False,
        imported=True,
    )


def test_can_transition_centre_replays_mediator_steps_only_when_imported(assigned, centre, community_staff):
    for name in (Transition.START, Transition.REACH_AGREEMENT, Transition.FAIL):
        assert not permissions.can_transition(centre, assigned, name)
        assert permissions.can_transition(centre, assigned, name, imported=True)
        assert not permissions.can_transition(community_staff, assigned, name, imported=True)
    outsider = UserFactory(roles=[Role.CENTRE_STAFF], subdistrict=SubdistrictFactory(code="OTH", name="他街道"))
    assert not permissions.can_transition(outsider, assigned, Transition.START, imported=True)


def test_case_start_by_centre_refused_live_allowed_when_imported(assigned, centre):
    with pytest.raises(CasePermissionDenied):
        mediation_services.case_start(assigned, actor=centre)
    mediation_services.case_start(assigned, actor=centre, imported=True)
    _session(assigned, centre)
    with pytest.raises(CasePermissionDenied):
        mediation_services.case_fail(assigned, actor=centre, reason="分歧大", guidance="litigation")
    mediation_services.case_fail(assigned, actor=centre, reason="分歧大", guidance="litigation", imported=True)
    assigned.refresh_from_db()
    assert assigned.status == CaseStatus.FAILED
    assert list(assigned.events.filter(name__in=["start", "fail"]).values_list("imported", flat=True)) == [True, True]


def test_case_reach_agreement_by_centre_only_when_imported(assigned, centre):
    mediation_services.case_start(assigned, actor=centre, imported=True)
    _session(assigned, centre)
    kwargs = {"form": "oral", "terms": "赔偿500元", "signed_on": timezone.localdate()}
    with pytest.raises(CasePermissionDenied):
        mediation_services.case_reach_agreement(assigned, actor=centre, **kwargs)
    mediation_services.case_reach_agreement(assigned, actor=centre, imported=True, **kwargs)
    assert assigned.status == CaseStatus.AGREED
