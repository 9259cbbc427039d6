"""409 when a transition loses to a concurrent one: two real requests in two threads, on
real PostgreSQL transactions (transactional_db, see `committed_db`), released together by a barrier."""

import threading

import pytest
from django.db import connection

from casework.enums import CaseStatus
from casework.models import CaseEvent, DisputeCase
from tests.api.bodies import registration
from tests.factories import register
from tests.workflow import drive


def race(api, requests):
    """Send (user, path, body) requests at once; their status codes, in order."""
    barrier = threading.Barrier(len(requests))
    statuses = [None] * len(requests)

    def send(index, user, path, body):
        client = api(user)
        try:
            barrier.wait(timeout=30)
            statuses[index] = client.post(path, body, format="json").status_code
        except Exception as exc:  # shown by the assertion on the statuses
            statuses[index] = repr(exc)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=send, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return statuses


@pytest.mark.parametrize("attempt", range(3))
def test_concurrent_accept_and_decline_one_wins_the_other_is_409(
    committed_db, api, centre, community_staff, grid, attempt
):
    case = register(centre, grid)
    path = f"/api/v1/cases/{case.pk}/transitions"
    statuses = race(
        api,
        [
            (centre, f"{path}/accept/", {"level": "community"}),
            (community_staff, f"{path}/decline/", {"reason": "不属调解范围", "referral": "court"}),
        ],
    )
    assert sorted(statuses, key=str) == [200, 409]
    case.refresh_from_db()
    assert case.status == (CaseStatus.ACCEPTED if statuses[0] == 200 else CaseStatus.DECLINED)
    # The loser wrote nothing: one registration, one transition.
    assert CaseEvent.objects.filter(case=case).count() == 2
    assert case.version == 2


def test_concurrent_reassignments_one_wins_the_other_is_409(committed_db, api, centre, mediator, other_mediator, grid):
    # Both leave the status at `assigned`: only the version can tell the second one it lost.
    from tests.factories import MediatorFactory

    third = MediatorFactory()
    case = drive(CaseStatus.ASSIGNED, centre=centre, lead=mediator, grid=grid)
    path = f"/api/v1/cases/{case.pk}/transitions/reassign/"
    statuses = race(
        api,
        [
            (centre, path, {"mediator": other_mediator.pk, "reason": "回避"}),
            (centre, path, {"mediator": third.pk, "reason": "工作量"}),
        ],
    )
    assert sorted(statuses, key=str) == [200, 409]
    case = DisputeCase.objects.get(pk=case.pk)
    assert case.lead_mediator_id == (other_mediator.pk if statuses[0] == 200 else third.pk)
    assert CaseEvent.objects.filter(case=case, name="reassign").count() == 1


def test_concurrent_pushes_of_one_external_ref_make_one_case(committed_db, api, centre, grid):
    """A hotline retrying a push it saw no answer to: both requests at once, one case."""
    body = registration(grid, external_ref="12345-RETRY")
    statuses = race(api, [(centre, "/api/v1/cases/", body), (centre, "/api/v1/cases/", body)])
    assert sorted(statuses, key=str) == [200, 201]
    assert DisputeCase.objects.filter(external_ref="12345-RETRY").count() == 1


def test_refreshes_in_threads_do_not_trip_over_fsm_protection(committed_db, centre, grid):
    """django-fsm lifts `protected` on the shared status field during a refresh and puts it
    back after; concurrent refreshes must not see it put back mid-way (it was a 500)."""
    cases = [register(centre, grid) for _ in range(4)]
    errors = []

    def refresh_many(case):
        try:
            for _ in range(200):
                case.refresh_from_db()
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh_many, args=(DisputeCase.objects.get(pk=c.pk),)) for c in cases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
