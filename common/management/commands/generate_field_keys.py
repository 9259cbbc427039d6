"""Print new field keys (docs/security.md): a whole key file, or with --rotate-to one new field key
to put first in FENGQIAO_FIELD_KEYS before `manage.py rotate_field_keys`."""

import base64
import os

from django.core.management.base import BaseCommand, CommandError

from common import crypto


class Command(BaseCommand):
    help = "Print a new key file (one SM4 field key and the blind-index key), or one new field key (--rotate-to ID)."

    def add_arguments(self, parser):
        parser.add_argument("--rotate-to", metavar="ID", help="print only a new SM4 field key with this id")

    def handle(self, *args, rotate_to=None, **options):
        if rotate_to is None:
            self.stdout.write(crypto.generate_keys_text(), ending="")
            return
        if rotate_to in crypto.keyring().field_keys or rotate_to == crypto.INDEX_KEY_ID:
            raise CommandError(f"Key id {rotate_to!r} is already in use: choose another.")
        line = f"{rotate_to}:{base64.b64encode(os.urandom(16)).decode()}"
        crypto.parse_keys(f"{line},{crypto.INDEX_KEY_ID}:{base64.b64encode(os.urandom(32)).decode()}")
        self.stdout.write(line)
