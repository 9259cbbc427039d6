"""Recompute the reports' history table (MonthlyCount) from the cases and say where it differs."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from reports import summary


class Command(BaseCommand):
    help = (
        "Recompute the monthly counts the reports read from every case and report each difference "
        "(0 expected: triggers keep them); --fix rewrites the months that differ. One month at a "
        "time, each committed: resume an interrupted run with --from."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="rewrite the months that differ")
        parser.add_argument("--from", dest="since", metavar="YYYY-MM", help="start at this month (resume)")

    def handle(self, *args, fix: bool, since: str | None, verbosity: int, **options):
        if not summary.kept():
            self.stdout.write("Not kept on this database (SQLite): the reports count from the events directly.")
            return
        try:
            first = dt.date.fromisoformat(f"{since}-01") if since else None
        except ValueError:
            raise CommandError("--from takes a month: YYYY-MM.") from None
        months = summary.months_to_check(first)

        def progress(month: dt.date, found: int):
            done = months.index(month) + 1
            if verbosity >= 1 and (found or verbosity >= 2 or done == len(months) or done % 12 == 0):
                self.stdout.write(f"  {month:%Y-%m} ({done}/{len(months)}): {found} differences")

        differences = summary.reconcile(fix=fix, since=first, progress=progress)
        for cell, counted, expected in differences[:200]:
            named = dict(zip(summary.CELL, cell, strict=True))
            self.stdout.write(f"  {named}: counted {counted}, cases say {expected}")
        verb = "fixed" if fix and differences else "found"
        self.stdout.write(f"{len(differences)} differences {verb} over {len(months)} months.")
