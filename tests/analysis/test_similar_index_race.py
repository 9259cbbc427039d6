"""类案参考's index built by two indexers at once (the schedule's and a bench's, or two workers'):
in real threads on PostgreSQL. Apart from test_similar.py, whose module-wide demo holds a transaction
open that a transactional test cannot run inside."""

import threading

import pytest
from django.db import connection

from casework.models import DisputeCase
from reports.analysis.similar import index_concluded, tokens
from reports.models import SimilarDocument, SimilarTerm


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_indexers_at_once_index_each_case_once(concluded):
    """The schedule's indexer and a bench's (or two workers') may run together: neither fails on the
    other's rows, and no case's words are posted twice."""
    barrier = threading.Barrier(2)
    outcomes = [None, None]

    def run(index):
        try:
            barrier.wait(timeout=30)
            outcomes[index] = index_concluded(chunk=2)
        except Exception as exc:  # reported to the test
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(isinstance(o, int) for o in outcomes), outcomes
    assert sum(outcomes) == 4 == SimilarDocument.objects.count()
    expected = sum(len(set(tokens(case.description))) for case in DisputeCase.objects.concluded())
    assert SimilarTerm.objects.count() == expected
