"""`python -m bench.nodes --size N`: throughput of the queue page on two web nodes against one
(docs/performance.md, "Two web nodes"). Not a test.

Each node is a gunicorn of its own (`--gunicorn`, default `-w 3` like the image), with a var dir
of its own, on the same PostgreSQL and Redis (`REDIS_URL`: the session is read from it on every
request, as on separate machines). One node takes wrk's 8 connections; two nodes take 4 each from
two wrk processes running at once (an ideal balancer: no proxy's cost in the figure). Rounds
alternate one and two nodes so that a shared machine's noise hits both alike; each round's
req/s and the best of each side are printed, and written to bench/results/nodes-<date>.json.
"""

import argparse
import json
import os
import tempfile
import threading
from pathlib import Path

from django.conf import settings
from django.test import Client
from django.utils import timezone

from bench.run import (
    RESULTS,
    busiest_community,
    free_port,
    generate,
    machine,
    ready,
    serve,
    step,
    wrk,
)

CONNECTIONS = 8


def node_env(var_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "FENGQIAO_PRODUCTION"}
    env.update({"DEBUG": "0", "FENGQIAO_VAR_DIR": str(var_dir), "FENGQIAO_FIELD_KEYS": settings.FENGQIAO_FIELD_KEYS})
    return env


def load(targets: list[str], cookie: str, seconds: int, servers) -> dict:
    """wrk on every node at once, the connections split evenly; the nodes' figures summed."""
    results = [None] * len(targets)

    def run(i):
        results[i] = wrk(targets[i], cookie, seconds, servers[i], connections=CONNECTIONS // len(targets), threads=1)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(targets))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "rps": round(sum(r["rps"] for r in results), 1),
        "p50_ms": max(r["p50_ms"] for r in results),
        "p99_ms": max(r["p99_ms"] for r in results),
        "non_2xx": sum(r["non_2xx"] for r in results),
        "server_cpu_ms_per_request": round(
            sum(r["server_cpu_ms_per_request"] * r["requests"] for r in results) / sum(r["requests"] for r in results),
            2,
        ),
        "nodes": results,
    }


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--gunicorn", default="-w 3")
    args = parser.parse_args(argv)
    if not settings.REDIS_URL:
        raise SystemExit("set REDIS_URL: the nodes share sessions through it, as separate machines do")
    loaded = generate(args.size)
    centre = loaded["centre"]
    client = Client()
    client.force_login(centre)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    url = f"/cases/?status=closed&community={busiest_community(centre)}"
    step(f"{url} on 1 and 2 nodes (gunicorn {args.gunicorn} each), wrk {CONNECTIONS} connections in all")
    workdir = Path(tempfile.mkdtemp(prefix="fq-nodes-"))
    ports = [free_port(), free_port()]
    servers = []
    for n, port in enumerate(ports):
        (workdir / f"node{n}").mkdir()
        servers.append(
            serve(
                "config.wsgi:application", port, node_env(workdir / f"node{n}"), workdir / f"node{n}.log", args.gunicorn
            )
        )
    targets = [f"http://127.0.0.1:{port}{url}" for port in ports]
    runs = {"1": [], "2": []}
    try:
        for target in targets:
            ready(target, cookie)
            wrk(target, cookie, 3)
        for r in range(args.rounds):
            for side in ("1", "2") if r % 2 == 0 else ("2", "1"):
                count = int(side)
                result = load(targets[:count], cookie, args.seconds, servers[:count])
                runs[side].append(result)
                cpu, errors = result["server_cpu_ms_per_request"], result["non_2xx"]
                print(
                    f"  {side} node(s): {result['rps']:.1f} req/s, p50 {result['p50_ms']} ms, "
                    f"p99 {result['p99_ms']} ms, server CPU {cpu} ms a request, non-2xx {errors}"
                )
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
    out = {
        "date": timezone.now().isoformat(timespec="seconds"),
        "command": f"python -m bench.nodes --size {args.size} --seconds {args.seconds} --rounds {args.rounds} "
        f"--gunicorn '{args.gunicorn}'",
        "machine": machine(),
        "url": url,
        "runs": runs,
        "best": {side: max(r["rps"] for r in results) for side, results in runs.items()},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"nodes-{timezone.localdate():%Y-%m-%d}-{args.gunicorn.replace(' ', '')}.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    step(f"best: 1 node {out['best']['1']} req/s, 2 nodes {out['best']['2']} req/s: {path}")


if __name__ == "__main__":
    main()
