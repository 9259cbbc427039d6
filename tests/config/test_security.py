"""Headers, caching and the production configuration."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_signed_in_pages_are_never_cached(client, administrator):
    client.force_login(administrator)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_content_security_policy_forbids_inline_scripts(client):
    response = client.get("/admin/login/")
    policy = response["Content-Security-Policy"]
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "'self'" in script_src
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"


PRODUCTION_CHECK_ENV = {
    **os.environ,
    "FENGQIAO_PRODUCTION": "1",
    "DEBUG": "0",
    "SECRET_KEY": "k3J9#vLq2!pZ8xR4tW7mN1bC6yH0dF5sA-fengqiao-test-only-key",
    "ALLOWED_HOSTS": "fengqiao.baihuazhou.gov.internal",
    "FENGQIAO_FIELD_KEYS": "t1:dGVzdC1vbmx5LXNtNC1rIQ==,index:dGVzdC1vbmx5LWJsaW5kLWluZGV4LWtleS0zMmJ5dGU=",
}


@pytest.mark.django_db(transaction=False)
def test_check_deploy_reports_no_issue_under_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env=PRODUCTION_CHECK_ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)" in result.stdout


@pytest.mark.django_db(transaction=False)
def test_check_deploy_warns_when_production_keeps_sessions_and_limits_per_machine():
    env = {key: value for key, value in PRODUCTION_CHECK_ENV.items() if key != "REDIS_URL"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "common.W001" in result.stdout + result.stderr and "REDIS_URL is not set" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {**os.environ, "FENGQIAO_PRODUCTION": "1", "SECRET_KEY": ""}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_healthz_answers_ok_when_database_and_broker_answer(client, settings, db):
    settings.CELERY_BROKER_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    # The calendar's horizon is a warning beside them (tests/casework/test_calendar_horizon.py).
    assert {key: body[key] for key in ("status", "database", "broker")} == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
    }


def test_healthz_answers_503_when_the_broker_is_down(client, settings, db):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"].startswith("failed")
    assert response.json()["database"] == "ok"
