"""司法确认 appended, never overwritten: each application and answer is an entry; the agreement's
status mirrors the latest; the case page shows the history; the entries made before this existed
were rebuilt from the case's events."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from casework.enums import CaseStatus
from mediation import services
from mediation.enums import JudicialConfirmation as J
from mediation.models import Agreement, JudicialConfirmationEntry
from tests.workflow import drive, fresh

QUEUE = reverse("casework:queue")


def _apply(case, user, **kwargs):
    today = timezone.localdate()
    return services.judicial_confirmation_record(
        fresh(case), actor=user, **{"status": J.PENDING, "applied_on": today, "court": "东湖区人民法院", **kwargs}
    )


def test_each_step_is_appended_and_the_agreement_mirrors_the_latest(walk, mediator, centre):
    case = walk(CaseStatus.AGREED)
    today = timezone.localdate()
    first = _apply(case, mediator.user)
    _apply(case, mediator.user, court="西湖区人民法院", note="原记录法院有误")
    _apply(case, centre, status=J.CONFIRMED, court="西湖区人民法院", answered_on=today)
    agreement = Agreement.objects.get(case=case)
    entries = list(agreement.judicial_entries.all())
    assert [(e.status, e.court) for e in entries] == [
        (J.PENDING, "东湖区人民法院"),
        (J.PENDING, "西湖区人民法院"),
        (J.CONFIRMED, "西湖区人民法院"),
    ]
    assert entries[0] == first and entries[0].court == "东湖区人民法院"  # the first answer kept as it was
    assert agreement.judicial_confirmation == J.CONFIRMED and agreement.judicial_latest == entries[-1]
    assert [e.recorded_by for e in entries] == [mediator.user, mediator.user, centre]


def test_back_to_not_applied_needs_a_reason_and_reopens_the_window(client, walk, mediator, centre):
    case = walk(CaseStatus.AGREED)
    _apply(case, mediator.user)
    with pytest.raises(ValidationError) as refused:
        services.judicial_confirmation_record(fresh(case), actor=mediator.user, status=J.NOT_APPLIED)
    assert "note" in refused.value.message_dict
    assert JudicialConfirmationEntry.objects.filter(agreement__case=case).count() == 1  # nothing written
    services.judicial_confirmation_record(fresh(case), actor=mediator.user, status=J.NOT_APPLIED, note="当事人撤回申请")
    assert Agreement.objects.get(case=case).judicial_confirmation == J.NOT_APPLIED
    client.force_login(centre)
    assert [c.pk for c in client.get(QUEUE, {"tab": "judicial"}).context["rows"]] == [case.pk]


@pytest.mark.parametrize("persona", ["centre", "mediator"])
def test_the_case_page_shows_the_history_within_its_queries(
    client, roles, walk, mediator, persona, django_assert_max_num_queries
):
    case = walk(CaseStatus.AGREED)
    client.force_login(roles[persona])
    with django_assert_max_num_queries(8):
        body = client.get(reverse("mediation:case", args=[case.pk])).content.decode()
    assert "尚无司法确认记录" in body
    _apply(case, mediator.user)
    for _i in range(5):
        _apply(case, mediator.user, court="西湖区人民法院", note="更正受理法院")
    with django_assert_max_num_queries(8):
        response = client.get(reverse("mediation:case", args=[case.pk]))
    body = response.content.decode()
    assert body.count("东湖区人民法院") == 2  # the history's first row and its timeline entry
    assert "更正受理法院" in body and "每次记录均予保留" in body


def test_the_web_form_appends_an_entry(client, walk, mediator):
    case = walk(CaseStatus.AGREED)
    client.force_login(mediator.user)
    url = reverse("mediation:record", args=[case.pk, "judicial"])
    today = timezone.localdate().isoformat()
    response = client.post(url, {"status": "pending", "applied_on": today, "court": "东湖区人民法院"})
    assert response.status_code == 302
    response = client.post(url, {"status": "not_applied", "applied_on": "", "court": "", "note": ""})
    assert response.status_code == 400 and "请说明原因" in response.content.decode()
    assert [e.status for e in JudicialConfirmationEntry.objects.filter(agreement__case=case)] == [J.PENDING]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_answers_recorded_before_are_rebuilt_as_entries(centre, mediator, grid):
    with_events = drive(CaseStatus.AGREED, centre=centre, lead=mediator, grid=grid)
    _apply(with_events, mediator.user)
    _apply(with_events, centre, status=J.REJECTED, answered_on=timezone.localdate())
    without_events = drive(CaseStatus.AGREED, centre=centre, lead=mediator, grid=grid)
    untouched = drive(CaseStatus.AGREED, centre=centre, lead=mediator, grid=grid)
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()  # every app: going back unapplied dependents elsewhere too
    executor.migrate([("mediation", "0006_record_corrections")])
    try:
        with connection.cursor() as cursor:
            # An answer written onto the agreement with no event, as a raw edit or an old import left it.
            cursor.execute("SET session_replication_role = replica")  # past the append-only trigger
            cursor.execute(
                "UPDATE mediation_agreement SET judicial_confirmation = 'confirmed', judicial_applied_on = %s,"
                " judicial_court = '南湖区人民法院', judicial_answered_on = %s WHERE case_id = %s",
                [dt.date(2025, 5, 6), dt.date(2025, 5, 20), without_events.pk],
            )
            cursor.execute("SET session_replication_role = DEFAULT")
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
        emit_post_migrate_signal(0, False, connection.alias)  # the new table's triggers, as migrate installs them
    rebuilt = list(JudicialConfirmationEntry.objects.filter(agreement__case=with_events))
    assert [(e.status, e.court, e.recorded_by_id) for e in rebuilt] == [
        (J.PENDING, "东湖区人民法院", mediator.user.pk),
        (J.REJECTED, "东湖区人民法院", centre.pk),
    ]
    [kept] = JudicialConfirmationEntry.objects.filter(agreement__case=without_events)
    assert (kept.status, kept.applied_on, kept.court, kept.answered_on) == (
        J.CONFIRMED,
        dt.date(2025, 5, 6),
        "南湖区人民法院",
        dt.date(2025, 5, 20),
    )
    assert not JudicialConfirmationEntry.objects.filter(agreement__case=untouched).exists()
