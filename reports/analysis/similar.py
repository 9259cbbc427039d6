"""类案参考: the concluded cases most like this one, among those the reader may see.

Candidates are the concluded cases (agreed or failed) in the reader's scope of the same or a related
category, the most recently concluded first, at most CANDIDATES of them (an index read, not a scan).
They are ranked by BM25 over the descriptions, segmented by jieba (a maintained Chinese
segmenter), plus a fixed bonus for the very same category; the top five are shown with their outcome,
the agreement's terms or the guidance given on failure, and how long the case took.
"""

import json
import math
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

from casework.enums import Guidance, Outcome

# Categories whose disputes resemble each other (by category code): where people live, harm to
# persons or property, money owed. A category not listed is related to itself only.
RELATED_GROUPS = [
    {"neighbour", "property_mgmt", "housing", "demolition"},
    {"damages", "traffic", "medical"},
    {"contract", "consumer", "labour"},
]
CANDIDATES = 1000
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
    """The `top` candidates by scaled BM25 plus the same-category bonus; ties by recency (input order)."""
    query = tokens(query_text)
    bm25 = bm25_scores(query, [tokens(c["description"]) for c in candidates])
    best = max(bm25, default=0.0) or 1.0
    scored = []
    for index, (candidate, score) in enumerate(zip(candidates, bm25, strict=True)):
        total = score / best + (SAME_CATEGORY_BONUS if category_code and candidate["category"] == category_code else 0)
        scored.append((-total, index, candidate, score))
    scored.sort(key=lambda item: item[:2])
    return [
        {**candidate, "score": round(-neg, 3), "bm25": round(score, 3)} for neg, _i, candidate, score in scored[:top]
    ]


def candidates(cases, category_codes: set[str] | None, exclude_pk: int | None = None) -> list[dict]:
    """The concluded cases of `cases` (a scope) in these categories (None: all), latest first; one query."""
    # Concluded: agreed or failed, closed since or not (the reports' definition).
    qs = cases.concluded()
    if category_codes is not None:
        qs = qs.filter(category__code__in=category_codes)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    rows = qs.order_by("-concluded_at", "-pk").values(
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
    )[:CANDIDATES]
    return [
        {
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
        }
        for row in rows
    ]


def similar_cases(cases, case, top: int = TOP) -> list[dict]:
    """The `top` concluded cases of `cases` (the reader's scope) most like `case`."""
    pool = candidates(cases, related_codes(case.category.code), exclude_pk=case.pk)
    return rank(case.description, case.category.code, pool, top)


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
