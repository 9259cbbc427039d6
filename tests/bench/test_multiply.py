"""A large bench load made of copies of a small one (bench.multiply) is the same load again: the same
shape in the same territory, new ids and case numbers, an audit chain that holds and monthly counts
that agree with the cases."""

from collections import Counter

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from bench.generate import generate
from bench.multiply import multiply, restore_indexes, set_indexes_aside
from casework.models import CaseEvent, CaseNumberCounter, DisputeCase, Party
from common import chain
from reports import summary
from reports.models import MonthlyCount

BASE = 30


def shape(cases):
    return Counter(cases.values_list("subdistrict__code", "community_id", "category_id", "status", "registered_at"))


def indexes() -> set:
    with connection.cursor() as cursor:
        cursor.execute(
            # A partial index's condition reads back with its casts moved once built again: its columns
            # and whether it has one are what must not change.
            "SELECT indexrelid::regclass::text, split_part(pg_get_indexdef(indexrelid), ' WHERE ', 1), "
            "indpred IS NOT NULL FROM pg_index "
            "WHERE indrelid = ANY(%s::regclass[])",
            [["casework_disputecase", "casework_party", "casework_caseevent"]],
        )
        return set(cursor.fetchall())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_three_copies_of_a_load_are_the_load_three_times():
    before = indexes()
    loaded = generate(BASE * 2, base=BASE)  # one copy made, as a 10M load makes its many
    assert loaded["generated"]
    assert indexes() == before  # those set aside during the copies are built again
    multiply(BASE * 3, BASE)  # and resumed after it
    assert indexes() == before
    cases = DisputeCase.objects.filter(external_ref__startswith="bench-")
    base = cases.filter(pk__lte=BASE)
    assert cases.count() == 3 * BASE
    assert sorted(cases.values_list("pk", flat=True)) == list(range(1, 3 * BASE + 1))
    assert set(cases.values_list("external_ref", flat=True)) == {f"bench-{n}" for n in range(1, 3 * BASE + 1)}
    for k in (1, 2):
        copy = cases.filter(pk__gt=k * BASE, pk__lte=(k + 1) * BASE)
        assert shape(copy) == shape(base)
        assert Counter(Party.objects.filter(case__in=copy).values_list("role", "name", "phone_index")) == Counter(
            Party.objects.filter(case__in=base).values_list("role", "name", "phone_index")
        )
        events = CaseEvent.objects.filter(case__in=copy).order_by("chain_seq")
        base_events = CaseEvent.objects.filter(case__in=base).order_by("chain_seq")
        assert [(e.case_id - k * BASE, e.name, e.at, e.data) for e in events] == [
            (e.case_id, e.name, e.at, e.data) for e in base_events
        ]
    # Sealed values are copied as they are: the same key opens them.
    copied = Party.objects.filter(case_id=BASE + 1).order_by("pk").first()
    original = Party.objects.filter(case_id=1).order_by("pk").first()
    assert copied.phone == original.phone and copied.phone

    # Numbers stay unique and each subdistrict's yearly counter is past the last one given.
    numbers = list(cases.values_list("subdistrict_id", "year", "number"))
    assert len({n for *_, n in numbers}) == len(numbers)
    highest = Counter()
    for subdistrict, year, number in numbers:
        highest[subdistrict, year] = max(highest[subdistrict, year], int(number.rsplit("-", 1)[1]))
    counters = {(c.subdistrict_id, c.year): c.last_number for c in CaseNumberCounter.objects.all()}
    assert all(counters[key] >= last for key, last in highest.items())
    assert sum(highest.values()) == 3 * BASE  # numbered 1…n without gaps, per subdistrict and year

    assert not chain.verify(CaseEvent).broken
    assert chain.verify(CaseEvent).checked == CaseEvent.objects.count()
    assert summary.reconcile() == []
    registered = sum(MonthlyCount.objects.filter(measure="registered").values_list("count", flat=True))
    assert registered == 3 * BASE
    # The foreign key checks lifted during a copy are back on.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgisinternal AND tgenabled = 'D' "
            "AND tgrelid IN ('casework_disputecase'::regclass, 'casework_party'::regclass, "
            "'casework_caseevent'::regclass)"
        )
        assert cursor.fetchone()[0] == 0

    # Only whole copies of a base load that ends the table.
    with pytest.raises(SystemExit, match="not a multiple"):
        multiply(BASE * 4 + 1, BASE)
    with pytest.raises(SystemExit, match="not whole copies"):
        multiply(BASE * 7, 7)
    assert cases.count() == 3 * BASE
    # A load interrupted while its indexes were aside has them built again when it is next asked for.
    set_indexes_aside()
    try:
        assert indexes() < before
        generate(BASE * 3)
        assert indexes() == before
    finally:
        # Whatever failed above, the tests after this one keep the tables' indexes.
        restore_indexes()

    client = Client()
    client.force_login(loaded["centre"])
    assert client.get("/cases/?status=closed").status_code == 200
    case = cases.filter(subdistrict=loaded["centre"].subdistrict).order_by("-pk").first()
    assert case.pk > 2 * BASE  # one of the last copy's
    assert client.get(reverse(settings.FENGQIAO_CASE_URL_NAME, args=[case.pk])).status_code == 200
