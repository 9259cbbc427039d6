"""No table holds a party's plain ID number, phone or address after the demo seed, a registration,
a ledger import and a correction of a party's values (a module of its own: the demo stays seeded
for the whole module)."""

from types import SimpleNamespace

import pytest

from casework.models import DisputeCase, Party
from casework.selectors import search_cases
from grids.models import Grid, User
from ledger.importer import import_ledger
from tests.casework.test_sealed_at_rest import ADDRESS, LEDGER_ADDRESS, every_table_as_text
from tests.factories import party, register
from tests.ledger.conftest import bare_row, person_id, xlsx

CORRECTED_ADDRESS = "南昌市青山湖区京东大道1号"


@pytest.mark.django_db
def test_no_table_holds_a_plain_id_number_phone_or_address_after_seed_registration_import_and_correction(demo):
    centre = User.objects.get(username="centre")
    grid = Grid.objects.filter(community__subdistrict=centre.subdistrict).select_related("community").first()
    case = register(
        centre,
        grid,
        parties=[
            party(id_number=person_id(7), phone="13712345678", address=ADDRESS),
            party("respondent", "李四", phone="13987654321"),
        ],
    )
    # A correction: the respondent's values given wrong at intake, put right — by a model save (the
    # blind indexes follow) and by a queryset update (the address, which has no index).
    respondent = Party.objects.get(case=case, name="李四")
    respondent.phone, respondent.id_number = "13987650000", person_id(9)
    respondent.save()
    Party.objects.filter(pk=respondent.pk).update(address=CORRECTED_ADDRESS)
    every = DisputeCase.objects.all()
    assert list(search_cases(every, "13987650000")) == [case]
    assert list(search_cases(every, person_id(9))) == [case]
    assert list(search_cases(every, "13987654321")) == []
    world = {"community": grid.community, "grid": grid, "mediator": SimpleNamespace(name="")}
    row = bare_row(world, "SEAL-1", 当事人=f"申请人:王五,13612340000,{person_id(8)},{LEDGER_ADDRESS}；被申请人:赵六")
    report = import_ledger(xlsx([row]), user=centre)
    assert report.created == 1, report.errors

    known = set()
    for p in Party.objects.all():
        known |= {p.id_number, p.phone, p.address} - {""}
    # The demo's people, the registration's and the ledger's: all there, read back in full.
    assert {person_id(7), "13712345678", ADDRESS, person_id(8), "13612340000", LEDGER_ADDRESS} <= known
    assert {"13987650000", person_id(9), CORRECTED_ADDRESS} <= known and "13987654321" not in known
    assert len(known) > 100
    everything = every_table_as_text()
    # The value the correction replaced is looked for too: nothing keeps it (no history in plain text).
    assert [value for value in known | {"13987654321"} if value in everything] == []
    # The masked forms the pages and reports show are not what is looked for, but the names are plain.
    assert "王五" in everything
