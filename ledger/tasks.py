"""Celery tasks of the ledger: background imports of uploaded files, and the sweep for runs cut short."""

from celery import shared_task

from common.tasks import RETRY

from . import jobs


@shared_task(name="ledger.tasks.ledger_import", ignore_result=True, acks_late=True)
def ledger_import(job_id: str) -> None:
    """A ledger uploaded on the ledger page. Not retried: a failure ends the upload, saying so;
    a run cut short is sent again by the sweep."""
    jobs.import_run(job_id)


@shared_task(name="ledger.tasks.ledger_import_sweep", **RETRY)
def ledger_import_sweep() -> list[str]:
    return jobs.import_sweep()
