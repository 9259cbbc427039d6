"""Import a dispute ledger (台账) from an Excel file, through the case services.

    manage.py import_ledger FILE.xlsx [--dry-run] [--sheet NAME] [--valid-only] [--user USERNAME]

Every row is checked first; the problems (row, column, what is wrong) are listed.
By default nothing is written when any row is wrong; --valid-only imports the good
rows and skips the others; --dry-run replays everything inside a transaction that is
rolled back, so it shows what would happen and writes nothing. Rows whose 案件编号
is already in the subdistrict are skipped, so importing a file twice changes nothing.

The import acts as --user (centre staff of the subdistrict the ledger belongs to);
without it, the only active centre-staff account is used. It is recorded like an upload on
the ledger page (who, when, which file, how, and its report: /ledger/imports/<id>/). The layout is in docs/ledger.md;
`manage.py import_ledger --template FILE.xlsx` writes an empty template.
Verbosity: 0 silent but for errors, 1 summary and problems with a row counter, 2 every row.
"""

from django.core.management.base import BaseCommand, CommandError

from common.refusals import NotPermitted
from grids.enums import Role
from grids.models import User
from ledger import jobs
from ledger.enums import ImportState
from ledger.importer import LedgerFileError
from ledger.layout import write_template

PROGRESS_EVERY = 100


class Command(BaseCommand):
    help = "Import a dispute ledger (台账) from an .xlsx file (see docs/ledger.md)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the ledger .xlsx file (or, with --template, where to write the template)")
        parser.add_argument("--dry-run", action="store_true", help="check and replay, then roll back: write nothing")
        parser.add_argument("--sheet", help="the worksheet to read (default: 台账, or the first with a ledger header)")
        parser.add_argument("--valid-only", action="store_true", help="import the good rows, skip the bad ones")
        parser.add_argument("--user", help="username of the centre-staff account the import acts as")
        parser.add_argument("--template", action="store_true", help="write an empty ledger template to FILE")

    def handle(self, *args, file, dry_run, sheet, valid_only, user, template, verbosity, **options):
        if template:
            write_template(file)
            if verbosity:
                self.stdout.write(f"template written to {file}")
            return
        actor = self._actor(user)
        step = 1 if verbosity >= 2 else PROGRESS_EVERY

        def progress(done, total):
            if verbosity and (done % step == 0 or done == total):
                self.stdout.write(f"\r[{done}/{total}]", ending="\n" if verbosity >= 2 or done == total else "")
                self.stdout.flush()

        try:
            with open(file, "rb") as upload:
                job = jobs.import_request(
                    user=actor, upload=upload, sheet=sheet or "", dry_run=dry_run, valid_only=valid_only, queue=False
                )
        except LedgerFileError as exc:
            raise CommandError(exc.message) from exc
        except NotPermitted as exc:
            raise CommandError(exc.message) from exc
        except FileNotFoundError as exc:
            raise CommandError(f"文件不存在：{file}") from exc
        job = jobs.import_run(job.pk, on_progress=progress)
        if job.state != ImportState.DONE:
            raise CommandError(job.error)
        report = jobs.import_report(job)
        for problem in report.problems:
            if problem.warning and verbosity < 1:
                continue
            kind = "提示" if problem.warning else "错误"
            column = f"“{problem.column}”" if problem.column else ""
            line = f"第{problem.row}行{column} {kind}：{problem.message}"
            (self.stdout if problem.warning else self.stderr).write(line)
        if verbosity >= 2:
            for result in report.results:
                self.stdout.write(f"第{result.row}行 {result.ref}: {result.action} {result.number} {result.status}")
        if verbosity:
            self.stdout.write(report.summary())
        if report.errors and not report.written and not dry_run and not valid_only:
            raise CommandError("有误的行未改正：未写入任何数据（可用 --valid-only 只导入无误的行）。")

    def _actor(self, username):
        centre = User.objects.filter(is_active=True, roles__contains=[Role.CENTRE_STAFF])
        if username:
            actor = User.objects.filter(username=username).first()
            if actor is None:
                raise CommandError(f"用户“{username}”不存在。")
            return actor
        candidates = list(centre[:2])
        if len(candidates) != 1:
            raise CommandError("请用 --user 指定以哪个综治中心工作人员账号导入。")
        return candidates[0]
