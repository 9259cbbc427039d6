"""Print a statistic. `stats success-rate [--since DATE] [--until DATE] [--third-party] [--subdistrict CODE]
[--json]`: concluded, agreed, the success rate and its 95% Wilson interval, over all cases or one
subdistrict's."""

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError

from casework.models import DisputeCase
from grids.models import Subdistrict
from reports.statistics import success_rate


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from exc


class Command(BaseCommand):
    help = "Print statistics: `success-rate` (concluded, agreed, rate, 95% Wilson interval)."

    def add_arguments(self, parser):
        parser.add_argument("statistic", choices=["success-rate"])
        parser.add_argument("--since", type=_date, help="first conclusion date counted (YYYY-MM-DD)")
        parser.add_argument("--until", type=_date, help="last conclusion date counted (YYYY-MM-DD)")
        parser.add_argument(
            "--third-party",
            action="store_true",
            help="only mediations led by lawyers, social workers and legal advisers (the seed's figure)",
        )
        parser.add_argument("--subdistrict", help="only this subdistrict's cases (its code, e.g. BHZ)")
        parser.add_argument("--json", dest="as_json", action="store_true", help="print one JSON object")

    def handle(self, *args, statistic, since, until, third_party, subdistrict, as_json, **options):
        if since and until and since > until:
            raise CommandError("--since is after --until")
        cases = None
        if subdistrict:
            found = Subdistrict.objects.filter(code=subdistrict).first()
            if found is None:
                raise CommandError(f"no subdistrict with the code {subdistrict!r}")
            cases = DisputeCase.objects.filter(subdistrict=found)
        figures = success_rate(cases, since=since, until=until, third_party=third_party)
        if as_json:
            self.stdout.write(json.dumps(figures.as_dict(), ensure_ascii=False))
            return
        span = f"{since or '…'} – {until or '…'}"
        self.stdout.write(f"success rate {span}: {figures}")
        self.stdout.write(f"  concluded {figures.concluded}, agreed {figures.agreed}")
        if figures.ci95:
            low, high = figures.ci95
            self.stdout.write(f"  95% Wilson interval {low:.1%} – {high:.1%}")
