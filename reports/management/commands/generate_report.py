"""Make report snapshots: `generate_report daily|monthly --period YYYY-MM-DD|YYYY-MM [--subdistrict CODE]
[--reason TEXT] [--json]`.

One report per subdistrict: every subdistrict's, or the one named by --subdistrict.

Makes a new version, or reports the existing one when nothing changed and no
reason is given (so running it twice writes once). `--reason` always makes a new
version, recorded with the reason. `--dry-run` computes the figures and writes
nothing. `--json` prints the snapshot's figures (success_rate holds concluded,
agreed, rate and ci95).
"""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from grids.models import Subdistrict
from reports import services, statistics
from reports.enums import ReportKind
from reports.forms import parse_period


class Command(BaseCommand):
    help = "Generate a daily or monthly report snapshot (idempotent unless --reason is given)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=ReportKind.values)
        parser.add_argument("--period", required=True, help="YYYY-MM-DD (daily) or YYYY-MM (monthly)")
        parser.add_argument("--subdistrict", default="", help="the subdistrict's code (default: every one)")
        parser.add_argument("--reason", default="", help="why a new version is made (always makes one)")
        parser.add_argument("--json", dest="as_json", action="store_true", help="print the figures as JSON")
        parser.add_argument("--dry-run", action="store_true", help="compute the figures, write nothing")

    def handle(self, *args, kind, period, subdistrict, reason, as_json, dry_run, verbosity, **options):
        try:
            day = parse_period(kind, period)
        except ValidationError as exc:
            raise CommandError(exc.messages[0]) from exc
        if kind == ReportKind.MONTHLY and len(period) != 7:
            raise CommandError("a monthly report's period is YYYY-MM")
        subdistricts = Subdistrict.objects.order_by("code")
        if subdistrict:
            subdistricts = subdistricts.filter(code=subdistrict)
            if not subdistricts:
                raise CommandError(f"no subdistrict with code {subdistrict}")
        for each in subdistricts:
            self._one(each, kind, day, reason, as_json, dry_run, verbosity)

    def _one(self, subdistrict, kind, day, reason, as_json, dry_run, verbosity):
        if dry_run:
            figures = statistics.report_figures(statistics.Period.of(kind, day), subdistrict.pk)
            self.stdout.write(
                json.dumps(figures, ensure_ascii=False, indent=2) if as_json else "dry run: nothing written"
            )
            return
        try:
            snapshot, created = services.report_generate(kind=kind, period=day, subdistrict=subdistrict, reason=reason)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        if as_json:
            self.stdout.write(json.dumps(snapshot.figures, ensure_ascii=False, indent=2))
            return
        if verbosity >= 1:
            state = "made" if created else "unchanged, existing"
            self.stdout.write(
                f"{subdistrict.name} {snapshot.title}: {state} version {snapshot.version} (id {snapshot.pk})"
            )
            rate = snapshot.figures["success_rate"]
            figure = statistics.SuccessRate(concluded=rate["concluded"], agreed=rate["agreed"])
            self.stdout.write(f"  success rate since {rate['since']}: {figure}")
