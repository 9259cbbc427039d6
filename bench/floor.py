"""The physical floor for the throughput benchmark: a bare WSGI app that runs the very SQL the queue
page issues (captured by bench.run, passed in BENCH_FLOOR_SQL as a JSON file of statements) through
psycopg and returns the last statement's rows as a small HTML table. No Django, no templates, no ORM:
what a hand-written endpoint over the same database would cost, served by the same gunicorn."""

import html
import json
import os

import psycopg

_state = {}


def _connection():
    conn = _state.get("conn")
    if conn is None or conn.closed:
        conn = _state["conn"] = psycopg.connect(os.environ["BENCH_FLOOR_DSN"], autocommit=True)
    return conn


def _statements() -> list[str]:
    if "sql" not in _state:
        with open(os.environ["BENCH_FLOOR_SQL"], encoding="utf-8") as fh:
            _state["sql"] = json.load(fh)
    return _state["sql"]


def app(environ, start_response):
    rows = []
    with _connection().cursor() as cursor:
        for sql in _statements():
            cursor.execute(sql)
            rows = cursor.fetchall() if cursor.description else []
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row[:8]) + "</tr>" for row in rows
    ).encode()
    body = b"<!doctype html><meta charset=utf-8><table>" + body + b"</table>"
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))])
    return [body]
