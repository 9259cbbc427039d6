"""Early warning (预警): major risk, a group dispute (≥ 5 parties), or a party who had another
case in the previous 12 months — matched by ID number or by phone."""

import datetime as dt

import pytest
from django.utils import timezone

from casework.enums import Risk, WarningReason
from casework.models import CaseEvent, DisputeCase
from tests.factories import party, register

W = WarningReason
ID_A = "11010519491231002X"
ID_B = "440524188001010014"


def _ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def test_normal_case_not_flagged(centre, grid):
    case = register(centre, grid)
    assert (case.is_warning, case.warning_reasons) == (False, [])
    assert not DisputeCase.objects.warning().exists()


def test_major_risk_flagged(centre, grid):
    case = register(centre, grid, risk=Risk.MAJOR)
    assert (case.is_warning, case.warning_reasons) == (True, [W.MAJOR_RISK])
    assert list(DisputeCase.objects.warning()) == [case]
    assert CaseEvent.objects.get(case=case).data == {"warning": [W.MAJOR_RISK]}


@pytest.mark.parametrize("risk", [Risk.NORMAL, Risk.ELEVATED])
def test_lower_risk_not_flagged(risk, centre, grid):
    assert not register(centre, grid, risk=risk).is_warning


@pytest.mark.parametrize(("count", "flagged"), [(4, False), (5, True), (8, True)])
def test_many_parties_flagged_from_five(count, flagged, centre, grid):
    parties = [party(name=f"申请人{n}") for n in range(count - 1)] + [
        party("respondent", "物业公司", kind="organisation")
    ]
    case = register(centre, grid, parties=parties)
    assert case.party_count == count
    assert (W.MANY_PARTIES in case.warning_reasons) is flagged
    assert case.is_warning is flagged


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        ({"id_number": ID_A}, {"id_number": ID_A}),
        ({"id_number": ID_A}, {"id_number": ID_A.lower()}),  # the same number, typed in lower case
        ({"phone": "13812345678"}, {"phone": "13812345678"}),
        ({"id_number": ID_A, "phone": "13812345678"}, {"id_number": ID_B, "phone": "13812345678"}),
    ],
)
def test_repeat_party_within_twelve_months_flagged(earlier, later, centre, grid):
    register(centre, grid, parties=[party(name="王五", **earlier)], at=_ago(200))
    # Another name for the same person does not hide them: the ID number or phone decides.
    case = register(centre, grid, parties=[party(name="王老五", **later), party("respondent", "赵六")])
    assert case.warning_reasons == [W.REPEAT]


def test_repeat_as_respondent_flagged(centre, grid):
    register(centre, grid, parties=[party(), party("respondent", "赵六", phone="13912345678")], at=_ago(30))
    case = register(centre, grid, parties=[party(name="赵六", phone="13912345678")])
    assert case.warning_reasons == [W.REPEAT]


def test_earlier_case_older_than_twelve_months_not_flagged(centre, grid):
    register(centre, grid, parties=[party(id_number=ID_A, phone="13812345678")], at=_ago(370))
    case = register(centre, grid, parties=[party(id_number=ID_A, phone="13812345678")])
    assert not case.is_warning


def test_different_people_not_flagged(centre, grid):
    register(centre, grid, parties=[party(id_number=ID_A, phone="13812345678")], at=_ago(10))
    case = register(centre, grid, parties=[party(id_number=ID_B, phone="13812345679")])
    assert not case.is_warning


def test_same_name_without_id_or_phone_not_flagged(centre, grid):
    # Names repeat among strangers (张三); without an ID number or phone there is no match.
    register(centre, grid, parties=[party()], at=_ago(10))
    assert not register(centre, grid, parties=[party()]).is_warning


def test_case_registered_later_does_not_flag_an_earlier_one(centre, grid):
    # A back-dated entry (a ledger import) is compared with what came before it, not after.
    register(centre, grid, parties=[party(id_number=ID_A)])
    case = register(centre, grid, parties=[party(id_number=ID_A)], at=_ago(60))
    assert not case.is_warning


def test_all_reasons_together(centre, grid):
    register(centre, grid, parties=[party(id_number=ID_A)], at=_ago(90))
    parties = [party(id_number=ID_A)] + [party("respondent", f"住户{n}") for n in range(5)]
    case = register(centre, grid, parties=parties, risk=Risk.MAJOR)
    assert case.warning_reasons == [W.MAJOR_RISK, W.MANY_PARTIES, W.REPEAT]
