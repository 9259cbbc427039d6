"""The table in docs/performance.md, regenerated from bench/results/*.json (the newest run of each size)."""

import json
import re
from pathlib import Path

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def _check(ok: bool) -> str:
    return "pass" if ok else "**miss**"


def _pair(figure: str, target: str, x: dict, ok, a: str = "", b: str = "") -> tuple[str, str, str, str]:
    """A row for an alternated pair: the ratio and both medians."""
    times = f"{a}{x['a']['median_ms']} ms vs {b}{x['b']['median_ms']} ms"
    return figure, target, f"×{x['ratio']} ({times})", _check(ok(x["ratio"]))


PAGES = (
    ("queue_mediating", "queue page, 调解中 tab"),
    ("queue_status_community", "queue page, status + community"),
    ("case_page", "case page"),
    ("dashboard", "centre dashboard"),
)


def _page_rows(p: dict) -> list[tuple[str, str, str, str]]:
    out = []
    for key, label in PAGES:
        if key not in p:
            continue
        x = p[key]
        figure = f"{label} overhead (`{x['url']}`, {x['queries']} queries)"
        out.append(_pair(figure, "≤ 3× raw SQL", x, lambda v: v <= 3))
        if "cpu_median_ms" in x["a"]:
            cpu = x["a"]["cpu_median_ms"]
            out.append((f"{label}: CPU a page", "≤ 8 ms", f"{cpu} ms", _check(cpu <= 8)))
        if key.startswith("queue"):
            out.append(
                (
                    f"{label}: p95 server time",
                    "≤ 50 ms",
                    f"{x['a']['p95_ms']} ms (median {x['a']['median_ms']}, IQR {x['a']['iqr_ms']})",
                    _check(x["a"]["p95_ms"] <= 50),
                )
            )
    figure = "queue vs Django admin changelist, same rows and filter"
    out.append(_pair(figure, "queue ≥ 3× faster", p["admin_vs_queue"], lambda v: v >= 3, "admin ", "queue "))
    d = p["depth"]
    out.append(_pair(f"depth: page {d['page']:,} vs page 1", "≤ 1.5×", d, lambda v: v <= 1.5))
    return out


def _report_rows(rep: dict) -> list[tuple[str, str, str, str]]:
    out = []
    m = rep["report"]
    figure = f"monthly report {m['period'][:7]} vs its SQL ({m['queries']} queries)"
    out.append(_pair(figure, "≤ 1.3×", m, lambda v: v <= 1.3))
    out.append(
        ("monthly report generation", "≤ 200 ms", f"{m['a']['median_ms']} ms", _check(m["a"]["median_ms"] <= 200))
    )
    every = rep.get("every_subdistrict")
    if every:
        out.append(
            (
                f"monthly report of each of the {every['subdistricts']} subdistricts (as the schedule makes them)",
                "≤ 200 ms each",
                f"median {every['time']['median_ms']} ms, max {every['max_ms']} ms",
                _check(every["max_ms"] <= 200),
            )
        )
        out.append(
            (
                "snapshot stored (material with the frozen drill-down ids, and figures)",
                "stated",
                f"{every['total_bytes'] / 2**20:.1f} MiB for all {every['subdistricts']}; largest "
                f"{every['max_bytes'] / 2**20:.2f} MiB, median {every['median_bytes'] / 2**10:.0f} KiB",
                "—",
            )
        )
    s = rep["success_rate"]
    out.append(
        ("all-time success rate", "≤ 500 ms", f"{s['median_ms']} ms ({s['value']})", _check(s["median_ms"] <= 500))
    )
    return out


def _throughput_rows(tp: dict, label: str) -> list[tuple[str, str, str, str]]:
    # Runs before the case page was measured too called the served side "queue".
    q, f = tp.get("page") or tp["queue"], tp["floor"]
    floor_half = f["rps"] / 2
    return [
        (
            f"gunicorn `{tp.get('gunicorn', '-w 3')}`, wrk -c 8: {label}, req/s",
            "≥ 0.5× the floor",
            f"{q['rps']:.0f} req/s (floor {f['rps']:.0f}; ×{tp['rps_ratio']} of the floor)"
            + (
                f"; server CPU {q['server_cpu_ms_per_request']} ms a request (floor {f['server_cpu_ms_per_request']})"
                if "server_cpu_ms_per_request" in q
                else ""
            ),
            _check(q["rps"] >= floor_half),
        ),
        (
            f"… {label} p50 / p99",
            "p99 ≤ 100 ms",
            f"{q['p50_ms']} / {q['p99_ms']} ms (floor {f['p50_ms']} / {f['p99_ms']} ms)",
            _check(q["p99_ms"] <= 100),
        ),
    ]


