"""Precision of 类案参考 on its labelled set: `evaluate_similar [--subdistrict CODE] [--verbose-queries]`."""

from django.core.management.base import BaseCommand

from casework.models import DisputeCase
from reports.analysis.similar import TOP, evaluate


class Command(BaseCommand):
    help = "Precision at 5 of the similar-cases ranking on reports/analysis/labelled_queries.json."

    def add_arguments(self, parser):
        parser.add_argument("--subdistrict", default="", help="a subdistrict's code (default: every case)")
        parser.add_argument("--verbose-queries", action="store_true", help="print each query's hits")

    def handle(self, *args, subdistrict, verbose_queries, **options):
        cases = DisputeCase.objects.all()
        if subdistrict:
            cases = cases.filter(subdistrict__code=subdistrict)
        figures = evaluate(cases)
        self.stdout.write(f"concluded cases by category: {figures['available']}")
        for mode, label in (("text_only", "text only (no category given)"), ("page", "as the case page ranks")):
            f = figures[mode]
            self.stdout.write(
                f"{label}: precision@{TOP} {f['precision']:.3f} over {f['queries']} queries; "
                f"of what was reachable {f['reachable_precision']:.3f}"
            )
            if verbose_queries:
                for text, category, relevant in f["per_query"]:
                    self.stdout.write(f"  {relevant}/{TOP} {category:<14} {text}")
