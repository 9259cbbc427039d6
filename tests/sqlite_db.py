"""`make run`'s database: a SQLite file built by `manage.py migrate` in a subprocess, as `make run`
builds its own (the triggers are those the migrations and post_migrate install there)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def migrated_sqlite(var_dir: Path) -> Path:
    """Migrate a fresh SQLite database under `var_dir` (the var dir `make run` uses); its path."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**env, "FENGQIAO_VAR_DIR": str(var_dir)},
        timeout=600,
    )
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    return var_dir / "fengqiao.sqlite3"
