"""类案参考: the ranking on known answers, the fragment's scope, and the labelled set on the demo."""

from django.utils import timezone

from casework.models import DisputeCase
from casework.selectors import cases_visible_to
from reports.analysis.similar import bm25_scores, evaluate, index_concluded, rank, related_codes, similar_cases, tokens
from reports.models import SimilarDocument, SimilarTerm


def candidate(pk, text, code="neighbour"):
    return {"pk": pk, "description": text, "category": code}


def test_tokens_are_words_without_punctuation_or_stopwords():
    words = tokens("楼上漏水，影响楼下住户的生活。")
    assert "漏水" in words and "楼下" in words and "，" not in words and "的" not in words


def test_bm25_prefers_the_document_sharing_the_rarer_words():
    docs = [tokens("楼上漏水影响楼下"), tokens("物业费上涨业主不满"), tokens("楼上装修噪音")]
    scores = bm25_scores(tokens("楼上漏水"), docs)
    assert scores[0] > scores[2] > scores[1] == 0


def test_the_same_category_is_preferred_among_equals_and_text_decides_otherwise():
    pool = [
        candidate(1, "楼上漏水影响楼下", "housing"),
        candidate(2, "楼上漏水影响楼下", "neighbour"),
        candidate(3, "拖欠工资", "neighbour"),
    ]
    assert [c["pk"] for c in rank("楼上漏水", "neighbour", pool)] == [2, 1, 3]
    assert related_codes("neighbour") >= {"housing", "property_mgmt"} and related_codes("family") == {"family"}


def test_the_fragment_lists_concluded_related_cases_in_scope(concluded, client, centre, django_assert_max_num_queries):
    client.force_login(centre)
    url = f"/analysis/similar/{concluded['query'].pk}/"
    with django_assert_max_num_queries(5):
        html = client.get(url).content.decode()
    numbers = [c.number for c in concluded["made"]]
    assert numbers[0] in html and numbers[1] in html and numbers[2] not in html  # labour is unrelated
    assert concluded["far"].number in html and "调解不成" in html  # the centre sees the other community
    assert html.index(numbers[0]) < html.index(numbers[1])  # the same category and the same words first
    assert concluded["query"].number not in html  # neither itself nor an open case


def test_the_fragment_keeps_to_the_readers_scope(concluded, client, community_staff, grid_worker, other_grid):
    client.force_login(community_staff)
    html = client.get(f"/analysis/similar/{concluded['query'].pk}/").content.decode()
    assert concluded["made"][0].number in html and concluded["far"].number not in html
    # A case the reader cannot see: 404, as everywhere.
    client.force_login(grid_worker)
    assert client.get(f"/analysis/similar/{concluded['far'].pk}/").status_code == 404


def test_the_index_finds_related_cases_that_are_not_among_the_latest(concluded, centre):
    scope, query = cases_visible_to(centre), concluded["query"]
    # Without the latest conclusions in the pool, only the index can find them: nothing before it is built.
    assert similar_cases(scope, query, recent=0) == []
    assert index_concluded() == 4
    found = [c["pk"] for c in similar_cases(scope, query, recent=0)]
    # Sharing 漏水 with the query: the neighbour case and the far one; 物业费上涨 shares no word.
    assert set(found[:2]) == {concluded["made"][0].pk, concluded["far"].pk} and concluded["made"][1].pk not in found
    assert concluded["made"][2].pk not in found  # labour: not a related category


def test_the_index_is_built_once_and_follows_a_case_concluded_again(concluded):
    assert index_concluded(chunk=2) == 4
    postings = SimilarTerm.objects.count()
    assert index_concluded() == 0 and SimilarTerm.objects.count() == postings
    again = concluded["made"][0]
    moment = timezone.now()
    DisputeCase.objects.filter(pk=again.pk).update(concluded_at=moment, description="楼上漏水又渗到楼下")
    assert index_concluded() == 1
    document = SimilarDocument.objects.get(case=again)
    assert document.concluded_at == moment and "渗到" in document.terms.split()
    assert set(SimilarTerm.objects.filter(document=document).values_list("concluded_at", flat=True)) == {moment}


def test_the_case_page_loads_the_fragment(concluded, client, centre):
    client.force_login(centre)
    html = client.get(f"/mediation/cases/{concluded['query'].pk}/").content.decode()
    assert f'hx-get="/analysis/similar/{concluded["query"].pk}/"' in html


def test_precision_on_the_labelled_set_over_the_demo(demo, db):
    """The figure in docs/analysis.md: every reachable relevant case is found for every query."""
    figures = evaluate(DisputeCase.objects.all())
    assert figures["text_only"]["queries"] >= 30
    assert figures["text_only"]["reachable_precision"] >= 0.95
    assert figures["page"]["precision"] >= 0.70
