"""Benchmark (not a test): generate an N-row ledger, import it through the services, print rows/s.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fq_bench python bench/ledger_import.py [--rows 10000]

Runs in a throw-away test database (created from DATABASE_URL's name with a test_ prefix
and dropped afterwards), so it never touches real data. Prints the figures and writes them
to bench/results/ledger_import.json with the machine and the command.
"""

import argparse
import datetime as dt
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from openpyxl import Workbook  # noqa: E402

SEED = 8


def build_world():
    from grids.enums import Role
    from grids.models import Community, Grid, Subdistrict, User
    from mediation.enums import MediatorKind
    from mediation.models import Mediator

    subdistrict = Subdistrict.objects.create(code="BNCH", name="基准街道")
    for c in range(7):
        community = Community.objects.create(subdistrict=subdistrict, code=f"c{c}", name=f"第{c}社区")
        for g in range(3):
            Grid.objects.create(community=community, code=f"c{c}-{g}", name=f"第{c}社区第{g}网格")
    for m in range(5):
        Mediator.objects.create(name=f"调解员{m}", kind=MediatorKind.LAWYER)
    return User.objects.create(username="bench-centre", roles=[Role.CENTRE_STAFF], subdistrict=subdistrict)


def write_ledger(path: Path, rows: int):
    from casework.personal_data import id_check_digit
    from ledger.layout import COLUMNS

    rng = random.Random(SEED)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("台账")
    sheet.append([c.header for c in COLUMNS])
    categories = ["邻里纠纷", "婚姻家庭", "物业纠纷", "劳动争议", "合同债务"]
    start = dt.date(2020, 1, 1)
    for n in range(rows):
        registered = start + dt.timedelta(days=rng.randrange(0, 1500))
        first17 = f"360102{dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(0, 15000)):%Y%m%d}{n % 1000:03d}"
        row = {
            "ref": f"BENCH-{n:05d}",
            "registered_on": registered,
            "community": f"第{rng.randrange(7)}社区",
            "parties": f"申请人:申{n},1{rng.choice('3578')}{rng.randrange(10**9):09d},"
            f"{first17}{id_check_digit(first17)}；被申请人:被{n}",
            "category": rng.choice(categories),
            "source": rng.choice(["网格排查", "群众来访", "12345热线"]),
            "description": "楼上装修漏水影响楼下住户，双方多次争吵。",
        }
        row["grid"] = row["community"] + f"第{rng.randrange(3)}网格"
        story = rng.choices(["agreed", "failed", "mediating", "withdrawn", "declined"], [70, 10, 10, 5, 5])[0]
        concluded = registered + dt.timedelta(days=rng.randrange(3, 20))
        session = f"{registered + dt.timedelta(days=1):%Y-%m-%d}|第三方调解室|听取双方陈述，释法明理。"
        if story in ("agreed", "failed", "mediating"):
            row.update(mediator=f"调解员{rng.randrange(5)}", sessions=session)
        if story == "agreed":
            row.update(
                outcome="调解成功",
                terms="被申请人于十五日内赔偿申请人3000元。",
                concluded_on=concluded,
                follow_ups=f"{concluded + dt.timedelta(days=10):%Y-%m-%d}|电话回访|满意度5|已履行",
                closed_on=concluded + dt.timedelta(days=12),
            )
        elif story == "failed":
            row.update(outcome="调解不成", reason="双方分歧较大。", route="诉讼", concluded_on=concluded)
        elif story == "mediating":
            row.update(outcome="调解中")
        elif story == "withdrawn":
            row.update(outcome="撤回", reason="双方自行和解。")
        else:
            row.update(outcome="不予受理", reason="属于劳动仲裁范围。", route="仲裁")
        sheet.append([row.get(c.key) for c in COLUMNS])
    workbook.save(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    from django.conf import settings

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from casework.models import DisputeCase
        from ledger.importer import import_ledger, read_sheet

        user = build_world()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "ledger.xlsx"
            started = time.perf_counter()
            write_ledger(path, args.rows)
            generated = time.perf_counter() - started
            started = time.perf_counter()
            read_sheet(path)
            read = time.perf_counter() - started

            started = time.perf_counter()
            laps = []

            def progress(done, total):
                if done % 1000 == 0 or done == total:
                    laps.append(round(time.perf_counter() - started, 1))
                    print(f"  {done}/{total} {laps[-1]} s", flush=True)

            report = import_ledger(path, user=user, progress=progress)
            imported = time.perf_counter() - started
            assert report.written and not report.errors, report.errors[:5]
            cases = DisputeCase.objects.count()
            started = time.perf_counter()
            again = import_ledger(path, user=user)
            reimported = time.perf_counter() - started
            assert again.skipped == args.rows and DisputeCase.objects.count() == cases
        # The import's bulk inserts kept the reports' monthly counts true (triggers): 0 differences.
        from reports.summary import reconcile

        started = time.perf_counter()
        differences = len(reconcile())
        reconciled = time.perf_counter() - started
        print(f"  reconcile_summary: {differences} differences ({reconciled:.1f} s)")
        result = {
            "benchmark": "ledger_import",
            "rows": args.rows,
            "cases_created": report.created,
            "generate_s": round(generated, 2),
            "read_s": round(read, 2),
            "import_s": round(imported, 2),
            "import_rows_per_s": round(args.rows / imported, 1),
            "reimport_noop_s": round(reimported, 2),
            "summary_differences": differences,
            "elapsed_s_per_1000_rows": laps,
            "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
            "machine": f"{platform.machine()}, {os.cpu_count()} cpu, Python {platform.python_version()}",
            # The machine is shared: the load says how much of it the run had.
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "command": f"python bench/ledger_import.py --rows {args.rows}",
        }
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    print(f"{args.rows} rows imported in {imported:.1f} s: {args.rows / imported:.0f} rows/s")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "ledger_import.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
