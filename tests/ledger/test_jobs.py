"""ledger.jobs: uploads recorded and imported in the background (the page, its progress, a
broker that cannot be reached, a stuck upload) and the import_ledger command, recorded alike."""

import datetime as dt
import io
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from casework.models import DisputeCase
from grids.enums import Role
from tests.factories import SubdistrictFactory, UserFactory
from tests.ledger.conftest import (
    agreed_row,
    login,
    realistic_ledger,
    xlsx,
)


def test_upload_page_refuses_everyone_but_centre_staff(
    client, world, community_staff, leader, grid_worker, administrator
):
    for user in (community_staff, leader, grid_worker, administrator, world["mediator"].user):
        login(client, user)
        assert client.get(reverse("ledger:upload")).status_code == 403
        response = client.post(reverse("ledger:upload"), {"file": xlsx([agreed_row(world)]), "mode": "all"})
        assert response.status_code == 403
    assert not DisputeCase.objects.exists()


def upload_and_import(client, data) -> str:
    """Post an upload; the worker's job (run here, in-process) imports it; the import's page afterwards."""
    from ledger import jobs
    from ledger.models import LedgerImport

    response = client.post(reverse("ledger:upload"), data)
    assert response.status_code == 302, response.content.decode()[:500]
    job = LedgerImport.objects.order_by("-requested_at").first()
    assert response["Location"] == reverse("ledger:import", args=[job.pk])
    jobs.import_run(job.pk)
    page = client.get(response["Location"])
    assert page.status_code == 200
    return page.content.decode()


def test_upload_page_dry_run_then_import(client, world):
    login(client, world["centre"])
    assert client.get(reverse("ledger:upload")).status_code == 200
    source, numbers, _bad = realistic_ledger(world)
    page = upload_and_import(client, {"file": source, "mode": "valid", "dry_run": "on"})
    assert "试导入" in page and "不在本街道" in page and f"<td>{numbers['BAD-02']}</td>" in page
    assert not DisputeCase.objects.exists()
    source, _numbers, _bad = realistic_ledger(world)
    page = upload_and_import(client, {"file": source, "mode": "all"})
    assert "未导入" in page and not DisputeCase.objects.exists()
    source, _numbers, _bad = realistic_ledger(world)
    page = upload_and_import(client, {"file": source, "mode": "valid"})
    assert "已新建" in page and DisputeCase.objects.count() == 6
    # The uploads are on record (who, which file, how, what came of it); the files themselves are not kept.
    from ledger.models import LedgerImport

    jobs = LedgerImport.objects.order_by("requested_at")
    assert [(j.dry_run, j.valid_only, j.state, j.report["written"]) for j in jobs] == [
        (True, True, "done", False),
        (False, False, "done", False),
        (False, True, "done", True),
    ]
    assert all(not j.file and len(j.sha256) == 64 and j.size > 0 for j in jobs)
    listing = client.get(reverse("ledger:upload")).content.decode()
    assert listing.count(reverse("ledger:import", args=[jobs[0].pk])) == 1


def test_import_page_shows_progress_and_only_to_whom_it_belongs(client, world, community_staff):
    from django.core.cache import cache

    from ledger import jobs
    from ledger.models import LedgerImport

    login(client, world["centre"])
    response = client.post(reverse("ledger:upload"), {"file": xlsx([agreed_row(world)]), "mode": "all"})
    job = LedgerImport.objects.get()
    assert job.state == "queued" and job.file.open("rb").read().startswith(b"PK")
    page = client.get(response["Location"]).content.decode()
    assert "等待后台处理" in page and 'hx-trigger="every 1s"' in page
    # What the worker's progress callback leaves in the shared cache while it imports.
    LedgerImport.objects.filter(pk=job.pk).update(state="running")
    cache.set(jobs._progress_key(job.pk), {"done": 100, "total": 250})
    assert "正在导入" in client.get(response["Location"]).content.decode()
    fragment = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "已处理 100 / 250 行" in fragment and "<html" not in fragment
    jobs.import_run(job.pk)
    fragment = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "已新建" in fragment and "every 1s" not in fragment
    assert jobs.import_run(job.pk).state == "done" and DisputeCase.objects.count() == 1  # redelivered: nothing
    # Another subdistrict's staff, or anyone else: no such page.
    other = UserFactory(
        username="centre-y", roles=[Role.CENTRE_STAFF], subdistrict=SubdistrictFactory(code="YY", name="另一街道")
    )
    for user in (community_staff, other, world["mediator"].user):
        login(client, user)
        assert client.get(response["Location"]).status_code == 404


