"""ledger.importer and ledger.replay: the three modes (all or nothing, valid rows only, dry run),
re-import, refusals by the services, and the bulk writing that must leave what the services
leave row by row."""

import datetime as dt

import pytest
from django.utils import timezone

from casework.enums import CaseStatus
from casework.models import CaseEvent, DisputeCase, Party
from common.refusals import NotPermitted
from ledger.importer import LedgerFileError, import_ledger
from mediation.models import FollowUp, MediationSession
from reports.statistics import success_rate
from tests.factories import register
from tests.ledger.conftest import (
    agreed_row,
    bare_row,
    good_rows,
    person_id,
    realistic_ledger,
    timezone_date,
    xlsx,
)


def test_import_valid_only_writes_the_good_rows_in_their_states(world):
    source, _numbers, bad = realistic_ledger(world)
    report = import_ledger(source, user=world["centre"], valid_only=True)
    assert report.written and report.created == 6 and report.invalid == len(bad)
    cases = {c.external_ref: c for c in DisputeCase.objects.all()}
    assert set(cases) == {f"TZ-00{n}" for n in range(1, 7)}
    assert {ref: c.status for ref, c in cases.items()} == {
        "TZ-001": CaseStatus.CLOSED,
        "TZ-002": CaseStatus.FAILED,
        "TZ-003": CaseStatus.MEDIATING,
        "TZ-004": CaseStatus.DECLINED,
        "TZ-005": CaseStatus.WITHDRAWN,
        "TZ-006": CaseStatus.REPORTED,
    }
    agreed = cases["TZ-001"]
    assert agreed.outcome == "agreed" and agreed.agreement.terms.startswith("被申请人于十五日内")
    assert timezone_date(agreed.registered_at) == dt.date(2021, 3, 5)
    assert timezone_date(agreed.concluded_at) == dt.date(2021, 3, 10)
    assert timezone_date(agreed.closed_at) == dt.date(2021, 3, 26)
    assert agreed.lead_mediator == world["mediator"] and agreed.session_count == 2 and agreed.follow_up_count == 1
    parties = {(p.role, p.kind, p.name, p.phone, p.id_number) for p in agreed.parties.all()}
    assert parties == {
        ("applicant", "person", "张三", "13800138000", person_id(1)),
        ("respondent", "organisation", "某物业公司", "", ""),
    }
    assert cases["TZ-002"].fail_reason == "双方分歧较大。" and cases["TZ-002"].guidance == "litigation"
    assert timezone_date(cases["TZ-002"].concluded_at) == dt.date(2021, 4, 5)
    assert cases["TZ-004"].referral == "arbitration"
    assert cases["TZ-006"].grid == world["sibling_grid"]
    # Every step went through the services as an imported event, in historical order.
    events = CaseEvent.objects.filter(case=agreed).order_by("at", "id")
    assert [e.name for e in events] == [
        "register",
        "accept",
        "assign",
        "start",
        "session",
        "session",
        "reach_agreement",
        "follow_up",
        "close",
    ]
    assert all(e.imported and e.actor == world["centre"] for e in events)
    assert [e.at for e in events] == sorted(e.at for e in events)
    assert not CaseEvent.objects.filter(imported=False).exists()
    # Imported cases count in statistics like any other.
    rate = success_rate()
    assert (rate.concluded, rate.agreed) == (2, 1)


def test_import_dry_run_writes_nothing_but_reports_what_would_happen(world):
    source, _numbers, bad = realistic_ledger(world)
    counters = DisputeCase.objects.count(), CaseEvent.objects.count(), Party.objects.count()
    for valid_only in (False, True):
        source.seek(0)
        report = import_ledger(source, user=world["centre"], dry_run=True, valid_only=valid_only)
        assert not report.written and report.dry_run
        assert report.created == 6 and report.invalid == len(bad)
        assert {r.status for r in report.results if r.action == "create"} >= {CaseStatus.CLOSED, CaseStatus.FAILED}
        assert "试导入" in report.summary()
    assert (DisputeCase.objects.count(), CaseEvent.objects.count(), Party.objects.count()) == counters
    assert not MediationSession.objects.exists() and not FollowUp.objects.exists()


