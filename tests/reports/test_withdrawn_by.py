"""Withdrawn cases by whose decision it was: the form asks it, the event keeps it, the report splits
by it (a party's withdrawal is not the centre's or the mediator's, whoever typed it in)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from casework import services as case_services
from casework.enums import CaseStatus
from casework.models import CaseEvent
from reports.statistics import Period, collect, derive

pytestmark = pytest.mark.django_db


def withdraw(client, user, case, by):
    client.force_login(user)
    url = reverse("mediation:transition", args=[case.pk, "withdraw"])
    return client.post(url, {"version": case.version, "reason": "不再调解", "by": by})


def test_the_report_splits_withdrawals_by_whose_decision_they_were(client, centre, mediator, walk, subdistrict):
    cases = [walk(CaseStatus.MEDIATING) for _ in range(5)]
    # Centre staff record two parties' withdrawals and one of their own; the mediator ends one.
    for case, user, by in (
        (cases[0], centre, "party"),
        (cases[1], centre, "party"),
        (cases[2], centre, "centre"),
        (cases[3], mediator.user, "mediator"),
    ):
        assert withdraw(client, user, case, by).status_code == 302
    # Through the service without saying whose decision it was (an older integration): not guessed.
    case_services.case_withdraw(cases[4], actor=centre, reason="撤回")
    assert CaseEvent.objects.get(case=cases[0], name="withdraw").data == {"by": "party"}
    assert CaseEvent.objects.get(case=cases[4], name="withdraw").data == {}

    material = collect(subdistrict.pk, Period.monthly(timezone.localdate()))
    figures = derive(material)
    assert figures["totals"]["withdrawn"] == 5
    split = {row["label"]: row["count"] for row in figures["withdrawn"]}
    assert split == {"当事人": 2, "综治中心": 1, "调解员": 1, "未注明": 1}
    # Each part drills down to exactly its cases.
    by_key = {row["key"]: set(material["sets"][row["drill"]]) for row in figures["withdrawn"]}
    assert by_key["party"] == {cases[0].pk, cases[1].pk}
    assert by_key["mediator"] == {cases[3].pk}


@pytest.mark.parametrize(("by", "message"), [("", "该字段是必填项"), ("court", "选择一个有效的选项")])
def test_a_withdrawal_without_a_valid_who_is_refused_and_writes_nothing(client, centre, walk, by, message):
    case = walk(CaseStatus.MEDIATING)
    events = CaseEvent.objects.filter(case=case).count()
    response = withdraw(client, centre, case, by)
    assert response.status_code == 400
    assert message in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.MEDIATING
    assert CaseEvent.objects.filter(case=case).count() == events


def test_the_service_refuses_an_unknown_who(centre, walk):
    case = walk(CaseStatus.MEDIATING)
    with pytest.raises(ValidationError) as refused:
        case_services.case_withdraw(case, actor=centre, reason="撤回", by="neighbour")
    assert "by" in refused.value.message_dict
    case.refresh_from_db()
    assert case.status == CaseStatus.MEDIATING
