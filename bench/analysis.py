"""The analysis at scale: 类案参考's index (built, then looked up from case pages) and the cockpit's
refresh, timed in-process on the loaded benchmark (part of `make bench`; not a test)."""

import random
import statistics
import time

from django.urls import reverse
from django.utils import timezone

from bench.timing import summary


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def measure_analysis(client, centre, iterations: int) -> dict:
    from casework.models import DisputeCase
    from casework.selectors import cases_visible_to
    from reports.analysis.similar import index_concluded, similar_cases

    print("\n== 类案参考: index the concluded cases (only those not yet indexed)", flush=True)
    t0 = time.monotonic()
    indexed = index_concluded(chunk=20_000)
    build_seconds = round(time.monotonic() - t0, 1)
    print(f"  {indexed:,} cases indexed in {build_seconds} s")
    from django.db import connection

    # Fresh rows: the planner's statistics and the visibility map (the postings are read index-only),
    # as autovacuum would after a load of inserts.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE reports_similarterm")
        cursor.execute("VACUUM ANALYZE reports_similardocument")

    scope = cases_visible_to(centre)
    rng = random.Random(7)
    pks = list(
        DisputeCase.objects.filter(subdistrict_id=centre.subdistrict_id)
        .order_by("-registered_at")
        .values_list("pk", flat=True)[:5000]
    )
    sample = [
        DisputeCase.objects.select_related("category").get(pk=pk) for pk in rng.sample(pks, min(iterations, len(pks)))
    ]
    print(f"== 类案参考 lookup as the centre (scope: {scope.count():,} cases), {len(sample)} cases", flush=True)
    similar_cases(scope, sample[0])  # the segmenter's dictionary loads once per process
    times, cpu, found = [], [], 0
    for case in sample:
        c0, t0 = time.process_time(), time.perf_counter()
        found += len(similar_cases(scope, case))
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    # This process's CPU as well (not the database's): on a shared machine it moves far less.
    lookup = {**summary(times), "cpu_median_ms": _median(cpu), "found_per_case": round(found / len(sample), 2)}
    print(f"  median {lookup['median_ms']} ms, p95 {lookup['p95_ms']} ms")

    return {
        "similar": {"indexed": indexed, "build_seconds": build_seconds, "lookup": lookup},
        "cockpit": measure_cockpit(client, centre, iterations),
    }


def measure_cockpit(client, centre, iterations: int) -> dict:
    """The cockpit's htmx poll as `centre` (signed in on `client`): counted (the minute's key removed
    first, what a lone wall display pays each minute), kept for the minute, and the figures alone.
    Reads only (`python -m bench.cockpit` runs it on a read-only connection)."""
    from django.core.cache import cache

    from casework.selectors import cases_visible_to
    from reports.analysis import cockpit

    print("== 驾驶舱 panel refresh (the htmx poll), server time", flush=True)
    scope, cells = cases_visible_to(centre), cockpit.summary_cells(centre)
    url = reverse("analysis:cockpit_panel")
    client.get(url)
    counted, kept, panel_times, counted_cpu, kept_cpu = [], [], [], [], []
    today = timezone.localdate()
    for _ in range(iterations):
        # A poll that finds nothing kept for its minute (a lone wall display's every poll): counted.
        cache.delete(cockpit.panel_key(centre, timezone.now()))
        c0, t0 = time.process_time(), time.perf_counter()
        response = client.get(url)
        counted.append((time.perf_counter() - t0) * 1000)
        counted_cpu.append((time.process_time() - c0) * 1000)
        assert response.status_code == 200, response.status_code
        # Another screen or browser of the same scope in the same minute: read from the cache.
        c0, t0 = time.process_time(), time.perf_counter()
        response = client.get(url)
        kept.append((time.perf_counter() - t0) * 1000)
        kept_cpu.append((time.process_time() - c0) * 1000)
        assert response.status_code == 200, response.status_code
        t0 = time.perf_counter()
        cockpit.panel(scope, today, cells)
        panel_times.append((time.perf_counter() - t0) * 1000)
    refresh = {
        "page": {**summary(counted), "cpu_median_ms": _median(counted_cpu)},
        "kept": {**summary(kept), "cpu_median_ms": _median(kept_cpu)},
        "figures": summary(panel_times),
    }
    print(
        f"  counted: median {refresh['page']['median_ms']} ms, p95 {refresh['page']['p95_ms']} ms; "
        f"kept: median {refresh['kept']['median_ms']} ms (figures {refresh['figures']['median_ms']} ms)"
    )
    return refresh
