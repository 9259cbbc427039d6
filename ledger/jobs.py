"""Ledger uploads imported in the background, so that a large file neither holds a web worker for
its whole import nor leaves the user without progress.

The upload page answers at once: it refuses only what the archive's directory shows (not an
.xlsx, over the reader's limits: a 400 with the reason, nothing recorded, nothing inflated),
records the upload (ledger.models.LedgerImport, its file in the site's storage: a bucket shared
by every machine in a deployment of several) and queues it; a worker reads it (the header
check included: a file that is not a ledger ends its upload with the reason, shown on the
import's page), runs `import_ledger` on it and keeps its report; the import's page shows the
rows done while it runs, then the report. Progress lives in the cache (shared by the web and the worker),
since the import's own rows are invisible to others until its transaction commits.

An upload is imported once: the run holds the upload's row locked for the whole import and
records the outcome in the same transaction, so a second delivery of the task waits and then
finds it done. A run cut short (the worker died) wrote nothing; the sweep sends the upload
again, at most MAX_ATTEMPTS runs in all, then ends it saying so. Deliveries that arrive together
make one run between them: only the one that begins it counts an attempt.
"""

import datetime as dt
import hashlib
import io
import logging
from collections.abc import Callable
from pathlib import PurePath

from celery import current_app
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import permissions
from common.refusals import NotPermitted
from common.workbook import inspect
from ledger.enums import ImportState
from ledger.models import UPLOADS, LedgerImport

from .importer import ImportReport, LedgerFileError, import_ledger

logger = logging.getLogger(__name__)

FINISHED = (ImportState.DONE, ImportState.FAILED)
MAX_ATTEMPTS = 3
# An unfinished upload older than this, and not being imported right now, is sent again by the sweep.
STALE_AFTER = dt.timedelta(minutes=10)
# The page tells the user the background service may be down when nothing has started by then.
SLOW_START = dt.timedelta(minutes=2)
PROGRESS_TTL = 24 * 3600
# Rows between two progress writes: the cache is written about a hundred times for a large file.
PROGRESS_STEP = 100


def _progress_key(job_id) -> str:
    return f"fengqiao:ledger-import:{job_id}"


class UploadNotStored(LedgerFileError):
    """The file store did not take the file (it is down or refuses): nothing is recorded, and the
    user is told to upload again later."""


def import_request(
    *, user, upload, sheet: str = "", valid_only: bool, dry_run: bool, queue: bool = True, at=None
) -> LedgerImport:
    """Record a ledger file and queue its import (`queue=False`: the caller runs it, as the
    import_ledger command does; `at`: when it was uploaded, now by default). Raises LedgerFileError
    (the file is not a ledger: nothing is recorded; UploadNotStored when the file store is down)
    or NotPermitted (not centre staff)."""
    if not permissions.is_own_centre_staff(user):
        raise NotPermitted(_("只有综治中心工作人员可以导入台账。"))
    content = upload.read()
    inspect(io.BytesIO(content))
    job = LedgerImport(
        subdistrict_id=user.subdistrict_id,
        requested_by=user,
        requested_at=at or timezone.now(),
        filename=(PurePath(getattr(upload, "name", "") or "ledger.xlsx").name)[:255],
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        sheet=sheet,
        valid_only=valid_only,
        dry_run=dry_run,
    )
    # Stored before the row is written: a recorded upload always names a file that exists.
    try:
        job.file.save(f"{job.pk}.xlsx", ContentFile(content), save=False)
    except Exception:
        logger.exception("ledger upload %s could not be stored", job.pk)
        raise UploadNotStored(_("文件存储服务暂时无法连接，本次上传未保存，请稍后重新上传。")) from None
    try:
        with transaction.atomic():
            job.save(force_insert=True)
            if queue:
                transaction.on_commit(lambda: _send(job.pk))
    except BaseException:
        _discard(job.file.name)
        raise
    return job


def _read(job: LedgerImport) -> bytes:
    """The upload's bytes, through the storage: the worker reading them may not be the machine that took them."""
    with job.file.open("rb") as stream:
        return stream.read()


def _discard(name: str) -> None:
    """Remove a file that is no longer needed; a storage that fails here leaves it behind, logged."""
    if not name:
        return
    try:
        default_storage.delete(name)
    except Exception:
        logger.exception("ledger upload %s could not be removed from storage", name)


def _send(job_id) -> bool:
    """Queue the import (by task name: ledger.tasks imports this module)."""
    try:
        current_app.send_task("ledger.tasks.ledger_import", args=[str(job_id)], ignore_result=True)
    except Exception:
        # The broker is unreachable: the upload ends now, saying so, rather than wait on its page for ever.
        logger.exception("ledger import %s could not be queued", job_id)
        _fail(job_id, _("后台服务暂时无法连接，本次上传未导入，请稍后重新上传。"))
        return False
    return True


