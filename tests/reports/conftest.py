"""A hand-countable world for the statistics: March 2025 in two communities.

| case | grid    | category | registered     | outcome              | follow-up        |
|------|---------|----------|----------------|----------------------|------------------|
| A    | grid    | neighbour| 03-03 10:00    | agreed 03-11 10:00   | 03-14, 4, done   |
| B    | sibling | family   | 03-05 10:00    | failed 03-25 10:00   |                  |
| C    | grid    | neighbour| 03-10 10:00    | agreed 04-02 10:00   |                  |
| D    | grid    | family   | 02-20 10:00    | agreed 03-20 10:00   | 03-25, 5, not yet|
| E    | other   | neighbour| 03-12 10:00    | reported (overdue)   |                  |
| F    | other   | neighbour| 03-15 10:00    | reported, major risk |                  |
| G    | grid    | neighbour| 03-20 10:00    | withdrawn 03-21      |                  |

A, B, D, C are mediated by `mediator`, except B (`other_mediator`).
"""

import contextlib
import datetime as dt
import time

import pytest
from celery import signals
from celery.contrib.testing.worker import TestWorkController, start_worker
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from casework import services as case_services
from casework.enums import Risk, Source
from config import delivery
from grids import services as grid_services
from grids.enums import Role
from mediation import services as mediation_services
from tests.factories import UserFactory, category, register
from tests.workflow import drive

MARCH = dt.date(2025, 3, 1)


def at(month: int, day: int, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2025, month, day, hour, 0))


def follow_up(case, mediator, day: dt.date, satisfaction: int, performed: bool):
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(15, 0)))
    mediation_services.follow_up_record(
        case, actor=mediator.user, date=day, performed=performed, satisfaction=satisfaction, at=moment
    )


@pytest.fixture
def other_grid_worker(other_grid):
    return UserFactory(username="gridworker2", full_name="钱网格", roles=[Role.GRID_WORKER], grids=[other_grid])


# name, grid, category, registered (month, day), concluded (month, day), outcome, mediator, extra
MEDIATED = [
    ("A", "grid", "neighbour", (3, 3), (3, 11), "agreed", "mediator", {}),
    ("B", "sibling_grid", "family", (3, 5), (3, 25), "failed", "other_mediator", {"source": Source.WALK_IN}),
    ("C", "grid", "neighbour", (3, 10), (4, 2), "agreed", "mediator", {}),
    ("D", "grid", "family", (2, 20), (3, 20), "agreed", "mediator", {}),
]


@pytest.fixture
def world(centre, mediator, other_mediator, grid, sibling_grid, other_grid):
    people = {"mediator": mediator, "other_mediator": other_mediator}
    grids = {"grid": grid, "sibling_grid": sibling_grid}
    cases = {}
    for name, grid_key, code, registered, concluded, outcome, mediator_key, extra in MEDIATED:
        cases[name] = drive(
            outcome,
            centre=centre,
            lead=people[mediator_key],
            grid=grids[grid_key],
            at=at(*registered),
            concluded=at(*concluded),
            category=category(code),
            **extra,
        )
    neighbour = category("neighbour")
    cases["E"] = register(centre, other_grid, category=neighbour, at=at(3, 12), source=Source.HOTLINE)
    cases["F"] = register(centre, other_grid, category=neighbour, at=at(3, 15), risk=Risk.MAJOR)
    cases["G"] = register(centre, grid, category=neighbour, at=at(3, 20))
    case_services.case_withdraw(cases["G"], actor=centre, reason="已和解", by="party", at=at(3, 21))
    follow_up(cases["A"], mediator, dt.date(2025, 3, 14), 4, True)
    follow_up(cases["D"], mediator, dt.date(2025, 3, 25), 5, False)
    for case in cases.values():
        case.refresh_from_db()
    return cases


def file_return(worker, grid, *, kind: str, period, found: int, registered: int = 0, at=None):
    """File a screening return through the service; found == 0 is a zero report."""
    return grid_services.inspection_file(
        actor=worker,
        grid=grid,
        kind=kind,
        period=period,
        disputes_found=found,
        cases_registered=registered,
        zero_report=found == 0,
        at=at,
    )


def monthly_return(worker, grid, *, found: int, registered: int = 0, period=MARCH, at=None):
    return file_return(worker, grid, kind="monthly", period=period, found=found, registered=registered, at=at)


def daily_zero_return(worker, grid, day, *, at=None):
    """A zero report for one day (of a sensitive period)."""
    return file_return(worker, grid, kind="daily", period=day, found=0, at=at)


def _close_worker_connections():
    """Worker threads keep their own database connections; end them so the test database can be flushed."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


class SignallingWorkController(TestWorkController):
    """The test worker, announcing `worker_ready` as the `celery worker` command does on start."""

    def on_consumer_ready(self, consumer):
        signals.worker_ready.send(sender=consumer)
        super().on_consumer_ready(consumer)


@contextlib.contextmanager
def running_worker(monkeypatch, work_controller=TestWorkController, concurrency=4):
    """A real Celery worker (threads) on the broker of the settings: Redis, from REDIS_URL. Not eager mode."""
    from config.celery import app

    # Each task then closes its thread's connection when it ends.
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    assert settings.CELERY_BROKER_URL.startswith("redis://"), "worker tests run on Redis (REDIS_URL)"
    delivery.purge(app)  # messages queued (and recorded) by earlier tests that registered warning cases
    with start_worker(
        app,
        pool="threads",
        concurrency=concurrency,
        perform_ping_check=False,
        shutdown_timeout=30,
        WorkController=work_controller,
    ):
        yield app
    _close_worker_connections()


@pytest.fixture
def celery_worker(transactional_db, monkeypatch):
    with running_worker(monkeypatch) as app:
        yield app


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
