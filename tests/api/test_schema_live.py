"""Schemathesis as a client would run it: the command line, every check it has (`--checks all`),
against a live server holding a case in every state, on a bounded budget (tests/api/schemathesis.toml:
20 examples an operation, a fixed seed). 0 failures of any kind.

The in-process run (test_schema.py) fuzzes as two personas with real ids; this one adds what only
the command line does: the coverage phase's boundary values, the stateful phase, and the checks that
need a real HTTP exchange."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from api.services import token_issue
from tests.api.test_schema import seeded  # noqa: F401

CONFIG = Path(__file__).with_name("schemathesis.toml")
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_schemathesis_with_every_check_against_a_live_server(live_server, seeded, centre, tmp_path):  # noqa: F811
    token = token_issue(user=centre)[1]
    run = subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(CONFIG),
            "run",
            f"{live_server.url}/api/schema/",
            "--checks",
            "all",
            "--workers",
            "1",
            "--header",
            f"Authorization: Token {token}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    summary = run.stdout[run.stdout.find("SUMMARY") :]
    print(summary)
    assert run.returncode == 0, run.stdout[-8000:]
    selected, tested = re.search(r"Selected: (\d+)/\d+\s+Tested: (\d+)", summary).groups()
    assert int(tested) == int(selected) >= 29, summary
