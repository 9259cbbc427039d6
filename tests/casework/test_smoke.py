from casework.enums import CaseStatus
from tests.factories import CLOSED_CASE_EVENTS
from tests.workflow import drive


def test_case_walks_to_closed_with_one_event_per_step(centre, mediator, grid):
    case = drive(CaseStatus.CLOSED, centre=centre, lead=mediator, grid=grid)
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert list(case.events.values_list("name", flat=True)) == CLOSED_CASE_EVENTS
