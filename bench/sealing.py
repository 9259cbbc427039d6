"""What sealing personal data at rest costs a page: the queue, a case page and an intake POST, each
timed with the parties' fields sealed (SM4-GCM per value, HMAC-SM3 blind indexes) and with them
plain, alternated in one run so that a shared machine's noise hits both sides alike (not a test).

The plain side is the columns as they were before sealing: the fields' cipher swapped for the
identity and the blind index for the normalised value itself (what the plain indexed column
compared). Everything else — the ORM, the queries, the templates, the audit chain — is the same
code on the same data. Intakes of both sides run in one transaction that is rolled back, so the
plain values written while measuring never stay in the database.

`make bench` (bench.run) records it with the rest; `python -m bench.pages --size N` prints it too.
"""

import contextlib
import itertools
import os
import types

os.environ.setdefault("DEBUG", "0")
os.environ.pop("FENGQIAO_PRODUCTION", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench.timing import alternate  # noqa: E402
from casework.models import Category, DisputeCase  # noqa: E402
from casework.personal_data import id_check_digit  # noqa: E402
from casework.selectors import grids_open_to  # noqa: E402
from common import crypto, fields  # noqa: E402

# Each page's cost with sealing over its cost without: the target is at most this.
TARGET = 1.2

PLAIN = types.SimpleNamespace(
    seal=lambda plaintext, *, purpose, key_id=None: plaintext,
    unseal=lambda sealed, *, purpose: sealed,
    blind_index=lambda value, *, purpose: crypto.normalize_for_index(value),
)


@contextlib.contextmanager
def plain_fields():
    """The sealed fields read and write their values as they are, for the duration."""
    sealed, fields.crypto = fields.crypto, PLAIN
    try:
        yield
    finally:
        fields.crypto = sealed


def counted(fn) -> dict:
    """How many values one call of `fn` seals, opens and indexes: the cost is per value."""
    calls = {"seal": 0, "unseal": 0, "blind_index": 0}

    def counting(name):
        def call(*args, **kwargs):
            calls[name] += 1
            return getattr(crypto, name)(*args, **kwargs)

        return call

    fields.crypto = types.SimpleNamespace(**{name: counting(name) for name in calls})
    try:
        fn()
    finally:
        fields.crypto = crypto
    return calls


def plain(fn):
    def run():
        with plain_fields():
            return fn()

    return run


def intake_form(grid, category, n: int) -> dict:
    """The intake form of a case with two parties, the applicant's ID number, phone and address and
    the respondent's phone all given; `n` makes the values differ from one intake to the next."""
    first17 = f"36010219800101{n % 1000:03d}"
    return {
        "grid": grid.pk,
        "category": category.pk,
        "source": "walk_in",
        "risk": "normal",
        "description": "楼上漏水影响楼下住户",
        "parties-TOTAL_FORMS": "2",
        "parties-INITIAL_FORMS": "0",
        "parties-MIN_NUM_FORMS": "0",
        "parties-MAX_NUM_FORMS": "1000",
        "parties-0-role": "applicant",
        "parties-0-kind": "person",
        "parties-0-name": "张三",
        "parties-0-id_number": first17 + id_check_digit(first17),
        "parties-0-phone": f"139{n:08d}",
        "parties-0-address": "南昌市东湖区八一大道1号",
        "parties-1-role": "respondent",
        "parties-1-kind": "person",
        "parties-1-name": "李四",
        "parties-1-phone": f"138{n:08d}",
    }


def _ok(response, status: int):
    if response.status_code != status:
        raise SystemExit(f"{response.request['PATH_INFO']} answered {response.status_code}, not {status}")


def measure_sealing(client, centre, *, iterations: int, progress=print) -> dict:
    """{"queue"|"case_page"|"intake": alternate(sealed, plain)}: ratio = sealed median / plain median."""
    queue = reverse("casework:queue")
    # A case with the most parties the centre sees, so the case page opens as many values as any.
    case = (
        DisputeCase.objects.filter(subdistrict_id=centre.subdistrict_id)
        .exclude(parties__phone_index="")
        .order_by("-registered_at", "-id")
        .first()
    )
    case_url = reverse(settings.FENGQIAO_CASE_URL_NAME, args=[case.pk])
    grid = grids_open_to(centre).first()
    category = Category.objects.filter(active=True).first()
    counter = itertools.count()

    def get(url):
        return lambda: _ok(client.get(url), 200)

    def intake():
        _ok(client.post(reverse("casework:intake"), intake_form(grid, category, next(counter))), 302)

    out = {}
    for name, url in (("queue", queue), ("case_page", case_url)):
        progress(f"  {name} sealed vs plain: {url}")
        values = counted(get(url))
        out[name] = {"url": url, "values": values, **alternate(get(url), plain(get(url)), iterations=iterations)}
    progress("  intake (two parties: ID number, phones, address) sealed vs plain, rolled back afterwards")
    with transaction.atomic():
        values = counted(intake)
        out["intake"] = {
            "url": reverse("casework:intake"),
            "values": values,
            **alternate(intake, plain(intake), iterations=iterations),
        }
        transaction.set_rollback(True)
    for name, x in out.items():
        progress(
            f"  {name}: sealed {x['a']['median_ms']} ms, plain {x['b']['median_ms']} ms: ×{x['ratio']}"
            f" ({x['values']['seal']} sealed, {x['values']['unseal']} opened, {x['values']['blind_index']} indexed)"
        )
    return out
