"""Load the Baihuazhou demo (百花洲街道): territory, accounts, mediators and cases since 2020.

Every case is made through the services, so each has its full history of events.
Idempotent: a second run changes nothing. Shows progress (silence it with -v 0).
"""

from django.core.management.base import BaseCommand

from casework.models import DisputeCase
from demo.seed import DEFAULT_PASSWORD, DemoSeeder
from reports.analysis.similar import index_concluded
from reports.statistics import success_rate


class Command(BaseCommand):
    help = "Load the Baihuazhou demo data (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=f"password of new demo accounts (default {DEFAULT_PASSWORD})",
        )

    def handle(self, *args, password, verbosity, **options):
        progress = self.stdout.write if verbosity >= 1 else (lambda message: None)
        created = DemoSeeder(password=password, progress=progress).run()
        # 类案参考's index at once, not at the scheduler's next round.
        indexed = index_concluded()
        if verbosity >= 1:
            if not any(created.values()):
                self.stdout.write("demo already loaded: nothing changed")
            else:
                self.stdout.write(
                    f"created {created['users']} accounts, {created['cases']} cases"
                    f" and {created['inspections']} screening returns"
                )
            self.stdout.write(f"类案参考 index: {indexed} concluded cases added")
            # Baihuazhou's figures: the neighbouring subdistrict's cases are not among them.
            code, name = DemoSeeder.SUBDISTRICT
            cases = DisputeCase.objects.filter(subdistrict__code=code)
            rate = success_rate(cases, third_party=True)
            self.stdout.write(f"{name} third-party success rate since 2020-01-01: {rate}")
            self.stdout.write(f"{name} overall success rate since 2020-01-01: {success_rate(cases)}")