def test_import_dry_run_reports_what_the_services_refuse(world):
    # The mediator is a party: 回避 is the services' rule, found by replaying inside the rolled-back transaction.
    row = agreed_row(world, 当事人=f"申请人:{world['mediator'].name},13800138000；被申请人:李四")
    report = import_ledger(xlsx([row]), user=world["centre"], dry_run=True)
    assert [(p.row, p.column) for p in report.errors] == [(2, "调解员")]
    assert "回避" in report.errors[0].message and report.invalid == 1
    assert not DisputeCase.objects.exists()


def test_reimport_of_the_same_file_is_a_no_op(world):
    rows = good_rows(world)
    import_ledger(xlsx(rows), user=world["centre"])
    counts = DisputeCase.objects.count(), CaseEvent.objects.count(), Party.objects.count(), FollowUp.objects.count()
    report = import_ledger(xlsx(rows), user=world["centre"])
    assert report.skipped == 6 and report.created == 0 and not report.errors
    assert (
        DisputeCase.objects.count(),
        CaseEvent.objects.count(),
        Party.objects.count(),
        FollowUp.objects.count(),
    ) == counts


def test_import_refuses_a_missing_sheet_and_non_centre_users(world, community_staff):
    with pytest.raises(LedgerFileError, match="没有工作表"):
        import_ledger(xlsx([agreed_row(world)]), user=world["centre"], sheet="2022年")
    with pytest.raises(NotPermitted):
        import_ledger(xlsx([agreed_row(world)]), user=community_staff)


def test_import_valid_only_undoes_a_row_the_services_refuse_halfway(world):
    # The refusal (回避, at assignment) comes after the case was registered: the whole row is undone.
    conflict = agreed_row(world, "C-2", 当事人=f"申请人:{world['mediator'].name},13800138000；被申请人:李四")
    rows = [agreed_row(world, "C-1"), conflict, agreed_row(world, "C-3")]
    report = import_ledger(xlsx(rows), user=world["centre"], valid_only=True)
    assert report.written and report.created == 2 and [(p.row, p.column) for p in report.errors] == [(3, "调解员")]
    assert sorted(DisputeCase.objects.values_list("external_ref", flat=True)) == ["C-1", "C-3"]
    assert Party.objects.count() == 4 and not Party.objects.filter(name=world["mediator"].name).exists()
    assert CaseEvent.objects.count() == 2 * 9
    assert all(c.status == CaseStatus.CLOSED for c in DisputeCase.objects.all())


# Bulk writing: the import runs the services with their writes collected (casework.writes) and
# sent per table; it must leave exactly what the same services leave writing row by row.


def _fields(obj, ids: dict) -> dict:
    values = {}
    for f in obj._meta.concrete_fields:
        # The audit chain's links name the case ids too (the hash covers them).
        if f.attname in ("id", "case_id", "chain_hash"):
            continue
        value = getattr(obj, f.attname)
        if f.attname == "data":
            value = {k: ids.get((k, v), v) if isinstance(v, int) else v for k, v in value.items()}
        values[f.attname] = value
    return values


def _snapshot() -> list[dict]:
    """Every case with everything the services wrote for it, without the primary keys."""
    cases = DisputeCase.objects.order_by("number").prefetch_related(
        "parties", "events", "sessions", "follow_ups", "co_mediators"
    )
    snapshot = []
    for case in cases:
        sessions = sorted(case.sessions.all(), key=lambda s: s.pk)
        follow_ups = sorted(case.follow_ups.all(), key=lambda f: f.pk)
        # An event names its session or follow-up by key: compare by position instead.
        ids = {("session", s.pk): f"session#{n}" for n, s in enumerate(sessions)}
        ids |= {("follow_up", f.pk): f"follow_up#{n}" for n, f in enumerate(follow_ups)}
        agreement = getattr(case, "agreement", None)
        snapshot.append(
            {
                "case": _fields(case, ids),
                "co_mediators": sorted(m.pk for m in case.co_mediators.all()),
                "parties": [_fields(p, ids) for p in sorted(case.parties.all(), key=lambda p: p.pk)],
                "events": [_fields(e, ids) for e in sorted(case.events.all(), key=lambda e: e.pk)],
                "sessions": [_fields(s, ids) for s in sessions],
                "follow_ups": [_fields(f, ids) for f in follow_ups],
                "agreement": _fields(agreement, ids) if agreement else None,
            }
        )
    return snapshot


def _replay_row_by_row(source, user):
    """The same checked rows through the same services, each write sent as it is made."""
    from django.db import transaction

    from ledger.checks import Reference, RowChecker
    from ledger.importer import read_sheet
    from ledger.replay import replay

    checker = RowChecker(Reference(user.subdistrict), today=timezone.localdate())
    now = timezone.now()
    for row, cells in read_sheet(source).rows:
        plan, problems = checker.check(row, cells)
        assert plan is not None, problems
        with transaction.atomic():
            replay(plan, actor=user, now=now)


