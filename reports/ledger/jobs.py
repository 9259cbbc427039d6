"""Ledger uploads imported in the background, so that a large file neither holds a web worker for
its whole import nor leaves the user without progress.

The upload page checks the file as a whole at once (not an .xlsx, no ledger header: a 400 with
the reason, nothing recorded), records the upload (reports.models.LedgerImport) and queues it;
a worker runs `import_ledger` on it and keeps its report; the import's page shows the rows done
while it runs, then the report. Progress lives in the cache (shared by the web and the worker),
since the import's own rows are invisible to others until its transaction commits.
"""

import hashlib
import io

from celery import current_app
from django.core.cache import cache
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import permissions
from reports.enums import ImportState
from reports.models import LedgerImport

from .importer import ImportReport, LedgerFileError, check_file, import_ledger

PROGRESS_TTL = 24 * 3600
# Rows between two progress writes: the cache is written about a hundred times for a large file.
PROGRESS_STEP = 100


def _progress_key(job_id) -> str:
    return f"fengqiao:ledger-import:{job_id}"


def can_import(user) -> bool:
    return bool(user.subdistrict_id and permissions.is_centre_staff_for(user, user.subdistrict_id))


def import_request(*, user, upload, sheet: str = "", valid_only: bool, dry_run: bool) -> LedgerImport:
    """Record an uploaded ledger and queue its import. Raises LedgerFileError (the file is not a
    ledger: nothing is recorded) or PermissionError (not centre staff)."""
    if not can_import(user):
        raise PermissionError("centre staff only")
    content = upload.read()
    check_file(io.BytesIO(content), sheet or None)
    with transaction.atomic():
        job = LedgerImport.objects.create(
            subdistrict_id=user.subdistrict_id,
            requested_by=user,
            requested_at=timezone.now(),
            filename=(getattr(upload, "name", "") or "ledger.xlsx")[:255],
            sha256=hashlib.sha256(content).hexdigest(),
            size=len(content),
            content=content,
            sheet=sheet,
            valid_only=valid_only,
            dry_run=dry_run,
        )
        # By name: reports.tasks imports this module. Robust: a broker that is down leaves the
        # upload queued (its page says so), it does not fail the request.
        transaction.on_commit(
            lambda: current_app.send_task("reports.tasks.ledger_import", args=[str(job.pk)], ignore_result=True),
            robust=True,
        )
    return job


def import_run(job_id) -> LedgerImport:
    """Import a recorded upload (the worker's task). Once done or failed it is not run again, so a
    redelivered message does nothing; a run cut short (a worker that died) wrote nothing and runs whole."""
    with transaction.atomic():
        job = LedgerImport.objects.select_for_update().get(pk=job_id)
        if job.state in (ImportState.DONE, ImportState.FAILED):
            return job
        job.state = ImportState.RUNNING
        job.save(update_fields=["state"])
    key = _progress_key(job.pk)
    cache.set(key, {"done": 0, "total": None}, PROGRESS_TTL)

    def progress(done, total):
        if done % PROGRESS_STEP == 0 or done == total:
            cache.set(key, {"done": done, "total": total}, PROGRESS_TTL)

    try:
        report = import_ledger(
            io.BytesIO(bytes(job.content)),
            user=job.requested_by,
            sheet=job.sheet or None,
            dry_run=job.dry_run,
            valid_only=job.valid_only,
            progress=progress,
        )
    except (LedgerFileError, PermissionError) as exc:
        # The file was checked on upload and the user may have lost the role since: said, not retried.
        _finish(job, ImportState.FAILED, error=getattr(exc, "message", str(exc)))
    except Exception:
        # Anything else rolled the import back whole: the upload ends, saying so, and the error is logged.
        _finish(job, ImportState.FAILED, error=_("导入时发生系统错误，未写入任何数据。请联系系统管理员。"))
        raise
    else:
        _finish(job, ImportState.DONE, report=report.as_data())
    return job


def _finish(job: LedgerImport, state: str, *, report=None, error: str = "") -> None:
    job.state, job.report, job.error = state, report or {}, error
    job.content = None  # the cases (or the report) are what stays; the file was the user's
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "report", "error", "content", "finished_at"])
    cache.delete(_progress_key(job.pk))


def import_for(user, job_id) -> LedgerImport:
    """An upload the user may follow: their own, or their subdistrict's if they are its centre staff; else 404."""
    job = LedgerImport.objects.filter(pk=job_id).defer("content").first()
    if job is None or not (job.requested_by_id == user.pk or permissions.is_centre_staff_for(user, job.subdistrict_id)):
        raise Http404
    return job


def recent_imports(user, limit: int = 10):
    return (
        LedgerImport.objects.filter(subdistrict_id=user.subdistrict_id)
        .select_related("requested_by")
        .defer("content", "report")[:limit]
    )


def import_progress(job: LedgerImport) -> dict:
    """Rows done of rows to import, while it runs (total None while the file is being read and checked)."""
    return cache.get(_progress_key(job.pk)) or {"done": 0, "total": None}


def import_report(job: LedgerImport) -> ImportReport | None:
    return ImportReport.from_data(job.report) if job.state == ImportState.DONE else None
