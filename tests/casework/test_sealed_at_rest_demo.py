"""No table holds a party's plain ID number, phone or address after the demo seed, a registration
and a ledger import (a module of its own: the demo stays seeded for the whole module)."""

from types import SimpleNamespace

import pytest
from django.db import connection

from casework.models import Party
from grids.models import Grid, User
from ledger.importer import import_ledger
from tests.factories import party, register
from tests.ledger.conftest import bare_row, person_id, xlsx

ADDRESS = "南昌市东湖区八一大道357号"
LEDGER_ADDRESS = "南昌市西湖区系马桩街道88号"


def every_table_as_text() -> str:
    """Every row of every table of ours and of Django's, as PostgreSQL prints it."""
    texts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT t::text FROM {connection.ops.quote_name(table)} t")
            texts.extend(row[0] for row in cursor.fetchall())
    return "\n".join(texts)


@pytest.mark.django_db
def test_no_table_holds_a_plain_id_number_phone_or_address_after_seed_registration_and_import(demo):
    centre = User.objects.get(username="centre")
    grid = Grid.objects.filter(community__subdistrict=centre.subdistrict).select_related("community").first()
    register(
        centre,
        grid,
        parties=[
            party(id_number=person_id(7), phone="13712345678", address=ADDRESS),
            party("respondent", "李四", phone="13987654321"),
        ],
    )
    world = {"community": grid.community, "grid": grid, "mediator": SimpleNamespace(name="")}
    row = bare_row(world, "SEAL-1", 当事人=f"申请人:王五,13612340000,{person_id(8)},{LEDGER_ADDRESS}；被申请人:赵六")
    report = import_ledger(xlsx([row]), user=centre)
    assert report.created == 1, report.errors

    known = set()
    for p in Party.objects.all():
        known |= {p.id_number, p.phone, p.address} - {""}
    # The demo's people, the registration's and the ledger's: all there, read back in full.
    assert {person_id(7), "13712345678", ADDRESS, person_id(8), "13612340000", LEDGER_ADDRESS} <= known
    assert len(known) > 100
    everything = every_table_as_text()
    assert [value for value in known if value in everything] == []
    # The masked forms the pages and reports show are not what is looked for, but the names are plain.
    assert "王五" in everything
