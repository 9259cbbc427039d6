"""The case page's prepared reads (common.prepared) load exactly what the ORM's own select_related
and prefetches load, for every persona and state, and keep the visibility scope as it is: a
case outside a user's scope is not found, whatever scope was compiled before."""

import datetime as dt

import pytest
from django.db.models import Prefetch
from django.utils import timezone

from casework.enums import CaseStatus as S
from casework.models import DisputeCase, SupervisionOrder
from casework.selectors import cases_visible_to
from casework.supervision import supervision_answer, supervision_issue
from common.prepared import attached_as
from grids.enums import Role
from mediation import corrections, services
from mediation.enums import JudicialConfirmation
from mediation.selectors import CASE_LISTS, case_page, case_page_related
from tests.factories import party, register
from tests.workflow import drive, fresh

pytestmark = pytest.mark.django_db


def loaded(obj, path=()):
    """Everything loaded on a model instance: its fields, the rows joined to it and the lists read
    with it, each the same way (a row met again on the way down is named, not walked)."""
    if obj is None:
        return None
    name = (type(obj).__name__, obj.pk)
    if name in path:
        return ("again", name)
    path = (*path, name)
    fields = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
    joined = {
        f.name: loaded(f.get_cached_value(obj), path)
        for f in obj._meta.get_fields()
        if (f.many_to_one or f.one_to_one) and f.is_cached(obj)
    }
    prefix = attached_as("")
    lists = {
        key: [loaded(row, path) for row in rows] for key, rows in sorted(vars(obj).items()) if key.startswith(prefix)
    }
    return (name, fields, joined, lists)


def orm_case_page(user, pk, *, supervision=True):
    """The case page's rows as the ORM reads them, each statement built anew."""
    qs = case_page_related(cases_visible_to(user))
    if supervision:
        orders = SupervisionOrder.objects.select_related("issued_by", "answer__answered_by")
        qs = qs.prefetch_related(
            Prefetch("supervision_orders", queryset=orders, to_attr=attached_as("supervision_orders"))
        )
    return qs.get(pk=pk)


@pytest.fixture
def cases(centre, mediator, co_mediator, grid, district_staff):
    """A case in each state the page draws differently, with every kind of record on it."""
    made = {state: drive(state, centre=centre, lead=mediator, co=co_mediator, grid=grid) for state in S}
    corrected = drive(
        S.AGREED,
        centre=centre,
        lead=mediator,
        co=co_mediator,
        grid=grid,
        follow_up=True,
        parties=[party(phone="13800138000", address="东湖路1号"), party("respondent", "李四")],
    )
    applicant = fresh(corrected).parties.get(role="applicant")
    first = corrections.correct(fresh(corrected), "party", applicant, actor=centre, reason="姓名错字", name="张叁")
    corrections.correct(fresh(corrected), "party", first, actor=centre, reason="仍有错字", name="张珊")
    session = fresh(corrected).sessions.get()
    corrections.correct(fresh(corrected), "session", session, actor=centre, reason="地点有误", location="会议室")
    follow_up = fresh(corrected).follow_ups.get()
    corrections.correct(fresh(corrected), "follow_up", follow_up, actor=centre, reason="误记", satisfaction=2)
    services.judicial_confirmation_record(
        fresh(corrected),
        actor=mediator.user,
        status=JudicialConfirmation.PENDING,
        applied_on=timezone.localdate(),
        court="东湖区人民法院",
    )
    made["corrected"] = corrected
    overdue = register(centre, grid, at=timezone.now() - dt.timedelta(days=21))
    answered = supervision_issue(overdue, actor=district_staff, instruction="三日内受理", working_days=3)
    supervision_answer(answered, actor=centre, text="已联系当事人")
    supervision_issue(fresh(overdue), actor=district_staff, instruction="再次督办", working_days=2)
    made["supervised"] = overdue
    return made


def test_the_prepared_reads_load_what_the_orm_loads(cases, roles, district_staff):
    for user in [*roles.values(), district_staff]:
        for case in cases.values():
            visible = cases_visible_to(user).filter(pk=case.pk).exists()
            if not visible:
                with pytest.raises(DisputeCase.DoesNotExist):
                    case_page(user, case.pk)
                continue
            for supervision in (True, False):
                expected = loaded(orm_case_page(user, case.pk, supervision=supervision))
                names = {*CASE_LISTS, "supervision_orders"} if supervision else set(CASE_LISTS)
                assert set(expected[3]) == {attached_as(name) for name in names}
                assert loaded(case_page(user, case.pk, supervision=supervision)) == expected, (user, case.status)


def test_a_compiled_scope_is_not_lent_to_another(centre, roles, mediator, walk, other_community_staff):
    case = walk(S.MEDIATING)
    assert case_page(centre, case.pk).pk == case.pk
    # Users of other scopes, each after a scope that does see the case was compiled.
    for outsider in (other_community_staff, roles["mediator2"]):
        with pytest.raises(DisputeCase.DoesNotExist):
            case_page(outsider, case.pk)
        assert case_page(mediator.user, case.pk).pk == case.pk
    # A user whose roles change is read under the scope they have now.
    grid_worker = roles["gridworker"]
    assert case_page(grid_worker, case.pk).pk == case.pk
    grid_worker.roles = [Role.LEADER]
    grid_worker.subdistrict = None
    with pytest.raises(DisputeCase.DoesNotExist):
        case_page(grid_worker, case.pk)
    grid_worker.is_active = False
    with pytest.raises(DisputeCase.DoesNotExist):
        case_page(grid_worker, case.pk)