def repeat_ledger(world):
    """Every outcome, co-mediators, and parties met again: within this ledger and from an earlier case."""
    # The co-mediator named twice: one place on the case, as a live assignment gives.
    both = f"{world['mediator'].name}、{world['other_mediator'].name}、{world['other_mediator'].name}"
    return [
        *good_rows(world),
        agreed_row(world, "TZ-101", 调解员=both, 当事人="申请人:王五,13700137000；被申请人:赵六"),
        # Within twelve months of PRE-1 (phone 13600136000), and after it.
        bare_row(world, "TZ-102", 登记日期="2021-06-01", 当事人="申请人:钱七,13600136000"),
        bare_row(world, "TZ-103", 登记日期="2022-09-01", 当事人="申请人:钱七,13600136000"),
        # Before PRE-1 was registered: not a repeat of it.
        bare_row(world, "TZ-104", 登记日期="2020-12-01", 当事人="申请人:孙八,13600136000"),
    ]


def test_bulk_import_leaves_what_the_services_leave_row_by_row(world):
    from django.db import transaction

    earlier = bare_row(world, "PRE-1", 登记日期="2021-01-10", 当事人="申请人:钱七,13600136000")
    assert import_ledger(xlsx([earlier]), user=world["centre"]).created == 1
    rows = repeat_ledger(world)
    with transaction.atomic():
        report = import_ledger(xlsx(rows), user=world["centre"])
        assert report.written and report.created == len(rows), report.errors
        bulk = _snapshot()
        transaction.set_rollback(True)
    _replay_row_by_row(xlsx(rows), world["centre"])
    one_by_one = _snapshot()
    assert len(bulk) == len(rows) + 1
    assert bulk == one_by_one
    # The repeat-dispute warning saw the earlier case, the ledger's own earlier rows, and nothing later.
    flagged = {c["case"]["external_ref"]: c["case"]["is_warning"] for c in bulk}
    assert flagged["TZ-102"] and flagged["TZ-002"] and not flagged["TZ-104"] and not flagged["TZ-101"]
    by_ref = {c["case"]["external_ref"]: c for c in bulk}
    assert by_ref["TZ-101"]["co_mediators"] == [world["other_mediator"].pk]
    assert by_ref["TZ-101"]["events"][-1]["data"] == {}  # closing
    assert [e["data"].get("session") for e in by_ref["TZ-101"]["events"] if e["name"] == "session"] == [
        "session#0",
        "session#1",
    ]


def test_bulk_import_numbers_follow_on_with_no_gap_for_a_refused_row(world):
    conflict = agreed_row(world, "C-2", 当事人=f"申请人:{world['mediator'].name},13800138000；被申请人:李四")
    import_ledger(xlsx([agreed_row(world, "C-0")]), user=world["centre"])
    report = import_ledger(
        xlsx([agreed_row(world, "C-1"), conflict, bare_row(world, "C-3", 登记日期="2022-01-04")]),
        user=world["centre"],
        valid_only=True,
    )
    assert report.created == 2
    numbers = dict(DisputeCase.objects.values_list("external_ref", "number"))
    assert numbers == {"C-0": "BHZ-2021-0001", "C-1": "BHZ-2021-0002", "C-3": "BHZ-2022-0001"}
    # A case registered live afterwards takes the next number: the counters were saved with the cases.
    live = register(world["centre"], world["grid"], at=dt.datetime(2021, 8, 2, 9, tzinfo=dt.UTC))
    assert live.number == "BHZ-2021-0003"


def test_bulk_import_queries_do_not_grow_with_the_rows(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(rows):
        with CaptureQueriesContext(connection) as captured:
            report = import_ledger(xlsx(rows), user=world["centre"])
        assert report.created == len(rows), report.errors
        return len(captured)

    small = queries([agreed_row(world, f"S-{n}", 当事人=f"申请人:甲{n},1380013{n:04d}") for n in range(5)])
    large = queries([agreed_row(world, f"L-{n}", 当事人=f"申请人:乙{n},1390013{n:04d}") for n in range(60)])
    # Reading the reference data, the preloads, one INSERT per table: 12 times the rows, a few more queries.
    assert small <= 40
    assert large <= small + 3
