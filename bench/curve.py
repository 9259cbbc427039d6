"""`python -m bench.curve --size N`: the scaling curve's point at N cases, and the fitted exponents.

On a database that already holds a bench load of N cases (bench.generate), times in-process: the
filtered queue, a case page, one subdistrict's monthly report (as bench.run takes it) and the
all-time success rate. Writes bench/results/curve-N.json, then fits log(time) against log(n) over
every curve point there (least squares) and writes the table between the curve markers of
docs/performance.md. An exponent near 0 is flat, 1 is linear in the number of cases. The fit takes
each figure's fastest run: on shared cores the other work only ever adds time, so the minimum is the
figure least moved by it (the medians and the load average are kept beside it).
"""

import argparse
import json
import math
import statistics
import time
from pathlib import Path

from django.test import Client
from django.utils import timezone

from bench import run
from bench.generate import generate
from bench.timing import summary

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- curve:begin -->", "<!-- curve:end -->"
FIGURES = (
    ("queue", "filtered queue (status + community), server time"),
    ("case_page", "case page, server time"),
    ("monthly_report", "monthly report of the centre's subdistrict"),
    ("success_rate", "all-time success rate"),
)


def timed(fn, iterations: int) -> dict:
    fn()  # warm
    wall, cpu = [], []
    for _ in range(iterations):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - t0) * 1000)
    return {**summary(wall), "cpu_median_ms": round(statistics.median(cpu), 3)}


def point(size: int, iterations: int, report_iterations: int, base: int | None = None) -> dict:
    from reports.statistics import success_rate

    centre = generate(size, base=base)["centre"]
    client = Client()
    client.force_login(centre)
    urls = run.page_urls(centre)
    out = {"size": size, "date": timezone.now().isoformat(timespec="seconds"), "machine": run.machine()}
    out["load_average"] = Path("/proc/loadavg").read_text().split()[:3]
    for key, page in (("queue", "queue_status_community"), ("case_page", "case_page")):
        out[key] = {"url": urls[page], **timed(run.getter(client, urls[page]), iterations)}
        print(f"  {key}: median {out[key]['median_ms']} ms (CPU {out[key]['cpu_median_ms']} ms)", flush=True)
    period, report = run.monthly_report(centre.subdistrict_id)
    out["monthly_report"] = {"period": period.start.isoformat(), **timed(report, report_iterations)}
    print(f"  monthly report: median {out['monthly_report']['median_ms']} ms", flush=True)
    out["success_rate"] = {"value": str(success_rate()), **timed(success_rate, report_iterations)}
    print(f"  all-time success rate: median {out['success_rate']['median_ms']} ms", flush=True)
    return out


def exponent(points: list[tuple[int, float]]) -> float | None:
    """The slope of log(time) over log(n), least squares: time ∝ n^slope."""
    if len(points) < 2:
        return None
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def table(curves: list[dict]) -> str:
    sizes = [c["size"] for c in curves]
    lines = [
        "| figure: fastest (median) ms | "
        + " | ".join(f"{n:,}" for n in sizes)
        + " | growth exponent | at 10M (fitted) |",
        "|---|" + "---|" * len(sizes) + "---|---|",
    ]
    for key, label in FIGURES:
        points = [(c["size"], c[key]["min_ms"]) for c in curves if key in c]
        k = exponent(points)
        at_10m = ""
        if k is not None:
            n, t = points[-1]
            at_10m = f"~{t * (10_000_000 / n) ** k:,.0f} ms"
        cells = " | ".join(f"{c[key]['min_ms']} ({c[key]['median_ms']})" if key in c else "—" for c in curves)
        lines.append(f"| {label} | {cells} | {'—' if k is None else f'{k:.2f}'} | {at_10m} |")
    return "\n".join(lines) + "\n"


def write_doc(curves: list[dict]) -> None:
    text = DOC.read_text(encoding="utf-8")
    if BEGIN not in text:
        raise SystemExit(f"{DOC} has no {BEGIN} … {END} block for the curve")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    DOC.write_text(text[:start] + "\n" + table(curves) + text[end:], encoding="utf-8")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.curve", description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, help="measure this load (omit to refit the stored points only)")
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--report-iterations", type=int, default=3)
    parser.add_argument(
        "--base",
        type=int,
        help="a load not there yet is made of copies of this many generated cases (bench.multiply): for 10M",
    )
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.size:
        result = point(args.size, args.iterations, args.report_iterations, args.base)
        path = RESULTS / f"curve-{args.size}.json"
        path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    curves = sorted(
        (json.loads(p.read_text(encoding="utf-8")) for p in RESULTS.glob("curve-*.json")), key=lambda c: c["size"]
    )
    write_doc(curves)
    for c in curves:
        print(f"  {c['size']:,}: measured {c['date']}, load average {' '.join(c.get('load_average', []))}")
    print(table(curves))


if __name__ == "__main__":
    main()
