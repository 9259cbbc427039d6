"""Parties' ID numbers, phones and addresses are sealed at rest: no table holds them in plain text
after the demo seed, a registration or a ledger import, and exact search still finds them."""

import base64

import pytest
from django.core.exceptions import FieldError
from django.db import connection
from django.db.models import F
from django.urls import reverse

from casework.models import DisputeCase, Party
from casework.selectors import prior_cases_of_parties, search_cases
from common.crypto import SealedDataError
from tests.factories import party, register
from tests.ledger.conftest import person_id

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
def test_the_columns_hold_the_key_id_beside_the_ciphertext(centre, grid):
    case = register(centre, grid, parties=[party(phone="13712345678", address=ADDRESS)])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number, phone, address, phone_index FROM casework_party WHERE case_id = %s", [case.pk]
        )
        id_number, phone, address, phone_index = cursor.fetchone()
    assert id_number == ""
    assert phone.startswith("k1$") and address.startswith("k1$")
    assert len(base64.b64decode(phone[3:])) == 12 + 11 + 16  # nonce, the 11 digits, the tag
    assert phone_index == Party.index_of("phone", "13712345678")


@pytest.mark.django_db
def test_a_wrong_key_fails_loudly_rather_than_show_garbage(centre, grid, settings):
    case = register(centre, grid, parties=[party(phone="13712345678")])
    wrong = base64.b64encode(b"w" * 16).decode()
    settings.FENGQIAO_FIELD_KEYS = settings.FENGQIAO_FIELD_KEYS.replace("k1:", f"k1:{wrong}\n#", 1)
    with pytest.raises(SealedDataError, match="configured key is wrong"):
        list(Party.objects.filter(case=case))


@pytest.mark.django_db
def test_a_ciphertext_moved_to_another_column_does_not_open(centre, grid):
    case = register(centre, grid, parties=[party(phone="13712345678", address=ADDRESS)])
    with connection.cursor() as cursor:
        cursor.execute("UPDATE casework_party SET address = phone WHERE case_id = %s", [case.pk])
    with pytest.raises(SealedDataError, match=r"casework\.party\.address"):
        Party.objects.get(case=case)


@pytest.mark.django_db
def test_sealed_fields_refuse_searches_other_than_the_blind_index():

    with pytest.raises(FieldError, match="blind index"):
        Party.objects.filter(phone="13712345678")
    with pytest.raises(FieldError, match="blind index"):
        Party.objects.filter(address__icontains="八一")
    assert list(Party.objects.exclude(phone="")) == []


@pytest.mark.django_db
def test_search_finds_a_full_id_number_or_phone_and_nothing_partial(centre, grid):
    target = register(centre, grid, parties=[party(id_number=person_id(7), phone="13712345678")])
    register(centre, grid, parties=[party(phone="13712340000")])
    every = DisputeCase.objects.all()
    assert list(search_cases(every, "13712345678")) == [target]
    assert list(search_cases(every, person_id(7).lower())) == [target]
    assert list(search_cases(every, "1371234")) == []
    assert list(search_cases(every, person_id(7)[:10])) == []
    prior = prior_cases_of_parties(id_numbers=[person_id(7)], phones=[], since=target.registered_at)
    assert list(prior) == [target]


@pytest.mark.django_db
def test_a_correction_by_update_or_bulk_update_moves_the_blind_index_with_the_value(centre, grid):
    first = register(centre, grid, parties=[party(phone="13712345678", id_number=person_id(1))])
    second = register(centre, grid, parties=[party(phone="13712340000")])
    every = DisputeCase.objects.all()
    Party.objects.filter(case=first).update(phone="13800001111", id_number=person_id(2))
    assert list(search_cases(every, "13800001111")) == [first]
    assert list(search_cases(every, person_id(2))) == [first]
    assert list(search_cases(every, "13712345678")) == list(search_cases(every, person_id(1))) == []
    corrected = Party.objects.get(case=second)
    corrected.phone = "13900002222"
    Party.objects.bulk_update([corrected], ["phone"])
    assert list(search_cases(every, "13900002222")) == [second]
    assert list(search_cases(every, "13712340000")) == []
    with pytest.raises(FieldError, match="update it with a value"):
        Party.objects.filter(case=second).update(phone=F("address"))


@pytest.mark.django_db
def test_queue_and_api_search_by_full_phone_within_scope(client, centre, grid, other_grid, community_staff):
    mine = register(centre, grid, parties=[party(phone="13712345678")])
    elsewhere = register(centre, other_grid, parties=[party(phone="13712345678")])
    client.force_login(centre)
    page = client.get(reverse("casework:queue"), {"q": "13712345678"}).content.decode()
    assert mine.number in page and elsewhere.number in page
    api = client.get("/api/v1/cases/", {"q": "13712345678"}).json()
    assert {c["number"] for c in api["results"]} == {mine.number, elsewhere.number}
    client.force_login(community_staff)
    page = client.get(reverse("casework:queue"), {"q": "13712345678"}).content.decode()
    assert mine.number in page and elsewhere.number not in page


@pytest.mark.django_db
def test_a_search_by_a_whole_phone_or_id_number_is_audited_like_a_reveal(client, centre, grid):
    from common.models import AuditEntry

    id_number = "11010519491231002X"
    case = register(centre, grid, parties=[party(phone="13712345678", id_number=id_number)])
    client.force_login(centre)
    searched = lambda: list(AuditEntry.objects.filter(action="personal_data_searched").order_by("id"))  # noqa: E731
    # Partial numbers, names and case numbers find as before and are not audited.
    for text in ("1371234", "张三", case.number):
        client.get(reverse("casework:queue"), {"q": text})
    client.get("/api/v1/cases/", {"q": "张三"})
    assert searched() == []
    page = client.get(reverse("casework:queue"), {"q": "13712345678"}).content.decode()
    assert case.number in page
    client.get("/api/v1/cases/", {"q": id_number.lower()})
    phone, id_search = searched()
    assert (phone.actor, phone.target, phone.detail["field"]) == (centre, "casework:queue", "phone")
    assert (id_search.target, id_search.detail["field"]) == ("api:cases", "id_number")
    # The audit keeps the number masked: a reader of the log learns no more than the queue shows.
    assert "13712345678" not in str(phone.detail) and phone.detail["value"].startswith("137")
    assert id_number not in str(id_search.detail).upper()