def rows(r: dict) -> list[tuple[str, str, str, str]]:
    """(figure, target, measured, pass/miss) for one run (the phases it ran)."""
    out = []
    if "pages" in r:
        out += _page_rows(r["pages"])
    for key, label in (("queue", "queue"), ("case_page", "case page"), ("intake", "intake POST")):
        if key in r.get("sealing", {}):
            x = r["sealing"][key]
            n = x["values"]
            figure = (
                f"personal data sealed vs plain: {label} ({n['seal']} values sealed, {n['unseal']} opened, "
                f"{n['blind_index']} indexed)"
            )
            out.append(_pair(figure, "≤ 1.2×", x, lambda v: v <= 1.2, "sealed ", "plain "))
    if "reports" in r:
        out += _report_rows(r["reports"])
    race = r.get("races")
    if race:
        out.append(
            (
                f"{race['threads']} threads racing transitions over {race['cases']} cases",
                "one winner each, 0 lost updates",
                f"{race['committed']} committed ({race['committed_per_s']}/s), {race['conflicts']} conflicts, "
                f"{race['unavailable']} refused, {race['error_count']} errors, {race['one_winner']} with one "
                f"winner, {race['lost_updates']} lost",
                _check(race["lost_updates"] == 0 and race["one_winner"] == race["cases"] and not race["error_count"]),
            )
        )
        if "summary_differences" in race:
            differences = race["summary_differences"]
            out.append(
                (
                    "reports' monthly counts vs the cases after the races (`reconcile_summary`)",
                    "0 differences",
                    f"{differences} differences",
                    _check(differences == 0),
                )
            )
    analysis = r.get("analysis")
    if analysis:
        sim, cockpit = analysis["similar"], analysis["cockpit"]
        out.append(
            (
                f"类案参考 lookup as the centre ({sim['lookup']['n']} cases)",
                "≤ 100 ms",
                f"median {sim['lookup']['median_ms']} ms, p95 {sim['lookup']['p95_ms']} ms"
                + (f" (CPU {sim['lookup']['cpu_median_ms']} ms)" if "cpu_median_ms" in sim["lookup"] else ""),
                _check(sim["lookup"]["p95_ms"] <= 100),
            )
        )
        out.append(
            (
                "驾驶舱 panel refresh (`/analysis/cockpit/panel/`), server time",
                "< 100 ms",
                f"counted: median {cockpit['page']['median_ms']} ms, p95 {cockpit['page']['p95_ms']} ms "
                f"(figures {cockpit['figures']['median_ms']} ms"
                + (f", CPU {cockpit['page']['cpu_median_ms']} ms" if "cpu_median_ms" in cockpit["page"] else "")
                + ")"
                + (
                    f"; kept for the minute: median {cockpit['kept']['median_ms']} ms, "
                    f"p95 {cockpit['kept']['p95_ms']} ms"
                    if "kept" in cockpit
                    else ""
                ),
                _check(cockpit["page"]["p95_ms"] < 100),
            )
        )
    for key, label in (("throughput", "filtered queue"), ("throughput_case", "case page")):
        if key in r:
            out += _throughput_rows(r[key], label)
    return out


def _section(r: dict) -> str:
    m = r["machine"]
    lines = [
        f"### {r['size']:,} cases — {r['date']}",
        "",
        f"Command: `{r['command']}` · machine: {m['nproc']} cores ({m['cpu']}), {m['memory_gb']} GB, "
        f"PostgreSQL {m['postgresql']}, Python {m['python']}, Django {m['django']} · "
        f"{r['iterations']} alternated iterations per pair · "
        + (f"data load {r['load_seconds']} s · " if r.get("load_seconds") else "")
        + f"whole run {r['total_seconds']} s"
        + (f" · phases run: {', '.join(r['phases'])}" if r.get("phases") else ""),
        "",
        "| figure | target | measured (median) | |",
        "|---|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows(r)]
    return "\n".join(lines) + "\n"


def write(results_dir: Path, doc: Path) -> Path:
    newest: dict[int, dict] = {}
    for path in sorted(results_dir.glob("*.json")):
        r = json.loads(path.read_text(encoding="utf-8"))
        if ("pages" in r or "throughput" in r) and r["date"] >= newest.get(r["size"], {}).get("date", ""):
            newest[r["size"]] = r
    table = "\n".join(_section(newest[size]) for size in sorted(newest, reverse=True))
    text = doc.read_text(encoding="utf-8") if doc.exists() else f"# Performance\n\n{BEGIN}\n{END}\n"
    block = f"{BEGIN}\n{table}{END}"
    text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text, encoding="utf-8")
    return doc
