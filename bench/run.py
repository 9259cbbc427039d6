"""`python -m bench.run --size N [--iterations K]`: the benchmark suite (not a test; docs/performance.md).

Loads N synthetic cases (bench.generate), then measures each figure against its floor in the same
run, alternating the two sides (bench.timing.alternate): the queue page vs its own SQL through
psycopg, the queue vs the Django admin changelist, page 1 vs page 2,000, the monthly report vs its
SQL, the all-time success rate, the queue, a case page and an intake with the parties' personal
data sealed vs plain (bench.sealing), transitions raced by threads, and gunicorn under wrk on the queue
vs a raw-SQL floor endpoint. Writes bench/results/<date>-<size>.json and the table in
docs/performance.md.
"""

import argparse
import datetime as dt
import json
import os
import platform
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

# In-process timings must not pay for DEBUG's query log; the captures below switch it on themselves.
os.environ.setdefault("DEBUG", "0")
os.environ.pop("FENGQIAO_PRODUCTION", None)
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fengqiao_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import warnings

import django

# No collected static files in a bench checkout: whitenoise's warning is noise here.
warnings.filterwarnings("ignore", message="No directory at")

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import report  # noqa: E402
from bench.analysis import measure_analysis  # noqa: E402
from bench.generate import generate  # noqa: E402
from bench.sealing import measure_sealing  # noqa: E402
from bench.timing import alternate, summary  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PAGE_SIZE = 50
DEPTH_PAGE = 2000
# The load generator: Debian's wrk, which `make bench` installs when it is missing.
WRK = shutil.which("wrk")
DECLARE = re.compile(r'^DECLARE "[^"]+" NO SCROLL CURSOR WITH(OUT)? HOLD FOR ')
GUNICORN = os.environ.get("BENCH_GUNICORN", str(Path(sys.executable).parent / "gunicorn"))


def step(text: str):
    print(f"\n== {text}", flush=True)


def dsn() -> str:
    db = settings.DATABASES["default"]
    return f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} dbname={db['NAME']} user={db['USER']}" + (
        f" password={db['PASSWORD']}" if db.get("PASSWORD") else ""
    )


def capture(fn) -> list[str]:
    """The SQL statements `fn` sends, with their parameters in place. A model choice field reads its
    options through a server-side cursor (DECLARE … FOR SELECT, then FETCHes Django does not log):
    the floor runs that SELECT plainly."""
    with CaptureQueriesContext(connection) as queries:
        fn()
    return [DECLARE.sub("", q["sql"]) for q in queries.captured_queries]


def replayer(statements: list[str], conn):
    """Run the statements through a separate psycopg connection and fetch every row (the floor)."""

    def run():
        with conn.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                if cursor.description:
                    cursor.fetchall()

    return run


def getter(client: Client, url: str):
    def get():
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        return response

    return get


# ---------------------------------------------------------------------------


def busiest_community(centre) -> int:
    from casework.models import DisputeCase

    row = (
        DisputeCase.objects.filter(subdistrict_id=centre.subdistrict_id)
        .values("community_id")
        .annotate(n=django.db.models.Count("pk"))
        .order_by("-n")
        .first()
    )
    return row["community_id"]


