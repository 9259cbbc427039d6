"""The case detail gives the agreement's current judicial-confirmation answer and every entry."""

from django.utils import timezone

from casework.enums import CaseStatus
from mediation import services
from tests.workflow import fresh


def test_the_case_detail_gives_the_current_answer_and_the_history(api, walk, mediator, centre):
    case = walk(CaseStatus.AGREED)
    today = timezone.localdate()
    detail = api(centre).get(f"/api/v1/cases/{case.pk}/").json()["agreement"]
    assert (detail["judicial_confirmation"], detail["judicial_court"], detail["judicial_history"]) == (
        "not_applied",
        "",
        [],
    )
    services.judicial_confirmation_record(
        fresh(case), actor=mediator.user, status="pending", applied_on=today, court="东湖区人民法院"
    )
    services.judicial_confirmation_record(
        fresh(case), actor=centre, status="confirmed", applied_on=today, court="西湖区人民法院", answered_on=today
    )
    detail = api(mediator.user).get(f"/api/v1/cases/{case.pk}/").json()["agreement"]
    assert detail["judicial_confirmation"] == "confirmed"
    assert (detail["judicial_court"], detail["judicial_answered_on"]) == ("西湖区人民法院", today.isoformat())
    assert [(e["status"], e["court"], e["recorded_by"]) for e in detail["judicial_history"]] == [
        ("pending", "东湖区人民法院", mediator.user.pk),
        ("confirmed", "西湖区人民法院", centre.pk),
    ]
