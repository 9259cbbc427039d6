"""Side-by-side timing: alternate two callables so machine noise hits both alike; report medians and spreads."""

import statistics
import sys
import time


def alternate(a, b, *, iterations: int, warmup: int = 5, label: str = "") -> dict:
    """Run a, b, a, b, … `iterations` times each (after a warm-up); times in milliseconds."""
    for _ in range(warmup):
        a()
        b()
    times_a, times_b = [], []
    # CPU time of this process as well: on a shared machine it moves far less than the wall clock.
    cpu_a, cpu_b = [], []
    for i in range(iterations):
        first, second = (a, b) if i % 2 == 0 else (b, a)
        c0, t0 = time.process_time(), time.perf_counter()
        first()
        c1, t1 = time.process_time(), time.perf_counter()
        second()
        c2, t2 = time.process_time(), time.perf_counter()
        (times_a if first is a else times_b).append((t1 - t0) * 1000)
        (times_b if first is a else times_a).append((t2 - t1) * 1000)
        (cpu_a if first is a else cpu_b).append((c1 - c0) * 1000)
        (cpu_b if first is a else cpu_a).append((c2 - c1) * 1000)
        if label and (i + 1) % max(iterations // 10, 1) == 0:
            sys.stdout.write(f"\r  {label}: {i + 1}/{iterations}")
            sys.stdout.flush()
    if label:
        sys.stdout.write("\n")
    sa, sb = summary(times_a), summary(times_b)
    sa["cpu_median_ms"], sb["cpu_median_ms"] = round(statistics.median(cpu_a), 3), round(statistics.median(cpu_b), 3)
    return {"a": sa, "b": sb, "ratio": round(sa["median_ms"] / sb["median_ms"], 2) if sb["median_ms"] else None}


def summary(times: list[float]) -> dict:
    ordered = sorted(times)

    def pct(p):
        return ordered[min(int(p * len(ordered)), len(ordered) - 1)]

    return {
        "n": len(times),
        "median_ms": round(statistics.median(times), 3),
        "p95_ms": round(pct(0.95), 3),
        "iqr_ms": round(pct(0.75) - pct(0.25), 3),
        "min_ms": round(ordered[0], 3),
    }
