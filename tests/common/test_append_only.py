"""Every record table is append-only in the database: a raw UPDATE of any recorded column and a raw
DELETE are refused on PostgreSQL (the suite's database) and on SQLite (`make run`, a database file
built by `manage.py migrate` as `make run` builds it), while the columns listed as current values may
change. The tables tried are the registry's (`common.append_only.PROTECTED`): a table protected later
is tried without being named here; a model that is neither protected nor exempted fails the suite."""

import datetime as dt
import decimal
import json
import sqlite3
import uuid
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from casework.models import Party
from casework.supervision import supervision_answer, supervision_issue
from common.append_only import PROTECTED, trigger_sql
from common.audit import audit
from common.fields import BlindIndexField, SealedField
from common.notices import notify
from grids import services as grid_services
from mediation import services as mediation_services
from reports.district import district_report_ensure
from reports.services import report_generate
from tests.factories import DistrictFactory, UserFactory, register
from tests.ledger.conftest import xlsx
from tests.sqlite_db import migrated_sqlite
from tests.workflow import drive, fresh

pytestmark = pytest.mark.django_db(transaction=False)

ROOT = Path(__file__).resolve().parents[2]

# Models of ours that are not records, each with why. A new model must be protected or listed here.
EXEMPT = {
    # Territory, people and the roster: reference data an administrator keeps current.
    "grids.District": "reference data",
    "grids.Subdistrict": "reference data",
    "grids.Community": "reference data (its boundary is redrawn)",
    "grids.Grid": "reference data (its boundary is redrawn)",
    "grids.User": "accounts: roles, contacts and passwords change; role changes are in the access audit",
    "grids.SensitivePeriod": "a setting of the calendar, edited by administrators",
    "grids.PasswordHistory": "a user's last few password hashes, rotated",
    "casework.Category": "reference data",
    "casework.CalendarDay": "the working-day calendar, reloaded when the holiday package is upgraded",
    "casework.CaseNumberCounter": "a counter",
    # The case itself is its current state; each change to it is an appended CaseEvent, and its
    # writes are conditional on its version.
    "casework.DisputeCase": "current state; every change is an appended event",
    "mediation.MediationOrganization": "the roster",
    "mediation.Mediator": "the roster (active, available)",
    "common.NoticePreference": "a user's setting",
    "api.ApiToken": "a credential, revoked by deletion",
    # 类案参考's index, derived from concluded cases and rebuilt at will.
    "reports.SimilarDocument": "a derived search index",
    "reports.SimilarTerm": "a derived search index",
    "reports.MonthlyCount": "derived counts kept by triggers on the cases, repaired by reconcile_summary",
}


# The columns each table lets an UPDATE change, reviewed: a column added to a table's list (to let a
# service rewrite what it recorded) fails here until it is listed with why. Tables not named: none.
MAY_CHANGE = {
    "common.Notice": ("read_at",),  # marked read; what was said, to whom, stays
    "common.NoticeDelivery": ("status", "attempts", "error", "reference", "sent_at"),  # the sending's progress
    "ledger.LedgerImport": ("state", "attempts", "started_at", "finished_at", "report", "error", "file"),  # the run
    "mediation.Agreement": ("judicial_confirmation",),  # mirrors the latest appended judicial entry
    # Sealed values and their blind indexes, written again (same meaning, new key) when keys rotate.
    "casework.Party": tuple(
        f.column for f in Party._meta.concrete_fields if isinstance(f, SealedField | BlindIndexField)
    ),
}


def test_the_columns_that_may_change_are_the_reviewed_ones():
    assert {label: cols for label, cols in PROTECTED.items() if cols} == MAY_CHANGE


def _own_models():
    base = Path(settings.BASE_DIR).resolve()
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if base in path.parents and ".venv" not in path.parts:
            yield from (m for m in config.get_models() if not m._meta.proxy and m._meta.managed)


def test_every_model_of_ours_is_protected_or_exempted_with_a_reason():
    exempt = EXEMPT
    labels = {m._meta.label for m in _own_models()}
    assert labels - set(PROTECTED) - set(exempt) == set(), "protect these or list them, with why, in EXEMPT"
    assert set(PROTECTED) & set(exempt) == set(), "protected and exempted at once"
    assert set(exempt) - labels == set(), "exempted models that do not exist"
    assert all(reason.strip() for reason in exempt.values())


