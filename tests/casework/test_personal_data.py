"""Parties' personal data: ID numbers by their check digit (GB 11643), mainland mobiles, masking,
who sees them unmasked, and registration refusing bad party data while writing nothing."""

import pytest
from django.core.exceptions import ValidationError

from casework.enums import CaseStatus, Risk, Source
from casework.exceptions import CasePermissionDenied
from casework.models import CaseEvent, CaseNumberCounter, DisputeCase, Party
from casework.permissions import can_see_personal_data
from casework.personal_data import mask_id_number, mask_phone, validate_id_number, validate_mobile
from casework.services import case_register
from tests.factories import category, party

S = CaseStatus


@pytest.mark.parametrize(
    "value",
    [
        "11010519491231002X",  # the standard's own example, check character X
        "11010519491231002x",  # a lower-case x is the same number
        "440524188001010014",
        "360102199001011234"[:17] + "X",
        " 36010219900101123X ",
    ],
)
def test_id_number_valid(value):
    validate_id_number(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("110105194912310021", "id_checksum"),  # X expected
        ("440524188001010015", "id_checksum"),
        ("360102199001011234", "id_checksum"),
        ("11010519491231002", "id_format"),  # 17 characters
        ("11010519491231002X1", "id_format"),  # 19 characters
        ("110105491231002", "id_format"),  # the old 15-digit form
        ("1101051949123100XX", "id_format"),
        ("11010519491331002X", "id_birthdate"),  # month 13
        ("11010519490230002X", "id_birthdate"),  # 30 February
        ("11010519490100002X", "id_birthdate"),  # day 0
        ("11010529990101002X", "id_birthdate"),  # born in 2999
        ("", "id_format"),
    ],
)
def test_id_number_invalid(value, code):
    with pytest.raises(ValidationError) as refused:
        validate_id_number(value)
    assert refused.value.code == code


@pytest.mark.parametrize("value", ["13812345678", "19912345678", "15000000000", "17612345678"])
def test_mobile_valid(value):
    validate_mobile(value)


@pytest.mark.parametrize(
    "value",
    ["12812345678", "1381234567", "138123456789", "138-1234-5678", "079186001234", "+8613812345678", "", "1381234567a"],
)
def test_mobile_invalid(value):
    with pytest.raises(ValidationError):
        validate_mobile(value)


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("") == ""


def test_mask_id_number():
    assert mask_id_number("360102199001011234") == "3601**********1234"
    assert mask_id_number("11010519491231002X") == "1101**********002X"
    assert mask_id_number("") == ""


def test_party_masked_properties():
    row = Party(name="张三", phone="13812345678", id_number="11010519491231002X")
    assert (row.masked_phone, row.masked_id_number) == ("138****5678", "1101**********002X")


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("centre", True),
        ("lead", True),
        ("co", True),
        ("leader", False),
        ("community", False),
        ("other_community", False),
        ("gridworker", False),
        ("unrelated_mediator", False),
        ("admin", False),
    ],
)
def test_personal_data_unmasked_only_for_centre_and_case_mediators(role, sees, cast, case_at):
    case = case_at(S.ASSIGNED)
    assert can_see_personal_data(cast[role], case) is sees


# Registration refuses bad party data, says which field, and writes nothing


def _register(actor, grid, parties):
    return case_register(
        actor=actor,
        grid=grid,
        category=category(),
        source=Source.WALK_IN,
        risk=Risk.NORMAL,
        description="邻里噪音纠纷",
        parties=parties,
    )


def _table_counts():
    return (
        DisputeCase.objects.count(),
        Party.objects.count(),
        CaseEvent.objects.count(),
        list(CaseNumberCounter.objects.values_list("last_number", flat=True)),
    )


@pytest.mark.parametrize(
    ("parties", "key", "fragment"),
    [
        ([party(id_number="110105194912310021")], "parties[0]", "校验码"),
        ([party(phone="12345")], "parties[0]", "手机号码"),
        ([party(), party("respondent", "李四", id_number="11010519491331002X")], "parties[1]", "出生日期"),
        ([party(name="  ")], "parties[0]", "name"),
        ([party(role="judge")], "parties[0]", "role"),
        ([party(kind="robot")], "parties[0]", "kind"),
        ([], "parties", "至少需要一名当事人"),
        ([party("respondent", "李四")], "parties", "申请人"),
    ],
)
def test_register_bad_party_refused_with_field_message(parties, key, fragment, centre, grid):
    _register(centre, grid, [party()])  # the counter exists, so "nothing written" covers it too
    before = _table_counts()
    with pytest.raises(ValidationError) as refused:
        _register(centre, grid, parties)
    messages = refused.value.message_dict
    assert key in messages
    assert any(fragment in message for message in messages[key])
    assert _table_counts() == before


def test_register_stores_normalised_party_data(centre, grid):
    case = _register(centre, grid, [party(id_number=" 11010519491231002x ", phone=" 13812345678 ")])
    stored = case.parties.get()
    assert (stored.id_number, stored.phone) == ("11010519491231002X", "13812345678")


def test_register_outside_own_grid_denied(grid_worker, other_grid):
    before = _table_counts()
    with pytest.raises(CasePermissionDenied):
        _register(grid_worker, other_grid, [party()])
    assert _table_counts() == before
