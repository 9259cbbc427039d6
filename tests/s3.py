"""A real S3-compatible server for the tests: moto's standalone server (`moto_server`, from the
`moto[server]` package), on a free port, as separate process; the bucket made through boto3."""

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3

BUCKET = "fengqiao-test"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "fengqiao",
    "AWS_SECRET_ACCESS_KEY": "fengqiao-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def s3_server(log: Path):
    """Yields the server's endpoint URL, with an empty bucket BUCKET in it."""
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _answers(f"{endpoint}/moto-api/"):
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        client(endpoint).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=30)


def client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
    )


def keys(endpoint: str) -> list[str]:
    return [item["Key"] for item in client(endpoint).list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def storage_settings(endpoint: str) -> dict:
    """The environment a process needs to keep its files in the test bucket (what a deployment sets)."""
    return {**CREDENTIALS, "FENGQIAO_S3_BUCKET": BUCKET, "FENGQIAO_S3_ENDPOINT_URL": endpoint}
