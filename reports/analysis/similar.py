"""类案参考: the concluded cases most like this one, among those the reader may see.

Candidates are the concluded cases (agreed or failed) in the reader's scope of the same or a related
category: those sharing a word with the case's description, found through an inverted index
(SimilarTerm: the latest POSTINGS_PER_TERM postings of each word in the case's subdistrict, one
index range each; the INDEXED sharing the most words), and the RECENT most recently concluded ones
of the scope (so a reader who sees few cases still gets theirs). They are ranked by BM25 over the
descriptions, segmented by jieba (a maintained Chinese segmenter) once when indexed, plus a fixed
bonus for the very same category; the top five are shown with their outcome, the agreement's terms
or the guidance given on failure, and how long the case took. At a million cases the lookup reads a
few thousand index entries, not the cases: the cost does not grow with the table.
"""

import json
import math
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Subquery

from casework.enums import Guidance, Outcome
from casework.models import Category, DisputeCase
from reports.models import SimilarDocument, SimilarTerm

# Categories whose disputes resemble each other (by category code): where people live, harm to
# persons or property, money owed. A category not listed is related to itself only.
RELATED_GROUPS = [
    {"neighbour", "property_mgmt", "housing", "demolition"},
    {"damages", "traffic", "medical"},
    {"contract", "consumer", "labour"},
]
CANDIDATES = 1000
POSTINGS_PER_TERM = 200
RECENT = 100
QUERY_TERMS = 16
# Of the cases the index finds, those sharing the most of the case's words are ranked (BM25 over
# the rest would cost more than it could change: they share one common word at most).
INDEXED = 150
TOP = 5
SAME_CATEGORY_BONUS = 0.3  # on top of a BM25 score scaled to 0–1 within the candidates
K1, B = 1.2, 0.75
STOPWORDS = frozenset(
    "的 了 和 与 及 并 在 是 对 就 将 被 为 因 其 该 之 等 或 也 都 有 无 于 由 向 把 一 个".split()
    + "要求 发生 双方 一方 进行".split()
)
_WORD = re.compile(r"\w", re.UNICODE)


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(60)  # the dictionary's loading chatter
    jieba.initialize()
    return jieba


@lru_cache(maxsize=50_000)
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(w for w in _jieba().lcut_for_search(text) if _WORD.match(w) and w not in STOPWORDS)


def tokens(text: str) -> list[str]:
    """Words of a description: jieba's search-mode segmentation, less punctuation and stopwords.
    Memoised per process: a concluded case's description does not change, and segmenting is the
    lookup's main cost."""
    return list(_tokens(text or ""))


def related_codes(code: str) -> set[str]:
    for group in RELATED_GROUPS:
        if code in group:
            return set(group)
    return {code}


def bm25_scores(query: list[str], documents: list[list[str]]) -> list[float]:
    """Okapi BM25 of each document for the query, with the documents themselves as the corpus."""
    n = len(documents)
    if not n or not query:
        return [0.0] * n
    average = sum(len(d) for d in documents) / n or 1.0
    frequency = Counter()
    for document in documents:
        frequency.update(set(document))
    idf = {t: math.log(1 + (n - frequency[t] + 0.5) / (frequency[t] + 0.5)) for t in set(query)}
    scores = []
    for document in documents:
        counts = Counter(document)
        norm = K1 * (1 - B + B * len(document) / average)
        scores.append(sum(idf[t] * counts[t] * (K1 + 1) / (counts[t] + norm) for t in query if counts[t]))
    return scores


def rank(query_text: str, category_code: str | None, candidates: list[dict], top: int = TOP) -> list[dict]:
    """The `top` candidates by scaled BM25 plus the same-category bonus; ties by recency (input order).
    A candidate's words are its indexed ones when it has them (`words`), else segmented here."""
    query = tokens(query_text)
    bm25 = bm25_scores(query, [c.get("words") or tokens(c["description"]) for c in candidates])
    best = max(bm25, default=0.0) or 1.0
    scored = []
    for index, (candidate, score) in enumerate(zip(candidates, bm25, strict=True)):
        total = score / best + (SAME_CATEGORY_BONUS if category_code and candidate["category"] == category_code else 0)
        scored.append((-total, index, candidate, score))
    scored.sort(key=lambda item: item[:2])
    return [
        {**candidate, "score": round(-neg, 3), "bm25": round(score, 3)} for neg, _i, candidate, score in scored[:top]
    ]


