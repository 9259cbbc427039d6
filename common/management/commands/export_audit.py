"""Export the audit trails as an archive (JSON lines) that carries the chain: each row with its place,
its SM3 hash and the fields the hash covers (docs/deployment.md, "Audit retention and archives")."""

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from common import chain


class Command(BaseCommand):
    help = "Write the audit chains (from their first link, up to --until) to FILE as JSON lines."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--until", help="YYYY-MM-DD: only rows written before this day (Asia/Shanghai)")

    def handle(self, *args, file, until=None, **options):
        limit = None
        if until:
            try:
                limit = timezone.make_aware(dt.datetime.combine(dt.date.fromisoformat(until), dt.time()))
            except ValueError:
                raise CommandError(f"--until: not a date (YYYY-MM-DD): {until!r}") from None
        with open(file, "w", encoding="utf-8") as out:
            for model in chain.chained_models():
                count = 0
                for row in chain.archive_rows(model, until=limit):
                    out.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
                    count += 1
                self.stdout.write(f"{model._meta.label_lower}: {count} links")
        self.stdout.write(f"Written to {file}; check it any time with `manage.py verify_audit --archive {file}`.")