@pytest.fixture
def records(centre, mediator, co_mediator, grid, grid_worker, client, subdistrict):
    """At least one row in every record table, written by the services."""
    from mediation.models import SessionParty

    case = drive("agreed", centre=centre, lead=mediator, co=co_mediator, grid=grid, follow_up=True)
    SessionParty.objects.create(
        session=case.sessions.first(), party=case.parties.first(), informed=True, informed_by="王立言"
    )
    today = timezone.localdate()
    mediation_services.judicial_confirmation_record(
        case, actor=mediator.user, status="pending", applied_on=today, court="东湖区人民法院"
    )
    mediation_services.conflict_declare(fresh(case), actor=centre, mediator=co_mediator, reason="事后发现系亲属")
    mediation_services.organization_conflict_declare(
        actor=centre, organization=mediator.organization, party_name="某公司", reason="常年法律顾问"
    )
    audit("login", actor=centre, username=centre.username, target="records")
    reader = UserFactory(username="reader", email="reader@example.org")  # a delivery by e-mail too
    notify([centre, reader], kind="report", key="records", text="月报已生成", link="/reports/")
    inspection = grid_services.inspection_file(
        actor=grid_worker,
        grid=grid,
        kind="monthly",
        period=today.replace(day=1),
        disputes_found=2,
        cases_registered=0,
        zero_report=False,
        notes="两起邻里纠纷",
    )
    grid_services.spot_resolution_add(
        actor=grid_worker, inspection=inspection, what="楼道堆物", place="3栋", resolved_by="网格员", resolved_on=today
    )
    report_generate(kind="monthly", period=today.replace(day=1), actor=centre)
    district = DistrictFactory()
    subdistrict.district = district
    subdistrict.save(update_fields=["district"])
    staff = UserFactory(username="district_staff", roles=["district_staff"], district=district)
    overdue = register(centre, grid, at=timezone.now() - dt.timedelta(days=21))
    order = supervision_issue(overdue, actor=staff, instruction="三日内受理", working_days=3)
    supervision_answer(order, actor=centre, text="已受理")
    district_report_ensure(district, today.replace(day=1))
    from ledger import jobs

    jobs.import_request(user=centre, upload=xlsx([]), valid_only=False, dry_run=True, queue=False)
    return case


def _a_row(model):
    row = model.objects.order_by("pk").first()
    assert row is not None, f"no {model._meta.label} row to try: add one to the `records` fixture"
    return row


def _recorded_fields(model, mutable):
    return [f for f in model._meta.concrete_fields if not f.primary_key and f.column not in mutable]


def _other_value(field, value):
    """A value of the field's type that differs from `value`."""
    if isinstance(field, models.ForeignKey):
        return (value or 0) + 1000
    if isinstance(field, models.GenericIPAddressField):
        return "10.9.9.9" if value != "10.9.9.9" else "10.9.9.8"
    if isinstance(field, models.JSONField):
        return {"改写": value}
    if isinstance(field, models.BooleanField):
        return not value
    if isinstance(field, models.DateTimeField):
        return (value or timezone.now()) + dt.timedelta(minutes=7)
    if isinstance(field, models.DateField):
        return (value or dt.date(2020, 1, 1)) + dt.timedelta(days=1)
    if isinstance(field, models.DecimalField):
        return (value or decimal.Decimal(0)) + 1
    if isinstance(field, models.IntegerField | models.FloatField):
        return (value or 0) + 1
    if isinstance(field, models.UUIDField):
        return uuid.uuid4()
    value = str(value or "")
    return value[:-1] + ("变" if value.endswith("改") else "改")  # the same length: within max_length


def _refused_pg(sql, params):
    with pytest.raises(DatabaseError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(refused.value)


def _refused_on_postgresql(label):
    model = apps.get_model(label)
    row, table, q = _a_row(model), model._meta.db_table, connection.ops.quote_name
    pk = model._meta.pk
    fields = _recorded_fields(model, PROTECTED[label])
    assert fields, f"{label}: nothing recorded"
    for field in fields:
        new = field.get_db_prep_save(_other_value(field, getattr(row, field.attname)), connection)
        message = _refused_pg(f"UPDATE {q(table)} SET {q(field.column)} = %s WHERE {q(pk.column)} = %s", [new, row.pk])
        assert "append-only" in message, f"{label}.{field.column}: {message}"
    message = _refused_pg(f"DELETE FROM {q(table)} WHERE {q(pk.column)} = %s", [row.pk])
    assert "append-only" in message
    assert model.objects.filter(pk=row.pk).exists()


# -- SQLite: the triggers `migrate` installs on `make run`'s database --------------------------


@pytest.fixture(scope="module")
def sqlite_db(tmp_path_factory):
    return migrated_sqlite(tmp_path_factory.mktemp("sqlite_var"))


def _sqlite_value(field, value):
    """`value` as Django stores it in SQLite."""
    if value is None:
        return None
    if isinstance(field, models.JSONField):
        return json.dumps(value, cls=field.encoder)
    if isinstance(field, models.UUIDField):
        return value.hex
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, dt.date | decimal.Decimal):
        return str(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, models.fields.files.FieldFile):
        return value.name
    return value


