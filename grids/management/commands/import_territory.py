"""Import a whole territory (district, subdistricts, communities, grids, staff accounts) from one XLSX.

    manage.py import_territory FILE.xlsx [--dry-run] [--user USERNAME]
    manage.py import_territory --template FILE.xlsx

Every row is checked first; the problems (sheet, row, column, what is wrong) are listed and nothing
is written when there is any. --dry-run checks and lists what would be created or updated, and
writes nothing. Otherwise everything is written in one transaction, and each new account's one-time
link that sets its password is printed once (relative to FENGQIAO_SITE_URL when it is set).
The layout is in docs/deployment.md ("Setting up a district").
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from common.workbook import WorkbookFileError
from grids.models import User
from grids.territory import import_territory, write_template


class Command(BaseCommand):
    help = "Import a district's territory and staff accounts from one .xlsx workbook (see docs/deployment.md)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the workbook (or, with --template, where to write the template)")
        parser.add_argument("--dry-run", action="store_true", help="check and list the changes; write nothing")
        parser.add_argument("--user", help="the administrator the import is recorded as (the audit's actor)")
        parser.add_argument("--template", action="store_true", help="write the template (with an example) to FILE")

    def handle(self, *args, file, dry_run, user, template, verbosity, **options):
        if template:
            write_template(file)
            if verbosity:
                self.stdout.write(f"template written to {file}")
            return
        actor = None
        if user:
            actor = User.objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(f"没有用户名为 {user} 的有效账号。")

        def progress(message):
            if verbosity:
                self.stdout.write(f"… {message}")

        try:
            with open(file, "rb") as source:
                outcome = import_territory(source, actor=actor, dry_run=dry_run, progress=progress)
        except FileNotFoundError as exc:
            raise CommandError(f"文件不存在：{file}") from exc
        except WorkbookFileError as exc:
            raise CommandError(exc.message) from exc
        for problem in outcome.problems:
            self.stderr.write(f"错误 {problem}")
        if verbosity:
            for change in outcome.changes:
                if change.action != "unchanged" or verbosity >= 2:
                    action = {"create": "新建", "update": "更新", "unchanged": "不变"}[change.action]
                    self.stdout.write(f"{change.sheet} 第{change.row}行 {action} {change.label}")
            for kind, created, updated, unchanged in outcome.counts():
                self.stdout.write(f"{kind}：新建 {created}，更新 {updated}，不变 {unchanged}")
        if outcome.problems:
            raise CommandError(f"{len(outcome.problems)} 处错误，未写入任何内容。")
        if dry_run:
            self.stdout.write("试导入：未写入任何内容。")
            return
        self.stdout.write("已导入。")
        if outcome.links:
            self.stdout.write("新账号的设置密码链接（只显示这一次，一次有效；请交给本人）：")
            for username, full_name, path in outcome.links:
                self.stdout.write(f"{username}\t{full_name}\t{settings.FENGQIAO_SITE_URL}{path}")