CANDIDATE_FIELDS = (
    "pk",
    "number",
    "description",
    "category__code",
    "category__name",
    "outcome",
    "fail_reason",
    "guidance",
    "registered_at",
    "concluded_at",
    "agreement__terms",
)


def _candidate(row: dict, terms: str | None = None) -> dict:
    return {
        "pk": row["pk"],
        "number": row["number"],
        "description": row["description"],
        "category": row["category__code"],
        "category_name": row["category__name"],
        "outcome": row["outcome"],
        "terms": row["agreement__terms"] or "",
        "fail_reason": row["fail_reason"],
        "outcome_label": Outcome(row["outcome"]).label if row["outcome"] in Outcome.values else "",
        "guidance": Guidance(row["guidance"]).label if row["guidance"] in Guidance.values else "",
        "days": max((row["concluded_at"] - row["registered_at"]).days, 0),
        **({"words": terms.split()} if terms else {}),
    }


def candidates(cases, category_codes: set[str] | None, exclude_pk: int | None = None) -> list[dict]:
    """The concluded cases of `cases` (a scope) in these categories (None: all), latest first; one query."""
    # Concluded: agreed or failed, closed since or not (the reports' definition).
    qs = cases.concluded()
    if category_codes is not None:
        qs = qs.filter(category__code__in=category_codes)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return [_candidate(row) for row in qs.order_by("-concluded_at", "-pk").values(*CANDIDATE_FIELDS)[:CANDIDATES]]


def indexed_candidates(cases, case, category_codes: set[str], recent: int = RECENT) -> list[dict]:
    """The concluded cases of `cases` in these categories that share a word with `case`'s description
    (the latest POSTINGS_PER_TERM postings of each of its longest words, in its subdistrict), and the
    `recent` latest of the scope; each with its indexed words. Three queries."""
    category_ids = Category.objects.filter(code__in=category_codes).values("pk")
    # Longer words first: in Chinese they are the more specific ones (漏水 before 楼上).
    words = sorted(set(tokens(case.description)), key=lambda w: (-len(w), w))[:QUERY_TERMS]
    per_word = [
        SimilarTerm.objects.filter(subdistrict_id=case.subdistrict_id, term=word[:32], category_id__in=category_ids)
        .order_by("-concluded_at")
        .values_list("document_id", flat=True)[:POSTINGS_PER_TERM]
        for word in words
    ]
    if per_word and connection.features.supports_slicing_ordering_in_compound:
        hits = Counter(per_word[0].union(*per_word[1:], all=True))
    else:  # SQLite (`make run`): one small query per word
        hits = Counter(pk for postings in per_word for pk in postings)
    hits.pop(case.pk, None)
    found = {pk for pk, _n in sorted(hits.items(), key=lambda item: (-item[1], -item[0]))[:INDEXED]}
    # The ids first: as a subquery beside the found ids, the planner read the whole scope.
    latest = list(
        cases.concluded()
        .filter(category_id__in=category_ids)
        .exclude(pk=case.pk)
        .order_by("-concluded_at", "-pk")
        .values_list("pk", flat=True)[:recent]
    )
    rows = (
        cases.concluded()
        .filter(pk__in=found | set(latest))
        .annotate(words=Subquery(SimilarDocument.objects.filter(case_id=OuterRef("pk")).values("terms")[:1]))
        .order_by("-concluded_at", "-pk")
        .values(*CANDIDATE_FIELDS, "words")
    )
    return [_candidate(row, row["words"]) for row in rows]


