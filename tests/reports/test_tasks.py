"""The tasks on a real worker over Redis (not eager): idempotent reports and the catch-up on start.

These tests commit: the worker reads through its own database connections.
"""

import datetime as dt

import pytest
from django.utils import timezone

from casework import tasks as case_tasks
from casework.enums import Risk
from common.models import Notice
from grids.models import SensitivePeriod
from reports import services, tasks
from reports.models import Snapshot
from tests.factories import SubdistrictFactory, register
from tests.reports.conftest import MARCH, SignallingWorkController, monthly_return, running_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def march_return(grid_worker, grid, sibling_grid):
    return monthly_return(
        grid_worker, grid, found=2, registered=1, at=timezone.make_aware(dt.datetime(2025, 3, 31, 17))
    )


def test_same_report_fired_three_times_twice_concurrently_once_redelivered_makes_one_version(
    march_return, celery_worker, subdistrict
):
    first = tasks.generate_report.delay(subdistrict.pk, "monthly", MARCH.isoformat())
    second = tasks.generate_report.delay(subdistrict.pk, "monthly", MARCH.isoformat())
    ids = {first.get(timeout=90), second.get(timeout=90)}
    # A redelivery carries the same task id as the original message; forget the stored
    # result so that waiting on it waits for the redelivered run.
    first.forget()
    redelivered = tasks.generate_report.apply_async(
        args=[subdistrict.pk, "monthly", MARCH.isoformat()], task_id=first.id
    )
    ids.add(redelivered.get(timeout=90))
    assert len(ids) == 1
    assert list(Snapshot.objects.filter(kind="monthly", period=MARCH).values_list("version", flat=True)) == [1]
    inspections = Snapshot.objects.get(pk=ids.pop()).figures["inspections"]
    assert (inspections["filed"], inspections["grids"], inspections["disputes_found"]) == (1, 2, 2)


def test_worker_start_catches_up_exactly_the_reports_missed_in_a_three_day_outage(transactional_db, monkeypatch):
    subdistrict = SubdistrictFactory()
    now = timezone.localtime()
    today = now.date()
    last_due = today if now.hour >= 18 else today - dt.timedelta(days=1)
    SensitivePeriod.objects.create(name="敏感期", start=today - dt.timedelta(days=8), end=today + dt.timedelta(days=3))
    before_outage = last_due - dt.timedelta(days=3)
    day = today - dt.timedelta(days=8)
    while day <= before_outage:
        services.report_ensure(subdistrict=subdistrict, kind="daily", period=day)
        day += dt.timedelta(days=1)
    for each, kind, period in services.reports_missing(timezone.now()):
        if kind == "monthly":
            services.report_ensure(subdistrict=each, kind=kind, period=period)
    expected = [last_due - dt.timedelta(days=n) for n in (2, 1, 0)]
    daily_before = Snapshot.objects.filter(kind="daily").count()

    with running_worker(monkeypatch, SignallingWorkController, concurrency=2):
        # The worker_ready signal queues the catch-up; nothing else is sent.
        assert wait_for(lambda: Snapshot.objects.filter(kind="daily").count() >= daily_before + 3, timeout=90)
        assert tasks.catch_up.delay().get(timeout=60) == []  # the hourly run after it finds nothing missing
    made = Snapshot.objects.filter(kind="daily", period__gt=before_outage).order_by("period")
    assert [s.period for s in made] == expected
    assert Snapshot.objects.filter(kind="daily").count() == daily_before + 3
    assert all(s.version == 1 for s in made)


def test_scheduled_tasks_run_on_the_worker(march_return, celery_worker):
    SensitivePeriod.objects.create(name="两会", start=dt.date(2025, 3, 10), end=dt.date(2025, 3, 12))
    evening = timezone.make_aware(dt.datetime(2025, 3, 11, 18, 0)).isoformat()
    first_of_april = timezone.make_aware(dt.datetime(2025, 4, 1, 8, 0)).isoformat()
    [daily_id] = tasks.daily_report.delay(evening).get(timeout=60)
    [monthly_id] = tasks.monthly_report.delay(first_of_april).get(timeout=60)
    assert Snapshot.objects.get(pk=daily_id).period == dt.date(2025, 3, 11)
    assert Snapshot.objects.get(pk=monthly_id).period == MARCH
    assert case_tasks.deadline_reminders.delay().get(timeout=60) >= 0


def test_registering_an_early_warning_case_notifies_the_centre_at_once(centre, grid, celery_worker):
    case = register(centre, grid, risk=Risk.MAJOR)  # commits; on commit the task is sent
    assert wait_for(lambda: Notice.objects.filter(case=case, kind="warning").exists(), timeout=60)
    assert list(Notice.objects.filter(case=case).values_list("user__username", flat=True)) == ["centre"]


def test_same_world_report_has_the_hand_counted_figures_on_the_worker(world, celery_worker, subdistrict):
    made = tasks.generate_report.delay(subdistrict.pk, "monthly", MARCH.isoformat()).get(timeout=90)
    snapshot = Snapshot.objects.get(pk=made)
    assert (snapshot.figures["totals"]["registered"], snapshot.figures["success_rate_period"]["agreed"]) == (6, 2)


def test_uploaded_ledger_is_imported_by_the_worker_while_its_page_shows_progress(centre, grid, mediator, celery_worker):
    """The upload page records the file and answers at once; a real worker imports it; the page,
    polled as htmx does, shows the rows done and then the report."""
    from django.test import Client
    from django.urls import reverse

    from casework.models import DisputeCase
    from tests.factories import PASSWORD
    from tests.ledger.conftest import agreed_row, xlsx

    world = {"community": grid.community, "grid": grid, "mediator": mediator}
    rows = [agreed_row(world, f"W-{n}", 当事人=f"申请人:甲{n},1380013{n:04d}") for n in range(300)]
    client = Client()
    assert client.login(username=centre.username, password=PASSWORD)
    response = client.post(reverse("ledger:upload"), {"file": xlsx(rows), "mode": "all"})
    assert response.status_code == 302
    seen = set()

    def finished():
        fragment = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
        seen.update(word for word in ("等待后台处理", "正在读取", "已处理") if word in fragment)
        return "已新建" in fragment

    assert wait_for(finished, timeout=90, interval=0.05)
    assert DisputeCase.objects.filter(external_ref__startswith="W-").count() == 300
    # At least one in-between state was on the page before the report (which one depends on timing).
    assert seen


def test_two_deliveries_of_one_upload_import_it_once(centre, grid, mediator):
    """A redelivered task while the first is still importing: the second waits on the upload's row
    and finds it done; the cases are written once and the record says what happened."""
    import threading

    from django.db import connection

    from casework.models import DisputeCase
    from ledger import jobs
    from tests.ledger.conftest import agreed_row, xlsx

    world = {"community": grid.community, "grid": grid, "mediator": mediator}
    rows = [agreed_row(world, f"D-{n}", 当事人=f"申请人:甲{n},1380013{n:04d}") for n in range(200)]
    job = jobs.import_request(user=centre, upload=xlsx(rows), valid_only=False, dry_run=False)
    failures = []

    def deliver():
        try:
            jobs.import_run(job.pk)
        except Exception as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == []
    job.refresh_from_db()
    assert job.state == "done" and job.report["written"] and job.error == ""
    assert sum(r["action"] == "create" for r in job.report["results"]) == 200
    assert DisputeCase.objects.filter(external_ref__startswith="D-").count() == 200
