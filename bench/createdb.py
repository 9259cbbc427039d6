"""Create the benchmark's PostgreSQL database if it does not exist yet (`make bench` runs this first)."""

import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql


def main(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name:
        raise SystemExit(f"no database name in {url!r}")
    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"  created database {name}")


if __name__ == "__main__":
    main(sys.argv[1])
