"""`python -m bench.cockpit`: the cockpit's htmx poll timed on a loaded database, reading only.

Opens the database with `default_transaction_read_only` and keeps the session in a signed cookie, so
it may run against a load that others share (fengqiao_bench) without writing a row. Signs in as the
bench's centre staff (bench.generate), times the poll counted and kept for the minute and the
figures alone (bench.analysis.measure_cockpit), and prints them with the machine's load average.
"""

import argparse
import os

os.environ["PGOPTIONS"] = f"{os.environ.get('PGOPTIONS', '')} -c default_transaction_read_only=on".strip()

from bench import run  # noqa: F401  (sets Django up)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=40)
    parser.add_argument("--username", default="bench_centre")
    args = parser.parse_args(argv)

    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
    from django.test import Client

    from bench.analysis import measure_cockpit
    from grids.models import User

    # A session made by hand in a signed cookie, not a sign-in: that would write the session row, the
    # last-login time and the audit of the sign-in.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    centre = User.objects.get(username=args.username)
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(centre.pk)
    # The backend that loads the user (as the test client's force_login takes it).
    backends = [path for path in settings.AUTHENTICATION_BACKENDS if hasattr(load_backend(path), "get_user")]
    session[BACKEND_SESSION_KEY] = backends[0]
    session[HASH_SESSION_KEY] = centre.get_session_auth_hash()
    session.save()
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    print(f"load average {os.getloadavg()[0]:.1f}, {args.iterations} polls as {centre.username}", flush=True)
    refresh = measure_cockpit(client, centre, args.iterations)
    for name in ("page", "kept", "figures"):
        figures = refresh[name]
        cpu = f", CPU median {figures['cpu_median_ms']} ms" if "cpu_median_ms" in figures else ""
        print(f"  {name}: median {figures['median_ms']} ms, p95 {figures['p95_ms']} ms{cpu}")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