def similar_cases(cases, case, top: int = TOP, recent: int = RECENT) -> list[dict]:
    """The `top` concluded cases of `cases` (the reader's scope) most like `case`."""
    pool = indexed_candidates(cases, case, related_codes(case.category.code), recent)
    return rank(case.description, case.category.code, pool, top)


# The advisory lock's key: indexers take it for each chunk's transaction (any fixed integer that
# nothing else in the database uses as a lock key).
INDEX_LOCK = 0x5F51_7A11


def _one_indexer_at_a_time():
    """Wait for any other indexer's chunk to commit (PostgreSQL; SQLite writes one at a time)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [INDEX_LOCK])


def index_concluded(chunk: int = 5000, limit: int | None = None) -> int:
    """Index the concluded cases not yet indexed as of their latest conclusion (a case concluded
    again replaces its entry), `chunk` cases a transaction; returns how many were indexed."""
    stale = SimilarDocument.objects.filter(case_id=OuterRef("pk"), concluded_at=OuterRef("concluded_at"))
    pending = DisputeCase.objects.concluded().filter(~Exists(stale))
    done, after = 0, 0
    while limit is None or done < limit:
        size = chunk if limit is None else min(chunk, limit - done)
        # On from the last case seen: each chunk reads its own range, not the indexed ones again.
        rows = list(
            pending.filter(pk__gt=after)
            .order_by("pk")
            .values("pk", "description", "subdistrict_id", "category_id", "concluded_at")[:size]
        )
        if not rows:
            break
        after = rows[-1]["pk"]
        with transaction.atomic():
            _one_indexer_at_a_time()
            # Read again under the lock: another indexer (the schedule's, a bench's) may have just
            # indexed some of these; indexing them twice would double their postings.
            still = set(pending.filter(pk__in=[row["pk"] for row in rows]).values_list("pk", flat=True))
            rows = [row for row in rows if row["pk"] in still]
            ids = [row["pk"] for row in rows]
            SimilarDocument.objects.filter(case_id__in=ids).delete()  # postings go with them
            documents, postings = [], []
            for row in rows:
                words = tokens(row["description"])
                documents.append(
                    SimilarDocument(case_id=row["pk"], concluded_at=row["concluded_at"], terms=" ".join(words))
                )
                postings += [
                    SimilarTerm(
                        term=word[:32],
                        document_id=row["pk"],
                        subdistrict_id=row["subdistrict_id"],
                        category_id=row["category_id"],
                        concluded_at=row["concluded_at"],
                    )
                    for word in set(words)
                ]
            SimilarDocument.objects.bulk_create(documents)
            SimilarTerm.objects.bulk_create(postings, batch_size=5000)
        done += len(rows)
    return done


LABELLED_SET = Path(__file__).with_name("labelled_queries.json")


def evaluate(cases, queries: list[dict] | None = None, top: int = TOP) -> dict:
    """Precision at `top` on the labelled set over `cases`' concluded cases: text only (every concluded
    case a candidate, no category given) and as the case page ranks (the label's and related categories,
    the same-category bonus). A retrieved case is relevant when its category is the query's label.
    `reachable` divides by min(top, cases of that category) instead: what a perfect ranker could get."""
    if queries is None:
        queries = json.loads(LABELLED_SET.read_text(encoding="utf-8"))["queries"]
    everything = candidates(cases, None)
    available = Counter(c["category"] for c in everything)
    figures = {}
    for mode in ("text_only", "page"):
        hits = reachable = 0
        per_query = []
        for query in queries:
            label = query["category"]
            if mode == "text_only":
                found = rank(query["text"], None, everything, top)
            else:
                codes = related_codes(label)
                found = rank(query["text"], label, [c for c in everything if c["category"] in codes], top)
            relevant = sum(c["category"] == label for c in found)
            hits += relevant
            reachable += min(top, available[label])
            per_query.append((query["text"], label, relevant))
        figures[mode] = {
            "queries": len(queries),
            "precision": hits / (top * len(queries)) if queries else None,
            "reachable_precision": hits / reachable if reachable else None,
            "per_query": per_query,
        }
    figures["available"] = dict(available)
    return figures
