"""Issue an API token to USERNAME for an integrator (12345 hotline, a grid app, a dashboard).

Prints a new key: only its digest is stored, so a key is shown once and an existing one cannot
be printed again. `--days N` sets how long it is valid (default FENGQIAO_API_TOKEN_DAYS, 90);
`--reset` revokes the user's other tokens. `--allow-ip 10.0.0.0/24` (repeatable, or
comma-separated) limits where the token may be used from. Refuses unknown and inactive users. Tokens are
listed (prefix, expiry, last use) and revoked in the admin (接口令牌).
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from api.models import ApiToken
from api.services import token_issue, token_networks, token_user


class Command(BaseCommand):
    help = "Issue a new API token to USERNAME and print its key (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--days", type=int, help="days the token is valid (default FENGQIAO_API_TOKEN_DAYS)")
        parser.add_argument("--reset", action="store_true", help="revoke the user's other tokens")
        parser.add_argument(
            "--allow-ip",
            action="append",
            default=[],
            metavar="NETWORK",
            help="an address or CIDR network the token may be used from (repeatable; default: anywhere)",
        )
        parser.add_argument("--dry-run", action="store_true", help="check the user and say what would happen")

    def handle(self, *args, username, days, reset, allow_ip, dry_run, verbosity, **options):
        try:
            user = token_user(username)
            networks = token_networks(allow_ip)
            if dry_run:
                others = ApiToken.objects.filter(user=user).count()
                revoke = f", revoking {others} other token(s)" if reset and others else ""
                where = f", usable only from {', '.join(networks)}" if networks else ""
                self.stdout.write(f"dry run: would issue a token to {username}{revoke}{where}")
                return
            token, key = token_issue(user=user, days=days, revoke_others=reset, allowed_networks=networks)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        if verbosity >= 2:
            where = f", from {', '.join(token.allowed_networks)} only" if token.allowed_networks else ""
            self.stderr.write(
                f"token {token.prefix}… of {username}, valid until {token.expires_at:%Y-%m-%d %H:%M %Z}{where}"
            )
        # The key alone on stdout, so scripts can capture it.
        self.stdout.write(key)