def _refused_on_sqlite(label, sqlite_db):
    model = apps.get_model(label)
    row, table = _a_row(model), model._meta.db_table
    fields, pk = model._meta.concrete_fields, model._meta.pk
    db = sqlite3.connect(sqlite_db)  # foreign keys not enforced: the row stands alone
    # What Django's SQLite connection gives its CHECK constraints (a monthly return starts on the 1st).
    db.create_function("django_date_extract", 2, lambda part, day: getattr(dt.date.fromisoformat(day), part))
    try:
        with db:
            columns = ", ".join(f'"{f.column}"' for f in fields)
            marks = ", ".join("?" for _ in fields)
            values = [_sqlite_value(f, getattr(row, f.attname)) for f in fields]
            db.execute(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', values)
        key = _sqlite_value(pk, row.pk)
        for field in _recorded_fields(model, PROTECTED[label]):
            new = _sqlite_value(field, _other_value(field, getattr(row, field.attname)))
            with pytest.raises(sqlite3.IntegrityError, match="append-only"), db:
                db.execute(f'UPDATE "{table}" SET "{field.column}" = ? WHERE "{pk.column}" = ?', [new, key])
        with pytest.raises(sqlite3.IntegrityError, match="append-only"), db:
            db.execute(f'DELETE FROM "{table}" WHERE "{pk.column}" = ?', [key])
        assert db.execute(f'SELECT COUNT(*) FROM "{table}" WHERE "{pk.column}" = ?', [key]).fetchone() == (1,)
        # The columns listed as current values may change.
        for column in PROTECTED[label]:
            field = next(f for f in fields if f.column == column)
            new = _sqlite_value(field, _other_value(field, getattr(row, field.attname)))
            with db:
                db.execute(f'UPDATE "{table}" SET "{column}" = ? WHERE "{pk.column}" = ?', [new, key])
    finally:
        db.close()


@pytest.mark.parametrize("label", sorted(PROTECTED))
def test_raw_update_of_any_recorded_column_and_delete_are_refused(records, sqlite_db, label):
    """A row written by the services: on PostgreSQL, and copied into `make run`'s SQLite database."""
    _refused_on_postgresql(label)
    _refused_on_sqlite(label, sqlite_db)


def test_the_judicial_answer_may_change_and_each_answer_is_appended(records, mediator):
    from casework.models import CaseEvent

    today = timezone.localdate()
    mediation_services.judicial_confirmation_record(
        fresh(records),
        actor=mediator.user,
        status="confirmed",
        applied_on=today,
        court="东湖区人民法院",
        answered_on=today,
    )
    events = CaseEvent.objects.filter(case=records, name="judicial_confirmation").order_by("id")
    assert [(e.data["from_status"], e.data["status"]) for e in events] == [
        ("not_applied", "pending"),
        ("pending", "confirmed"),
    ]
    assert events[1].data["court"] == "东湖区人民法院" and events[1].data["answered_on"] == today.isoformat()


def sqlite_table(columns):
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE TABLE t ({', '.join(columns)})")
    for statement in trigger_sql("sqlite", "t", columns, ("status",)):
        db.execute(statement)
    db.execute("INSERT INTO t VALUES (1, 'recorded', 'pending')")
    return db


def test_on_sqlite_the_same_rules_hold():
    db = sqlite_table(["id", "summary", "status"])
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE t SET summary = 'rewritten' WHERE id = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM t WHERE id = 1")
    # The listed current value may change; saving a row unchanged is no change.
    db.execute("UPDATE t SET status = 'confirmed' WHERE id = 1")
    db.execute("UPDATE t SET summary = 'recorded' WHERE id = 1")
    assert db.execute("SELECT summary, status FROM t").fetchall() == [("recorded", "confirmed")]


def test_on_postgresql_a_listed_column_may_change_and_an_unchanged_save_passes(records):
    from common.models import Notice

    notice = Notice.objects.filter(read_at__isnull=True).first()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE common_notice SET read_at = now() WHERE id = %s", [notice.pk])
    notice.refresh_from_db()
    notice.save()  # every column written back unchanged: allowed
    assert notice.read_at is not None