def test_upload_that_cannot_be_queued_or_is_stuck_says_so_and_is_sent_again(
    client, world, django_capture_on_commit_callbacks
):
    from celery import Celery

    from config.celery import app
    from ledger import jobs
    from ledger.models import LedgerImport

    login(client, world["centre"])
    # A broker nobody listens on: the upload ends at once, saying so, and keeps no file.
    down = Celery("down", broker="redis://127.0.0.1:9/0", set_as_current=False)
    down.conf.broker_connection_retry = False
    down.conf.task_publish_retry = False
    down.set_current()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("ledger:upload"), {"file": xlsx([agreed_row(world)]), "mode": "all"})
    finally:
        app.set_current()
    job = LedgerImport.objects.get()
    assert job.state == "failed" and not job.file and "后台服务暂时无法连接" in job.error
    assert "后台服务暂时无法连接" in client.get(response["Location"]).content.decode()

    # An upload that has waited too long: the page says the background service may be down, and
    # the sweep sends it again, until its attempts are used up.
    stuck = jobs.import_request(
        user=world["centre"],
        upload=xlsx([agreed_row(world, "S-1")]),
        valid_only=False,
        dry_run=False,
        at=timezone.now() - dt.timedelta(minutes=15),
    )
    assert "后台处理迟迟没有开始" in client.get(reverse("ledger:import", args=[stuck.pk])).content.decode()
    assert jobs.import_sweep() == [str(stuck.pk)]
    LedgerImport.objects.filter(pk=stuck.pk).update(state="running", attempts=jobs.MAX_ATTEMPTS)
    assert jobs.import_sweep() == []
    stuck.refresh_from_db()
    assert stuck.state == "failed" and "多次尝试" in stuck.error and not stuck.file
    assert not DisputeCase.objects.exists()


def test_upload_page_rejects_bad_files_with_a_clear_message(client, world):
    """What the archive's directory shows is refused at once; the header is checked by the worker
    (the upload answers without reading the file) and its verdict shown on the import's page."""
    from ledger.models import LedgerImport

    login(client, world["centre"])
    cases = [
        (io.BytesIO(b"not a spreadsheet"), "ledger.xlsx", "无法读取文件"),
        (io.BytesIO("案件编号,登记日期".encode()), "ledger.csv", ".xlsx"),
    ]
    for content, name, message in cases:
        content.name = name
        response = client.post(reverse("ledger:upload"), {"file": content, "mode": "all"})
        assert response.status_code == 400, name
        assert message in response.content.decode(), (name, message)
    assert not LedgerImport.objects.exists()
    cases = [
        (xlsx([{"名字": "张三"}], headers=["名字", "电话", "地址"]), "未找到台账表头"),
        (xlsx([], headers=["案件编号", "登记日期", "社区", "网格"]), "缺少必填列"),
    ]
    for content, message in cases:
        page = upload_and_import(client, {"file": content, "mode": "all"})
        assert "未导入：" in page and message in page, message
    assert [j.state for j in LedgerImport.objects.all()] == ["failed", "failed"]
    assert not DisputeCase.objects.exists()


