"""(Re)load the official calendar of public holidays and 调休 working days.

    manage.py load_calendar [--year Y ...] [--dry-run]

Reads the overrides the `chinese-calendar` package carries (casework.holidays) for the
given years — by default every year it knows from 2020 — and creates the rows that are
missing. It never overwrites: a row an administrator changed, or added on a day the
official calendar leaves alone, is kept and reported. Run it after upgrading the package
to pick up a newly published year. -v 0 is silent, -v 2 lists every date.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from casework.calendar import load_official
from casework.enums import CalendarDayKind
from casework.holidays import known_years

FIRST_YEAR = 2020


def _kind(value: str) -> str:
    return CalendarDayKind(value).label


class Command(BaseCommand):
    help = "Load the official holidays and 调休 working days for the given years (default: all known since 2020)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--year", dest="years", type=int, action="append", metavar="Y", help="a year to load (repeatable)"
        )
        parser.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")

    def handle(self, *args, years, dry_run, verbosity, **options):
        known = known_years()
        years = sorted(set(years)) if years else [y for y in known if y >= FIRST_YEAR]
        unknown = [y for y in years if y not in known]
        if unknown:
            raise CommandError(
                f"the installed chinese-calendar knows {known.start}–{known.stop - 1}, not {unknown}: "
                "upgrade it, or enter those days in the admin (节假日与调休)"
            )
        with transaction.atomic():
            loads = load_official(years, dry_run=dry_run)
        verb = "would create" if dry_run else "created"
        for load in loads:
            if verbosity >= 1:
                self.stdout.write(
                    f"{load.year}: {verb} {len(load.created)}, unchanged {load.unchanged}, "
                    f"kept as changed by an administrator {len(load.changed)}, extra {len(load.extra)}"
                )
            if verbosity >= 2:
                for row in load.created:
                    self.stdout.write(f"  {verb} {row.date} {_kind(row.kind)} {row.name}")
                for day, kind in load.extra:
                    self.stdout.write(f"  extra   {day} {_kind(kind)} (not in the official calendar; kept)")
            for day, kind, official in load.changed:
                # Always worth a line: the deployment now differs from the official calendar.
                if verbosity >= 1:
                    self.stdout.write(
                        self.style.WARNING(
                            f"  kept    {day} {_kind(kind)}: the official calendar says {_kind(official)}"
                        )
                    )
        if verbosity >= 1:
            total = sum(len(load.created) for load in loads)
            changed = sum(len(load.changed) for load in loads)
            done = "dry run: nothing written" if dry_run else "done"
            self.stdout.write(
                f"{done}: {verb} {total} days over {len(loads)} years; {changed} administrator changes kept"
            )
