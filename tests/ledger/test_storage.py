"""Ledger uploads live in the site's storage (Django's storage API), not in a process's var dir:
on the disk by default, in an S3-compatible bucket when one is configured (here a real local S3
server, moto's), kept until a worker has read them and removed once the import is recorded."""

import datetime as dt
import os
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from casework.models import DisputeCase
from config.storage import S3_BACKEND, storage_for
from ledger import jobs
from ledger.models import UPLOADS, LedgerImport
from tests import s3
from tests.ledger.conftest import agreed_row, login, xlsx


def upload_then_import(client, world, capture) -> tuple[LedgerImport, bytes, bytes]:
    login(client, world["centre"])
    source = xlsx([agreed_row(world)])
    with capture(execute=False):  # not queued: this test is the worker
        response = client.post(reverse("ledger:upload"), {"file": source, "mode": "all"})
    assert response.status_code == 302
    job = LedgerImport.objects.get()
    with default_storage.open(job.file.name, "rb") as stored:
        content = stored.read()
    with capture(execute=True):
        jobs.import_run(job.pk)
    job.refresh_from_db()
    return job, content, source.getvalue()


def test_an_upload_waits_in_the_storage_and_is_removed_once_imported(client, world, django_capture_on_commit_callbacks):
    job, stored, sent = upload_then_import(client, world, django_capture_on_commit_callbacks)
    assert stored == sent
    assert job.state == "done" and not job.file and DisputeCase.objects.count() == 1
    assert default_storage.listdir("ledger/uploads") == ([], [])


def test_uploads_go_to_an_s3_bucket_when_one_is_configured(
    client, world, settings, monkeypatch, tmp_path, django_capture_on_commit_callbacks
):
    with s3.s3_server(tmp_path / "s3.log") as endpoint:
        environ = s3.storage_settings(endpoint)
        for name, value in s3.CREDENTIALS.items():
            monkeypatch.setenv(name, value)
        settings.STORAGES = {**settings.STORAGES, "default": storage_for(environ)}
        assert settings.STORAGES["default"]["BACKEND"] == S3_BACKEND
        login(client, world["centre"])
        with django_capture_on_commit_callbacks(execute=False):
            response = client.post(reverse("ledger:upload"), {"file": xlsx([agreed_row(world)]), "mode": "all"})
        assert response.status_code == 302
        job = LedgerImport.objects.get()
        # In the bucket, under the upload's id, and nowhere on this machine's disk.
        assert s3.keys(endpoint) == [f"ledger/uploads/{job.pk}.xlsx"]
        assert not (tmp_path / "media").exists()
        with django_capture_on_commit_callbacks(execute=True):
            jobs.import_run(job.pk)
        job.refresh_from_db()
        assert job.state == "done" and DisputeCase.objects.count() == 1
        assert s3.keys(endpoint) == []


def test_a_file_store_that_cannot_be_reached_refuses_the_upload_saying_so(client, world, settings, monkeypatch):
    """Nothing listens at the store's address: a 503 with the reason on the form, no upload recorded."""
    for name, value in s3.CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    down = s3.storage_settings(f"http://127.0.0.1:{s3.free_port()}")
    settings.STORAGES = {**settings.STORAGES, "default": storage_for(down)}
    login(client, world["centre"])
    response = client.post(reverse("ledger:upload"), {"file": xlsx([agreed_row(world)]), "mode": "all"})
    assert response.status_code == 503
    assert "文件存储服务暂时无法连接" in response.content.decode()
    assert not LedgerImport.objects.exists() and not DisputeCase.objects.exists()


def test_the_sweep_removes_files_no_upload_waits_for_once_they_are_old(world):
    """A file whose removal failed, or whose upload's row was never written: gone once older than
    the sweep's horizon; the file of an upload still waiting, and a file just written, stay."""
    waiting = jobs.import_request(
        user=world["centre"], upload=xlsx([agreed_row(world)]), valid_only=False, dry_run=False
    )
    stray = default_storage.save(f"{UPLOADS}/stray.xlsx", ContentFile(b"PK"))
    default_storage.save(f"{UPLOADS}/fresh.xlsx", ContentFile(b"PK"))
    hour_ago = time.time() - 3600
    for name in (waiting.file.name, stray):
        os.utime(default_storage.path(name), (hour_ago, hour_ago))
    assert jobs.sweep_files(timezone.now() - dt.timedelta(minutes=10)) == [stray]
    assert sorted(default_storage.listdir(UPLOADS)[1]) == sorted(["fresh.xlsx", f"{waiting.pk}.xlsx"])
    assert jobs.import_sweep() == []  # the sweep of stuck uploads runs it too; nothing to send


@pytest.mark.parametrize("bucket", ["", "files"])
def test_storage_follows_the_environment(bucket):
    chosen = storage_for({"FENGQIAO_S3_BUCKET": bucket, "FENGQIAO_S3_ENDPOINT_URL": "http://minio:9000"})
    if bucket:
        assert chosen["BACKEND"] == S3_BACKEND
        assert chosen["OPTIONS"]["bucket_name"] == "files"
        assert chosen["OPTIONS"]["endpoint_url"] == "http://minio:9000"
    else:
        assert chosen == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