def test_import_ledger_command_modes_and_progress(tmp_path, world):
    source, _numbers, bad = realistic_ledger(world)
    path = tmp_path / "台账.xlsx"
    path.write_bytes(source.getvalue())
    out, err = io.StringIO(), io.StringIO()
    call_command("import_ledger", str(path), "--dry-run", "--user", world["centre"].username, stdout=out, stderr=err)
    assert "[15/15]" not in out.getvalue()  # dry run of all-or-nothing: only the good rows are replayed
    assert "[6/6]" in out.getvalue() and "试导入" in out.getvalue() and "第3行" not in err.getvalue()
    assert err.getvalue().count("错误") >= len(bad) and not DisputeCase.objects.exists()
    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command("import_ledger", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert not DisputeCase.objects.exists()
    out = io.StringIO()
    call_command("import_ledger", str(path), "--valid-only", "-v", "2", stdout=out, stderr=io.StringIO())
    assert DisputeCase.objects.count() == 6 and "第3行 TZ-001: create" in out.getvalue()
    with pytest.raises(CommandError, match="没有工作表"):
        call_command("import_ledger", str(path), "--sheet", "无此表", stdout=io.StringIO())
    # Recorded like uploads on the ledger page (a sheet that is no ledger too, as failed: the
    # worker reads the file, not the upload).
    from ledger.models import LedgerImport

    recorded = LedgerImport.objects.order_by("requested_at")
    assert [(j.filename, j.dry_run, j.valid_only, j.state, j.report.get("written")) for j in recorded] == [
        (path.name, True, False, "done", False),
        (path.name, False, False, "done", False),
        (path.name, False, True, "done", True),
        (path.name, False, False, "failed", None),
    ]


def test_import_ledger_command_needs_a_centre_user(tmp_path, world):
    UserFactory(username="centre2", roles=[Role.CENTRE_STAFF], subdistrict=world["centre"].subdistrict)
    path = tmp_path / "l.xlsx"
    path.write_bytes(xlsx([agreed_row(world)]).getvalue())
    with pytest.raises(CommandError, match="--user"):
        call_command("import_ledger", str(path), stdout=io.StringIO())
    with pytest.raises(CommandError, match="不存在"):
        call_command("import_ledger", str(path), "--user", "nobody", stdout=io.StringIO())
    UserFactory(username="someone", roles=[Role.COMMUNITY_STAFF], community=world["community"])
    with pytest.raises(CommandError, match="只有综治中心"):
        call_command("import_ledger", str(path), "--user", "someone", stdout=io.StringIO())
    assert not DisputeCase.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_deliveries_arriving_together_make_one_run_and_one_attempt(world):
    """The broker's redelivery and the sweep's resend of an upload arrive together: one imports it,
    the other waits and finds it done, and only the run counts against the upload's attempts."""
    import threading

    from ledger import jobs
    from ledger.models import LedgerImport

    job = jobs.import_request(
        user=world["centre"], upload=xlsx([agreed_row(world)]), valid_only=False, dry_run=False, queue=False
    )
    held, release = threading.Event(), threading.Event()
    outcomes = []

    def hold_the_row():
        # Stands for whatever holds the row while both deliveries reach it (a run's own start).
        try:
            with transaction.atomic():
                LedgerImport.objects.select_for_update().get(pk=job.pk)
                held.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    def deliver():
        try:
            outcomes.append(jobs.import_run(job.pk).state)
        except Exception as exc:  # shown by the assertion on the outcomes
            outcomes.append(repr(exc))
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    assert held.wait(timeout=30)
    deliveries = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in deliveries:
        thread.start()
    # Both deliveries wait on the row before it is let go.
    deadline = time.monotonic() + 30
    while waiting_on_locks() < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert waiting_on_locks() == 2
    release.set()
    for thread in (holder, *deliveries):
        thread.join(timeout=60)
    assert outcomes == ["done", "done"]
    job.refresh_from_db()
    assert job.state == "done" and job.attempts == 1 and job.report["written"]
    assert DisputeCase.objects.count() == 1


def waiting_on_locks() -> int:
    """Sessions of this database waiting for a lock another holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]
