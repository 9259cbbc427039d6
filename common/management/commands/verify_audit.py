"""Walk every audit chain (the access audit and the case events) and name the first broken link."""

from django.core.management.base import BaseCommand, CommandError

from common import chain


class Command(BaseCommand):
    help = "Verify the SM3 hash chains of the audit trails; fails naming the first link that does not hold."

    def add_arguments(self, parser):
        parser.add_argument("--archive", help="check an archive written by export_audit instead of the tables")

    def handle(self, *args, archive=None, **options):
        if archive:
            with open(archive, encoding="utf-8") as lines:
                counts, problem = chain.verify_archive(lines)
            if problem:
                raise CommandError(f"{archive}: {problem}")
            for label, links in counts.items():
                self.stdout.write(f"{label}: {links} links hold in the archive and agree with the database")
            return
        broken = []
        for model in chain.chained_models():
            verdict = chain.verify(model)
            label = model._meta.label_lower
            if verdict.broken:
                broken.append(verdict.broken)
                self.stderr.write(f"{label}: BROKEN after {verdict.checked} good links: {verdict.broken}")
            else:
                seq, last = chain.head(model)
                # The head, to note down or archive: a later run that does not reach it means rows were cut off.
                self.stdout.write(f"{label}: {verdict.checked} links hold; head {seq} {last}")
        if broken:
            raise CommandError(broken[0])