def import_run(job_id, *, on_progress: Callable[[int, int], None] | None = None) -> LedgerImport:
    """Import a recorded upload (the worker's task, or the command itself); `on_progress(done, total)`
    is called for every row besides the progress kept for the import's page."""
    # The runs begun so far, as this delivery finds them before it waits for the upload's row.
    begun = LedgerImport.objects.filter(pk=job_id).values_list("attempts", flat=True).first()
    with transaction.atomic():
        # Waits while another delivery of the same upload is importing it, then finds it finished.
        job = LedgerImport.objects.select_for_update().get(pk=job_id)
        if job.state in FINISHED:
            return job
        if job.attempts == begun:
            if _out_of_attempts(job):
                return job
            job.attempts += 1
            job.state, job.started_at = ImportState.RUNNING, timezone.now()
            job.save(update_fields=["attempts", "state", "started_at"])
        # Otherwise another delivery began a run while this one waited for the row: that run is
        # alive (it has just committed its start) and this delivery is its duplicate, not a new
        # attempt; it waits below for that run's lock and finds the upload finished. Counted, two
        # deliveries arriving together (the broker's redelivery and the sweep, after a worker died)
        # would spend two attempts on one run.

    def progress(done, total):
        if done % PROGRESS_STEP == 0 or done == total:
            cache.set(_progress_key(job.pk), {"done": done, "total": total}, PROGRESS_TTL)
        if on_progress:
            on_progress(done, total)

    try:
        with transaction.atomic():
            # Only the upload's row is locked ("self"), not its uploader's: they may sign in meanwhile.
            job = LedgerImport.objects.select_for_update(of=("self",)).select_related("requested_by").get(pk=job_id)
            if job.state in FINISHED:
                return job
            # Set once the row is held: the fewer steps between a run's start and its lock, the
            # narrower the moment in which another delivery could take the run for a dead one.
            cache.set(_progress_key(job.pk), {"done": 0, "total": None}, PROGRESS_TTL)
            if job.requested_by.subdistrict_id != job.subdistrict_id:
                raise NotPermitted(_("上传人已不属于该街道，未导入。"))
            report = import_ledger(
                io.BytesIO(_read(job)),
                user=job.requested_by,
                sheet=job.sheet or None,
                dry_run=job.dry_run,
                valid_only=job.valid_only,
                progress=progress,
            )
            _finish(job, ImportState.DONE, report=report.as_data())
    except (LedgerFileError, NotPermitted) as exc:
        # The file was checked on upload and the user may have lost the role since: said, not retried.
        return _fail(job_id, exc.message)
    except Exception:
        # Anything else rolled the import back whole: the upload ends, saying so, and the error is logged.
        _fail(job_id, _("导入时发生系统错误，未写入任何数据。请联系系统管理员。"))
        raise
    return job


def _fail(job_id, error: str) -> LedgerImport:
    with transaction.atomic():
        job = LedgerImport.objects.select_for_update().get(pk=job_id)
        if job.state not in FINISHED:
            _finish(job, ImportState.FAILED, error=error)
    return job


def _out_of_attempts(job: LedgerImport) -> bool:
    """Ends an upload (locked by the caller) whose runs were all cut short; says whether it did."""
    if job.attempts < MAX_ATTEMPTS:
        return False
    _finish(job, ImportState.FAILED, error=_("多次尝试均未完成导入（后台任务中断），未写入任何数据。"))
    return True


def _finish(job: LedgerImport, state: str, *, report=None, error: str = "") -> None:
    """Record the outcome (inside the caller's transaction) and drop the file."""
    job.state, job.report, job.error = state, report or {}, error
    name, job.file = job.file.name, ""  # the cases (or the report) are what stays; the file was the user's
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "report", "error", "file", "finished_at"])

    def forget():
        cache.delete(_progress_key(job.pk))
        _discard(name)

    transaction.on_commit(forget)


def import_sweep(now: dt.datetime | None = None) -> list[str]:
    """Send again the uploads that should have finished and are not being imported (the worker that
    had them died, the broker lost them); end those that have had their attempts. Returns their ids."""
    stale = (now or timezone.now()) - STALE_AFTER
    resent = []
    ids = LedgerImport.objects.exclude(state__in=FINISHED).filter(requested_at__lt=stale).values_list("pk", flat=True)
    for job_id in ids:
        with transaction.atomic():
            # Locked: being imported right now, so not stuck.
            job = LedgerImport.objects.select_for_update(skip_locked=True).filter(pk=job_id).first()
            if job is None or job.state in FINISHED:
                continue
            if _out_of_attempts(job):
                continue
        if _send(job_id):
            resent.append(str(job_id))
    sweep_files(stale)
    return resent


def sweep_files(older_than: dt.datetime) -> list[str]:
    """Remove the files no upload is waiting for: left behind when the store was down as an import
    ended, or by an upload whose row was never written. Only files older than `older_than`: a
    younger one may belong to an upload whose row is not committed yet. Returns their names."""
    try:
        names = default_storage.listdir(UPLOADS)[1]
    except FileNotFoundError:
        return []
    waiting = {f"{pk}.xlsx" for pk in LedgerImport.objects.exclude(state__in=FINISHED).values_list("pk", flat=True)}
    removed = []
    for name in names:
        path = f"{UPLOADS}/{name}"
        if name not in waiting and default_storage.get_modified_time(path) < older_than:
            _discard(path)
            removed.append(path)
    return removed


def import_for(user, job_id) -> LedgerImport:
    """An upload, for the centre staff of its subdistrict (who uploaded it is not enough: roles change); else 404."""
    job = LedgerImport.objects.filter(pk=job_id).select_related("requested_by").first()
    if job is None or not permissions.is_centre_staff_for(user, job.subdistrict_id):
        raise Http404
    return job


def recent_imports(user, limit: int = 10):
    return (
        LedgerImport.objects.filter(subdistrict_id=user.subdistrict_id)
        .select_related("requested_by")
        .defer("report")[:limit]
    )


def import_status(job: LedgerImport, now: dt.datetime | None = None) -> dict:
    """What the import's page shows: the rows done of the rows to import while it runs (total None
    while the file is read and checked), and whether it is slow to start."""
    progress = cache.get(_progress_key(job.pk)) if job.state not in FINISHED else None
    return {
        "running": progress is not None,
        "done": (progress or {}).get("done", 0),
        "total": (progress or {}).get("total"),
        "slow": progress is None
        and job.state not in FINISHED
        and (now or timezone.now()) - job.requested_at > SLOW_START,
    }


def import_report(job: LedgerImport) -> ImportReport | None:
    return ImportReport.from_data(job.report) if job.state == ImportState.DONE else None
