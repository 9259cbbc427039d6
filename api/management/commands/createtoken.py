"""Print the API token of USERNAME for an integrator (12345 hotline, a grid app, a dashboard).

Creates the token if the user has none; `--reset` replaces it (revoking the old key).
Refuses unknown and inactive users. Tokens are revoked in the admin (认证令牌) by deleting them.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from api.services import token_issue, token_user


class Command(BaseCommand):
    help = "Print (creating if needed) the API token of USERNAME."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--reset", action="store_true", help="replace the existing token (revokes the old key)")
        parser.add_argument("--dry-run", action="store_true", help="check the user and say what would happen")

    def handle(self, *args, username, reset, dry_run, verbosity, **options):
        try:
            if dry_run:
                user = token_user(username)
                exists = Token.objects.filter(user=user).exists()
                action = "replace" if exists and reset else ("keep" if exists else "create")
                self.stdout.write(f"dry run: would {action} the token of {username}")
                return
            token, created = token_issue(username=username, reset=reset)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        if verbosity >= 2:
            self.stderr.write(f"{'created' if created else 'existing'} token of {username}")
        # The key alone on stdout, so scripts can capture it.
        self.stdout.write(token.key)