def depth_cursor(centre, page: int) -> tuple[str, int, int]:
    """The `after` cursor a reader reaches by following 下一页 to `page` (capped at the last page)."""
    from django.test import RequestFactory

    from casework.filters import CaseFilter
    from casework.paging import cursor_of, sort_keys
    from casework.selectors import case_queue

    request = RequestFactory().get("/cases/")
    request.user = centre
    qs = CaseFilter({}, queryset=case_queue(centre), request=request).qs
    total = qs.count()
    page = min(page, max((total - 1) // PAGE_SIZE + 1, 2))
    last_of_previous = qs[(page - 1) * PAGE_SIZE - 1]
    return cursor_of(last_of_previous, sort_keys(qs)), page, qs.first().pk


def bench_case(centre):
    """The case page the bench opens: the centre's newest case that has a party with a phone (so the
    page opens sealed values, as any real case's does)."""
    from casework.models import DisputeCase

    return (
        DisputeCase.objects.filter(subdistrict_id=centre.subdistrict_id)
        .exclude(parties__phone_index="")
        .order_by("-registered_at", "-id")
        .first()
    )


def page_urls(centre) -> dict:
    """The pages measured against their own SQL: the queue under both filters, a case page and the
    centre's dashboard (its home)."""
    community = busiest_community(centre)
    return {
        "queue_mediating": "/cases/?tab=mediating",
        "queue_status_community": f"/cases/?status=closed&community={community}",
        "case_page": reverse(settings.FENGQIAO_CASE_URL_NAME, args=[bench_case(centre).pk]),
        "dashboard": reverse("home"),
    }


def measure_pages(client, centre, iterations, conn) -> dict:
    scenarios = page_urls(centre)
    out = {}
    for name, url in scenarios.items():
        step(f"page vs its SQL through psycopg: {url}")
        # Captured from a warm process: the first request also fills the per-process option lists,
        # which later requests do not read.
        getter(client, url)()
        statements = capture(getter(client, url))
        result = alternate(getter(client, url), replayer(statements, conn), iterations=iterations, label=name)
        out[name] = {"url": url, "queries": len(statements), **result}
        print(f"  page {result['a']['median_ms']} ms, SQL {result['b']['median_ms']} ms: ×{result['ratio']}")

    community = scenarios["queue_status_community"].rsplit("=", 1)[1]
    admin_url = f"/admin/casework/disputecase/?status__exact=closed&community__id__exact={community}"
    queue_url = scenarios["queue_status_community"]
    step(f"Django admin changelist vs the queue over the same rows: {admin_url}")
    result = alternate(getter(client, admin_url), getter(client, queue_url), iterations=iterations, label="admin")
    out["admin_vs_queue"] = {"admin_url": admin_url, "queue_url": queue_url, **result}
    print(
        f"  admin {result['a']['median_ms']} ms, queue {result['b']['median_ms']} ms: queue ×{result['ratio']} faster"
    )

    cursor, page, first_pk = depth_cursor(centre, DEPTH_PAGE)
    deep_url = "/cases/?" + urlencode({"after": cursor, "page": page})
    step(f"queue page {page} vs page 1 (keyset): {deep_url}")
    deep = getter(client, deep_url)
    first_of_page_1 = reverse("mediation:case", args=[first_pk])
    if f'href="{first_of_page_1}"' in deep().content.decode():
        raise SystemExit("the deep page's cursor was not taken: it shows page 1")
    result = alternate(deep, getter(client, "/cases/"), iterations=iterations, label="depth")
    out["depth"] = {"page": page, "url": deep_url, **result}
    print(f"  page {page} {result['a']['median_ms']} ms, page 1 {result['b']['median_ms']} ms: ×{result['ratio']}")
    return out


def monthly_report(subdistrict_id):
    """(last month, a callable making one subdistrict's report for it): the report the bench times."""
    from reports.statistics import Period, collect, derive

    today = timezone.localdate()
    period = Period.monthly(today.replace(day=1) - dt.timedelta(days=1))

    def generate_report():
        return derive(collect(subdistrict_id, period))

    return period, generate_report


def measure_reports(iterations, conn, subdistrict_id) -> dict:
    """One subdistrict's monthly report (reports are per subdistrict), and the size of what it stores."""
    import json

    from reports.statistics import collect, derive, success_rate

    period, generate_report = monthly_report(subdistrict_id)
    step(f"monthly report {period.start:%Y-%m} of one subdistrict vs its SQL")

    material = collect(subdistrict_id, period)
    stored = len(json.dumps(material, ensure_ascii=False).encode()) + len(
        json.dumps(derive(material), ensure_ascii=False).encode()
    )
    ids = sum(len(v) for v in material["sets"].values())
    print(f"  snapshot stores {stored / 1024:.0f} KiB ({ids} case ids over {len(material['sets'])} figures)")

    statements = capture(generate_report)
    n = max(iterations // 5, 10)
    result = alternate(generate_report, replayer(statements, conn), iterations=n, warmup=2, label="report")
    print(f"  report {result['a']['median_ms']} ms, SQL {result['b']['median_ms']} ms: ×{result['ratio']}")
    step("all-time success rate")
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        rate = success_rate()
        times.append((time.perf_counter() - t0) * 1000)
    print(f"  {rate}: {summary(times)['median_ms']} ms")
    every = every_subdistrict(period)
    return {
        "report": {"period": period.start.isoformat(), "queries": len(statements), **result},
        "snapshot": {"bytes": stored, "case_ids": ids, "figures": len(material["sets"])},
        "every_subdistrict": every,
        "success_rate": {"value": str(rate), **summary(times)},
    }


def every_subdistrict(period) -> dict:
    """Each subdistrict's monthly snapshot once, as the schedule makes them (the material with its
    研判, then the figures): its generation time and what it stores (the material, frozen drill-down
    ids and all, and the figures), in bytes of JSON."""
    import json

    from grids.models import Subdistrict
    from reports.services import report_material
    from reports.statistics import derive

    step(f"monthly report {period.start:%Y-%m} of every subdistrict: time and stored size")
    rows = []
    for subdistrict in Subdistrict.objects.order_by("code"):
        t0 = time.perf_counter()
        material = report_material(subdistrict, period)
        figures = derive(material)
        ms = (time.perf_counter() - t0) * 1000
        stored = len(json.dumps(material, ensure_ascii=False).encode()) + len(
            json.dumps(figures, ensure_ascii=False).encode()
        )
        ids = sum(len(v) for v in material["sets"].values())
        rows.append({"code": subdistrict.code, "ms": round(ms, 1), "bytes": stored, "case_ids": ids})
    times = [r["ms"] for r in rows]
    sizes = [r["bytes"] for r in rows]
    out = {
        "subdistricts": len(rows),
        "time": summary(times),
        "max_ms": max(times),
        "total_bytes": sum(sizes),
        "max_bytes": max(sizes),
        "median_bytes": sorted(sizes)[len(sizes) // 2],
        "rows": rows,
    }
    print(
        f"  {len(rows)} subdistricts: median {out['time']['median_ms']} ms, max {out['max_ms']} ms; stored "
        f"{out['total_bytes'] / 2**20:.1f} MiB in all, largest {out['max_bytes'] / 2**20:.2f} MiB"
    )
    return out


def measure_races(centre, threads: int, cases: int) -> dict:
    """`threads` threads each try the same transition on each of `cases` cases at once, through the
    services: exactly one must win per case, and every committed transition must be one event and
    one version bump (no lost update)."""
    from casework.enums import CaseStatus, Level
    from casework.exceptions import CaseConflict, TransitionUnavailable
    from casework.models import CaseEvent, DisputeCase
    from casework.services import case_accept
    from mediation.models import Mediator
    from mediation.services import case_assign

    step(f"{threads} threads racing transitions over {cases} cases")
    mediator = Mediator.objects.filter(organization__name="基准调解组织").order_by("pk").first()
    scope = DisputeCase.objects.filter(subdistrict_id=centre.subdistrict_id)
    # The centre's own transitions: 受理 on reported cases, 分派 on accepted ones (开始调解 is the mediator's).
    reported = list(scope.filter(status=CaseStatus.REPORTED).order_by("pk").values_list("pk", flat=True)[: cases // 2])
    accepted = list(
        scope.filter(status=CaseStatus.ACCEPTED).order_by("pk").values_list("pk", flat=True)[: cases - len(reported)]
    )
    plan = [(pk, "accept", CaseStatus.ACCEPTED) for pk in reported] + [
        (pk, "assign", CaseStatus.ASSIGNED) for pk in accepted
    ]
    before = dict(DisputeCase.objects.filter(pk__in=[p for p, *_ in plan]).values_list("pk", "version"))
    last_event = CaseEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    barrier = threading.Barrier(threads)
    lock = threading.Lock()
    tally = {"committed": 0, "conflicts": 0, "unavailable": 0, "errors": []}
    wins: dict[int, int] = {}

    def worker():
        try:
            for pk, name, _ in plan:
                barrier.wait()
                case = DisputeCase.objects.get(pk=pk)
                try:
                    if name == "assign":
                        case_assign(case, actor=centre, mediator=mediator)
                    else:
                        case_accept(case, actor=centre, level=Level.SUBDISTRICT)
                except CaseConflict:
                    key = "conflicts"
                except TransitionUnavailable:
                    key = "unavailable"
                except Exception as exc:  # a wrong loser's answer is a finding, not a crash
                    with lock:
                        tally["errors"].append(f"{type(exc).__name__}: {exc}")
                    continue
                else:
                    key = "committed"
                    with lock:
                        wins[pk] = wins.get(pk, 0) + 1
                with lock:
                    tally[key] += 1
        finally:
            connection.close()

    t0 = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - t0
    after = {c.pk: c for c in DisputeCase.objects.filter(pk__in=before)}
    events = dict(
        CaseEvent.objects.filter(case_id__in=before, id__gt=last_event)
        .values("case_id")
        .annotate(n=django.db.models.Count("pk"))
        .values_list("case_id", "n")
    )
    lost = one_winner = 0
    anomalies = []
    for pk, name, target in plan:
        bumps, logged, won = after[pk].version - before[pk], events.get(pk, 0), wins.get(pk, 0)
        # A lost update: a transition the threads were told committed that the row or the log does not show.
        if not (bumps == logged == won) or (won and after[pk].status != target):
            lost += 1
            anomalies.append(
                {
                    "case": pk,
                    "transition": name,
                    "bumps": bumps,
                    "events": logged,
                    "winners": won,
                    "status": after[pk].status,
                }
            )
        one_winner += won == 1
    out = {
        "threads": threads,
        "cases": len(plan),
        "seconds": round(elapsed, 3),
        "committed": tally["committed"],
        "committed_per_s": round(tally["committed"] / elapsed, 1),
        "conflicts": tally["conflicts"],
        "unavailable": tally["unavailable"],
        "errors": tally["errors"][:5],
        "error_count": len(tally["errors"]),
        "one_winner": one_winner,
        "lost_updates": lost,
        "anomalies": anomalies[:10],
    }
    print(
        f"  {out['committed']} committed ({out['committed_per_s']}/s), {out['conflicts']} conflicts, "
        f"{out['unavailable']} refused, {out['error_count']} errors, {one_winner} cases with exactly one winner, "
        f"{lost} lost updates"
    )
    return out


# ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def server_cpu(proc: subprocess.Popen) -> float:
    """CPU seconds used so far by a gunicorn master and its workers (from /proc): unlike req/s on a
    shared machine, CPU per request does not depend on what else runs."""
    tick = os.sysconf("SC_CLK_TCK")
    pids = [proc.pid]
    try:
        pids += [int(p) for p in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
    except OSError:
        pass
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def wrk(
    url: str,
    cookie: str,
    seconds: int,
    server: subprocess.Popen | None = None,
    *,
    connections: int = 8,
    threads: int = 2,
) -> dict:
    cpu_before = server_cpu(server) if server else None
    out = subprocess.run(
        [
            WRK,
            "-c",
            str(connections),
            "-t",
            str(threads),
            "-d",
            f"{seconds}s",
            "--latency",
            "-H",
            f"Cookie: {cookie}",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    ).stdout
    pct = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", out, re.M))
    if "50" not in pct:
        raise SystemExit(f"wrk measured nothing on {url}:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    cpu = {}
    if server and requests:
        cpu = {"server_cpu_ms_per_request": round((server_cpu(server) - cpu_before) * 1000 / requests, 2)}
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": _ms(pct["50"]),
        "p99_ms": _ms(pct["99"]),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "requests": requests,
        **cpu,
    }


# The floor is always served by 3 sync workers; `--gunicorn` sets how Fengqiao is served.
FLOOR_GUNICORN = "-w 3"
SERVE_GUNICORN = "-w 3"
PHASES = ("pages", "reports", "sealing", "analysis", "races", "throughput")


def ready(url: str, cookie: str, timeout: float = 120):
    """Wait until `url` answers 200 (gunicorn's workers import the whole project before they serve)."""
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    while True:
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} did not answer 200 within {timeout:.0f} s")
        time.sleep(0.5)


def serve(app: str, port: int, env: dict, log: Path, options: str = FLOOR_GUNICORN) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            GUNICORN,
            *shlex.split(options),
            *("-b", f"127.0.0.1:{port}", "--access-logfile", "-", "--log-level", "warning", app),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn {app} did not start: see {log}") from None
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit(f"gunicorn {app} did not listen in 30 s")


def measure_throughput(client, url: str, seconds: int, rounds: int, options: str = SERVE_GUNICORN) -> dict:
    step(f"gunicorn ({options}) under wrk -c 8 -t 2 -d {seconds}s: {url} vs the raw-SQL floor")
    statements = capture(getter(client, url))
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    workdir = Path(tempfile.mkdtemp(prefix="fq-bench-"))
    sql_file = workdir / "floor.json"
    sql_file.write_text(json.dumps(statements), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "FENGQIAO_PRODUCTION"}
    env.update({"DEBUG": "0", "BENCH_FLOOR_SQL": str(sql_file), "BENCH_FLOOR_DSN": dsn()})
    app_port, floor_port = free_port(), free_port()
    procs = [
        serve("config.wsgi:application", app_port, env, workdir / "app.log", options),
        serve("bench.floor:app", floor_port, env, workdir / "floor.log"),
    ]
    try:
        runs = {"page": [], "floor": []}
        targets = {"page": f"http://127.0.0.1:{app_port}{url}", "floor": f"http://127.0.0.1:{floor_port}/"}
        for side in ("page", "floor"):
            # Every worker up and answering, then warm: the first requests open connections and load code.
            ready(targets[side], cookie)
            wrk(targets[side], cookie, 3)
        for r in range(rounds):
            order = ("page", "floor") if r % 2 == 0 else ("floor", "page")
            for side in order:
                result = wrk(targets[side], cookie, seconds, procs[0 if side == "page" else 1])
                runs[side].append(result)
                print(
                    f"  {side}: {result['rps']:.0f} req/s, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, "
                    f"server CPU {result.get('server_cpu_ms_per_request')} ms a request"
                )
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()

    def best(side):
        # The median round by throughput (with 2 rounds: the better-off one, as machine noise only subtracts).
        ordered = sorted(runs[side], key=lambda x: x["rps"])
        return ordered[len(ordered) // 2]

    page, floor = best("page"), best("floor")
    if page["non_2xx"] or floor["non_2xx"]:
        raise SystemExit(f"non-2xx answers under load on {url}: page {page['non_2xx']}, floor {floor['non_2xx']}")
    return {
        "url": url,
        "gunicorn": options,
        "queries": len(statements),
        "seconds": seconds,
        "rounds": runs,
        "page": page,
        "floor": floor,
        "rps_ratio": round(page["rps"] / floor["rps"], 2),
    }


# ---------------------------------------------------------------------------


def reconciled(when: str) -> int:
    """The reports' monthly counts against the cases (`manage.py reconcile_summary`): 0 expected,
    whatever wrote the cases — the load's COPY, the races' transitions."""
    from reports.summary import reconcile

    step(f"reports' monthly counts reconciled {when}")
    t0 = time.monotonic()
    differences = len(reconcile())
    print(f"  {differences} differences ({time.monotonic() - t0:.0f} s)")
    return differences


def machine() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    cpu = re.search(r"model name\s+:\s+(.*)", Path("/proc/cpuinfo").read_text())
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu.group(1) if cpu else platform.processor(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "postgresql": pg,
        "python": platform.python_version(),
        "django": django.get_version(),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--race-cases", type=int, default=200)
    parser.add_argument("--wrk-seconds", type=int, default=15)
    parser.add_argument("--wrk-rounds", type=int, default=2)
    parser.add_argument("--gunicorn", default=SERVE_GUNICORN, help="how gunicorn serves Fengqiao, e.g. '-w 3'")
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"the phases to run, comma-separated (default all: {','.join(PHASES)})",
    )
    args = parser.parse_args(argv)
    phases = set(args.phases.split(","))
    if phases - set(PHASES):
        parser.error(f"unknown phase(s) {', '.join(sorted(phases - set(PHASES)))}; known: {', '.join(PHASES)}")
    if connection.vendor != "postgresql":
        raise SystemExit("the benchmark needs PostgreSQL: set DATABASE_URL")
    if WRK is None:
        # Refuse before the long in-process phases, not with a traceback after them.
        raise SystemExit("the benchmark needs wrk on PATH: `make bench` installs it (Debian's wrk)")
    started = time.monotonic()
    step(f"data: {args.size:,} cases")
    t0 = time.monotonic()
    loaded = generate(args.size)
    load_seconds = round(time.monotonic() - t0, 1)
    centre = loaded["centre"]
    client = Client()
    client.force_login(centre)
    results = {
        "date": timezone.now().isoformat(timespec="seconds"),
        "command": shlex.join(["python", "-m", "bench.run", *(sys.argv[1:] if argv is None else argv)]),
        "size": args.size,
        "iterations": args.iterations,
        "machine": machine(),
        "load_seconds": load_seconds if loaded["generated"] else None,
    }
    if args.phases != parser.get_default("phases"):
        results["phases"] = sorted(phases, key=PHASES.index)
    with psycopg.connect(dsn(), autocommit=True) as conn:
        if "pages" in phases:
            results["pages"] = measure_pages(client, centre, args.iterations, conn)
        if "reports" in phases:
            results["reports"] = measure_reports(args.iterations, conn, centre.subdistrict_id)
    if "sealing" in phases:
        step("personal data sealed vs plain: the queue, a case page, an intake")
        results["sealing"] = measure_sealing(client, centre, iterations=args.iterations)
    if "analysis" in phases:
        results["analysis"] = measure_analysis(client, centre, args.iterations)
    close_old_connections()
    if "races" in phases:
        results["races"] = measure_races(centre, args.threads, args.race_cases)
        results["races"]["summary_differences"] = reconciled("after the races")
    if "throughput" in phases:
        urls = page_urls(centre)
        for key, page in (("throughput", "queue_status_community"), ("throughput_case", "case_page")):
            results[key] = measure_throughput(client, urls[page], args.wrk_seconds, args.wrk_rounds, args.gunicorn)
    results["total_seconds"] = round(time.monotonic() - started, 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    partial = "-" + "-".join(results["phases"]) if "phases" in results else ""
    path = RESULTS / f"{timezone.localdate():%Y-%m-%d}-{args.size}{partial}.json"
    path.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    doc = report.write(RESULTS, ROOT / "docs" / "performance.md")
    step(f"done in {results['total_seconds']} s: {path.relative_to(ROOT)}, {doc.relative_to(ROOT)}")
    for row in report.rows(results):
        print(f"  {row[0]}: {row[2]} (target {row[1]}) {row[3]}")


if __name__ == "__main__":
    main()
